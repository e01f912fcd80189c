"""Pages of donations (捐赠), money collections among units (募捐) and the emergency fund
(应急专项资金), with their reports and .xlsx exports.

Thin: parse, check, call a service or selector, render. Objects are looked up through restricted
querysets, so one outside the viewer's scope answers 404; a visible object the user may not act on
answers 403 with a page that says who can. Forms that fail (a service's refusal included) are shown
again with the message, nothing written.
"""

from __future__ import annotations

from typing import Any

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
from lianfang.core.views import change_history, paginate, query_without_page, wants_partial
from lianfang.donations import exports, selectors
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.forms import (
    DonationCancelForm,
    DonationFilterForm,
    DonationForm,
    DonationLineFormSet,
    DonationReportForm,
    line_pairs,
)
from lianfang.donations.models import Donation
from lianfang.donations.services import donations
from lianfang.org.scoping import can, has_any, units_where

DONATION, COLLECTION, FUND, SPENDING = (
    "donations.donation",
    "donations.collection",
    "donations.fund",
    "donations.spending",
)


def refused(request: HttpRequest, message: str) -> HttpResponse:
    """403 with the reason and who can act (the generic 403 page cannot say it)."""
    return render(request, "donations/donations/refused.html", {"message": message}, status=403)


def _ensure_any(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied


def _audit_export(request: HttpRequest, *, what: str, unit=None, object_repr: str, **detail: Any) -> None:
    exports.audit_export(actor=request.user, what=what, unit=unit, object_repr=object_repr, **detail)


# --- donations ----------------------------------------------------------------------------------


@login_required
def donation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, DONATION, Action.VIEW)
    form = DonationFilterForm(request.GET, units=units_where(user, Donation, Action.VIEW))
    rows = selectors.donation_list(viewer=user, **form.selector_args()) if form.is_valid() else Donation.objects.none()
    context = {
        "form": form,
        "page": paginate(request, rows),
        "query": query_without_page(request),
        "can_add": has_any(user, DONATION, Action.ADD),
        "can_export": has_any(user, DONATION, Action.EXPORT),
    }
    template = "donations/donations/table.html" if wants_partial(request) else "donations/donations/list.html"
    return render(request, template, context)


