"""Pages of risk areas, epidemiological history (trips) and personal health status (issue 4).

Thin: parse with a form, look up through selectors (restricted, so out of scope is 404), call a
service, render. Who may do what comes from ``org.roles``: risk areas and status rules are the
group office's (everyone signed in reads the risk list); statuses are read by whoever holds
``view`` on ``health.personstatus``, reasons only with ``unmask`` (or your own).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.audit import record_event
from lianfang.core.exports import xlsx_response
from lianfang.core.forms import apply_service_errors
from lianfang.core.models import AuditKind
from lianfang.core.uploads import check_size, max_upload_bytes
from lianfang.core.views import paginate, query_without_page
from lianfang.health import risk_importer, risk_selectors, risk_services
from lianfang.health.choices import Colour
from lianfang.health.models import PersonStatus, RiskArea, StatusRule, Trip
from lianfang.health.risk_forms import (
    LiftForm,
    RiskAreaForm,
    RiskFilterForm,
    RiskImportForm,
    StatusFilterForm,
    StatusRuleForm,
    TripForm,
    condition_text,
)
from lianfang.org.choices import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person

RISK, RULE, STATUS, TRIP = "health.riskarea", "health.statusrule", "health.personstatus", "health.trip"
ERRORS_ON_PAGE = 200


def _ensure(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


# --- risk areas -----------------------------------------------------------------------------------


@login_required
def risk_list(request: HttpRequest) -> HttpResponse:
    """The risk list, past and present, filtered by level, a day it was in force, or a search."""
    user = request.user
    form = RiskFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if request.GET and form.is_valid() else {}
    qs = risk_selectors.risk_area_list(
        viewer=user, level=filters.get("level") or None, on=filters.get("on"), q=filters.get("q") or None
    )
    page = paginate(request, qs)
    today = timezone.localdate()
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query": query_without_page(request),
        "can_add": has_any(user, RISK, Action.ADD),
        "can_change": has_any(user, RISK, Action.CHANGE),
        "can_delete": has_any(user, RISK, Action.DELETE),
        "can_import": has_any(user, RISK, Action.IMPORT),
        "can_export": has_any(user, RISK, Action.EXPORT),
        "lift_form": LiftForm(initial={"lifted_on": today}),
    }
    return render(request, "health/risk_list.html", context)


@login_required
def risk_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    area = get_object_or_404(RiskArea, pk=pk) if pk else None
    _ensure(user, RISK, Action.CHANGE if area else Action.ADD)
    initial: dict[str, Any] = {}
    if area is not None:
        initial = {f: getattr(area, f) for f in risk_services.AREA_FIELDS}
    else:
        initial = {"effective_from": timezone.localdate()}
    form = RiskAreaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if area is not None:
                risk_services.risk_area_update(actor=user, area=area, **form.service_fields())
            else:
                area = risk_services.risk_area_create(actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The risk area %(name)s was saved.") % {"name": area.name})
            return redirect("health:risk-areas")
    return render(request, "health/risk_form.html", {"form": form, "area": area}, status=400 if form.errors else 200)


@require_POST
@login_required
def risk_lift(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(RiskArea, pk=pk)
    _ensure(request.user, RISK, Action.CHANGE)
    form = LiftForm(request.POST)
    day = form.cleaned_data["lifted_on"] if form.is_valid() else timezone.localdate()
    try:
        risk_services.risk_area_lift(actor=request.user, area=area, lifted_on=day)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s is lifted from %(day)s.") % {"name": area.name, "day": day})
    return redirect("health:risk-areas")


@require_POST
@login_required
def risk_delete(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(RiskArea, pk=pk)
    _ensure(request.user, RISK, Action.DELETE)
    try:
        risk_services.risk_area_delete(actor=request.user, area=area)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The risk area %(name)s was deleted.") % {"name": area.name})
    return redirect("health:risk-areas")


@login_required
def risk_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure(user, RISK, Action.IMPORT)
    form = RiskImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # before the bytes are read into memory
            areas = risk_importer.risk_import(actor=user, file_name=upload.name, data=upload.read())
        except ValidationError as exc:
            errors = risk_importer.import_errors(exc)
            form.add_error(
                "file", _("The file has problems; nothing was imported. Fix the rows listed and upload it again.")
            )
        else:
            messages.success(request, _("%(count)s risk areas were imported.") % {"count": len(areas)})
            return redirect("health:risk-areas")
    context = {
        "form": form,
        "errors": errors[:ERRORS_ON_PAGE],
        "errors_total": len(errors),
        "max_upload": max_upload_bytes(),
    }
    return render(request, "health/risk_import.html", context, status=400 if form.errors else 200)


@require_GET
@login_required
def risk_import_template(request: HttpRequest) -> HttpResponseBase:
    _ensure(request.user, RISK, Action.IMPORT)
    return xlsx_response(risk_importer.risk_template(), file_name=risk_importer.template_file_name())


@require_GET
@login_required
def risk_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    _ensure(user, RISK, Action.EXPORT)
    form = RiskFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if request.GET and form.is_valid() else {}
    qs = risk_selectors.risk_area_list(
        viewer=user, level=filters.get("level") or None, on=filters.get("on"), q=filters.get("q") or None
    )
    file, _count = risk_importer.risk_export_file(actor=user, areas=qs)
    return xlsx_response(file, file_name=risk_importer.export_file_name())


# --- status board ---------------------------------------------------------------------------------


def _status_scope(request: HttpRequest, *, with_colour: bool = True) -> tuple[StatusFilterForm, dict[str, Any]]:
    user = request.user
    if not has_any(user, STATUS, Action.VIEW):
        raise PermissionDenied(
            _("The status board is for liaisons, duty officers, checkpoints, leaders and the office.")
        )
    units = units_where(user, PersonStatus, Action.VIEW).filter(is_active=True)
    form = StatusFilterForm(request.GET or None, units=units, with_colour=with_colour)
    if request.GET and not form.is_valid() and "unit" in form.errors:
        raise Http404  # an out-of-scope unit is not discoverable
    filters = form.cleaned_data if request.GET and form.is_valid() else {}
    return form, filters


def _status_rows(request: HttpRequest, page, *, where: str) -> list[dict[str, Any]]:
    """Rows with the reason only where the viewer may read it; reading others' reasons is audited."""
    policy = risk_selectors.ReasonPolicy(request.user)
    rows, read = [], []
    for st in page:
        show = policy.may_read(st.person_id, st.unit)
        if show and not policy.is_own(st.person_id):
            read.append(st)
        rows.append({"status": st, "person": st.person, "show_reason": show})
    risk_selectors.audit_reason_reads(viewer=request.user, statuses=read, where=where)
    return rows


