"""Pages of the unit daily report: the liaison's report (phone-first), the office's overview of the
day, one report, the template editor and the raised items.

Thin: parse, check, call a service or selector, render. Reports and units are looked up through
restricted querysets, so another unit's report answers 404; a visible report the user may not
change answers 403 with the reason.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from lianfang.core.extensions import feed_choices, feed_counts
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate, query_without_page, wants_partial
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any
from lianfang.reporting.choices import FieldKind, ReportStatus
from lianfang.reporting.forms import (
    RaisedFilterForm,
    RaisedRouteForm,
    RaisedStatusForm,
    ReportDayForm,
    ReportFieldForm,
)
from lianfang.reporting.forms import (
    ReportForm as ReportValuesForm,
)
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.reporting.selectors import reports
from lianfang.reporting.services import reports as report_services

REPORT_MODEL = "reporting.unitdailyreport"


def _day(request: HttpRequest) -> datetime.date:
    """``?date=`` or today; a day in the future or unreadable falls back to today."""
    day = parse_date(request.GET.get("date") or "") if request.GET.get("date") else None
    today = timezone.localdate()
    return day if day is not None and day <= today else today


def _report_url(unit: Unit, day: datetime.date) -> str:
    return reverse("reporting:report") + "?" + urlencode({"unit": unit.pk, "date": day.isoformat()})


# --- the liaison's report -----------------------------------------------------------------------


@login_required
def report_edit(request: HttpRequest) -> HttpResponse:
    """Today's report of the liaison's unit (or ``?unit=&date=``): prefilled counts, typed narrative,
    save as a draft, submit, or confirm a zero report in one action."""
    user = request.user
    units = reports.report_units_for(viewer=user, action=Action.VIEW)
    if not has_any(user, REPORT_MODEL, Action.VIEW):
        raise PermissionDenied
    day = _day(request)
    if request.GET.get("unit"):
        try:
            unit = get_object_or_404(units, pk=int(request.GET["unit"]))
        except ValueError:
            raise Http404 from None
    else:
        unit = reports.report_units_for(viewer=user, action=Action.ADD).select_related("kind").first() or units.first()
        if unit is None:
            return render(request, "reporting/report_none.html", {})

    report = reports.report_get(viewer=user, unit=unit, date=day)
    fields = reports.report_fields()
    sources = [f.source for f in fields if f.kind == FieldKind.COUNT and f.source]
    counted = feed_counts(unit, day, sources)
    locked = reports.report_is_locked(day)
    office = reports.is_group_office(user, unit)
    may_write = can(user, Action.CHANGE if report else Action.ADD, UnitDailyReport, unit) and (not locked or office)
    submitted = report is not None and report.status == ReportStatus.SUBMITTED
    if report is not None:
        initial = dict(report.values)
    else:
        initial = {f.code: counted.get(f.source) for f in fields if f.kind == FieldKind.COUNT}
    form = ReportValuesForm(
        request.POST or None,
        initial=initial,
        report_fields=fields,
        prefilled=counted,
        ask_reason=submitted or locked,
    )
    status = 200
    if request.method == "POST":
        if not can(user, Action.CHANGE if report else Action.ADD, UnitDailyReport, unit):
            raise PermissionDenied
        action = request.POST.get("action", "save")
        valid = form.is_valid()
        try:
            if action == "zero":
                saved = report_services.unit_report_submit_zero(
                    actor=user, unit=unit, date=day, reason=request.POST.get("reason", "")
                )
            elif valid and action == "submit":
                saved = report_services.unit_report_submit(
                    actor=user, unit=unit, date=day, values=form.values(), reason=form.correction_reason()
                )
            elif valid:
                saved = report_services.unit_report_save_draft(
                    actor=user, unit=unit, date=day, values=form.values(), reason=form.correction_reason()
                )
            else:
                saved = None
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not change this report."))
            status = 403
        else:
            if saved is not None:
                if saved.status == ReportStatus.DRAFT:
                    messages.success(request, _("The draft was saved. It is not submitted yet."))
                elif saved.is_zero_report:
                    messages.success(request, _("The zero report was submitted."))
                else:
                    messages.success(request, _("The report was submitted."))
                return redirect(_report_url(unit, day))

    context = {
        "unit": unit,
        "day": day,
        "today": timezone.localdate(),
        "units": units if units.count() > 1 else None,
        "day_form": ReportDayForm(initial={"unit": unit.pk, "date": day}, units=units),
        "report": report,
        "submitted": submitted,
        "timeliness": reports.timeliness_of(report),
        "deadline": reports.report_deadline_at(day),
        "locked": locked,
        "locks_on": reports.report_locks_on(day),
        "office": office,
        "may_write": may_write,
        "form": form,
        "zero_blockers": report_services.zero_report_blockers(unit, day, report.values if report else None),
        "history": change_history(user, report) if report else [],
    }
    return render(request, "reporting/report_form.html", context, status=status)


# --- the office's overview ----------------------------------------------------------------------


@login_required
def report_overview(request: HttpRequest) -> HttpResponse:
    """Every reporting unit in the viewer's scope for a day: timely, late or missing, zero or not."""
    user = request.user
    if not has_any(user, REPORT_MODEL, Action.VIEW):
        raise PermissionDenied
    day = _day(request)
    rows = reports.report_status_by_unit(viewer=user, date=day)
    totals = {"expected": 0, "timely": 0, "late": 0, "missing": 0, "zero": 0, "submitted": 0}
    for row in rows:  # the same sums as report_status_totals, without reading the rows twice
        totals["expected"] += 1
        totals[row.timeliness.value] += 1
        if row.timeliness.value != "missing":
            totals["submitted"] += 1
            totals["zero"] += int(row.is_zero_report)
    deadline = reports.report_deadline_at(day)
    context = {
        "day": day,
        "today": timezone.localdate(),
        "rows": rows,
        "totals": totals,
        "deadline": deadline,
        "before_deadline": timezone.now() <= deadline,
        "can_template": reports.may_edit_template(user, Action.VIEW),
        "can_raised": has_any(user, "reporting.raiseditem", Action.VIEW),
    }
    template = "reporting/_report_overview_table.html" if wants_partial(request) else "reporting/report_overview.html"
    return render(request, template, context)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    report = get_object_or_404(reports.report_list(viewer=user), pk=pk)
    context = {
        "report": report,
        "lines": reports.report_lines(report),
        "timeliness": reports.timeliness_of(report),
        "locked": reports.report_is_locked(report.date),
        "can_change": can(user, Action.CHANGE, UnitDailyReport, report.unit),
        "edit_url": _report_url(report.unit, report.date),
        "raised": list(reports.raised_item_list(viewer=user).filter(report=report)),
        "history": change_history(user, report),
    }
    return render(request, "reporting/report_detail.html", context)


