"""What the writes of urgent matters share: race-free numbers, opening a level's hop with its clocks,
and telling a level (its leader on duty in the inbox and by SMS, its chat-group robot).

Messages name the matter's number, level and unit, never a person's health details: an inbox and a
chat group are read on shared screens.
"""

from __future__ import annotations

import datetime
import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lianfang.command import selectors
from lianfang.command.choices import HopVia
from lianfang.command.models import Hop, MatterNumberCounter, UrgentMatter
from lianfang.core.audit import record_change
from lianfang.core.models import ChangeAction
from lianfang.notify.models import RobotChannel
from lianfang.notify.services import delivery_robot_enqueue, message_send
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit

logger = logging.getLogger(__name__)

NUMBER_PREFIX = "JJ"  # 紧急
# A 一般 matter is due by the end of the receiving unit's duty shift; with no shift on the roster, this long.
NO_SHIFT_LIMIT = datetime.timedelta(hours=12)
# Who is told at a level when its leader on duty has no account (or no one is rostered).
LEVEL_ROLES = (Role.DUTY_OFFICER, Role.UNIT_ADMIN, Role.GROUP_ADMIN)

KIND_RECEIVED = "urgent_received"
KIND_OVERDUE = "urgent_overdue"
KIND_ESCALATED = "urgent_escalated"
KIND_FOLLOWUP = "urgent_followup"
KIND_EXTERNAL = "urgent_external"


def next_number(year: int) -> str:
    """JJ-<year>-<nnnn>. The UPDATE locks the year's counter row until commit, so concurrent reports
    are numbered one after the other; the first of a year creates the row (a concurrent creator gets
    the IntegrityError and increments the row the first made)."""
    while True:
        if not MatterNumberCounter.objects.filter(year=year).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    MatterNumberCounter.objects.create(year=year, last=1)
            except IntegrityError:
                MatterNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
        last = MatterNumberCounter.objects.filter(year=year).values_list("last", flat=True).get()
        number = f"{NUMBER_PREFIX}-{year}-{last:04d}"
        if not UrgentMatter.objects.filter(number=number).exists():
            return number


def matter_url(matter: UrgentMatter) -> str:
    return reverse("command:detail", args=[matter.pk])


# --- SMS through the notify app's provider interface ---------------------------------------------


def send_sms(phones: Iterable[str], text: str, unit: Unit | None = None) -> bool:
    """Send one SMS to these mobiles after the transaction commits (never for a write rolled back).

    Goes through ``lianfang.notify.sms.send_sms`` when the deployment has it; without it (or when the
    provider fails) the inbox and the robot still carry the message, and the failure is logged.
    """
    numbers = sorted({p.strip() for p in phones if p and p.strip()})
    if not numbers:
        return False

    def deliver() -> None:
        try:
            module = importlib.import_module("lianfang.notify.sms")
            module.send_sms(numbers, text, purpose="urgent_matter", unit=unit)
        except Exception:  # a failed SMS must not undo the escalation already recorded
            logger.exception("SMS for an urgent matter not sent")

    transaction.on_commit(deliver)
    return True


# --- telling a level ------------------------------------------------------------------------------


@dataclass
class Told:
    users: int = 0
    robots: int = 0
    sms: int = 0
    leader: str = ""
    phones: list[str] = field(default_factory=list)


