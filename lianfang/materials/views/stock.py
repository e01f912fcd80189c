"""Pages of the stock part of materials: the catalogue, the stock report with days of supply, the
movements and a unit's ledger per item, recording purchases, allocations and issues, a unit's own
levels, and the daily stock-take (日清单).

Thin: parse, check, call a service or selector, render. Units and records are looked up through
restricted querysets, so another unit's ledger or stock-take answers 404; a visible one the user
may not change answers 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, query_without_page, wants_partial
from lianfang.materials.exports import export_response, movements_sheet, stock_sheet
from lianfang.materials.forms.stock import (
    ItemForm,
    MovementFilterForm,
    MovementForm,
    StockLevelsForm,
    StockReportFilterForm,
    StockTakeForm,
)
from lianfang.materials.models import Movement, Stock, StockTake
from lianfang.materials.quantities import format_quantity
from lianfang.materials.selectors import stock as stock_selectors
from lianfang.materials.services import stock as stock_services
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any

ITEM, STOCK, MOVEMENT, STOCKTAKE = "materials.item", "materials.stock", "materials.movement", "materials.stocktake"
REPORT_PAGE = 100


def _require(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied(_("Your roles do not allow this; the unit's materials keeper or the group office can."))


def _unit_from(request: HttpRequest, units, param: str = "unit") -> Unit | None:
    raw = request.GET.get(param) or request.POST.get(param)
    if not raw:
        return None
    try:
        return get_object_or_404(units, pk=int(raw))
    except ValueError:
        raise Http404 from None


# --- the catalogue ------------------------------------------------------------------------------


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, ITEM, Action.VIEW)
    context = {
        "items": stock_selectors.item_list(viewer=user, include_inactive=True),
        "can_add": has_any(user, ITEM, Action.ADD),
        "can_change": has_any(user, ITEM, Action.CHANGE),
    }
    return render(request, "materials/stock/item_list.html", context)


@login_required
def item_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    _require(user, ITEM, Action.VIEW)
    item = get_object_or_404(stock_selectors.item_list(viewer=user, include_inactive=True), pk=pk) if pk else None
    _require(user, ITEM, Action.CHANGE if item else Action.ADD)
    initial = {name: getattr(item, name) for name in stock_services.ITEM_FIELDS} if item else None
    form = ItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if item:
                item = stock_services.item_update(actor=user, item=item, **form.cleaned_data)
            else:
                item = stock_services.item_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("“%(item)s” was saved.") % {"item": item.label})
            return redirect("materials:items")
    return render(request, "materials/stock/item_form.html", {"form": form, "item": item})


# --- the stock report ---------------------------------------------------------------------------


def _report_filters(request: HttpRequest) -> tuple[StockReportFilterForm, dict[str, Any]]:
    user = request.user
    form = StockReportFilterForm(
        request.GET or None,
        units=stock_selectors.stock_units(viewer=user).filter(is_active=True),
        items=stock_selectors.item_list(viewer=user),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, {
            "unit": data.get("unit"),
            "item": data.get("item"),
            "only_short": data.get("only_short", False),
            "below_threshold": data.get("below_threshold", False),
        }
    return form, {}


@login_required
def stock_report(request: HttpRequest) -> HttpResponse:
    """Stock by unit and item with days of supply, coloured below threshold (red) or target (amber)."""
    user = request.user
    _require(user, STOCK, Action.VIEW)
    form, filters = _report_filters(request)
    if form.is_bound and not form.is_valid():
        report = stock_selectors.StockReport(as_of=timezone.localdate(), rows=[], totals=[])
    else:
        report = stock_selectors.stock_report(viewer=user, **filters)
    page = Paginator(report.rows, REPORT_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "report": report,
        "page": page,
        "query": query_without_page(request),
        "can_export": has_any(user, STOCK, Action.EXPORT),
        "can_record": has_any(user, MOVEMENT, Action.ADD),
        "hx_target": "#results",
    }
    template = (
        "materials/stock/stock_report_table.html" if wants_partial(request) else "materials/stock/stock_report.html"
    )
    return render(request, template, context)


@login_required
def stock_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, STOCK, Action.EXPORT)
    form, filters = _report_filters(request)
    if form.is_bound and not form.is_valid():
        return redirect(reverse("materials:stock") + "?" + query_without_page(request))
    report = stock_selectors.stock_report(viewer=user, **filters)
    return export_response(
        actor=user,
        sheet=stock_sheet(report),
        file_name=f"stock-{report.as_of:%Y%m%d}.xlsx",
        what=_("Stock report"),
        filters=query_without_page(request),
    )


@login_required
def stock_levels(request: HttpRequest, unit_pk: int, item_pk: int) -> HttpResponse:
    """A unit's own reorder threshold and target days for one item."""
    user = request.user
    unit = get_object_or_404(stock_selectors.stock_units(viewer=user), pk=unit_pk)
    item = get_object_or_404(stock_selectors.item_list(viewer=user, include_inactive=True), pk=item_pk)
    if not can(user, Action.CHANGE, Stock, unit):
        raise PermissionDenied(_("Only the unit's materials keeper or the group office can change its levels."))
    stock = Stock.objects.filter(unit=unit, item=item).first()
    initial = {"reorder_threshold": stock.reorder_threshold, "target_days": stock.target_days} if stock else None
    form = StockLevelsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            stock_services.stock_set_levels(actor=user, unit=unit, item=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("The levels of %(item)s at %(unit)s were saved.") % {"item": item.label, "unit": unit.name}
            )
            return redirect("materials:ledger", unit_pk=unit.pk, item_pk=item.pk)
    return render(request, "materials/stock/stock_levels.html", {"form": form, "unit": unit, "item": item})