@login_required
def status_board(request: HttpRequest) -> HttpResponse:
    """Counts by colour per unit in the viewer's scope."""
    form, filters = _status_scope(request, with_colour=False)
    unit: Unit | None = filters.get("unit")
    rows, total = risk_selectors.board(viewer=request.user, root=unit)
    context = {"form": form, "rows": rows, "total": total, "unit": unit, "colours": Colour.choices}
    return render(request, "health/status_board.html", context)


@login_required
def status_people(request: HttpRequest) -> HttpResponse:
    """People by colour, with filter and search."""
    form, filters = _status_scope(request)
    qs = risk_selectors.status_people(
        viewer=request.user,
        colour=filters.get("colour") or None,
        unit=filters.get("unit"),
        q=filters.get("q") or None,
    )
    page = paginate(request, qs)
    context = {
        "form": form,
        "page": page,
        "rows": _status_rows(request, page, where="status_list"),
        "query": query_without_page(request),
    }
    return render(request, "health/status_people.html", context)


@login_required
def status_return(request: HttpRequest) -> HttpResponse:
    """Who may return to work (复工): green people not on site."""
    form, filters = _status_scope(request, with_colour=False)
    qs = risk_selectors.return_to_work(viewer=request.user, unit=filters.get("unit"), q=filters.get("q") or None)
    page = paginate(request, qs)
    return render(
        request,
        "health/status_return.html",
        {"form": form, "page": page, "rows": [{"status": s, "person": s.person} for s in page]},
    )


# --- status rules (group office) ------------------------------------------------------------------


@login_required
def status_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure(user, RULE, Action.VIEW)
    rules = list(risk_selectors.status_rule_list(viewer=user))
    rows = [{"rule": r, "condition": condition_text(r.condition)} for r in rules]
    context = {
        "rows": rows,
        "can_add": has_any(user, RULE, Action.ADD),
        "can_change": has_any(user, RULE, Action.CHANGE),
        "can_recompute": has_any(user, STATUS, Action.CHANGE),
    }
    return render(request, "health/status_rules.html", context)


@login_required
def status_rule_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    rule = get_object_or_404(StatusRule, pk=pk) if pk else None
    _ensure(user, RULE, Action.CHANGE if rule else Action.ADD)
    initial: dict[str, Any] = {"hold_days": "0"}
    if rule is not None:
        condition = rule.condition if isinstance(rule.condition, dict) else {}
        initial = {
            "name": rule.name,
            "fact": condition.get("fact"),
            "within_days": condition.get("within_days", ""),
            "colour": rule.colour,
            "reason": rule.reason,
            "reason_en": rule.reason_en,
            "hold_days": str(rule.hold_days),
        }
    form = StatusRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is not None:
                risk_services.status_rule_update(actor=user, rule=rule, **form.service_fields())
            else:
                risk_services.status_rule_create(actor=user, **form.service_fields())
        except ValidationError as exc:
            _rule_errors(form, exc)
        else:
            messages.success(
                request, _("The rule was saved. Everyone's status is being recomputed with the new rules.")
            )
            return redirect("health:status-rules")
    return render(
        request, "health/status_rule_form.html", {"form": form, "rule": rule}, status=400 if form.errors else 200
    )