def level_role_holders(unit: Unit) -> list[int]:
    """Users holding a duty, liaison or office role on the unit itself (not above it: the group
    office is not told of every heat station's clock unless the heat station is the group)."""
    return list(
        RoleAssignment.objects.filter(unit=unit, role__in=LEVEL_ROLES, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def tell_level(
    unit: Unit,
    *,
    now: datetime.datetime,
    kind: str,
    title: str,
    body: str,
    url: str,
    sms: bool = False,
) -> Told:
    """The level's leader on duty (from the roster) in the inbox — and by SMS when ``sms``, because a
    leader on duty at 03:00 does not watch a chat group — plus the unit's duty staff, and its robot."""
    told = Told()
    duty = selectors.on_duty([unit.pk], now).get(unit.pk)
    leader = getattr(duty, "leader", None) if duty is not None else None
    recipients: list[int] = list(level_role_holders(unit))
    if leader is not None:
        told.leader = leader.name
        if getattr(leader, "user_id", None):
            recipients.insert(0, leader.user_id)
        if leader.phone:
            told.phones.append(leader.phone)
    told.users = message_send(recipients=recipients, kind=kind, title=title, body=body, url=url)
    for robot in RobotChannel.objects.filter(unit=unit, is_active=True).order_by("pk"):
        delivery_robot_enqueue(robot=robot, kind=kind, subject=title, body=f"{body}\n{url}")
        told.robots += 1
    if sms and told.phones and send_sms(told.phones, f"{title}。{body}", unit):
        told.sms = len(told.phones)
    return told


def in_default_language():
    return translation.override(django_settings.LANGUAGE_CODE)


# --- opening a level ----------------------------------------------------------------------------


def open_hop(
    *,
    matter: UrgentMatter,
    unit: Unit,
    via: str,
    now: datetime.datetime,
    note: str = "",
    duty_ids: set[int] | None = None,
    actor=None,
) -> Hop:
    """The level receives the matter: its clocks start now. Tells the level at once."""
    level = matter.severity
    chain = selectors.duty_chain(matter.unit, duty_ids)
    is_top = not any(len(u.path) < len(unit.path) and unit.path.startswith(u.path) for u in chain)
    if level.by_shift_end:
        duty = selectors.on_duty([unit.pk], now).get(unit.pk)
        ends = getattr(duty, "ends_at", None) if duty is not None else None
        ack_due = written_due = ends if ends and ends > now else now + NO_SHIFT_LIMIT
    else:
        ack_due = now + datetime.timedelta(minutes=level.ack_minutes or 0)
        written_due = now + datetime.timedelta(minutes=level.written_minutes or 0)
    grace = datetime.timedelta(minutes=level.grace_minutes) if level.grace_minutes is not None else None
    last = matter.hops.order_by("-seq").values_list("seq", flat=True).first() or 0
    hop = Hop.objects.create(
        matter=matter,
        seq=last + 1,
        unit=unit,
        via=via,
        is_top=is_top,
        received_at=now,
        ack_due=ack_due,
        written_due=written_due,
        skip_ack_at=ack_due + grace if grace is not None and not is_top else None,
        skip_written_at=written_due + grace if grace is not None and not is_top else None,
        note=note[:300],
    )
    record_change(actor=actor, obj=hop, action=ChangeAction.CREATE)
    if is_top and level.external_minutes and matter.external_due is None:
        matter.external_due = now + datetime.timedelta(minutes=level.external_minutes)
        UrgentMatter.objects.filter(pk=matter.pk).update(external_due=matter.external_due)
    with in_default_language():
        names = {"number": matter.number, "level": matter.severity.name, "unit": matter.unit.name}
        if via == HopVia.ESCALATED:
            title = _("Skipped a level: urgent matter %(number)s (%(level)s) from %(unit)s") % names
        else:
            title = _("Urgent matter %(number)s (%(level)s) from %(unit)s") % names
        body = _("%(title)s. Acknowledge by %(ack)s and send the written report by %(written)s. %(note)s") % {
            "title": matter.title,
            "ack": _local(ack_due),
            "written": _local(written_due),
            "note": note,
        }
    tell_level(
        unit,
        now=now,
        kind=KIND_ESCALATED if via == HopVia.ESCALATED else KIND_RECEIVED,
        title=title,
        body=body.strip(),
        url=matter_url(matter),
        sms=via == HopVia.ESCALATED,
    )
    return hop


def _local(moment: datetime.datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def stop_clocks(matter: UrgentMatter, now: datetime.datetime) -> int:
    """Closing or resolving stops every clock of the matter."""
    return Hop.objects.filter(matter=matter, closed_at__isnull=True).update(closed_at=now)
