"""The check-in reminder round (e.g. 10:00 and 12:00), run by notify's scheduler once per time:
(a) everyone with an account who has not checked in gets an inbox message; (b) the liaisons of
units below the completion target get one message listing their units (and an e-mail); (c) each
unit's robot gets the unit's completion with the missing names masked."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from lianfang.core.scoping import SYSTEM_VIEWER
from lianfang.health.services import reminders
from lianfang.notify import selectors
from lianfang.notify.choices import MessageKind, ReminderKind
from lianfang.notify.reminders import MAX_NAMES, RoundResult, masked_name_list, round_claim
from lianfang.notify.services import delivery_email_enqueue, delivery_robot_enqueue, message_send
from lianfang.org.models import GroupSettings, Unit

logger = logging.getLogger(__name__)


def checkin_url() -> str:
    try:
        return reverse("health:checkin")
    except NoReverseMatch:
        return "/health/checkin/"


def _percent(reported: int, expected: int) -> str:
    return f"{100.0 * reported / expected:.0f}%" if expected else "—"


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


def checkin_round_send(*, day: datetime.date, at: datetime.time) -> RoundResult | None:
    """The check-in reminder round for ``day`` at ``at``; None if it already ran.

    (a) every person with an account who has not checked in gets an inbox message linking to the
    check-in page; (b) the liaisons of units below the completion target get one inbox message
    listing their units, and an e-mail if they have an address; (c) each active robot gets its
    unit's completion with the missing names masked.
    """
    settings = GroupSettings.load()
    with transaction.atomic():
        run = round_claim(ReminderKind.CHECKIN, day, at)
        if run is None:
            return None
        result = RoundResult(kind=ReminderKind.CHECKIN, date=day, time=at)
        reminders.ensure_day_counts(date=day)

        # (a) non-reporters with an account
        user_ids = reminders.non_reporter_user_ids(date=day)
        result.checkin_messages = message_send(
            recipients=user_ids,
            kind=MessageKind.CHECKIN_REMINDER,
            title=_("Please check in for today (%(date)s)") % {"date": day.isoformat()},
            body=_("You have not checked in yet today. It takes one tap if nothing changed."),
            url=checkin_url(),
        )

        # (b) liaisons of units below target
        completion = reminders.completion_by_unit_id(date=day)
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
            names, total = reminders.missing_names(date=day, unit=robot.unit, limit=MAX_NAMES)
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


def ensure_day_counts(*, date: datetime.date) -> None:
    """Bring the day's per-unit counts up to date before reading them: every active unit gets its row
    and its current headcount (the health app's opening step, idempotent), so a reminder never reports
    "0 of 0" because the morning job did not run or the roster changed since."""
    from lianfang.health.services.checkins import unit_day_open

    unit_day_open(date=date)


def completion_by_unit_id(*, date: datetime.date) -> dict[int, tuple[int, int]]:
    """unit id → (reported, expected) over the unit's whole subtree, from the health app's day counts."""
    from lianfang.health.selectors import completion_by_unit

    return {
        row.unit.pk: (row.subtree["reported"], row.subtree["expected"])
        for row in completion_by_unit(viewer=SYSTEM_VIEWER, date=date)
        if row.unit is not None
    }


def non_reporter_user_ids(*, date: datetime.date) -> list[int]:
    """Accounts of active people who have not checked in for ``date`` (people without an account
    cannot read an inbox; their liaison sees them in the robot message and the non-reporter list)."""
    from lianfang.health.selectors import non_reporters

    return list(
        non_reporters(viewer=SYSTEM_VIEWER, date=date)
        .filter(user__isnull=False, user__is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
    )


def missing_names(*, date: datetime.date, unit: Unit, limit: int) -> tuple[list[str], int]:
    """The first ``limit`` names (unmasked: the caller masks) of people in ``unit``'s subtree who have
    not checked in, and how many there are in all."""
    from lianfang.health.selectors import non_reporters

    qs = non_reporters(viewer=SYSTEM_VIEWER, date=date, unit=unit)
    return list(qs.values_list("name", flat=True)[:limit]), qs.count()
