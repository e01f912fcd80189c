"""While the trip lasts and after it: the daily check of the destinations against the risk areas in
force, the reminder to confirm a return, the return itself with the measures the office set (the trip
in the epidemiological history, the health status worked out again, enhanced monitoring), and the
second temperature reading of each day of the monitoring.

Like the decisions' scan, each message of the daily check is claimed by a conditional UPDATE of its
row (``… WHERE risk_found_on IS NULL``), so running it twice, or on two workers, tells people once.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import asdict, dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health.choices import TripKind
from lianfang.health.services.trips import trip_create
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.outings import selectors
from lianfang.outings.choices import GOING_STATES, MonitoringWhen, OutingState, Route, StepDecision
from lianfang.outings.models import MonitoringReading, Outing, OutingSettings, OutingStep
from lianfang.outings.services.base import (
    KIND_FEVER,
    KIND_RETURN,
    KIND_RISK,
    describe,
    in_default_language,
    is_self,
    lock,
    outing_url,
    tell,
    tell_person,
)


def may_act_for(actor, outing: Outing) -> bool:
    """The person, or who may change the outings of the person's unit (the liaison, the office)."""
    return is_self(actor, outing.person) or can(actor, Action.CHANGE, Outing, outing.unit)


# --- the return ----------------------------------------------------------------------------------


@transaction.atomic
def outing_return(*, actor, outing: Outing, actual_from: datetime.date, actual_to: datetime.date) -> Outing:
    """The person is back and confirms the days they were away; the office's measures apply: the trip
    goes into their epidemiological history (the status engine hears of it and works the status out
    again), and enhanced monitoring starts when the settings say so."""
    outing = lock(outing)
    if not may_act_for(actor, outing):
        raise PermissionDenied(_("Only the person, or their unit's liaison, confirms a return."))
    if outing.state not in GOING_STATES:
        raise ValidationError(
            _("This outing is %(state)s: only an approved or filed outing is returned from.")
            % {"state": outing.get_state_display()}
        )
    now = timezone.now()
    today = timezone.localdate(now)
    errors: dict[str, list[str]] = {}
    if not isinstance(actual_from, datetime.date):
        errors["actual_from"] = [_("Give the day you actually left, as YYYY-MM-DD.")]
    elif actual_from > today:
        errors["actual_from"] = [_("You cannot have left after today (%(today)s).") % {"today": today}]
    if not isinstance(actual_to, datetime.date):
        errors["actual_to"] = [_("Give the day you actually came back, as YYYY-MM-DD.")]
    elif actual_to > today:
        errors["actual_to"] = [
            _("The day you came back cannot be after today (%(today)s): confirm it once you are back.")
            % {"today": today}
        ]
    elif isinstance(actual_from, datetime.date) and actual_to < actual_from:
        errors["actual_to"] = [_("The day you came back cannot be before the day you left: give a later day.")]
    if errors:
        raise ValidationError(errors)
    clash = selectors.overlapping(outing.person, actual_from, actual_to, exclude=outing.pk).first()
    if clash is not None:
        raise ValidationError(
            {
                "actual_from": [
                    _("These days overlap another outing: %(place)s, %(first)s to %(last)s. Check the dates.")
                    % {"place": clash.place_name, "first": clash.first_day, "last": clash.return_day}
                ]
            }
        )
    config = OutingSettings.load()
    risky = bool(
        outing.risk_at_request
        or outing.risk_found_on
        or selectors.risk_areas_during(outing.place_code, actual_from, actual_to, config.risk_levels or [])
    )
    before = snapshot(outing)
    if config.record_trip:
        note = (
            _("Recorded on return from an approved outing")
            if outing.route == Route.APPROVAL
            else _("Recorded on return from a filed outing")
        )
        trip_create(
            actor=actor,
            person=outing.person,
            kind=TripKind.TRIP,
            place_code=outing.place_code,
            place_name=outing.place_name,
            date_from=actual_from,
            date_to=actual_to,
            transport=outing.transport,
            transport_no=outing.transport_no,
            note=note,
        )
        outing.trip_recorded = True
    monitoring = config.monitoring_days and (
        config.monitoring_when == MonitoringWhen.ALWAYS or (config.monitoring_when == MonitoringWhen.RISK and risky)
    )
    outing.monitoring_until = actual_to + datetime.timedelta(days=config.monitoring_days) if monitoring else None
    outing.state = OutingState.RETURNED
    outing.returned_at, outing.return_confirmed_by = now, actor
    outing.actual_from, outing.actual_to = actual_from, actual_to
    outing.last_day = max(outing.date_to, actual_to, outing.monitoring_until or actual_to)
    outing.full_clean(exclude=["person", "unit", "submitted_by", "acknowledged_by", "return_confirmed_by"])
    outing.save()
    record_change(actor=actor, obj=outing, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, outing, Action.VIEW)
    return outing


# --- the second reading of the enhanced monitoring --------------------------------------------------


def is_monitored(outing: Outing, day: datetime.date) -> bool:
    """The monitoring covers the days after the day of return, up to ``monitoring_until``."""
    return (
        outing.state == OutingState.RETURNED
        and outing.monitoring_until is not None
        and outing.actual_to is not None
        and outing.actual_to < day <= outing.monitoring_until
    )


