"""Every write of risk areas, trips and exposures, and the office's status rules (issue 4).

Each write checks permission (``health.riskarea`` / ``health.statusrule``: the group office;
``health.trip``: by scope, or the person themselves), writes the change log, and recomputes the
statuses it can change once the transaction commits (:mod:`lianfang.health.status`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, record_changes, snapshot
from lianfang.core.models import ChangeAction
from lianfang.health import divisions, status
from lianfang.health.choices import Colour, RiskLevel, StatusCause, Transport, TripKind, TripSource
from lianfang.health.models import CheckIn, RiskArea, StatusRule, Trip
from lianfang.org.choices import Action
from lianfang.org.scoping import can, ensure_in_scope, has_any
from lianfang.people.models import Person

RISK_LABEL = "health.riskarea"
RULE_LABEL = "health.statusrule"
STATUS_LABEL = "health.personstatus"


def _ensure(actor, label: str, action: str) -> None:
    if not has_any(actor, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


# --- risk areas -----------------------------------------------------------------------------------


def clean_division_code(code: Any, *, field: str = "division_code") -> str:
    """A national division code that exists (2 digits: province, 4: city, 6: district)."""
    text = str(code or "").strip()
    if not text:
        raise ValidationError({field: _("Give the division code of the area, e.g. 420102.")})
    if not divisions.is_valid(text):
        raise ValidationError(
            {
                field: _(
                    "“%(code)s” is not a division code. Give the 2-digit code of a province, the 4-digit code "
                    "of a city or the 6-digit code of a district, e.g. 42, 4201 or 420102."
                )
                % {"code": text[:20]}
            }
        )
    return text


def _clean_area(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    try:
        out["division_code"] = clean_division_code(fields.get("division_code"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if fields.get("level") not in RiskLevel.values:
        errors["level"] = [_("Choose the risk level: high, medium or low.")]
    start, lifted = fields.get("effective_from"), fields.get("lifted_on")
    if not isinstance(start, datetime.date):
        errors["effective_from"] = [_("Give the day the area comes into force.")]
    elif isinstance(lifted, datetime.date) and lifted < start:
        errors["lifted_on"] = [_("An area cannot be lifted before it comes into force: give a later day.")]
    name = str(fields.get("name") or "").strip()
    if not name and "division_code" not in errors:
        name = divisions.full_name(out["division_code"])
    out["name"] = name[:100]
    for key, limit in (("source", 200), ("note", 200)):
        value = str(fields.get(key) or "").strip()
        if len(value) > limit:
            errors[key] = [_("Write at most %(n)s characters.") % {"n": limit}]
        out[key] = value
    if errors:
        raise ValidationError(errors)
    return out


AREA_FIELDS = ("division_code", "name", "level", "effective_from", "lifted_on", "source", "note")


def people_in_area(codes: Iterable[str], *, since: datetime.date | None = None) -> set[int]:
    """People with a check-in or trip in these areas (or their subdivisions) since ``since`` (the
    longest look-back any rule can use): those whose status a change of the areas can move."""
    codes = {c for c in codes if c}
    if not codes:
        return set()
    since = since or timezone.localdate() - datetime.timedelta(days=2 * status.MAX_DAYS)
    found: set[int] = set()
    for length in sorted({len(c) for c in codes}):
        same = [c for c in codes if len(c) == length]
        found |= set(
            CheckIn.objects.filter(date__gte=since)
            .annotate(_prefix=Left("location_code", length))
            .filter(_prefix__in=same)
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
        found |= set(
            Trip.objects.filter(date_to__gte=since)
            .annotate(_prefix=Left("place_code", length))
            .filter(_prefix__in=same)
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
    return found


def _after_area_change(codes: Iterable[str]) -> None:
    codes = list(codes)
    transaction.on_commit(status.invalidate_hot)
    status.recompute_on_commit(people_in_area(codes))


@transaction.atomic
def risk_area_create(*, actor, **fields: Any) -> RiskArea:
    """Add a risk area as published by the authorities (group office)."""
    _ensure(actor, RISK_LABEL, Action.ADD)
    cleaned = _clean_area({k: fields.get(k) for k in AREA_FIELDS})
    area = RiskArea(created_by=actor if getattr(actor, "is_authenticated", False) else None, **cleaned)
    area.full_clean(exclude=["created_by"])
    area.save()
    record_change(actor=actor, obj=area, action=ChangeAction.CREATE)
    _after_area_change([area.division_code])
    return area


@transaction.atomic
def risk_area_update(*, actor, area: RiskArea, **fields: Any) -> RiskArea:
    """Correct a risk area (a wrong code, level or date). Past statuses are not rewritten; the
    people concerned by the old and the new code are recomputed."""
    _ensure(actor, RISK_LABEL, Action.CHANGE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    before = snapshot(area)
    old_code = area.division_code
    merged = {k: getattr(area, k) for k in AREA_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in AREA_FIELDS})
    unknown = set(fields) - set(AREA_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for key, value in _clean_area(merged).items():
        setattr(area, key, value)
    area.full_clean(exclude=["created_by"])
    area.save()
    record_change(actor=actor, obj=area, action=ChangeAction.UPDATE, before=before)
    _after_area_change({old_code, area.division_code})
    return area


@transaction.atomic
def risk_area_lift(*, actor, area: RiskArea, lifted_on: datetime.date | None = None) -> RiskArea:
    """Lift a risk area (解除) from a day on: it no longer applies from that day, and still applies
    to the days before, so past check-ins and trips are judged as they were."""
    _ensure(actor, RISK_LABEL, Action.CHANGE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    day = lifted_on or timezone.localdate()
    if day < area.effective_from:
        raise ValidationError(
            {
                "lifted_on": _("The area came into force on %(day)s: give that day or a later one.")
                % {"day": area.effective_from}
            }
        )
    before = snapshot(area)
    area.lifted_on = day
    area.save(update_fields=["lifted_on"])
    record_change(actor=actor, obj=area, action=ChangeAction.UPDATE, before=before)
    _after_area_change([area.division_code])
    return area


def risk_area_in_use(area: RiskArea) -> bool:
    """Did any check-in or trip fall in the area while it was in force? Such an area may have
    decided someone's status, so it is lifted, never deleted."""
    code, length = area.division_code, len(area.division_code)
    last = (area.lifted_on - datetime.timedelta(days=1)) if area.lifted_on else timezone.localdate()
    if last < area.effective_from:
        return False
    in_checkins = (
        CheckIn.objects.filter(date__gte=area.effective_from, date__lte=last)
        .annotate(_prefix=Left("location_code", length))
        .filter(_prefix=code)
        .exists()
    )
    if in_checkins:
        return True
    return (
        Trip.objects.filter(date_to__gte=area.effective_from, date_from__lte=last)
        .annotate(_prefix=Left("place_code", length))
        .filter(_prefix=code)
        .exists()
    )


