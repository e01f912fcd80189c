"""Pages of emergency funds and their spending: requests, approval by the office, payment, export."""

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
from lianfang.core.views import change_history, paginate, query_without_page
from lianfang.donations import exports, selectors
from lianfang.donations.choices import SpendingStatus
from lianfang.donations.forms import (
    BudgetForm,
    DecisionForm,
    FundForm,
    PayForm,
    SpendingFilterForm,
    SpendingForm,
)
from lianfang.donations.models import Fund, Spending
from lianfang.donations.services import base as services
from lianfang.donations.services import funds
from lianfang.donations.views.donations import FUND, SPENDING, _audit_export, _ensure_any, refused
from lianfang.org.scoping import can, has_any, units_where


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
    return render(request, "donations/funds/list.html", context)


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
            fund = funds.fund_open(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            return refused(request, str(exc))
        else:
            messages.success(request, _("The fund “%(name)s” was opened.") % {"name": fund.name})
            return redirect("materials:fund-detail", pk=fund.pk)
    return render(request, "donations/funds/form.html", {"form": form})


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
    return render(request, "donations/funds/detail.html", context, status=status)


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
            fund = funds.fund_raise_budget(actor=user, fund=fund, **form.cleaned_data)
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
            spending = funds.spending_request(actor=user, fund=fund, **form.cleaned_data)
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
    return render(request, "donations/funds/spending_list.html", context)


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
        "may_decide": requested and funds.may_approve(user, spending),
        "may_pay": spending.status == SpendingStatus.APPROVED and can(user, Action.CHANGE, Spending, spending.unit),
        "decision_form": decision_form or DecisionForm(),
        "pay_form": pay_form or PayForm(initial={"paid_on": timezone.localdate()}),
        "history": change_history(user, spending),
    }
    return render(request, "donations/funds/spending_detail.html", context, status=status)


@login_required
def spending_detail(request: HttpRequest, pk: int) -> HttpResponse:
    spending = get_object_or_404(selectors.spending_list(viewer=request.user), pk=pk)
    return _spending_page(request, spending)


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    user = request.user
    spending = get_object_or_404(selectors.spending_list(viewer=user), pk=pk)
    if not funds.may_approve(user, spending):
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
                funds.spending_approve(actor=user, spending=spending, note=form.cleaned_data["note"])
                messages.success(request, _("The spending was approved."))
            else:
                funds.spending_reject(actor=user, spending=spending, note=form.cleaned_data["note"])
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
            funds.spending_pay(actor=user, spending=spending, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The payment was recorded."))
            return redirect("materials:spending-detail", pk=spending.pk)
    spending.refresh_from_db()
    return _spending_page(request, spending, pay_form=form)