@transaction.atomic
def reading_record(*, actor, outing: Outing, temperature: decimal.Decimal) -> MonitoringReading:
    """Today's second temperature reading during the enhanced monitoring, by the person or their
    liaison; a fever is told to the liaison at once."""
    outing = lock(outing)
    if not (is_self(actor, outing.person) or can(actor, Action.ADD, MonitoringReading, outing.unit)):
        raise PermissionDenied(_("Only the person, or their unit's liaison, records the monitoring readings."))
    now = timezone.now()
    today = timezone.localdate(now)
    if not is_monitored(outing, today):
        raise ValidationError(_("%(name)s is not under enhanced monitoring today.") % {"name": outing.person.name})
    try:
        value = decimal.Decimal(str(temperature)).quantize(decimal.Decimal("0.1"))
    except (decimal.InvalidOperation, ValueError, TypeError):
        raise ValidationError({"temperature": [_("Enter the temperature as a number, e.g. 36.5.")]}) from None
    if not decimal.Decimal("34") <= value <= decimal.Decimal("43"):
        raise ValidationError({"temperature": [_("Enter a body temperature between 34.0 and 43.0 °C.")]})
    if MonitoringReading.objects.filter(outing=outing, date=today).exists():
        raise ValidationError({"temperature": [_("Today's second reading is already recorded.")]})
    threshold = GroupSettings.load().fever_threshold
    reading = MonitoringReading(
        outing=outing,
        unit=outing.unit,
        date=today,
        temperature=value,
        is_fever=value >= threshold,
        recorded_at=now,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    reading.full_clean(exclude=["outing", "unit", "recorded_by"])
    reading.save()
    record_change(actor=actor, obj=reading, action=ChangeAction.CREATE)
    if reading.is_fever:
        _unit, liaisons = selectors.nearest_holders(outing.unit, Role.UNIT_ADMIN)
        with in_default_language():
            title = _("Fever during enhanced monitoring: %(name)s, %(temperature)s °C") % {
                "name": outing.person.name,
                "temperature": value,
            }
            body = _("Back from %(place)s on %(day)s. Call them and follow the fever procedure.") % {
                "place": outing.place_name,
                "day": outing.actual_to,
            }
        tell(liaisons, kind=KIND_FEVER, title=title, body=body, url=outing_url(outing))
    return reading


# --- the daily check -----------------------------------------------------------------------------


@dataclass
class CheckResult:
    turned_risky: int = 0
    return_reminders: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _approvers(outing: Outing) -> list[int]:
    """Who approved (or acknowledged) the outing; for one still waiting, who decides its step."""
    decided = list(
        OutingStep.objects.filter(
            outing=outing, decision__in=[StepDecision.APPROVED, StepDecision.ACKNOWLEDGED], decided_by__isnull=False
        ).values_list("decided_by_id", flat=True)
    )
    step = selectors.open_step(outing)
    if step is not None:
        decided += selectors.step_holders(step)
    return decided


def _tell_turned_risky(outing_id: int, area_name: str, day: datetime.date) -> bool:
    with transaction.atomic():
        claimed = Outing.objects.filter(
            pk=outing_id,
            state__in=[OutingState.PENDING, *GOING_STATES],
            risk_at_request=False,
            risk_found_on__isnull=True,
        ).update(risk_found_on=day, risk_found_area=area_name[:100])
        if not claimed:
            return False
        outing = Outing.objects.select_related("person", "unit").get(pk=outing_id)
        record_change(actor=None, obj=outing, action=ChangeAction.UPDATE, before={"risk_found_on": None})
        with in_default_language():
            title = _("Outing destination is now a risk area: %(outing)s") % {"outing": describe(outing)}
            if outing.state == OutingState.PENDING:
                body = _("%(area)s is a risk area from %(day)s. Take it into account before deciding.")
            elif outing.date_from > day:
                body = _("%(area)s is a risk area from %(day)s. Consider not going, or withdraw the outing.")
            else:
                body = _("%(area)s is a risk area from %(day)s. Protect yourself; come back as soon as you can.")
            body = body % {"area": area_name, "day": day}
        tell_person(outing, kind=KIND_RISK, title=title, body=body)
        tell(_approvers(outing), kind=KIND_RISK, title=title, body=body, url=outing_url(outing))
    return True


def _remind_return(outing_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = Outing.objects.filter(pk=outing_id, state__in=GOING_STATES, return_reminded_at__isnull=True).update(
            return_reminded_at=now
        )
        if not claimed:
            return False
        outing = Outing.objects.select_related("person").get(pk=outing_id)
        with in_default_language():
            title = _("Confirm your return from %(place)s") % {"place": outing.place_name}
            body = _(
                "Your outing was to end on %(day)s. Confirm the days you were away, or say when you come back."
            ) % {"day": outing.date_to}
        tell_person(outing, kind=KIND_RETURN, title=title, body=body)
    return True


def destinations_check(*, now: datetime.datetime | None = None) -> CheckResult:
    """The daily check: outings waiting, approved or filed and not yet back whose destination is now
    in a risk area (the levels the office counts) tell the person and the approvers, once; outings
    past their date of return remind the person to confirm it, once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    config = OutingSettings.load()
    result = CheckResult()
    table = selectors.RiskTable.load(today, config.risk_levels or [])
    if table.by_code:
        candidates = Outing.objects.filter(
            state__in=[OutingState.PENDING, *GOING_STATES], risk_at_request=False, risk_found_on__isnull=True
        ).values_list("pk", "place_code")
        for outing_id, code in candidates.iterator():
            area = table.covering(code)
            if area is not None:
                result.turned_risky += _tell_turned_risky(outing_id, area.name, today)
    overdue = Outing.objects.filter(state__in=GOING_STATES, date_to__lt=today, return_reminded_at__isnull=True)
    for outing_id in overdue.order_by("pk").values_list("pk", flat=True):
        result.return_reminders += _remind_return(outing_id, now)
    return result
