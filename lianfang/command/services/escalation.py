"""The escalation scan, run every minute: missed clocks tell the level's leader on duty at once
(inbox, robot, SMS), a clock still missed after the level's grace period sends the matter to the
next level up by itself (越级) saying so, and 续报 and the report outside the group are reminded
when due.

Idempotent and restart-proof: every clock is a deadline stored on its row, and every notice is
claimed by a conditional UPDATE of its own "notified" column (``… WHERE ack_notified_at IS NULL``)
inside the transaction that sends it. Two workers scanning at once both find the row, only one
UPDATE matches, and only that one sends; a worker that dies mid-way rolls back its claim with its
messages, so the next scan sends them.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.command import selectors
from lianfang.command.choices import HopVia, MatterState
from lianfang.command.models import Hop, UrgentMatter
from lianfang.command.services.base import (
    KIND_EXTERNAL,
    KIND_FOLLOWUP,
    KIND_OVERDUE,
    in_default_language,
    matter_url,
    open_hop,
    tell_level,
)
from lianfang.core.audit import record_change
from lianfang.core.models import ChangeAction


@dataclass
class ScanResult:
    ack_missed: int = 0
    written_missed: int = 0
    skipped: int = 0
    followups: int = 0
    external: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _minutes(a: datetime.datetime, b: datetime.datetime) -> int:
    return max(0, round((b - a).total_seconds() / 60))


def _notify_missed(hop_id: int, clock: str, now: datetime.datetime) -> bool:
    field, done, due = (
        ("ack_notified_at", "acknowledged_at", "ack_due")
        if clock == "ack"
        else ("written_notified_at", "written_at", "written_due")
    )
    with transaction.atomic():
        # No join in this UPDATE: PostgreSQL would compile it to ``id IN (subquery)`` and a second
        # worker waiting on the row lock would not re-check the conditions. Hops of a resolved or
        # closed matter are closed with it, so ``closed_at IS NULL`` says the matter is open.
        claimed = Hop.objects.filter(
            pk=hop_id,
            closed_at__isnull=True,
            **{f"{field}__isnull": True, f"{done}__isnull": True, f"{due}__lt": now},
        ).update(**{field: now})
        if not claimed:
            return False
        hop = Hop.objects.select_related("unit", "matter__unit", "matter__severity").get(pk=hop_id)
        matter = hop.matter
        with in_default_language():
            names = {"unit": hop.unit.name, "number": matter.number}
            if clock == "ack":
                title = _("Overdue: %(unit)s did not acknowledge urgent matter %(number)s") % names
            else:
                title = _("Overdue: %(unit)s sent no written report on urgent matter %(number)s") % names
            body = _(
                "%(number)s (%(level)s) from %(unit)s: %(title)s. It was due %(minutes)d minutes ago. "
                "Act now; if it stays overdue it goes to the level above."
            ) % {
                "number": matter.number,
                "level": matter.severity.name,
                "unit": matter.unit.name,
                "title": matter.title,
                "minutes": _minutes(getattr(hop, due), now),
            }
        tell_level(hop.unit, now=now, kind=KIND_OVERDUE, title=title, body=body, url=matter_url(matter), sms=True)
    return True


def _skip(hop_id: int, now: datetime.datetime, duty_ids: set[int]) -> bool:
    with transaction.atomic():
        hop = (
            Hop.objects.select_related("unit", "matter__unit", "matter__severity")
            .filter(pk=hop_id, closed_at__isnull=True, escalated_at__isnull=True)
            .first()
        )
        if hop is None:
            return False
        above = selectors.next_level(hop, duty_ids)
        if above is None:
            return False
        missed_ack = hop.acknowledged_at is None
        claimed = (
            Hop.objects.filter(pk=hop_id, closed_at__isnull=True, escalated_at__isnull=True)
            .filter(
                Q(acknowledged_at__isnull=True, skip_ack_at__lte=now)
                | Q(written_at__isnull=True, skip_written_at__lte=now)
            )
            .update(escalated_at=now, closed_at=now)
        )
        if not claimed:
            return False
        hop.escalated_at = hop.closed_at = now
        record_change(actor=None, obj=hop, action=ChangeAction.UPDATE)
        matter = hop.matter
        with in_default_language():
            note = (
                _("%(unit)s did not acknowledge within the limit; sent up automatically (越级).")
                if missed_ack
                else _("%(unit)s sent no written report within the limit; sent up automatically (越级).")
            ) % {"unit": hop.unit.name}
        open_hop(matter=matter, unit=above, via=HopVia.ESCALATED, now=now, note=note, duty_ids=duty_ids)
    return True


def _remind_followup(matter_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = (
            UrgentMatter.objects.filter(pk=matter_id, state=MatterState.OPEN, followup_due__lte=now)
            .filter(followup_reminded_at__isnull=True)
            .update(followup_reminded_at=now)
        )
        if not claimed:
            return False
        matter = UrgentMatter.objects.select_related("unit", "severity").get(pk=matter_id)
        with in_default_language():
            title = _("Follow-up report due for urgent matter %(number)s") % {"number": matter.number}
            body = _("%(number)s (%(level)s): %(title)s. Send the follow-up report (续报) now.") % {
                "number": matter.number,
                "level": matter.severity.name,
                "title": matter.title,
            }
        units = [matter.unit]
        live = Hop.objects.filter(matter=matter, closed_at__isnull=True).select_related("unit").order_by("-seq").first()
        if live is not None and live.unit_id != matter.unit_id:
            units.append(live.unit)
        for unit in units:
            tell_level(unit, now=now, kind=KIND_FOLLOWUP, title=title, body=body, url=matter_url(matter))
    return True


def _remind_external(matter_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        claimed = UrgentMatter.objects.filter(
            pk=matter_id,
            state=MatterState.OPEN,
            external_due__lte=now,
            external_reported_at__isnull=True,
            external_notified_at__isnull=True,
        ).update(external_notified_at=now)
        if not claimed:
            return False
        matter = UrgentMatter.objects.select_related("unit", "severity").get(pk=matter_id)
        top = Hop.objects.filter(matter=matter, is_top=True).select_related("unit").order_by("-seq").first()
        if top is None:
            return True
        with in_default_language():
            title = _("Report urgent matter %(number)s outside the group now") % {"number": matter.number}
            body = _(
                "%(number)s (%(level)s) from %(unit)s: the report to the local epidemic prevention headquarters "
                "was due %(minutes)d minutes ago. Report it and record when and to whom."
            ) % {
                "number": matter.number,
                "level": matter.severity.name,
                "unit": matter.unit.name,
                "minutes": _minutes(matter.external_due or now, now),
            }
        tell_level(top.unit, now=now, kind=KIND_EXTERNAL, title=title, body=body, url=matter_url(matter), sms=True)
    return True


def escalation_scan(*, now: datetime.datetime | None = None) -> ScanResult:
    """One pass over every open clock (each notice in its own short transaction)."""
    now = now or timezone.now()
    result = ScanResult()
    live = Hop.objects.filter(closed_at__isnull=True, matter__state=MatterState.OPEN)
    for hop_id in live.filter(acknowledged_at__isnull=True, ack_notified_at__isnull=True, ack_due__lt=now).values_list(
        "pk", flat=True
    ):
        result.ack_missed += _notify_missed(hop_id, "ack", now)
    for hop_id in live.filter(
        written_at__isnull=True, written_notified_at__isnull=True, written_due__lt=now
    ).values_list("pk", flat=True):
        result.written_missed += _notify_missed(hop_id, "written", now)
    due_skips = list(
        live.filter(escalated_at__isnull=True)
        .filter(
            Q(acknowledged_at__isnull=True, skip_ack_at__lte=now) | Q(written_at__isnull=True, skip_written_at__lte=now)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if due_skips:
        duty_ids = selectors.duty_unit_ids()
        for hop_id in due_skips:
            result.skipped += _skip(hop_id, now, duty_ids)
    for matter_id in UrgentMatter.objects.filter(
        state=MatterState.OPEN, followup_due__lte=now, followup_reminded_at__isnull=True
    ).values_list("pk", flat=True):
        result.followups += _remind_followup(matter_id, now)
    for matter_id in UrgentMatter.objects.filter(
        state=MatterState.OPEN,
        external_due__lte=now,
        external_reported_at__isnull=True,
        external_notified_at__isnull=True,
    ).values_list("pk", flat=True):
        result.external += _remind_external(matter_id, now)
    return result