@login_required
def donation_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, DONATION, Action.VIEW)
    if not has_any(user, DONATION, Action.ADD):
        return refused(request, _("Recording donations is for materials keepers and the group prevention office."))
    units = units_where(user, Donation, Action.ADD).filter(is_active=True)
    items = selectors.donation_items()
    direction = request.GET.get("direction") if request.GET.get("direction") in Direction.values else Direction.IN
    kind = request.GET.get("kind") if request.GET.get("kind") in DonationKind.values else DonationKind.GOODS
    initial = {"direction": direction, "kind": kind, "date": timezone.localdate()}
    form = DonationForm(request.POST or None, initial=initial, units=units)
    lines = DonationLineFormSet(request.POST or None, prefix="lines", form_kwargs={"items": items})
    if request.method == "POST" and form.is_valid() & lines.is_valid():
        data = form.cleaned_data
        is_money = data["kind"] == DonationKind.MONEY
        try:
            donation = donations.donation_record(
                actor=user,
                direction=data["direction"],
                kind=data["kind"],
                unit=data["unit"],
                counterparty=data["counterparty"],
                date=data["date"],
                amount=data["amount"] if is_money else (data["amount"] or None),
                lines=[] if is_money else line_pairs(lines),
                receipt_no=data["receipt_no"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("Donation %(number)s was recorded.") % {"number": donation.number})
            return redirect("materials:donation-detail", pk=donation.pk)
    return render(request, "donations/donations/form.html", {"form": form, "lines": lines})


def _donation_page(request: HttpRequest, donation: Donation, cancel_form=None, status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "donation": donation,
        "lines": selectors.donation_lines(donation),
        "can_cancel": donation.cancelled is None and can(user, Action.CHANGE, Donation, donation.unit),
        "cancel_form": cancel_form or DonationCancelForm(),
        "history": change_history(user, donation),
    }
    return render(request, "donations/donations/detail.html", context, status=status)


@login_required
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donation = get_object_or_404(selectors.donation_list(viewer=request.user), pk=pk)
    return _donation_page(request, donation)


@login_required
def donation_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt (received) or acknowledgement (given)."""
    donation = get_object_or_404(selectors.donation_list(viewer=request.user), pk=pk)
    context = {"donation": donation, "lines": selectors.donation_lines(donation), "printed": timezone.localdate()}
    return render(request, "donations/donations/receipt.html", context)


@login_required
@require_POST
def donation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    donation = get_object_or_404(selectors.donation_list(viewer=user), pk=pk)
    if not can(user, Action.CHANGE, Donation, donation.unit):
        return refused(
            request,
            _("You may not cancel donations of %(unit)s: its materials keeper or the group prevention office can.")
            % {"unit": donation.unit.name},
        )
    form = DonationCancelForm(request.POST)
    if form.is_valid():
        try:
            donations.donation_cancel(actor=user, donation=donation, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Donation %(number)s was cancelled.") % {"number": donation.number})
            return redirect("materials:donation-detail", pk=donation.pk)
    donation.refresh_from_db()
    return _donation_page(request, donation, cancel_form=form)


@login_required
def donation_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, DONATION, Action.VIEW)
    if not has_any(user, DONATION, Action.EXPORT):
        return refused(
            request, _("Exporting donations is for materials keepers, leaders and the group prevention office.")
        )
    form = DonationFilterForm(request.GET, units=units_where(user, Donation, Action.EXPORT))
    if not form.is_valid():
        return redirect("materials:donation-list")
    rows = selectors.donation_list(viewer=user, action=Action.EXPORT, **form.selector_args())
    response = exports.donations_xlsx(rows)
    _audit_export(request, what="donations", object_repr=_("Donations"), filters=query_without_page(request))
    return response


@login_required
def donation_report(request: HttpRequest) -> HttpResponse:
    """Donations received and given per unit and item, collections and funds, over a period."""
    user = request.user
    shows = {
        "donations": has_any(user, DONATION, Action.VIEW),
        "collections": has_any(user, COLLECTION, Action.VIEW),
        "funds": has_any(user, FUND, Action.VIEW),
    }
    if not any(shows.values()):
        raise PermissionDenied
    form = DonationReportForm(request.GET, units=units_where(user, Donation, Action.VIEW))
    data = form.cleaned_data if form.is_valid() else {}
    args = {"unit": data.get("unit"), "date_from": data.get("date_from"), "date_to": data.get("date_to")}
    context: dict[str, Any] = {
        "form": form,
        "shows": shows,
        "query": query_without_page(request),
        "can_export": any(has_any(user, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND)),
    }
    if form.is_valid():
        if shows["donations"]:
            context["report"] = selectors.donation_report(viewer=user, **args)
        if shows["collections"]:
            context["collections"] = selectors.collections_summary(viewer=user)
        if shows["funds"]:
            context["funds"] = selectors.funds_summary(viewer=user, unit=args["unit"])
    return render(request, "donations/donations/report.html", context)


@login_required
def donation_report_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    allowed = {label: has_any(user, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND)}
    if not any(allowed.values()):
        if any(has_any(user, label, Action.VIEW) for label in allowed):
            return refused(request, _("Exporting this report is for leaders and the group prevention office."))
        raise PermissionDenied
    form = DonationReportForm(request.GET, units=units_where(user, Donation, Action.VIEW))
    if not form.is_valid():
        return redirect("materials:donation-report")
    data = form.cleaned_data
    report = (
        selectors.donation_report(
            viewer=user, unit=data.get("unit"), date_from=data.get("date_from"), date_to=data.get("date_to")
        )
        if allowed[DONATION]
        else None
    )
    response = exports.report_xlsx(
        report=report,
        collections=selectors.collections_summary(viewer=user) if allowed[COLLECTION] else None,
        funds=selectors.funds_summary(viewer=user, unit=data.get("unit")) if allowed[FUND] else None,
    )
    _audit_export(request, what="donation_report", object_repr=_("Donations and funds report"))
    return response
