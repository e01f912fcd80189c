"""The duty log (值班日志) and the handover (交接班)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.duty.choices import EntryKind, HandoverStatus, PhoneCheck
from lianfang.duty.models import DutyPost, Handover, LogEntry, Shift, ShiftMember
from lianfang.org.scoping import can, ensure_can
from lianfang.people.models import Person

# An entry may be written a little ahead of the clock (a phone's clock), not for the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)
# A handover may be written from this long before the shift ends.
HANDOVER_EARLY = datetime.timedelta(hours=2)


def _person_of(actor) -> Person | None:
    return Person.objects.filter(user=actor).first() if getattr(actor, "pk", None) else None


def _shift_at(post: DutyPost, at: datetime.datetime) -> Shift | None:
    return Shift.objects.filter(post=post, starts_at__lte=at, ends_at__gt=at).first()


def on_shift(actor, shift: Shift | None) -> bool:
    """Is the actor on this shift (whatever their roles: the people on duty keep their post's log)?"""
    return (
        shift is not None
        and getattr(actor, "pk", None) is not None
        and ShiftMember.objects.filter(shift=shift, person__user=actor).exists()
    )


def may_log(actor, post: DutyPost, at: datetime.datetime | None = None) -> bool:
    return can(actor, Action.ADD, LogEntry, post.unit) or on_shift(actor, _shift_at(post, at or timezone.now()))


def may_hand_over(actor, shift: Shift) -> bool:
    """The people of the shift (still after it ended: a handover may come a little late) and the
    unit's duty officers."""
    return can(actor, Action.ADD, Handover, shift.post.unit) or on_shift(actor, shift)


def may_accept(actor, handover: Handover) -> bool:
    """The people of the incoming shift (before it starts: they take over at the shift change) and
    the unit's duty officers — never who handed it over."""
    if handover.handed_by_id is not None and handover.handed_by_id == getattr(actor, "pk", None):
        return False
    return can(actor, Action.CHANGE, Handover, handover.shift.post.unit) or on_shift(actor, handover.next_shift)


@transaction.atomic
def log_entry_create(
    *,
    actor,
    post: DutyPost,
    kind: str,
    content: str,
    at: datetime.datetime | None = None,
    counterpart: str = "",
    action: str = "",
) -> LogEntry:
    """An entry of the post's duty log, filed under the shift running at ``at`` (now by default), by
    someone who may add to the unit's log or who is on that shift."""
    now = timezone.now()
    at = at or now
    if not may_log(actor, post, at):
        raise PermissionDenied(_("Only the people on duty and the unit's duty officers write the duty log."))
    if at > now + CLOCK_SKEW:
        raise ValidationError({"at": _("An entry cannot be in the future.")})
    if kind not in EntryKind.values:
        raise ValidationError({"kind": _("Choose what kind of entry this is.")})
    if not content.strip():
        raise ValidationError({"content": _("Write what happened.")})
    entry = LogEntry(
        post=post,
        shift=_shift_at(post, at),
        at=at,
        kind=kind,
        counterpart=counterpart.strip(),
        content=content.strip(),
        action=action.strip(),
        recorded_by=actor,
        recorded_by_person=_person_of(actor),
    )
    entry.full_clean()
    entry.save()
    record_change(actor=actor, obj=entry, action=ChangeAction.CREATE)
    return entry


@transaction.atomic
def log_entry_update(*, actor, entry: LogEntry, **fields) -> LogEntry:
    """Correct or complete an entry (what was done, later): by whoever may change the log; each
    correction is in the change log."""
    entry = LogEntry.objects.select_for_update().select_related("post__unit").get(pk=entry.pk)
    ensure_can(actor, Action.CHANGE, LogEntry, entry.post.unit)
    before = snapshot(entry)
    for name in ("kind", "counterpart", "content", "action", "at"):
        if name in fields and fields[name] is not None:
            setattr(entry, name, fields[name])
    if entry.at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"at": _("An entry cannot be in the future.")})
    entry.shift = _shift_at(entry.post, entry.at)
    entry.full_clean()
    entry.save()
    record_change(actor=actor, obj=entry, action=ChangeAction.UPDATE, before=before)
    return entry


@transaction.atomic
def handover_create(*, actor, shift: Shift, phone_check: str, open_items: str = "", phone_note: str = "") -> Handover:
    """The outgoing officer hands the shift over: the open items and the duty phone's state. The
    incoming shift is the post's next one."""
    shift = Shift.objects.select_for_update().select_related("post__unit").get(pk=shift.pk)
    if not may_hand_over(actor, shift):
        raise PermissionDenied(_("Only the people on duty and the unit's duty officers hand a shift over."))
    if Handover.objects.filter(shift=shift).exists():
        raise ValidationError(_("This shift has already been handed over."))
    now = timezone.now()
    if now < shift.ends_at - HANDOVER_EARLY:
        raise ValidationError(_("A shift is handed over near its end (from two hours before)."))
    if phone_check not in PhoneCheck.values:
        raise ValidationError({"phone_check": _("Say whether the duty phone was checked.")})
    if phone_check == PhoneCheck.FAULT and not phone_note.strip():
        raise ValidationError({"phone_note": _("Say what is wrong with the duty phone.")})
    nxt = Shift.objects.filter(post=shift.post, starts_at__gte=shift.ends_at).order_by("starts_at").first()
    handover = Handover(
        shift=shift,
        next_shift=nxt,
        open_items=open_items.strip(),
        phone_check=phone_check,
        phone_note=phone_note.strip(),
        handed_by=actor,
        handed_at=now,
    )
    handover.full_clean()
    handover.save()
    record_change(actor=actor, obj=handover, action=ChangeAction.CREATE)
    return handover


@transaction.atomic
def handover_accept(*, actor, handover: Handover, missing: str = "") -> Handover:
    """The incoming officer takes over: accepted, or accepted noting what is missing. Two parties:
    who handed over cannot accept their own handover."""
    handover = Handover.objects.select_for_update().select_related("shift__post__unit").get(pk=handover.pk)
    if not (can(actor, Action.CHANGE, Handover, handover.shift.post.unit) or on_shift(actor, handover.next_shift)):
        raise PermissionDenied(_("Only the incoming officer or the unit's duty officers accept a handover."))
    if handover.handed_by_id is not None and handover.handed_by_id == actor.pk:
        raise PermissionDenied(_("The incoming officer accepts the handover, not who handed it over."))
    if handover.status != HandoverStatus.PENDING:
        raise ValidationError(_("This handover has already been accepted."))
    before = snapshot(handover)
    missing = missing.strip()
    handover.status = HandoverStatus.INCOMPLETE if missing else HandoverStatus.ACCEPTED
    handover.missing = missing
    handover.received_by = actor
    handover.received_at = timezone.now()
    handover.save()
    record_change(actor=actor, obj=handover, action=ChangeAction.UPDATE, before=before)
    return handover
