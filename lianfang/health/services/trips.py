"""Writes of trips and exposures (流行病学史): by the person themselves, their liaison or a case
manager; each write recomputes the person's status once the transaction commits."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import facts_changed
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health import divisions
from lianfang.health.choices import Transport, TripKind, TripSource
from lianfang.health.models import Trip
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person

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
    facts_changed([person.pk], "trip")
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
    facts_changed([trip.person_id], "trip")
    return trip


@transaction.atomic
def trip_delete(*, actor, trip: Trip) -> None:
    trip = Trip.objects.select_for_update().get(pk=trip.pk)
    if not can(actor, Action.DELETE, Trip, trip.unit):
        raise PermissionDenied(_("Only a case manager or the office may delete trips."))
    person_id = trip.person_id
    record_change(actor=actor, obj=trip, action=ChangeAction.DELETE, before=snapshot(trip))
    trip.delete()
    facts_changed([person_id], "trip")
