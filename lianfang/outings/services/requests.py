"""Asking for an outing (外出申请) or filing one (外出报备), and withdrawing it.

The route is fixed when the request is asked (the risk areas in force that day, the person's roles,
the office's settings): a later change of the settings or of the risk list does not move it. Two
requests of one person never overlap: the person's row is locked while the dates are compared, so
two requests sent at once are compared one after the other.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health import divisions
from lianfang.health.choices import Transport
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.outings import selectors
from lianfang.outings.choices import GOING_STATES, OutingState, Route, StepDecision
from lianfang.outings.models import Outing, OutingSettings, OutingStep
from lianfang.outings.services.base import is_self, lock, open_next_step
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

MAX_DAYS = 90
_TRANSPORT_NO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /-]{0,19}$")


def clean_request(fields: dict[str, Any], *, today: datetime.date) -> dict[str, Any]:
    """The request's fields checked one by one; every refusal names its field and says what is expected."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    code = str(fields.get("place_code") or "").strip()
    if not code:
        errors["place_code"] = [_("Choose the destination: the province, then the city and district.")]
    elif not divisions.is_valid(code):
        errors["place_code"] = [_("Choose the destination from the list of provinces, cities and districts.")]
    out["place_code"] = code
    out["place_name"] = divisions.full_name(code)[:100] if "place_code" not in errors else ""
    start, end = fields.get("date_from"), fields.get("date_to")
    if not isinstance(start, datetime.date):
        errors["date_from"] = [_("Give the date of departure, as YYYY-MM-DD.")]
    elif start < today:
        errors["date_from"] = [
            _("The date of departure cannot be in the past (today is %(today)s): give today or a later day.")
            % {"today": today}
        ]
    if not isinstance(end, datetime.date):
        errors["date_to"] = [_("Give the date of return, as YYYY-MM-DD.")]
    elif isinstance(start, datetime.date):
        if end < start:
            errors["date_to"] = [_("The date of return cannot be before the date of departure: give a later day.")]
        elif (end - start).days >= MAX_DAYS:
            errors["date_to"] = [
                _("An outing lasts at most %(days)d days: give an earlier date of return.") % {"days": MAX_DAYS}
            ]
    out["date_from"], out["date_to"] = start, end
    reason = str(fields.get("reason") or "").strip()
    if not reason:
        errors["reason"] = [_("Say why you go out, e.g. visiting family, a business trip, seeing a doctor.")]
    elif len(reason) > 200:
        errors["reason"] = [_("Write at most %(n)s characters.") % {"n": 200}]
    out["reason"] = reason
    transport = fields.get("transport") or ""
    if transport not in Transport.values:
        errors["transport"] = [_("Choose the means of transport from the list.")]
    out["transport"] = transport
    number = str(fields.get("transport_no") or "").strip().upper()
    if number and not _TRANSPORT_NO.match(number):
        errors["transport_no"] = [
            _("Write the flight or train number with letters and digits only, e.g. G1234 or CA1502.")
        ]
    out["transport_no"] = number
    if errors:
        raise ValidationError(errors)
    return out


def _refuse_overlap(person: Person, first: datetime.date, last: datetime.date, *, own: bool) -> None:
    other = selectors.overlapping(person, first, last).first()
    if other is None:
        return
    names = {
        "name": person.name,
        "place": other.place_name,
        "first": other.first_day,
        "last": other.return_day,
        "state": other.get_state_display(),
    }
    if own:
        message = _(
            "You already have an outing on these days: %(place)s, %(first)s to %(last)s (%(state)s). "
            "Choose other dates, or withdraw that one first."
        )
    else:
        message = _(
            "%(name)s already has an outing on these days: %(place)s, %(first)s to %(last)s (%(state)s). "
            "Choose other dates, or withdraw that one first."
        )
    raise ValidationError({"date_from": [message % names]})