# --- the template editor ------------------------------------------------------------------------


@login_required
def report_template(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not reports.may_edit_template(user, Action.VIEW):
        raise PermissionDenied
    can_add = reports.may_edit_template(user, Action.ADD)
    form = ReportFieldForm(request.POST or None, creating=True)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                field = report_services.report_field_create(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("“%(label)s” was added to the report.") % {"label": field.display_label})
                return redirect("reporting:template")
    context = {
        "fields": reports.report_fields(include_inactive=True),
        "form": form,
        "can_add": can_add,
        "can_change": reports.may_edit_template(user, Action.CHANGE),
        "sources": dict(feed_choices()),
    }
    return render(request, "reporting/report_template.html", context)


@login_required
def report_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not reports.may_edit_template(user, Action.VIEW):
        raise PermissionDenied
    field = get_object_or_404(ReportField, pk=pk)
    if not reports.may_edit_template(user, Action.CHANGE):
        raise PermissionDenied
    initial = {name: getattr(field, name) for name in report_services.FIELD_EDITABLE}
    form = ReportFieldForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            report_services.report_field_update(actor=user, field=field, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The field was saved."))
            return redirect("reporting:template")
    return render(request, "reporting/report_field_form.html", {"form": form, "field": field})


# --- raised items -------------------------------------------------------------------------------


@login_required
def raised_list(request: HttpRequest) -> HttpResponse:
    """Problems and needs raised in reports: the office's follow-up list, and each department's own."""
    user = request.user
    rows = reports.raised_item_list(viewer=user)
    if not has_any(user, "reporting.raiseditem", Action.VIEW) and not rows.exists():
        raise PermissionDenied
    form = RaisedFilterForm(
        request.GET,
        units=reports.report_units_for(viewer=user, action=Action.VIEW),
        departments=reports.group_departments(),
    )
    if form.is_valid():
        data = form.cleaned_data
        rows = reports.raised_item_list(
            viewer=user, status=data.get("status") or None, unit=data.get("unit"), routed_to=data.get("routed_to")
        )
    else:
        rows = rows.none()
    context = {"form": form, "page": paginate(request, rows), "query": query_without_page(request)}
    template = "reporting/_report_raised_table.html" if wants_partial(request) else "reporting/raised_list.html"
    return render(request, template, context)


@login_required
def raised_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    item = get_object_or_404(reports.raised_item_list(viewer=user), pk=pk)
    may_route = can(user, Action.CHANGE, RaisedItem, item.unit)
    may_status = RaisedItem.objects.restrict(user, Action.CHANGE).filter(pk=item.pk).exists()
    departments = reports.group_departments()
    route_form = RaisedRouteForm(initial={"routed_to": item.routed_to_id}, departments=departments)
    status_form = RaisedStatusForm(initial={"status": item.status, "resolution": item.resolution})
    if request.method == "POST":
        action = request.POST.get("action")
        if (action == "route" and not may_route) or (action != "route" and not may_status):
            raise PermissionDenied
        try:
            if action == "route":
                route_form = RaisedRouteForm(request.POST, departments=departments)
                if route_form.is_valid():
                    report_services.raised_item_route(
                        actor=user, item=item, routed_to=route_form.cleaned_data["routed_to"]
                    )
                    messages.success(request, _("The item was routed."))
                    return redirect("reporting:raised-detail", pk=item.pk)
            else:
                status_form = RaisedStatusForm(request.POST)
                if status_form.is_valid():
                    report_services.raised_item_set_status(actor=user, item=item, **status_form.cleaned_data)
                    messages.success(request, _("The status was saved."))
                    return redirect("reporting:raised-detail", pk=item.pk)
        except ValidationError as exc:
            apply_service_errors(route_form if action == "route" else status_form, exc)
    context = {
        "item": item,
        "may_route": may_route,
        "may_status": may_status,
        "route_form": route_form,
        "status_form": status_form,
        "history": change_history(user, item),
    }
    return render(request, "reporting/raised_detail.html", context)
