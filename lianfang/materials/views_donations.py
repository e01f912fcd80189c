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

from lianfang.core.audit import record_event
from lianfang.core.forms import apply_service_errors
from lianfang.core.models import AuditKind
from lianfang.core.views import change_history, paginate, query_without_page, wants_partial
from lianfang.materials import donation_exports as exports
from lianfang.materials import donation_selectors as selectors
from lianfang.materials import donation_services as services
from lianfang.materials.choices import Direction, DonationKind, SpendingStatus
from lianfang.materials.forms_donations import (
    BudgetForm,
    CollectionForm,
    ContributionForm,
    DecisionForm,
    DonationCancelForm,
    DonationFilterForm,
    DonationForm,
    DonationLineFormSet,
    DonationReportForm,
    FundForm,
    PassOnForm,
    PayForm,
    SpendingFilterForm,
    SpendingForm,
    line_pairs,
)
from lianfang.materials.models import Collection, Donation, Fund, Spending
from lianfang.org.choices import Action
from lianfang.org.scoping import can, has_any, units_where

DONATION, COLLECTION, FUND, SPENDING = (
    "materials.donation",
    "materials.collection",
    "materials.fund",
    "materials.spending",
)


def refused(request: HttpRequest, message: str) -> HttpResponse:
    """403 with the reason and who can act (the generic 403 page cannot say it)."""
    return render(request, "materials/donation_refused.html", {"message": message}, status=403)


