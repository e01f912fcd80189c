"""Chasing the people who have not checked in.

The check-in reminder round (e.g. 10:00 and 12:00), run by notify's scheduler once per time:
(a) everyone with an account who has not checked in gets an inbox message; (b) the liaisons of
units below the completion target get one message listing their units (and an e-mail); (c) each
unit's robot gets the unit's completion with the missing names masked.

And what a liaison does from the non-reporter list (:func:`non_reporters_remind`, "remind these
people now"; :func:`non_reporter_phones_reveal`, tap to call; :func:`chat_group_list_text`, the list
to paste into the chat group).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.audit import record_event
from lianfang.core.extensions import collection_stopped
from lianfang.core.models import AuditKind
from lianfang.core.scoping import SYSTEM_VIEWER, Action
from lianfang.health.models import CheckIn
from lianfang.health.services import reminders
from lianfang.notify import selectors
from lianfang.notify.choices import MessageKind, ReminderKind
from lianfang.notify.reminders import MAX_NAMES, RoundResult, chat_name, masked_name_list, round_claim
from lianfang.notify.robots import supports_mentions
from lianfang.notify.services import (
    delivery_email_enqueue,
    delivery_robot_enqueue,
    message_send,
    unit_reminder_claim,
    unit_reminders_record,
)
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person

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
    if collection_stopped(day) is not None:
        return None  # the outbreak was declared over (stand-down): nobody is asked to check in
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


# --- chasing from the non-reporter list ----------------------------------------------------------


def non_reporter_phones_reveal(
    *, actor, people: Sequence[Person], date: datetime.date, unit: Unit | None = None
) -> dict[int, str]:
    """The full phone numbers, for tap to call, of those people on one page of the non-reporter
    list whose phones the actor may unmask (person id → number).

    One audit event for the page, naming how many numbers were shown, rather than one per row;
    none when the actor sees every number masked (or nobody on the page has one).
    """
    shown = {p.pk: p.phone for p in people if p.phone and can(actor, Action.UNMASK, Person, p.unit)}
    if shown:
        record_event(
            kind=AuditKind.UNMASK,
            actor=actor,
            unit=unit,
            object_repr=_("Not yet checked in") + f" {date.isoformat()}",
            field="phone",
            people=len(shown),
            source="non_reporters",
            date=date,
        )
    return shown


def chat_group_header(*, date: datetime.date, as_of: datetime.datetime, count: int) -> str:
    return ngettext(
        "Not yet checked in on %(date)s as of %(time)s: %(count)d person. Please check in now.",
        "Not yet checked in on %(date)s as of %(time)s: %(count)d people. Please check in now.",
        count,
    ) % {"date": date.isoformat(), "time": timezone.localtime(as_of).strftime("%H:%M"), "count": count}


def chat_group_unit_line(unit_name: str, names: list[str], total: int, limit: int | None = None) -> str:
    """One unit's line: its name, how many, and the masked names (all of them, or ``limit``)."""
    shown = masked_name_list(names, total, limit) if limit else "、".join(chat_name(n) for n in names)
    return _("%(unit)s (%(count)d): %(names)s") % {"unit": unit_name, "count": total, "names": shown}


def chat_group_list_text(
    *, date: datetime.date, as_of: datetime.datetime, groups: Sequence[tuple[str, list[str]]]
) -> str:
    """The list a liaison copies into the chat group: a heading line, then one line per unit with
    every name masked (张*伟), as the robot's messages show them.

    Masked for everyone, those who may unmask included: the text leaves Lianfang, where neither the
    masking rule nor the audit log follows it, and colleagues recognise themselves under their unit.
    """
    total = sum(len(names) for _unit, names in groups)
    lines = [chat_group_header(date=date, as_of=as_of, count=total)]
    lines += [chat_group_unit_line(unit_name, names, len(names)) for unit_name, names in groups]
    return "\n".join(lines)


@dataclass
class RemindResult:
    """What one press of "remind these people now" sent, for the message shown to the liaison."""

    people: int = 0
    messages: int = 0
    without_account: int = 0
    robot_messages: int = 0
    chat_groups: list[str] = field(default_factory=list)
    mentioned: int = 0
    # Units left out because they were reminded less than ten minutes ago: name → next possible time.
    skipped: dict[str, datetime.datetime] = field(default_factory=dict)


def _actor_name(actor) -> str:
    full = (actor.get_full_name() or "").strip() if hasattr(actor, "get_full_name") else ""
    return full or actor.get_username()