@transaction.atomic
def outing_ask(
    *,
    actor,
    person: Person,
    place_code: str,
    date_from: datetime.date,
    date_to: datetime.date,
    reason: str,
    transport: str,
    transport_no: str = "",
) -> Outing:
    """Ask for an outing of ``person`` (by the person, or by their liaison for staff without a
    phone). The route is chosen now; a filing is filed at once, a request waits for its first step."""
    own = is_self(actor, person)
    if not (own or can(actor, Action.ADD, Outing, person.unit)):
        raise PermissionDenied(_("Only the person, or their unit's liaison, asks for an outing."))
    now = timezone.now()
    today = timezone.localdate(now)
    person = Person.objects.select_for_update().select_related("unit").get(pk=person.pk)
    if person.employment_status != EmploymentStatus.ACTIVE:
        raise ValidationError(_("%(name)s is not at work in the group: no outing is asked.") % {"name": person.name})
    cleaned = clean_request(
        {
            "place_code": place_code,
            "date_from": date_from,
            "date_to": date_to,
            "reason": reason,
            "transport": transport,
            "transport_no": transport_no,
        },
        today=today,
    )
    _refuse_overlap(person, cleaned["date_from"], cleaned["date_to"], own=own)
    config = OutingSettings.load()
    plan = selectors.plan_route(person=person, place_code=cleaned["place_code"], day=today, config=config)
    outing = Outing(
        person=person,
        unit=person.unit,
        route=plan.route,
        state=OutingState.FILED if plan.route == Route.FILING else OutingState.PENDING,
        risk_at_request=plan.risky,
        risk_area_name=plan.risk_areas[0].name[:100] if plan.risky else "",
        key_role=plan.key_role,
        submitted_at=now,
        submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
        last_day=cleaned["date_to"],
        **cleaned,
    )
    outing.full_clean(exclude=["person", "unit", "submitted_by"])
    outing.save()
    record_change(actor=actor, obj=outing, action=ChangeAction.CREATE)
    for seq, planned in enumerate(plan.steps, start=1):
        step = OutingStep.objects.create(
            outing=outing, seq=seq, kind=planned.kind, unit=planned.unit, role=planned.role
        )
        record_change(actor=actor, obj=step, action=ChangeAction.CREATE)
    open_next_step(actor=actor, outing=outing, now=now, config=config)
    ensure_in_scope(actor, outing, Action.VIEW)
    return outing


def may_withdraw(actor, outing: Outing) -> bool:
    return is_self(actor, outing.person) or (
        outing.submitted_by_id is not None and outing.submitted_by_id == getattr(actor, "pk", None)
    )


@transaction.atomic
def outing_cancel(*, actor, outing: Outing) -> Outing:
    """The person (or who asked for them) withdraws a request, or an approved outing before leaving."""
    outing = lock(outing)
    if not may_withdraw(actor, outing):
        raise PermissionDenied(_("Only the person, or who asked for them, withdraws an outing."))
    now = timezone.now()
    today = timezone.localdate(now)
    if outing.state not in (OutingState.PENDING, *GOING_STATES):
        raise ValidationError(
            _("This outing is %(state)s: there is nothing to withdraw.") % {"state": outing.get_state_display()}
        )
    if outing.state in GOING_STATES and outing.date_from < today:
        raise ValidationError(
            _("The outing started on %(day)s: confirm your return instead of withdrawing it.")
            % {"day": outing.date_from}
        )
    for step in OutingStep.objects.filter(outing=outing, opened_at__isnull=False, decided_at__isnull=True):
        before = snapshot(step)
        step.decided_at, step.decision = now, StepDecision.CANCELLED
        step.save(update_fields=["decided_at", "decision"])
        record_change(actor=actor, obj=step, action=ChangeAction.UPDATE, before=before)
    before = snapshot(outing)
    outing.state, outing.cancelled_at = OutingState.CANCELLED, now
    outing.save(update_fields=["state", "cancelled_at", "updated"])
    record_change(actor=actor, obj=outing, action=ChangeAction.UPDATE, before=before)
    return outing
