"""Pages of one-on-one care (一对一关怀): the carer of each person, contacts with need, action and
outcome, open needs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianfang.cases import selectors
from lianfang.cases.forms import (
    CareAssignForm,
    CareContactForm,
    SettleForm,
)
from lianfang.cases.models import CareAssignment, CareContact
from lianfang.cases.services import care as care_services
from lianfang.cases.views.cases import render_page
from lianfang.cases.views.isolation import _int
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import paginate
from lianfang.org.scoping import can, has_any


def _ensure_care_pages(user) -> None:
    if has_any(user, "cases.careassignment", Action.VIEW):
        return
    if CareAssignment.objects.filter(carer__user=user).exists():
        return
    raise PermissionDenied


@login_required
def care_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_care_pages(user)
    assignments = selectors.care_list(viewer=user).order_by("ended_on", "-started_on", "pk")
    if request.GET.get("state") != "all":
        assignments = assignments.filter(ended_on__isnull=True)
    context = {
        "page": paginate(request, assignments),
        "needs": selectors.open_needs(viewer=user)[:200],
        "may_assign": has_any(user, "cases.careassignment", Action.ADD),
        "state": request.GET.get("state", ""),
    }
    return render_page(request, "cases/care_list.html", context)


@login_required
def care_assign(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "cases.careassignment", Action.ADD):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    case = isolation = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("case"):
        case = get_object_or_404(selectors.case_list(viewer=user), pk=_int(source.get("case")))
        initial["case"] = case.pk
        if case.person_id:
            initial["employee_no"] = case.person.employee_no
    if source.get("isolation"):
        isolation = get_object_or_404(selectors.isolation_list(viewer=user), pk=_int(source.get("isolation")))
        initial.update(isolation=isolation.pk, employee_no=isolation.person.employee_no)
    form = CareAssignForm(request.POST or None, viewer=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            assignment = care_services.care_assign(
                actor=user,
                person=d["person"],
                carer=d["carer"],
                case=case,
                isolation=isolation,
                started_on=d["started_on"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(
                request,
                _("%(carer)s now looks after %(name)s.")
                % {"carer": assignment.carer.name, "name": assignment.person.name},
            )
            return redirect("cases:care-detail", pk=assignment.pk)
    return render_page(request, "cases/care_form.html", {"form": form})


@never_cache
@login_required
def care_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assignment = get_object_or_404(selectors.care_list(viewer=user), pk=pk)
    may_record = care_services.may_record_care(user, assignment)
    form = CareContactForm(request.POST or None)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                care_services.care_contact_record(actor=user, assignment=assignment, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The care contact was recorded."))
                return redirect("cases:care-detail", pk=assignment.pk)
    context = {
        "assignment": assignment,
        "contacts": CareContact.objects.restrict(user, Action.VIEW)
        .filter(assignment=assignment)
        .order_by("-date", "-pk"),
        "form": form,
        "may_record": may_record,
        "may_end": assignment.ended_on is None and can(user, Action.CHANGE, CareAssignment, assignment.unit),
        "settle_form": SettleForm(),
    }
    return render_page(request, "cases/care_detail.html", context)


@require_POST
@login_required
def care_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assignment = get_object_or_404(selectors.care_list(viewer=user), pk=pk)
    if not can(user, Action.CHANGE, CareAssignment, assignment.unit):
        raise PermissionDenied
    try:
        care_services.care_end(actor=user, assignment=assignment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The care ended."))
    return redirect("cases:care-detail", pk=assignment.pk)


@require_POST
@login_required
def care_settle(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = get_object_or_404(CareContact.objects.restrict(user, Action.VIEW).select_related("assignment"), pk=pk)
    if not care_services.may_record_care(user, contact.assignment):
        raise PermissionDenied
    form = SettleForm(request.POST)
    if form.is_valid():
        try:
            care_services.care_contact_settle(actor=user, care_contact=contact, outcome=form.cleaned_data["outcome"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The need was marked settled."))
    else:
        messages.error(request, _("Say how the need was settled."))
    if request.POST.get("next") == "list":
        return redirect("cases:care")
    return redirect("cases:care-detail", pk=contact.assignment_id)
