"""The scheduler of reminder rounds. What a round chases belongs to the app that knows it: the
check-in reminders (e.g. 10:00 and 12:00) to health, the report-deadline chase to reporting; each
registers its round in ``lianfang.core.extensions.reminder_rounds``.

A periodic job calls :func:`reminders_send_due` every minute. A round runs when the group's local
time has reached one of its times (within :data:`GRACE`, so a worker that starts a few minutes late
still sends it) and no :class:`~lianfang.notify.models.ReminderRun` exists for that date, time and
kind. The run row is inserted in the same transaction as everything the round writes; its unique
constraint makes a second worker, a restart or the next minute send nothing twice.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.extensions import reminder_rounds
from lianfang.core.masking import mask_name
from lianfang.notify.models import ReminderRun
from lianfang.org.models import GroupSettings

logger = logging.getLogger(__name__)

GRACE = datetime.timedelta(minutes=10)
MAX_NAMES = 30


@dataclass
class RoundResult:
    """What one round sent (kept on the run row and shown in the logs)."""

    kind: str
    date: datetime.date
    time: datetime.time
    checkin_messages: int = 0
    liaison_messages: int = 0
    emails: int = 0
    robot_messages: int = 0
    office_messages: int = 0
    units: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "checkin_messages": self.checkin_messages,
            "liaison_messages": self.liaison_messages,
            "emails": self.emails,
            "robot_messages": self.robot_messages,
            "office_messages": self.office_messages,
            "units": self.units[:200],
        }


def chat_name(name: str | None) -> str:
    """A name as a chat group sees it: the family name and the last character, the middle masked
    (张*伟, 欧**明); a two-character name keeps its first (张*). Enough for colleagues to recognise
    themselves in their own unit's list, not enough to identify someone from outside it.
    """
    name = (name or "").strip()
    if len(name) <= 2:
        return mask_name(name)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def masked_name_list(names: list[str], total: int, limit: int = MAX_NAMES) -> str:
    """At most ``limit`` masked names, then "and N more" (PIPL: names in a chat group are masked)."""
    shown = "、".join(chat_name(n) for n in names[:limit])
    rest = total - min(len(names), limit)
    if rest > 0:
        shown += " " + _("and %(count)d more") % {"count": rest}
    return shown


# --- rounds ---------------------------------------------------------------------------------------


def round_claim(kind: str, day: datetime.date, at: datetime.time) -> ReminderRun | None:
    """Insert the run row (inside the caller's transaction), or None when the round already ran."""
    try:
        with transaction.atomic():
            return ReminderRun.objects.create(date=day, time=at, kind=kind)
    except IntegrityError:
        return None


def _due(now_local: datetime.datetime, at: datetime.time) -> bool:
    slot = now_local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot <= now_local < slot + GRACE


def reminders_send_due(*, now: datetime.datetime | None = None) -> list[Any]:
    """Run every registered round whose time has come (called every minute). Safe to call any number
    of times: a round that already ran for its date and time sends nothing."""
    local = timezone.localtime(now or timezone.now())
    settings = GroupSettings.load()
    day = local.date()
    results: list[Any] = []
    for reminder_round in reminder_rounds:
        for at in reminder_round.times(settings):
            at = at.replace(second=0, microsecond=0)
            if _due(local, at):
                sent = reminder_round.send(day=day, at=at)
                if sent:
                    results.append(sent)
    return results
