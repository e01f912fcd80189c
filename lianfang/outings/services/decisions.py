"""Deciding outing requests: approve (the next step opens, or the outing is approved), refuse with a
reason, acknowledge a filing; and the scan that reminds approvers and lets undecided requests expire.

The scan is idempotent and restart-proof like the urgent matters' clocks: each reminder and each
expiry is claimed by a conditional UPDATE of its own row (``… WHERE reminded_at IS NULL``, ``… WHERE
state = 'pending'``) inside the transaction that sends its message, so two workers send it once and
a worker that dies rolls back its claim with its message.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.scoping import can
from lianfang.outings import selectors
from lianfang.outings.choices import OutingState, StepDecision, StepKind
from lianfang.outings.models import Outing, OutingSettings, OutingStep
from lianfang.outings.services.base import (
    KIND_DECIDED,
    KIND_REMINDER,
    describe,
    in_default_language,
    local,
    lock,
    open_next_step,
    outing_url,
    tell,
    tell_person,
)


def who_decides(step: OutingStep) -> str:
    """Who decides a step, in the words of a refusal."""
    names = {"unit": step.unit.name}
    if step.kind != StepKind.LEADER:
        return _("This step is decided by the prevention office of %(unit)s.") % names
    if step.role == Role.UNIT_ADMIN:
        return _("This step is decided by the liaison of %(unit)s, or by the prevention office above it.") % names
    return _("This step is decided by the leaders of %(unit)s, or by the prevention office above it.") % names


def _ensure_approver(actor, outing: Outing) -> None:
    """Who may approve nothing of the outing's unit is refused before its state is read."""
    if not can(actor, Action.APPROVE, Outing, outing.unit):
        raise PermissionDenied(_("Only the unit's leaders and the prevention office decide outings."))


def _waiting_step(actor, outing: Outing, *, filing: bool) -> OutingStep:
    step = selectors.open_step(outing)
    if step is None or (step.kind == StepKind.FILING) != filing:
        if filing:
            raise ValidationError(_("This outing has no filing waiting to be acknowledged."))
        raise ValidationError(
            _("This outing is %(state)s: there is nothing to decide.") % {"state": outing.get_state_display()}
        )
    step.outing = outing
    if not selectors.may_decide(actor, step):
        if outing.person.user_id is not None and outing.person.user_id == getattr(actor, "pk", None):
            raise PermissionDenied(_("Nobody decides their own outing."))
        raise PermissionDenied(who_decides(step))
    return step


def _decide(actor, step: OutingStep, decision: str, note: str, now: datetime.datetime) -> None:
    before = snapshot(step)
    step.decided_at, step.decided_by, step.decision, step.note = now, actor, decision, note[:200]
    step.save(update_fields=["decided_at", "decided_by", "decision", "note"])
    record_change(actor=actor, obj=step, action=ChangeAction.UPDATE, before=before)


@transaction.atomic
def outing_approve(*, actor, outing: Outing, note: str = "") -> Outing:
    """Approve the step waiting for the actor: the next step opens, or, at the last, the outing is
    approved and the person told."""
    outing = lock(outing)
    _ensure_approver(actor, outing)
    if outing.state != OutingState.PENDING:
        raise ValidationError(
            _("This outing is %(state)s: there is nothing to approve.") % {"state": outing.get_state_display()}
        )
    step = _waiting_step(actor, outing, filing=False)
    now = timezone.now()
    _decide(actor, step, StepDecision.APPROVED, (note or "").strip(), now)
    config = OutingSettings.load()
    if open_next_step(actor=actor, outing=outing, now=now, config=config) is not None:
        return outing
    before = snapshot(outing)
    outing.state, outing.decided_at = OutingState.APPROVED, now
    outing.save(update_fields=["state", "decided_at", "updated"])
    record_change(actor=actor, obj=outing, action=ChangeAction.UPDATE, before=before)
    with in_default_language():
        title = _("Outing approved: %(place)s, %(first)s to %(last)s") % {
            "place": outing.place_name,
            "first": outing.date_from,
            "last": outing.date_to,
        }
        body = _("Confirm your return on the outing's page when you are back.")
    tell_person(outing, kind=KIND_DECIDED, title=title, body=body)
    return outing