@transaction.atomic
def risk_area_delete(*, actor, area: RiskArea) -> None:
    """Delete an area entered by mistake. Once a check-in or trip fell in it, lift it instead."""
    _ensure(actor, RISK_LABEL, Action.DELETE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    if risk_area_in_use(area):
        raise ValidationError(
            _(
                "Check-ins or trips fell in this area while it was in force, so it may have decided someone's "
                "status and is kept: lift it instead."
            )
        )
    before = snapshot(area)
    code = area.division_code
    record_change(actor=actor, obj=area, action=ChangeAction.DELETE, before=before)
    area.delete()
    _after_area_change([code])


@transaction.atomic
def risk_areas_import(*, actor, rows: Sequence[dict[str, Any]]) -> list[RiskArea]:
    """Add the rows of a checked import file (:mod:`lianfang.health.risk_importer`), all or none.

    A row whose code and start day match an area already on the list updates it (the level, the
    lifting day, the source), so importing the authority's list again each day is harmless.
    """
    _ensure(actor, RISK_LABEL, Action.IMPORT)
    errors: dict[str, list[str]] = {}
    cleaned_rows: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        try:
            cleaned_rows.append(_clean_area({k: row.get(k) for k in AREA_FIELDS}))
        except ValidationError as exc:
            errors[str(row.get("_row", number))] = [m for ms in exc.message_dict.values() for m in ms]
    if errors:
        raise ValidationError(errors)
    existing = {
        (a.division_code, a.effective_from): a
        for a in RiskArea.objects.select_for_update().filter(
            division_code__in={r["division_code"] for r in cleaned_rows}
        )
    }
    written: list[RiskArea] = []
    logged: list[tuple[Any, str, dict | None]] = []
    for row in cleaned_rows:
        area = existing.get((row["division_code"], row["effective_from"]))
        if area is None:
            area = RiskArea(created_by=actor if getattr(actor, "is_authenticated", False) else None, **row)
            area.full_clean(exclude=["created_by"])
            area.save()
            existing[(area.division_code, area.effective_from)] = area
            logged.append((area, ChangeAction.CREATE, None))
        else:
            before = snapshot(area)
            for key, value in row.items():
                setattr(area, key, value)
            area.full_clean(exclude=["created_by"])
            area.save()
            logged.append((area, ChangeAction.UPDATE, before))
        written.append(area)
    record_changes(actor=actor, items=logged)
    _after_area_change({a.division_code for a in written})
    return written


# --- trips and exposures --------------------------------------------------------------------------

_TRANSPORT_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /-]{0,19}$")
TRIP_FIELDS = ("kind", "place_code", "place_name", "date_from", "date_to", "transport", "transport_no", "note")