def _rule_errors(form: StatusRuleForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        target = {"condition": "within_days" if "within_days" in " ".join(errors) else "fact"}.get(key, key)
        for message in errors:
            form.add_error(target if target in form.fields else None, message)


@require_POST
@login_required
def status_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(StatusRule, pk=pk)
    _ensure(request.user, RULE, Action.CHANGE)
    risk_services.status_rule_move(actor=request.user, rule=rule, direction=request.POST.get("direction", "up"))
    return redirect("health:status-rules")


@require_POST
@login_required
def status_rule_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(StatusRule, pk=pk)
    _ensure(request.user, RULE, Action.CHANGE)
    risk_services.status_rule_set_active(actor=request.user, rule=rule, is_active=request.POST.get("active") == "1")
    messages.success(request, _("The rule was saved. Everyone's status is being recomputed with the new rules."))
    return redirect("health:status-rules")


@require_POST
@login_required
def status_recompute(request: HttpRequest) -> HttpResponse:
    _ensure(request.user, STATUS, Action.CHANGE)
    risk_services.statuses_recompute_now(actor=request.user)
    messages.success(request, _("Everyone's status is being recomputed."))
    return redirect("health:status-rules")


# --- epidemiological history and trips --------------------------------------------------------------


def _visible_person(user, pk: int) -> Person:
    """The person if the viewer may see them (or is them); 404 otherwise."""
    person = Person.objects.restrict(user, Action.VIEW).select_related("unit", "user").filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


@login_required
def my_history(request: HttpRequest) -> HttpResponse:
    person = Person.objects.filter(user=request.user).first()
    if person is None:
        return render(request, "health/no_person.html", status=403)
    return redirect("health:person-history", pk=person.pk)


@login_required
def person_history(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's epidemiological history: trips and exposures, and where their check-ins put them
    each day of the look-back window (marked in a risk area in force that day), with their status."""
    user = request.user
    person = _visible_person(user, pk)
    if not risk_selectors.may_read_history(user, person):
        raise PermissionDenied(_("Only the person, their liaison, case managers and the office see trips."))
    is_own = person.user_id == user.pk
    trips, days, start = risk_selectors.history(viewer=user, person=person)
    current = risk_selectors.status_of(viewer=user, person=person)
    policy = risk_selectors.ReasonPolicy(user)
    show_reason = current is not None and policy.may_read(person.pk, current.unit)
    changes = risk_selectors.status_history(viewer=user, person=person) if show_reason else []
    if not is_own:
        record_event(
            kind=AuditKind.SENSITIVE_READ,
            actor=user,
            unit=person.unit,
            object_repr=person.name,
            what="epidemiological_history",
            person=person.pk,
            reason=bool(show_reason),
        )
    in_risk = risk_selectors.trips_in_risk(trips)
    for trip in trips:
        trip.in_risk = in_risk.get(trip.pk, False)  # type: ignore[attr-defined]
    english = (get_language() or "").startswith("en")
    for change in changes:
        change.reason_text = change.reason_en if english and change.reason_en else change.reason  # type: ignore[attr-defined]
    context = {
        "person": person,
        "is_own": is_own,
        "trips": trips,
        "days": days,
        "start": start,
        "status": current,
        "show_reason": show_reason,
        "changes": changes,
        "can_add": is_own or can(user, Action.ADD, Trip, person.unit),
        "can_change": can(user, Action.CHANGE, Trip, person.unit),
        "can_delete": can(user, Action.DELETE, Trip, person.unit),
    }
    return render(request, "health/trip_history.html", context)


@login_required
def trip_form(request: HttpRequest, person_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    user = request.user
    trip = get_object_or_404(risk_selectors.trip_list(viewer=user), pk=pk) if pk else None
    if trip is not None:
        person = trip.person
        if not can(user, Action.CHANGE, Trip, trip.unit):
            raise PermissionDenied(_("Only a case manager or the office may change trips."))
    else:
        assert person_pk is not None
        person = _visible_person(user, person_pk)
        if not (person.user_id == user.pk or can(user, Action.ADD, Trip, person.unit)):
            raise PermissionDenied(_("Only the person, their liaison, a case manager or the office may add trips."))
    initial: dict[str, Any] = {}
    if trip is not None:
        initial = {f: getattr(trip, f) for f in risk_services.TRIP_FIELDS}
    else:
        today = timezone.localdate()
        initial = {"date_from": today - datetime.timedelta(days=1), "date_to": today}
    form = TripForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if trip is not None:
                risk_services.trip_update(actor=user, trip=trip, **form.service_fields())
            else:
                risk_services.trip_create(actor=user, person=person, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The trip was saved."))
            return redirect("health:person-history", pk=person.pk)
    return render(
        request,
        "health/trip_form.html",
        {"form": form, "trip": trip, "person": person},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def trip_delete(request: HttpRequest, pk: int) -> HttpResponse:
    trip = get_object_or_404(risk_selectors.trip_list(viewer=request.user), pk=pk)
    person_id = trip.person_id
    if not can(request.user, Action.DELETE, Trip, trip.unit):
        raise PermissionDenied(_("Only a case manager or the office may delete trips."))
    risk_services.trip_delete(actor=request.user, trip=trip)
    messages.success(request, _("The trip was deleted."))
    return redirect("health:person-history", pk=person_id)