@transaction.atomic
def outing_reject(*, actor, outing: Outing, reason: str) -> Outing:
    """Refuse the request at the step waiting for the actor, saying why; the person is told."""
    outing = lock(outing)
    _ensure_approver(actor, outing)
    if outing.state != OutingState.PENDING:
        raise ValidationError(
            _("This outing is %(state)s: there is nothing to refuse.") % {"state": outing.get_state_display()}
        )
    step = _waiting_step(actor, outing, filing=False)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the outing is not approved; the person reads it.")]})
    now = timezone.now()
    _decide(actor, step, StepDecision.REJECTED, reason, now)
    OutingStep.objects.filter(outing=outing, opened_at__isnull=True).delete()  # steps never reached
    before = snapshot(outing)
    outing.state, outing.decided_at = OutingState.REJECTED, now
    outing.save(update_fields=["state", "decided_at", "updated"])
    record_change(actor=actor, obj=outing, action=ChangeAction.UPDATE, before=before)
    with in_default_language():
        title = _("Outing not approved: %(place)s, %(first)s to %(last)s") % {
            "place": outing.place_name,
            "first": outing.date_from,
            "last": outing.date_to,
        }
        body = _("Why: %(reason)s") % {"reason": reason[:200]}
    tell_person(outing, kind=KIND_DECIDED, title=title, body=body)
    return outing


@transaction.atomic
def outing_acknowledge(*, actor, outing: Outing, note: str = "") -> Outing:
    """The office acknowledges a leader's filing (报备): it is on record; the outing was valid from the start."""
    outing = lock(outing)
    _ensure_approver(actor, outing)
    step = _waiting_step(actor, outing, filing=True)
    now = timezone.now()
    _decide(actor, step, StepDecision.ACKNOWLEDGED, (note or "").strip(), now)
    before = snapshot(outing)
    outing.acknowledged_at, outing.acknowledged_by = now, actor
    outing.save(update_fields=["acknowledged_at", "acknowledged_by", "updated"])
    record_change(actor=actor, obj=outing, action=ChangeAction.UPDATE, before=before)
    return outing


# --- the scan ------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    reminded: int = 0
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _remind(step_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = OutingStep.objects.filter(
            pk=step_id, decided_at__isnull=True, reminded_at__isnull=True, remind_at__lte=now
        ).update(reminded_at=now)
        if not claimed:
            return False
        step = OutingStep.objects.select_related("unit", "outing__person").get(pk=step_id)
        outing = step.outing
        with in_default_language():
            if step.kind == StepKind.FILING:
                title = _("Reminder: outing filing to acknowledge: %(outing)s") % {"outing": describe(outing)}
                body = ""
            else:
                title = _("Reminder: outing request waiting for you: %(outing)s") % {"outing": describe(outing)}
                body = (
                    _("It expires at %(due)s if nobody decides it.") % {"due": local(step.due_at)}
                    if step.due_at
                    else ""
                )
        tell(selectors.step_holders(step), kind=KIND_REMINDER, title=title, body=body, url=outing_url(outing))
    return True


def _expire(step_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        step = OutingStep.objects.select_related("outing__person").filter(pk=step_id).first()
        if step is None:
            return False
        # The outing's state is the claim: a decision or a second worker that got there first leaves nothing.
        claimed = Outing.objects.filter(pk=step.outing_id, state=OutingState.PENDING).update(
            state=OutingState.EXPIRED, decided_at=now, updated=now
        )
        if not claimed:
            return False
        OutingStep.objects.filter(pk=step_id, decided_at__isnull=True).update(
            decided_at=now, decision=StepDecision.EXPIRED
        )
        OutingStep.objects.filter(outing_id=step.outing_id, opened_at__isnull=True).delete()
        outing = Outing.objects.select_related("person").get(pk=step.outing_id)
        record_change(actor=None, obj=outing, action=ChangeAction.UPDATE, before={"state": OutingState.PENDING})
        with in_default_language():
            title = _("Outing request expired: %(place)s, %(first)s to %(last)s") % {
                "place": outing.place_name,
                "first": outing.date_from,
                "last": outing.date_to,
            }
            body = _("Nobody decided it in time. Ask again if you still need to go.")
        tell_person(outing, kind=KIND_DECIDED, title=title, body=body)
    return True


def outings_scan(*, now: datetime.datetime | None = None) -> ScanResult:
    """One pass: remind the approvers of steps waiting past the reminder time, expire requests whose
    step was not decided in time (each in its own short transaction)."""
    now = now or timezone.now()
    result = ScanResult()
    live = OutingStep.objects.filter(opened_at__isnull=False, decided_at__isnull=True)
    for step_id in (
        live.filter(due_at__lte=now, outing__state=OutingState.PENDING).order_by("pk").values_list("pk", flat=True)
    ):
        result.expired += _expire(step_id, now)
    for step_id in (
        live.filter(reminded_at__isnull=True, remind_at__lte=now)
        .filter(outing__state__in=[OutingState.PENDING, OutingState.FILED])
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        result.reminded += _remind(step_id, now)
    return result
