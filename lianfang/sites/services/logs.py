"""The record of a round (消杀记录): started and finished on a phone at the site, or recorded afterwards
from the paper sheet. A round must last at least the disinfectant's contact time (ventilation: the
plan's minimum); a shorter one is refused, naming the minimum."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.core.uploads import clean_photo
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.sites.choices import RoundKind
from lianfang.sites.models import VENTILATION_MINUTES, Disinfectant, DisinfectionLog, DisinfectionSlot
from lianfang.sites.services.base import CLOCK_SKEW, day_start, ensure, person_of


def _who_may_log() -> str:
    return _("Only the site's staff and its liaison log disinfection rounds.")


def may_log(actor, slot: DisinfectionSlot) -> bool:
    return can(actor, Action.ADD, DisinfectionLog, slot.site)


def minimum_minutes(slot: DisinfectionSlot, agent: Disinfectant | None) -> int:
    """How long the round must last: ventilation the plan's minimum, disinfection the agent's contact time."""
    if slot.kind == RoundKind.VENTILATION:
        return slot.min_minutes or VENTILATION_MINUTES
    return agent.contact_minutes if agent is not None else 1


def _too_short(slot: DisinfectionSlot, agent: Disinfectant | None, minutes: int, minimum: int, started_at) -> str:
    if slot.kind == RoundKind.VENTILATION:
        text = _("Too short: the windows must stay open at least %(minimum)d minutes; this round lasted %(minutes)d.")
    else:
        text = _("Too short: %(agent)s must act at least %(minimum)d minutes; this round lasted %(minutes)d.")
    text = text % {"agent": agent, "minimum": minimum, "minutes": minutes}
    earliest = timezone.localtime(started_at + datetime.timedelta(minutes=minimum))
    if earliest > timezone.now():
        text += " " + _("Finish at %(time)s at the earliest.") % {"time": f"{earliest:%H:%M}"}
    return text


def _check_duration(slot: DisinfectionSlot, agent: Disinfectant | None, started_at, ended_at) -> None:
    if ended_at < started_at:
        raise ValidationError({"ended_at": _("A round cannot end before it starts.")})
    minimum = minimum_minutes(slot, agent)
    if ended_at - started_at < datetime.timedelta(minutes=minimum):
        minutes = int((ended_at - started_at).total_seconds() // 60)
        raise ValidationError({"ended_at": _too_short(slot, agent, minutes, minimum, started_at)})


def _check_time(slot: DisinfectionSlot, at: datetime.datetime, field: str) -> None:
    if at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({field: _("A time cannot be in the future.")})
    opened = day_start(slot.day) if slot.kind != RoundKind.TERMINAL else slot.created
    if at < opened:
        raise ValidationError(
            {field: _("This round is for %(day)s: give a time from then on.") % {"day": slot.day.isoformat()}}
        )


def _agent_for(slot: DisinfectionSlot, agent: Disinfectant | None) -> Disinfectant | None:
    if slot.kind == RoundKind.VENTILATION:
        return None
    agent = agent or slot.agent
    if agent is None:
        raise ValidationError({"agent": _("Choose the disinfectant used.")})
    if not agent.is_active and agent.pk != slot.agent_id:
        raise ValidationError({"agent": _("This disinfectant is no longer in use; choose another.")})
    return agent


def _operator(actor, operator_name: str):
    """Who did the round: the name given (a contractor, a colleague without a phone), else the actor."""
    person = person_of(actor)
    name = operator_name.strip()
    if name:
        return (person if person is not None and person.name == name else None), name[:60]
    if person is not None:
        return person, person.name
    name = (actor.get_full_name() if hasattr(actor, "get_full_name") else "") or actor.get_username()
    return None, name[:60]


def _locked(slot: DisinfectionSlot) -> DisinfectionSlot:
    return DisinfectionSlot.objects.select_for_update(of=("self",)).select_related("site", "agent").get(pk=slot.pk)


def _save_new(log: DisinfectionLog) -> DisinfectionLog:
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:  # two phones tapped the same round at once
        raise ValidationError(_("This round has already been logged.")) from None
    return log


@transaction.atomic
def log_start(
    *,
    actor,
    slot: DisinfectionSlot,
    agent: Disinfectant | None = None,
    concentration: str = "",
    operator_name: str = "",
    note: str = "",
    at: datetime.datetime | None = None,
) -> DisinfectionLog:
    """Start a round now (one tap at the site): the disinfectant and its concentration as planned unless
    given, the actor as who does it unless a name is given. Finished with :func:`log_finish`."""
    slot = _locked(slot)
    ensure(actor, Action.ADD, DisinfectionLog, slot.site, _who_may_log())
    if DisinfectionLog.objects.filter(slot=slot).exists():
        raise ValidationError(_("This round has already been logged."))
    started_at = at or timezone.now()
    _check_time(slot, started_at, "started_at")
    agent = _agent_for(slot, agent)
    operator, name = _operator(actor, operator_name)
    log = DisinfectionLog(
        slot=slot,
        site=slot.site,
        started_at=started_at,
        agent=agent,
        concentration=(concentration.strip() or (agent.concentration if agent else ""))[:30],
        operator=operator,
        operator_name=name,
        note=note.strip()[:200],
        recorded_by=actor,
    )
    _save_new(log)
    record_change(actor=actor, obj=log, action=ChangeAction.CREATE)
    ensure_in_scope(actor, log, Action.VIEW)
    return log


def _attach_photo(log: DisinfectionLog, photo: Any) -> None:
    if photo is not None:
        clean = clean_photo(photo, name=f"round-{log.slot_id}")  # refuses before anything is stored
        log.photo.save(clean.name, clean, save=False)


@transaction.atomic
def log_finish(
    *,
    actor,
    log: DisinfectionLog,
    photo: Any = None,
    note: str | None = None,
    at: datetime.datetime | None = None,
) -> DisinfectionLog:
    """Finish a started round now (or at ``at``), with a photo if taken. Refused while the contact time
    has not passed: the refusal names the minimum and the earliest time to finish."""
    log = DisinfectionLog.objects.select_for_update(of=("self",)).select_related("slot", "site", "agent").get(pk=log.pk)
    ensure(actor, Action.ADD, DisinfectionLog, log.site, _who_may_log())
    if log.ended_at is not None:
        raise ValidationError(_("This round is already finished."))
    before = snapshot(log)
    ended_at = at or timezone.now()
    _check_time(log.slot, ended_at, "ended_at")
    _check_duration(log.slot, log.agent, log.started_at, ended_at)
    log.ended_at = ended_at
    if note is not None and note.strip():
        log.note = note.strip()[:200]
    _attach_photo(log, photo)
    log.save()
    record_change(actor=actor, obj=log, action=ChangeAction.UPDATE, before=before)
    return log


@transaction.atomic
def log_record(
    *,
    actor,
    slot: DisinfectionSlot,
    started_at: datetime.datetime,
    ended_at: datetime.datetime,
    agent: Disinfectant | None = None,
    concentration: str = "",
    operator_name: str = "",
    photo: Any = None,
    note: str = "",
) -> DisinfectionLog:
    """Record a round already done (from the paper sheet, or a phone that was offline), start and end
    together; the same checks as starting and finishing on the spot."""
    slot = _locked(slot)
    ensure(actor, Action.ADD, DisinfectionLog, slot.site, _who_may_log())
    if DisinfectionLog.objects.filter(slot=slot).exists():
        raise ValidationError(_("This round has already been logged."))
    _check_time(slot, started_at, "started_at")
    _check_time(slot, ended_at, "ended_at")
    agent = _agent_for(slot, agent)
    _check_duration(slot, agent, started_at, ended_at)
    operator, name = _operator(actor, operator_name)
    log = DisinfectionLog(
        slot=slot,
        site=slot.site,
        started_at=started_at,
        ended_at=ended_at,
        agent=agent,
        concentration=(concentration.strip() or (agent.concentration if agent else ""))[:30],
        operator=operator,
        operator_name=name,
        note=note.strip()[:200],
        recorded_by=actor,
    )
    _attach_photo(log, photo)
    _save_new(log)
    record_change(actor=actor, obj=log, action=ChangeAction.CREATE)
    ensure_in_scope(actor, log, Action.VIEW)
    return log


@transaction.atomic
def log_cancel(*, actor, log: DisinfectionLog) -> None:
    """Take back a round started by mistake (the wrong round tapped): by whoever started it, or by who
    may correct the site's records. A finished round stays: it is the record."""
    log = DisinfectionLog.objects.select_for_update(of=("self",)).select_related("site").get(pk=log.pk)
    own = log.recorded_by_id is not None and log.recorded_by_id == getattr(actor, "pk", None)
    if not (own and may_log(actor, log.slot)) and not can(actor, Action.CHANGE, DisinfectionLog, log.site):
        raise PermissionDenied(_("Only who started the round, or the site's liaison, takes it back."))
    if log.ended_at is not None:
        raise ValidationError(_("A finished round is the record: it cannot be taken back."))
    before = snapshot(log)
    pk = log.pk
    log.delete()
    log.pk = pk
    record_change(actor=actor, obj=log, action=ChangeAction.DELETE, before=before)