def _ensure_any(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied


def _audit_export(request: HttpRequest, *, what: str, unit=None, object_repr: str, **detail: Any) -> None:
    record_event(
        kind=AuditKind.EXPORT,
        actor=request.user,
        unit=unit,
        object_repr=object_repr,
        what=what,
        format="xlsx",
        **detail,
    )


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
    template = "materials/donation_table.html" if wants_partial(request) else "materials/donation_list.html"
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
            donation = services.donation_record(
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
    return render(request, "materials/donation_form.html", {"form": form, "lines": lines})


def _donation_page(request: HttpRequest, donation: Donation, cancel_form=None, status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "donation": donation,
        "lines": selectors.donation_lines(donation),
        "can_cancel": donation.cancelled is None and can(user, Action.CHANGE, Donation, donation.unit),
        "cancel_form": cancel_form or DonationCancelForm(),
        "history": change_history(user, donation),
    }
    return render(request, "materials/donation_detail.html", context, status=status)


@login_required
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donation = get_object_or_404(selectors.donation_list(viewer=request.user), pk=pk)
    return _donation_page(request, donation)


@login_required
def donation_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt (received) or acknowledgement (given)."""
    donation = get_object_or_404(selectors.donation_list(viewer=request.user), pk=pk)
    context = {"donation": donation, "lines": selectors.donation_lines(donation), "printed": timezone.localdate()}
    return render(request, "materials/donation_receipt.html", context)


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
            services.donation_cancel(actor=user, donation=donation, reason=form.cleaned_data["reason"])
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
    return render(request, "materials/donation_report.html", context)


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


# --- collections --------------------------------------------------------------------------------


@login_required
def collection_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, COLLECTION, Action.VIEW)
    context = {
        "page": paginate(request, selectors.collection_list(viewer=user)),
        "can_add": units_where(user, Collection, Action.ADD).exists(),
    }
    return render(request, "materials/collection_list.html", context)


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
            collection = services.collection_open(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("The collection “%(name)s” was opened.") % {"name": collection.name})
            return redirect("materials:collection-detail", pk=collection.pk)
    return render(request, "materials/collection_form.html", {"form": form})


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
    return render(request, "materials/collection_detail.html", context, status=status)


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
            contribution = services.contribution_record(actor=user, collection=collection, **form.cleaned_data)
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
            donation = services.collection_pass_on(actor=user, collection=collection, **form.cleaned_data)
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


# --- the emergency fund -------------------------------------------------------------------------


@login_required
def fund_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, FUND, Action.VIEW)
    summary = selectors.funds_summary(viewer=user)
    context = {
        "summary": summary,
        "can_add": has_any(user, FUND, Action.ADD),
        "can_spending": has_any(user, SPENDING, Action.VIEW),
    }
    return render(request, "materials/fund_list.html", context)


@login_required
def fund_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_any(user, FUND, Action.VIEW)
    if not has_any(user, FUND, Action.ADD):
        return refused(request, _("Opening an emergency fund is for the group prevention office."))
    units = units_where(user, Fund, Action.ADD).filter(is_active=True)
    form = FundForm(request.POST or None, initial={"opened_on": timezone.localdate()}, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.fund_open(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("The fund “%(name)s” was opened.") % {"name": fund.name})
            return redirect("materials:fund-detail", pk=fund.pk)
    return render(request, "materials/fund_form.html", {"form": form})


def _fund_page(
    request: HttpRequest, fund: Fund, *, budget_form=None, spending_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    units = selectors.spending_units(viewer=user, fund=fund)
    context = {
        "fund": fund,
        "spendings": list(selectors.spending_list(viewer=user, fund=fund)),
        "may_raise": can(user, Action.CHANGE, Fund, fund.unit),
        "may_request": units.exists(),
        "can_export": can(user, Action.EXPORT, Fund, fund.unit),
        "budget_form": budget_form or BudgetForm(),
        "spending_form": spending_form or SpendingForm(initial={"unit": fund.unit_id}, units=units),
        "history": change_history(user, fund),
    }
    return render(request, "materials/fund_detail.html", context, status=status)


@login_required
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    fund = get_object_or_404(selectors.fund_list(viewer=request.user), pk=pk)
    return _fund_page(request, fund)


@login_required
@require_POST
def fund_budget(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    fund = get_object_or_404(selectors.fund_list(viewer=user), pk=pk)
    if not can(user, Action.CHANGE, Fund, fund.unit):
        return refused(
            request,
            _("You may not change the budget of %(fund)s: the group prevention office can.") % {"fund": fund.name},
        )
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            fund = services.fund_raise_budget(actor=user, fund=fund, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The budget is now %(budget)s.") % {"budget": services.yuan(fund.budget)})
            return redirect("materials:fund-detail", pk=fund.pk)
    return _fund_page(request, fund, budget_form=form)


@login_required
@require_POST
def fund_request(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    fund = get_object_or_404(selectors.fund_list(viewer=user), pk=pk)
    units = selectors.spending_units(viewer=user, fund=fund)
    if not units.exists():
        return refused(
            request,
            _("Requesting spending is for the unit's liaison, its materials keeper or the group prevention office."),
        )
    form = SpendingForm(request.POST, units=units)
    if form.is_valid():
        try:
            spending = services.spending_request(actor=user, fund=fund, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("The request was sent to the group prevention office."))
            return redirect("materials:spending-detail", pk=spending.pk)
    return _fund_page(request, fund, spending_form=form)


@login_required
def fund_export(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    fund = get_object_or_404(selectors.fund_list(viewer=user), pk=pk)
    if not can(user, Action.EXPORT, Fund, fund.unit):
        return refused(request, _("Exporting a fund is for leaders and the group prevention office."))
    response = exports.fund_xlsx(fund, list(selectors.spending_list(viewer=user, fund=fund)))
    _audit_export(request, what="fund", unit=fund.unit, object_repr=fund.name, fund=fund.pk)
    return response


@login_required
def spending_list(request: HttpRequest) -> HttpResponse:
    """Spending requests in scope; the office's queue is ``?status=requested``."""
    user = request.user
    _ensure_any(user, SPENDING, Action.VIEW)
    form = SpendingFilterForm(request.GET)
    status = form.cleaned_data.get("status") if form.is_valid() else None
    rows = selectors.spending_list(viewer=user, status=status or None)
    context = {"form": form, "page": paginate(request, rows), "query": query_without_page(request)}
    return render(request, "materials/spending_list.html", context)


def _spending_page(
    request: HttpRequest, spending: Spending, *, decision_form=None, pay_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    requested = spending.status == SpendingStatus.REQUESTED
    fund = Fund.objects.get(pk=spending.fund_id)
    context = {
        "spending": spending,
        "fund": fund,
        "fund_visible": selectors.fund_list(viewer=user).filter(pk=fund.pk).exists(),
        "may_decide": requested and services.may_approve(user, spending),
        "may_pay": spending.status == SpendingStatus.APPROVED and can(user, Action.CHANGE, Spending, spending.unit),
        "decision_form": decision_form or DecisionForm(),
        "pay_form": pay_form or PayForm(initial={"paid_on": timezone.localdate()}),
        "history": change_history(user, spending),
    }
    return render(request, "materials/spending_detail.html", context, status=status)


@login_required
def spending_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spending = get_object_or_404(selectors.spending_list(viewer=request.user), pk=pk)
    return _spending_page(request, spending)


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    user = request.user
    spending = get_object_or_404(selectors.spending_list(viewer=user), pk=pk)
    if not services.may_approve(user, spending):
        return refused(
            request,
            _(
                "Deciding on spending from the emergency fund needs the approve right on %(unit)s or a unit "
                "above it: the group prevention office decides."
            )
            % {"unit": spending.unit.name},
        )
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            if approve:
                services.spending_approve(actor=user, spending=spending, note=form.cleaned_data["note"])
                messages.success(request, _("The spending was approved."))
            else:
                services.spending_reject(actor=user, spending=spending, note=form.cleaned_data["note"])
                messages.success(request, _("The request was rejected."))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("materials:spending-detail", pk=spending.pk)
    spending.refresh_from_db()
    return _spending_page(request, spending, decision_form=form)


@login_required
@require_POST
def spending_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def spending_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@login_required
@require_POST
def spending_pay(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    spending = get_object_or_404(selectors.spending_list(viewer=user), pk=pk)
    if not can(user, Action.CHANGE, Spending, spending.unit):
        return refused(
            request,
            _("Recording payments from the emergency fund of %(unit)s is for the group prevention office.")
            % {"unit": spending.unit.name},
        )
    form = PayForm(request.POST)
    if form.is_valid():
        try:
            services.spending_pay(actor=user, spending=spending, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The payment was recorded."))
            return redirect("materials:spending-detail", pk=spending.pk)
    spending.refresh_from_db()
    return _spending_page(request, spending, pay_form=form)