# --- movements ----------------------------------------------------------------------------------


def _movement_filters(request: HttpRequest) -> tuple[MovementFilterForm, Any]:
    user = request.user
    form = MovementFilterForm(
        request.GET or None,
        units=stock_selectors.movement_units(viewer=user).filter(is_active=True),
        items=stock_selectors.item_list(viewer=user, include_inactive=True),
    )
    if not form.is_bound:
        return form, stock_selectors.movement_list(viewer=user)
    if not form.is_valid():
        return form, Movement.objects.none()
    data = form.cleaned_data
    rows = stock_selectors.movement_list(
        viewer=user,
        unit=data.get("unit"),
        item=data.get("item"),
        kind=data.get("kind") or None,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    return form, rows


@login_required
def movement_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, MOVEMENT, Action.VIEW)
    form, rows = _movement_filters(request)
    context = {
        "form": form,
        "page": paginate(request, rows),
        "query": query_without_page(request),
        "can_export": has_any(user, MOVEMENT, Action.EXPORT),
        "can_record": has_any(user, MOVEMENT, Action.ADD),
        "hx_target": "#results",
    }
    template = "materials/stock/movement_table.html" if wants_partial(request) else "materials/stock/movement_list.html"
    return render(request, template, context)


@login_required
def movement_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, MOVEMENT, Action.EXPORT)
    _form, rows = _movement_filters(request)
    return export_response(
        actor=user,
        sheet=movements_sheet(rows),
        file_name=f"movements-{timezone.localdate():%Y%m%d}.xlsx",
        what=_("Movements"),
        filters=query_without_page(request),
    )