def _is_self(actor, person: Person) -> bool:
    return person.user_id is not None and person.user_id == getattr(actor, "pk", None)


def _clean_trip(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    today = timezone.localdate()
    kind = fields.get("kind") or TripKind.TRIP
    if kind not in TripKind.values:
        errors["kind"] = [_("Choose trip or exposure.")]
    out["kind"] = kind
    code = str(fields.get("place_code") or "").strip()
    if code and not divisions.is_valid(code):
        errors["place_code"] = [_("Choose the place from the list of provinces, cities and districts.")]
    out["place_code"] = code
    name = str(fields.get("place_name") or "").strip()
    if not name and code and "place_code" not in errors:
        name = divisions.full_name(code)
    if not name:
        errors["place_name"] = [_("Say where: choose the place from the list or write it.")]
    elif len(name) > 100:
        errors["place_name"] = [_("Write at most %(n)s characters.") % {"n": 100}]
    out["place_name"] = name
    start, end = fields.get("date_from"), fields.get("date_to")
    if not isinstance(start, datetime.date):
        errors["date_from"] = [_("Give the first day, as YYYY-MM-DD.")]
    if not isinstance(end, datetime.date):
        errors["date_to"] = [_("Give the last day, as YYYY-MM-DD.")]
    if isinstance(start, datetime.date) and isinstance(end, datetime.date):
        if end < start:
            errors["date_to"] = [_("The last day cannot be before the first day: give a later day.")]
        elif end > today:
            errors["date_to"] = [
                _("A trip cannot end after today (%(today)s): enter it when it has happened.") % {"today": today}
            ]
    out["date_from"], out["date_to"] = start, end
    transport = fields.get("transport") or ""
    if transport and transport not in Transport.values:
        errors["transport"] = [_("Choose the means of transport from the list.")]
    out["transport"] = transport
    number = str(fields.get("transport_no") or "").strip().upper()
    if number and not _TRANSPORT_NO.match(number):
        errors["transport_no"] = [
            _("Write the flight or train number with letters and digits only, e.g. G1234 or CA1502.")
        ]
    out["transport_no"] = number
    note = str(fields.get("note") or "").strip()
    if len(note) > 200:
        errors["note"] = [_("Write at most %(n)s characters.") % {"n": 200}]
    out["note"] = note
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def trip_create(*, actor, person: Person, **fields: Any) -> Trip:
    """Record where a person has been, by the person themselves or by someone who may add trips of
    the person's unit (liaison, case manager, office)."""
    if not (_is_self(actor, person) or can(actor, Action.ADD, Trip, person.unit)):
        raise PermissionDenied(_("Only the person, their liaison, a case manager or the office may add trips."))
    cleaned = _clean_trip({k: fields.get(k) for k in TRIP_FIELDS})
    trip = Trip(
        person=person,
        unit=person.unit,
        source=TripSource.ENTERED,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **cleaned,
    )
    trip.full_clean(exclude=["person", "unit", "checkin", "created_by"])
    trip.save()
    record_change(actor=actor, obj=trip, action=ChangeAction.CREATE)
    ensure_in_scope(actor, trip, Action.ADD)
    status.recompute_on_commit([person.pk])
    return trip


@transaction.atomic
def trip_update(*, actor, trip: Trip, **fields: Any) -> Trip:
    trip = Trip.objects.select_for_update().select_related("person").get(pk=trip.pk)
    if not can(actor, Action.CHANGE, Trip, trip.unit):
        raise PermissionDenied(_("Only a case manager or the office may change trips."))
    unknown = set(fields) - set(TRIP_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(trip)
    merged = {k: getattr(trip, k) for k in TRIP_FIELDS}
    merged.update(fields)
    if "place_code" in fields and "place_name" not in fields and fields["place_code"] != trip.place_code:
        merged["place_name"] = ""  # named after the new place
    for key, value in _clean_trip(merged).items():
        setattr(trip, key, value)
    trip.full_clean(exclude=["person", "unit", "checkin", "created_by"])
    trip.save()
    record_change(actor=actor, obj=trip, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, trip, Action.CHANGE)
    status.recompute_on_commit([trip.person_id])
    return trip


@transaction.atomic
def trip_delete(*, actor, trip: Trip) -> None:
    trip = Trip.objects.select_for_update().get(pk=trip.pk)
    if not can(actor, Action.DELETE, Trip, trip.unit):
        raise PermissionDenied(_("Only a case manager or the office may delete trips."))
    person_id = trip.person_id
    record_change(actor=actor, obj=trip, action=ChangeAction.DELETE, before=snapshot(trip))
    trip.delete()
    status.recompute_on_commit([person_id])


# --- status rules (group office) ------------------------------------------------------------------

RULE_FIELDS = ("name", "condition", "colour", "reason", "reason_en", "hold_days", "sort", "is_active")


def _whole_days(value: Any, what: str, field: str) -> int:
    message = _(
        "Give %(what)s as a whole number of days from 0 to %(max)s; an endless or longer duration is not allowed."
    ) % {"what": what, "max": status.MAX_DAYS}
    if isinstance(value, bool):
        raise ValidationError({field: message})
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"\d{1,3}", value):
            raise ValidationError({field: message})
        value = int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise ValidationError({field: message})
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= status.MAX_DAYS:
        raise ValidationError({field: message})
    return value


def clean_condition(condition: Any) -> dict[str, Any]:
    """``{"fact": <key of FACTS>}``, plus ``within_days`` (0..90) for facts that take days."""
    valid = ", ".join(status.FACTS)
    if not isinstance(condition, dict) or "fact" not in condition:
        raise ValidationError({"condition": _("Name the fact the rule tests, one of: %(facts)s.") % {"facts": valid}})
    key = condition.get("fact")
    fact = status.FACTS.get(key) if isinstance(key, str) else None
    if fact is None:
        raise ValidationError(
            {
                "condition": _("Unknown fact “%(fact)s”. Use one of: %(facts)s.")
                % {"fact": str(key)[:60], "facts": valid}
            }
        )
    unknown = sorted(set(condition) - {"fact", "within_days"})
    if unknown:
        raise ValidationError(
            {
                "condition": _("Unknown field “%(field)s” in the condition: give only fact and within_days.")
                % {"field": str(unknown[0])[:60]}
            }
        )
    out: dict[str, Any] = {"fact": key}
    if condition.get("within_days") is not None:
        if not fact.takes_days:
            raise ValidationError(
                {"condition": _("The fact “%(fact)s” takes no number of days: leave within_days out.") % {"fact": key}}
            )
        out["within_days"] = _whole_days(condition["within_days"], _("within_days"), "condition")
    return out


def clean_rule(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    name = str(fields.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > 60:
        errors["name"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["name"] = name
    try:
        out["condition"] = clean_condition(fields.get("condition"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if fields.get("colour") not in Colour.values:
        errors["colour"] = [_("Choose the colour: green, yellow or red.")]
    out["colour"] = fields.get("colour")
    reason = str(fields.get("reason") or "").strip()
    if not reason:
        errors["reason"] = [_("Write the reason shown with the colour, e.g. 集中隔离中.")]
    elif len(reason) > 60:
        errors["reason"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["reason"] = reason
    reason_en = str(fields.get("reason_en") or "").strip()
    if len(reason_en) > 60:
        errors["reason_en"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["reason_en"] = reason_en
    try:
        out["hold_days"] = _whole_days(fields.get("hold_days", 0), _("how long the colour holds"), "hold_days")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    sort = fields.get("sort", 100)
    if isinstance(sort, bool) or not isinstance(sort, int) or not 0 <= sort <= 32000:
        errors["sort"] = [_("Give the order as a whole number from 0 to 32000.")]
    out["sort"] = sort
    out["is_active"] = bool(fields.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def status_rule_create(*, actor, **fields: Any) -> StatusRule:
    """Add a rule (group office); everyone is recomputed in the background after the commit."""
    _ensure(actor, RULE_LABEL, Action.ADD)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "sort" not in fields:
        last = StatusRule.objects.order_by("-sort").values_list("sort", flat=True).first()
        fields["sort"] = min((last or 0) + 10, 32000)
    rule = StatusRule(**clean_rule(fields))
    rule.full_clean()
    rule.save()
    record_change(actor=actor, obj=rule, action=ChangeAction.CREATE)
    status.recompute_all_on_commit(cause=StatusCause.RULES)
    return rule


@transaction.atomic
def status_rule_update(*, actor, rule: StatusRule, **fields: Any) -> StatusRule:
    _ensure(actor, RULE_LABEL, Action.CHANGE)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    rule = StatusRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    merged = {k: getattr(rule, k) for k in RULE_FIELDS}
    merged.update(fields)
    for key, value in clean_rule(merged).items():
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    if record_change(actor=actor, obj=rule, action=ChangeAction.UPDATE, before=before) is not None:
        status.recompute_all_on_commit(cause=StatusCause.RULES)
    return rule


@transaction.atomic
def status_rule_set_active(*, actor, rule: StatusRule, is_active: bool) -> StatusRule:
    """Switch a rule off (or on again); rules are never deleted, so the history keeps its rule."""
    return status_rule_update(actor=actor, rule=rule, is_active=is_active)


@transaction.atomic
def status_rules_reorder(*, actor, rule_ids: Sequence[int]) -> list[StatusRule]:
    """Put the rules in this order (ids; rules not named keep their place after them), numbered
    10, 20, 30… The first active rule that holds decides, so order matters."""
    _ensure(actor, RULE_LABEL, Action.CHANGE)
    rules = list(StatusRule.objects.select_for_update().order_by("sort", "pk"))
    by_id = {r.pk: r for r in rules}
    wanted = []
    for pid in rule_ids:
        if pid not in by_id:
            raise ValidationError({"order": _("Rule %(id)s does not exist: reload the page.") % {"id": pid}})
        if by_id[pid] not in wanted:
            wanted.append(by_id[pid])
    ordered = wanted + [r for r in rules if r not in wanted]
    logged: list[tuple[Any, str, dict | None]] = []
    for position, rule in enumerate(ordered, start=1):
        if rule.sort != position * 10:
            before = snapshot(rule)
            rule.sort = position * 10
            rule.save(update_fields=["sort", "updated"])
            logged.append((rule, ChangeAction.UPDATE, before))
    if record_changes(actor=actor, items=logged):
        status.recompute_all_on_commit(cause=StatusCause.RULES)
    return ordered


def status_rule_move(*, actor, rule: StatusRule, direction: str) -> list[StatusRule]:
    """Move a rule one place up or down."""
    ids = list(StatusRule.objects.order_by("sort", "pk").values_list("pk", flat=True))
    index = ids.index(rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return status_rules_reorder(actor=actor, rule_ids=ids)


def statuses_recompute_now(*, actor) -> None:
    """Recompute everyone in the background, by hand (group office)."""
    _ensure(actor, STATUS_LABEL, Action.CHANGE)
    status.recompute_all_on_commit(cause=StatusCause.MANUAL)


# --- the roster moves ----------------------------------------------------------------------------


def people_needing_status(unit_ids: Iterable[int]) -> list[int]:
    """People of these units with no status yet, or whose status is filed under another unit
    (the board counts statuses by unit): recomputed when the roster changes."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        Person.objects.filter(unit_id__in=ids)
        .filter(Q(status__isnull=True) | ~Q(status__unit_id=F("unit_id")))
        .values_list("pk", flat=True)
    )