@transaction.atomic
def non_reporters_remind(
    *,
    actor,
    date: datetime.date,
    unit: Unit | None = None,
    person_ids: Sequence[int] | None = None,
    now: datetime.datetime | None = None,
) -> RemindResult:
    """Remind the people on the actor's non-reporter list (of ``unit``'s subtree; only ``person_ids``
    when given) now: an inbox message to each one with an account, and one message to the chat-group
    robot(s) of the nearest unit that has one, with the names masked and, where the robot can and the
    office enabled it, the people @-mentioned.

    Who may: whoever may enter check-ins for those people (liaison, office, duty officer). Each unit
    is reminded at most once in ten minutes: units reminded since are left out and named in the
    result; when every unit is, or when nothing could be sent at all, nothing is written and a
    ``ValidationError`` says why (and when the next reminder is possible).
    """
    from lianfang.health.selectors import non_reporters

    now = now or timezone.now()
    if date != timezone.localdate(now):
        raise ValidationError(_("Reminders can be sent only for today's check-in."))
    if not has_any(actor, "health.checkin", Action.ADD):
        raise PermissionDenied
    qs = non_reporters(viewer=actor, date=date, unit=unit).filter(unit__in=units_where(actor, CheckIn, Action.ADD))
    if person_ids is not None:
        qs = qs.filter(pk__in=list(person_ids))
    people = list(qs.select_related("unit", "user"))
    if not people:
        raise ValidationError(_("Nobody on this list is left to remind: they have all checked in."))

    free, blocked = unit_reminder_claim(units=[p.unit for p in people], now=now)
    free_ids = {u.pk for u in free}
    result = RemindResult()
    units_by_id = {p.unit_id: p.unit for p in people}
    for unit_id, next_at in blocked.items():
        result.skipped[units_by_id[unit_id].name] = next_at
    people = [p for p in people if p.unit_id in free_ids]
    if not people:
        raise ValidationError(
            _("These people's units were reminded less than 10 minutes ago. The next reminder is possible at %(time)s.")
            % {"time": timezone.localtime(min(blocked.values())).strftime("%H:%M")}
        )

    mentions_on = GroupSettings.load().robot_mentions
    robots = selectors.robots_covering(free)
    per_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # people, messages, robot messages
    # What goes out is in the group's language (like the scheduled rounds), whatever the liaison's page shows.
    with translation.override(django_settings.LANGUAGE_CODE):
        sender = _actor_name(actor)
        recipients = [p for p in people if p.user is not None and p.user.is_active]
        result.messages = message_send(
            recipients=[p.user_id for p in recipients],
            kind=MessageKind.CHECKIN_NUDGE,
            title=_("Please check in for today (%(date)s)") % {"date": date.isoformat()},
            body=_("%(name)s reminds you: you have not checked in yet today. It takes one tap if nothing changed.")
            % {"name": sender},
            url=checkin_url(),
        )
        for p in people:
            per_unit[p.unit_id][0] += 1
        for p in recipients:
            per_unit[p.unit_id][1] += 1

        # One message per robot, listing the people of every unit it is the nearest chat group of.
        by_robot: dict[int, tuple] = {}
        for p in people:
            for robot in robots.get(p.unit_id, []):
                by_robot.setdefault(robot.pk, (robot, []))[1].append(p)
        for robot, members in by_robot.values():
            text, mentioned = _robot_reminder_text(robot=robot, people=members, date=date, now=now, sender=sender)
            mention_ids = mentioned if mentions_on and supports_mentions(robot.kind) else []
            delivery_robot_enqueue(
                robot=robot,
                kind=MessageKind.ROBOT_NUDGE,
                subject=_("Please check in now") + f" · {robot.unit.name}",
                body=text,
                mention_people=mention_ids,
            )
            result.robot_messages += 1
            result.chat_groups.append(robot.name)
            result.mentioned += len(mention_ids)
            for unit_id in {m.unit_id for m in members}:
                per_unit[unit_id][2] += 1

    result.people = len(people)
    result.without_account = len(people) - len(recipients)
    if not result.messages and not result.robot_messages:
        raise ValidationError(
            _(
                "Nothing could be sent: none of these people has an account to receive a message, and no "
                "chat-group robot is set up for their units. Call them, or copy the list into the chat group."
            )
        )
    unit_reminders_record(
        actor=actor, date=date, now=now, counts={pk: (c[0], c[1], c[2]) for pk, c in per_unit.items()}
    )
    return result


def _robot_reminder_text(
    *, robot, people: Sequence[Person], date: datetime.date, now: datetime.datetime, sender: str
) -> tuple[str, list[int]]:
    """The chat-group message (markdown) and the ids of the people it names (at most
    :data:`MAX_NAMES` per unit, the ones that may be @-mentioned)."""
    by_unit: dict[int, list[Person]] = defaultdict(list)
    for p in people:
        by_unit[p.unit_id].append(p)
    lines = [
        f"### {_('Please check in now')} · {robot.unit.name}",
        chat_group_header(date=date, as_of=now, count=len(people)),
    ]
    named: list[int] = []
    for members in sorted(by_unit.values(), key=lambda ms: ms[0].unit.path):
        lines.append(
            chat_group_unit_line(members[0].unit.name, [m.name for m in members], len(members), limit=MAX_NAMES)
        )
        named += [m.pk for m in members[:MAX_NAMES]]
    lines.append(_("Reminder sent by %(name)s.") % {"name": sender})
    return "\n\n".join(lines), named
