"""Swaps (换班): asked by the person on duty, accepted by the replacement, approved by the overall
duty leader (总带班领导). The office may approve at any step (an override) and is named in the record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.duty.choices import SwapStatus
from lianfang.duty.models import Shift, ShiftMember, Swap
from lianfang.duty.services.base import (
    ancestor_paths,
    describe_shift,
    ensure_available,
    ensure_no_overlap,
    in_post_scope,
)
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment
from lianfang.org.scoping import can
from lianfang.people.models import Person

KIND = "duty_swap"


def _is_self(actor, person: Person) -> bool:
    return person.user_id is not None and person.user_id == getattr(actor, "pk", None)


def _approver_ids(shift: Shift) -> list[int]:
    return list(
        RoleAssignment.objects.filter(
            role=Role.DUTY_LEADER, unit__path__in=ancestor_paths(shift.post.unit), user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _url() -> str:
    return reverse("duty:swaps")


@transaction.atomic
def swap_request(*, actor, shift: Shift, person: Person, replacement: Person, reason: str = "") -> Swap:
    """``person`` (the actor themselves, or someone who may add swaps in the unit) asks ``replacement``
    to take their place on ``shift``."""
    shift = Shift.objects.select_related("post__unit").get(pk=shift.pk)
    if not (_is_self(actor, person) or can(actor, Action.ADD, Swap, shift.post.unit)):
        raise PermissionDenied(_("Only the person on duty asks for a swap of their own shift."))
    if shift.ends_at <= timezone.now():
        raise ValidationError(_("This shift is over."))
    if not shift.members.filter(person=person).exists():
        raise ValidationError(_("%(name)s is not on this shift.") % {"name": person.name})
    if replacement.pk == person.pk:
        raise ValidationError(_("Choose someone else as the replacement."))
    if not in_post_scope(replacement, shift.post):
        raise ValidationError(
            _("The replacement is not in %(unit)s: a swap is only possible within the unit.")
            % {"unit": shift.post.unit.name}
        )
    if shift.members.filter(person=replacement).exists():
        raise ValidationError(_("%(name)s is already on this shift.") % {"name": replacement.name})
    if Swap.objects.filter(shift=shift, person=person, status__in=[SwapStatus.REQUESTED, SwapStatus.ACCEPTED]).exists():
        raise ValidationError(_("A swap of this shift is already under way."))
    ensure_available([replacement], shift.starts_at, shift.ends_at)
    ensure_no_overlap([replacement], shift.starts_at, shift.ends_at)
    swap = Swap(shift=shift, person=person, replacement=replacement, reason=reason, requested_by=actor)
    swap.full_clean()
    swap.save()
    record_change(actor=actor, obj=swap, action=ChangeAction.CREATE)
    if replacement.user_id:
        message_send(
            recipients=[replacement.user_id],
            kind=KIND,
            title=_("%(name)s asks you to take their duty: %(shift)s")
            % {"name": person.name, "shift": describe_shift(shift)},
            url=_url(),
        )
    return swap


def _locked(swap: Swap) -> Swap:
    return Swap.objects.select_for_update().select_related("shift__post__unit", "person", "replacement").get(pk=swap.pk)


def _is_office(actor, swap: Swap) -> bool:
    """The office's override: approve at any step (``approve`` on shifts is only the office's)."""
    return can(actor, Action.APPROVE, Shift, swap.shift.post.unit)


@transaction.atomic
def swap_accept(*, actor, swap: Swap) -> Swap:
    swap = _locked(swap)
    if not _is_self(actor, swap.replacement):
        raise PermissionDenied(_("Only the replacement accepts a swap."))
    if swap.status != SwapStatus.REQUESTED:
        raise ValidationError(_("This swap is no longer waiting for the replacement."))
    before = snapshot(swap)
    swap.status = SwapStatus.ACCEPTED
    swap.accepted_at = timezone.now()
    swap.save()
    record_change(actor=actor, obj=swap, action=ChangeAction.UPDATE, before=before)
    message_send(
        recipients=_approver_ids(swap.shift),
        kind=KIND,
        title=_("A swap waits for your approval: %(shift)s") % {"shift": describe_shift(swap.shift)},
        url=_url(),
    )
    return swap


@transaction.atomic
def swap_approve(*, actor, swap: Swap, note: str = "") -> Swap:
    """The overall duty leader approves an accepted swap (the office may at any step): the replacement
    takes the person's place on the shift, in the same role, after the same checks as a new shift."""
    swap = _locked(swap)
    office = _is_office(actor, swap)
    if not (office or can(actor, Action.APPROVE, Swap, swap.shift.post.unit)):
        raise PermissionDenied(_("Only the overall duty leader approves swaps."))
    if not swap.is_open:
        raise ValidationError(_("This swap is already decided."))
    if swap.status != SwapStatus.ACCEPTED and not office:
        raise ValidationError(_("The replacement has not accepted this swap yet."))
    shift = Shift.objects.select_for_update().get(pk=swap.shift_id)
    member = ShiftMember.objects.filter(shift=shift, person=swap.person).first()
    if member is None:
        raise ValidationError(_("%(name)s is no longer on this shift.") % {"name": swap.person.name})
    ensure_available([swap.replacement], shift.starts_at, shift.ends_at)
    ensure_no_overlap([swap.replacement], shift.starts_at, shift.ends_at, exclude_shift=shift)
    before = snapshot(swap)
    member.person = swap.replacement
    member.save(update_fields=["person"])
    shift.conflicts.filter(person=swap.person).delete()
    swap.status = SwapStatus.APPROVED
    swap.decided_by = actor
    swap.decided_at = timezone.now()
    swap.decision_note = note
    swap.save()
    record_change(actor=actor, obj=swap, action=ChangeAction.UPDATE, before=before)
    record_change(
        actor=actor,
        obj=shift,
        action=ChangeAction.UPDATE,
        before={"swap": swap.pk, "person": swap.person.name},
        extra_after={"swap": swap.pk, "person": swap.replacement.name},
    )
    ids = [p.user_id for p in (swap.person, swap.replacement) if p.user_id]
    message_send(
        recipients=ids,
        kind=KIND,
        title=_("Swap approved: %(name)s takes %(shift)s")
        % {"name": swap.replacement.name, "shift": describe_shift(shift)},
        url=_url(),
    )
    return swap


