"""Scheduled reminder rounds: the check-in reminders (e.g. 10:00 and 12:00) and the report-deadline chase.

A periodic job calls :func:`reminders_send_due` every minute. A round runs when the group's local
time has reached one of its times (within :data:`GRACE`, so a worker that starts a few minutes late
still sends it) and no :class:`~lianfang.notify.models.ReminderRun` exists for that date, time and
kind. The run row is inserted in the same transaction as everything the round writes; its unique
constraint makes a second worker, a restart or the next minute send nothing twice.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.masking import mask_name
from lianfang.notify import selectors
from lianfang.notify.choices import MessageKind, ReminderKind
from lianfang.notify.models import ReminderRun
from lianfang.notify.services import delivery_email_enqueue, delivery_robot_enqueue, message_send
from lianfang.org.models import GroupSettings, Unit

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


def checkin_url() -> str:
    try:
        return reverse("health:checkin")
    except NoReverseMatch:
        return "/health/checkin/"


def _percent(reported: int, expected: int) -> str:
    return f"{100.0 * reported / expected:.0f}%" if expected else "—"


def masked_name_list(names: list[str], total: int, limit: int = MAX_NAMES) -> str:
    """At most ``limit`` masked names, then "and N more" (PIPL: names in a chat group are masked)."""
    shown = "、".join(mask_name(n) for n in names[:limit])
    rest = total - min(len(names), limit)
    if rest > 0:
        shown += " " + _("and %(count)d more") % {"count": rest}
    return shown


def robot_completion_text(*, unit: Unit, reported: int, expected: int, missing: list[str], missing_total: int) -> str:
    lines = [
        f"### {_('Check-in completion')} · {unit.name}",
        _("Checked in today: %(reported)d of %(expected)d (%(percent)s)")
        % {"reported": reported, "expected": expected, "percent": _percent(reported, expected)},
    ]
    if missing_total:
        lines.append(
            _("Not yet checked in (%(count)d): %(names)s")
            % {"count": missing_total, "names": masked_name_list(missing, missing_total)}
        )
    else:
        lines.append(_("Everyone has checked in. Thank you!"))
    return "\n\n".join(lines)


# --- rounds ---------------------------------------------------------------------------------------


def _claim(kind: str, day: datetime.date, at: datetime.time) -> ReminderRun | None:
    """Insert the run row (inside the caller's transaction), or None when the round already ran."""
    try:
        with transaction.atomic():
            return ReminderRun.objects.create(date=day, time=at, kind=kind)
    except IntegrityError:
        return None


def checkin_round_send(*, day: datetime.date, at: datetime.time) -> RoundResult | None:
    """The check-in reminder round for ``day`` at ``at``; None if it already ran.

    (a) every person with an account who has not checked in gets an inbox message linking to the
    check-in page; (b) the liaisons of units below the completion target get one inbox message
    listing their units, and an e-mail if they have an address; (c) each active robot gets its
    unit's completion with the missing names masked.
    """
    settings = GroupSettings.load()
    with transaction.atomic():
        run = _claim(ReminderKind.CHECKIN, day, at)
        if run is None:
            return None
        result = RoundResult(kind=ReminderKind.CHECKIN, date=day, time=at)
        selectors.ensure_day_counts(date=day)

        # (a) non-reporters with an account
        user_ids = selectors.non_reporter_user_ids(date=day)
        result.checkin_messages = message_send(
            recipients=user_ids,
            kind=MessageKind.CHECKIN_REMINDER,
            title=_("Please check in for today (%(date)s)") % {"date": day.isoformat()},
            body=_("You have not checked in yet today. It takes one tap if nothing changed."),
            url=checkin_url(),
        )

        # (b) liaisons of units below target
        completion = selectors.completion_by_unit_id(date=day)
        low: dict[int, list[tuple[Unit, int, int]]] = defaultdict(list)
        for user_id, unit in selectors.liaison_assignments():
            reported, expected = completion.get(unit.pk, (0, 0))
            if expected and reported * 100 < settings.completion_target * expected:
                low[user_id].append((unit, reported, expected))
        users = selectors.active_users(low.keys())
        for user_id, units in low.items():
            user = users.get(user_id)
            if user is None:
                continue
            title = _("Check-in completion below %(target)d%%") % {"target": settings.completion_target}
            body = "\n".join(
                _("%(unit)s: %(reported)d of %(expected)d checked in (%(percent)s)")
                % {"unit": u.name, "reported": r, "expected": e, "percent": _percent(r, e)}
                for u, r, e in units
            )
            message_send(recipients=[user_id], kind=MessageKind.COMPLETION_LOW, title=title, body=body)
            result.liaison_messages += 1
            result.units.extend(u.code for u, _r, _e in units)
            if user.email:
                delivery_email_enqueue(
                    email=user.email, unit=units[0][0], kind=MessageKind.COMPLETION_LOW, subject=title, body=body
                )
                result.emails += 1

        # (c) one message per active robot
        for robot in selectors.active_robots():
            reported, expected = completion.get(robot.unit_id, (0, 0))
            names, total = selectors.missing_names(date=day, unit=robot.unit, limit=MAX_NAMES)
            text = robot_completion_text(
                unit=robot.unit, reported=reported, expected=expected, missing=names, missing_total=total
            )
            delivery_robot_enqueue(
                robot=robot,
                kind=MessageKind.ROBOT_COMPLETION,
                subject=_("Check-in completion") + f" · {robot.unit.name}",
                body=text,
            )
            result.robot_messages += 1
        run.summary = result.as_dict()
        run.save(update_fields=["summary"])
    logger.info("Check-in reminders %s %s: %s", day, at, result.as_dict())
    return result


def deadline_round_send(*, day: datetime.date, at: datetime.time) -> RoundResult | None:
    """At the report deadline: each late or missing unit's liaisons are told (inbox and e-mail), and
    the group office gets one summary (escalation). None if it already ran."""
    with transaction.atomic():
        run = _claim(ReminderKind.DEADLINE, day, at)
        if run is None:
            return None
        result = RoundResult(kind=ReminderKind.DEADLINE, date=day, time=at)
        units = selectors.late_or_missing_units(date=day)
        by_unit = selectors.liaisons_of_units([u.pk for u in units])
        user_ids = {uid for ids in by_unit.values() for uid in ids}
        users = selectors.active_users(user_ids)
        report_url = selectors.report_url()
        for unit in units:
            title = _("Daily report for %(date)s not received: %(unit)s") % {"date": day.isoformat(), "unit": unit.name}
            body = _(
                "The deadline was %(time)s. Submit the unit's daily report, or a zero report if nothing is new."
            ) % {"time": at.strftime("%H:%M")}
            recipients = [uid for uid in by_unit.get(unit.pk, []) if uid in users]
            result.liaison_messages += message_send(
                recipients=recipients, kind=MessageKind.REPORT_LATE, title=title, body=body, url=report_url
            )
            for uid in recipients:
                if users[uid].email:
                    delivery_email_enqueue(
                        email=users[uid].email, unit=unit, kind=MessageKind.REPORT_LATE, subject=title, body=body
                    )
                    result.emails += 1
            result.units.append(unit.code)
        if units:
            office = selectors.group_office_user_ids()
            office_users = selectors.active_users(office)
            title = _("%(count)d units have no daily report for %(date)s") % {
                "count": len(units),
                "date": day.isoformat(),
            }
            body = "\n".join(
                f"{u.name} · " + (_("no liaison") if not by_unit.get(u.pk) else _("liaisons told")) for u in units
            )
            result.office_messages = message_send(
                recipients=list(office_users),
                kind=MessageKind.REPORT_ESCALATION,
                title=title,
                body=body,
                url=report_url,
            )
            root = Unit.objects.filter(depth=1).order_by("path").first()
            for user in office_users.values():
                if user.email:
                    delivery_email_enqueue(
                        email=user.email, unit=root, kind=MessageKind.REPORT_ESCALATION, subject=title, body=body
                    )
                    result.emails += 1
        run.summary = result.as_dict()
        run.save(update_fields=["summary"])
    logger.info("Deadline chase %s %s: %s", day, at, result.as_dict())
    return result


def _due(now_local: datetime.datetime, at: datetime.time) -> bool:
    slot = now_local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return slot <= now_local < slot + GRACE


def reminders_send_due(*, now: datetime.datetime | None = None) -> list[RoundResult]:
    """Run every round whose time has come (called every minute). Safe to call any number of times."""
    local = timezone.localtime(now or timezone.now())
    settings = GroupSettings.load()
    day = local.date()
    results: list[RoundResult] = []
    for at in settings.reminder_time_list():
        if _due(local, at):
            sent = checkin_round_send(day=day, at=at)
            if sent:
                results.append(sent)
    deadline = settings.report_deadline.replace(second=0, microsecond=0)
    if _due(local, deadline):
        sent = deadline_round_send(day=day, at=deadline)
        if sent:
            results.append(sent)
    return results
