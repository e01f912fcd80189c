"""Pages of money collections among units: who gave what, what was passed on and what is left."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate
from lianfang.donations import exports, selectors
from lianfang.donations.forms import (
    CollectionForm,
    ContributionForm,
    PassOnForm,
)
from lianfang.donations.models import Collection
from lianfang.donations.services import base as services
from lianfang.donations.services import collections
from lianfang.donations.views.donations import COLLECTION, _audit_export, _ensure_any, refused
from lianfang.org.scoping import can, has_any, units_where


@login_required
def collection_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, COLLECTION, Action.VIEW)
    context = {
        "page": paginate(request, selectors.collection_list(viewer=user)),
        "can_add": units_where(user, Collection, Action.ADD).exists(),
    }
    return render(request, "donations/collections/list.html", context)


@login_required
def collection_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, COLLECTION, Action.VIEW)
    if not has_any(user, COLLECTION, Action.ADD):
        return refused(request, _("Opening a collection is for the group prevention office."))
    units = units_where(user, Collection, Action.ADD).filter(is_active=True)
    form = CollectionForm(request.POST or None, initial={"opened_on": timezone.localdate()}, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            collection = collections.collection_open(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("The collection “%(name)s” was opened.") % {"name": collection.name})
            return redirect("materials:collection-detail", pk=collection.pk)
    return render(request, "donations/collections/form.html", {"form": form})


def _collection_page(
    request: HttpRequest, collection: Collection, *, contribution_form=None, pass_on_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    units = selectors.contribution_units(viewer=user, collection=collection)
    may_pass_on = can(user, Action.CHANGE, Collection, collection.organiser)
    today = timezone.localdate()
    context = {
        "collection": collection,
        "ledger": selectors.collection_ledger(viewer=user, collection=collection),
        "may_contribute": units.exists(),
        "may_pass_on": may_pass_on,
        "can_export": can(user, Action.EXPORT, Collection, collection.organiser),
        "contribution_form": contribution_form or ContributionForm(initial={"date": today}, units=units),
        "pass_on_form": pass_on_form or PassOnForm(initial={"date": today}),
        "history": change_history(user, collection),
    }
    return render(request, "donations/collections/detail.html", context, status=status)


@login_required
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    collection = get_object_or_404(selectors.collection_list(viewer=request.user), pk=pk)
    return _collection_page(request, collection)


@login_required
@require_POST
def collection_contribute(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    collection = get_object_or_404(selectors.collection_list(viewer=user), pk=pk)
    units = selectors.contribution_units(viewer=user, collection=collection)
    if not units.exists():
        return refused(request, _("Recording a unit's gift is for its liaison or the group prevention office."))
    form = ContributionForm(request.POST, units=units)
    if form.is_valid():
        try:
            contribution = collections.contribution_record(actor=user, collection=collection, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(
                request,
                _("%(amount)s from %(unit)s was recorded.")
                % {"amount": services.yuan(contribution.amount), "unit": contribution.unit.name},
            )
            return redirect("materials:collection-detail", pk=collection.pk)
    return _collection_page(request, collection, contribution_form=form)


@login_required
@require_POST
def collection_pass_on(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    collection = get_object_or_404(selectors.collection_list(viewer=user), pk=pk)
    if not can(user, Action.CHANGE, Collection, collection.organiser):
        return refused(
            request, _("Only the organiser of the collection (the group prevention office) can pass its money on.")
        )
    form = PassOnForm(request.POST)
    if form.is_valid():
        try:
            donation = collections.collection_pass_on(actor=user, collection=collection, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(amount)s was passed on to %(recipient)s (%(number)s).")
                % {
                    "amount": services.yuan(donation.amount or 0),
                    "recipient": donation.counterparty,
                    "number": donation.number,
                },
            )
            return redirect("materials:collection-detail", pk=collection.pk)
    return _collection_page(request, collection, pass_on_form=form)


@login_required
def collection_export(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    collection = get_object_or_404(selectors.collection_list(viewer=user), pk=pk)
    if not can(user, Action.EXPORT, Collection, collection.organiser):
        return refused(request, _("Exporting a collection is for leaders and the group prevention office."))
    response = exports.collection_xlsx(selectors.collection_ledger(viewer=user, collection=collection))
    _audit_export(
        request, what="collection", unit=collection.organiser, object_repr=collection.name, collection=collection.pk
    )
    return response