@transaction.atomic
def swap_refuse(*, actor, swap: Swap, note: str = "") -> Swap:
    """The replacement declines, or the overall duty leader (or the office) refuses."""
    swap = _locked(swap)
    unit = swap.shift.post.unit
    if not (_is_self(actor, swap.replacement) or can(actor, Action.APPROVE, Swap, unit) or _is_office(actor, swap)):
        raise PermissionDenied(_("Only the replacement or the overall duty leader can refuse a swap."))
    if not swap.is_open:
        raise ValidationError(_("This swap is already decided."))
    before = snapshot(swap)
    swap.status = SwapStatus.REFUSED
    swap.decided_by = actor
    swap.decided_at = timezone.now()
    swap.decision_note = note
    swap.save()
    record_change(actor=actor, obj=swap, action=ChangeAction.UPDATE, before=before)
    if swap.person.user_id:
        message_send(
            recipients=[swap.person.user_id],
            kind=KIND,
            title=_("Swap refused: %(shift)s") % {"shift": describe_shift(swap.shift)},
            body=note,
            url=_url(),
        )
    return swap


@transaction.atomic
def swap_cancel(*, actor, swap: Swap) -> Swap:
    swap = _locked(swap)
    if not (_is_self(actor, swap.person) or swap.requested_by_id == getattr(actor, "pk", None)):
        raise PermissionDenied(_("Only who asked for the swap can cancel it."))
    if not swap.is_open:
        raise ValidationError(_("This swap is already decided."))
    before = snapshot(swap)
    swap.status = SwapStatus.CANCELLED
    swap.decided_at = timezone.now()
    swap.save()
    record_change(actor=actor, obj=swap, action=ChangeAction.UPDATE, before=before)
    return swap