@login_required
def movement_add(request: HttpRequest) -> HttpResponse:
    """Record a purchase received, an allocation from the group, or an issue for use."""
    user = request.user
    _require(user, MOVEMENT, Action.ADD)
    units = stock_selectors.movement_units(viewer=user, action=Action.ADD).filter(is_active=True)
    items = stock_selectors.item_list(viewer=user)
    initial: dict[str, Any] = {"kind": request.GET.get("kind") or stock_services.RECORDABLE_KINDS[0]}
    for name, qs in (("unit", units), ("item", items)):
        raw = request.GET.get(name, "")
        if raw.isdigit() and qs.filter(pk=int(raw)).exists():
            initial[name] = int(raw)
    if "unit" not in initial and units.count() == 1:
        initial["unit"] = units.first()
    form = MovementForm(request.POST or None, initial=initial, units=units, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = stock_services.movement_record(actor=user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s recorded: %(item)s, balance now %(balance)s.")
                % {
                    "kind": movement.get_kind_display(),
                    "item": movement.item.label,
                    "balance": format_quantity(movement.item, movement.balance_after),
                },
            )
            return redirect("materials:ledger", unit_pk=movement.unit_id, item_pk=movement.item_id)
    return render(request, "materials/stock/movement_form.html", {"form": form})


@login_required
def ledger(request: HttpRequest, unit_pk: int, item_pk: int) -> HttpResponse:
    """One unit's movements of one item, oldest first with the balance after each: a bank statement.
    Opens on the last page, where the latest movements are."""
    user = request.user
    unit = get_object_or_404(stock_selectors.movement_units(viewer=user), pk=unit_pk)
    item = get_object_or_404(stock_selectors.item_list(viewer=user, include_inactive=True), pk=item_pk)
    rows = stock_selectors.unit_ledger(viewer=user, unit=unit, item=item)
    paginator = Paginator(rows, 50)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    context = {
        "unit": unit,
        "item": item,
        "page": page,
        "supply": stock_selectors.stock_row(viewer=user, unit=unit, item=item),
        "can_record": can(user, Action.ADD, Movement, unit),
        "can_levels": can(user, Action.CHANGE, Stock, unit),
        "can_count": can(user, Action.ADD, StockTake, unit),
    }
    return render(request, "materials/stock/movement_ledger.html", context)


# --- the daily stock-take -----------------------------------------------------------------------


@login_required
def stocktake_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, STOCKTAKE, Action.VIEW)
    units = stock_selectors.stocktake_units(viewer=user).filter(is_active=True)
    unit = _unit_from(request, units)
    context = {
        "page": paginate(request, stock_selectors.stocktake_list(viewer=user, unit=unit)),
        "units": units,
        "unit": unit,
        "can_add": has_any(user, STOCKTAKE, Action.ADD),
        "query": query_without_page(request),
    }
    return render(request, "materials/stock/stocktake_list.html", context)


@login_required
def stocktake_add(request: HttpRequest) -> HttpResponse:
    """The day's count of one unit: each item with its balance on the books; blank = not counted."""
    user = request.user
    _require(user, STOCKTAKE, Action.ADD)
    add_units = stock_selectors.stocktake_units(viewer=user, action=Action.ADD).filter(is_active=True)
    unit = _unit_from(request, stock_selectors.stocktake_units(viewer=user))
    if unit is None:
        unit = add_units.first()
        if unit is None:
            raise PermissionDenied
    elif not can(user, Action.ADD, StockTake, unit):
        raise PermissionDenied(_("Only the unit's materials keeper or the group office can count its stock."))
    day = parse_date(request.GET.get("date") or "") or timezone.localdate()
    items = list(stock_selectors.item_list(viewer=user))
    books = dict(Stock.objects.filter(unit=unit).values_list("item_id", "on_hand"))
    form = StockTakeForm(request.POST or None, initial={"date": day}, items=items)
    existing = StockTake.objects.filter(unit=unit, date=day).first()
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["date"]
        try:
            stocktake = stock_services.stocktake_record(
                actor=user, unit=unit, date=day, counts=form.counts(), note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)  # counts' errors go on top of the form
            existing = StockTake.objects.filter(unit=unit, date=day).first()
        else:
            changed = sum(1 for line in stocktake.lines.all() if line.variance)
            messages.success(
                request,
                _("The count was saved; %(n)s item(s) differed from the books and were adjusted.") % {"n": changed},
            )
            return redirect("materials:stocktake-detail", pk=stocktake.pk)
    rows = [(item, field, books.get(item.pk)) for item, field in form.count_fields()]
    context = {
        "form": form,
        "unit": unit,
        "units": add_units,
        "rows": rows,
        "existing": existing,
        "day": day,
    }
    return render(request, "materials/stock/stocktake_form.html", context)


@login_required
def stocktake_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    stocktake = get_object_or_404(stock_selectors.stocktake_list(viewer=user), pk=pk)
    context = {"stocktake": stocktake, "lines": stock_selectors.stocktake_lines(stocktake)}
    return render(request, "materials/stock/stocktake_detail.html", context)
