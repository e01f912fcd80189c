"""The coverage check (every hour of the next 7 days has a leader and an officer), conflicts
(rostered people who may no longer come to work) and the duty list posted by the unit's robot.
Run by the periodic job in ``duty/tasks.py``; each alert is a row, so running twice (or on two
workers) alerts once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.duty.choices import GapRole, MemberRole
from lianfang.duty.models import CoverageGap, DutyPost, Shift, ShiftConflict, ShiftMember
from lianfang.duty.selectors import Gap, coverage_gaps
from lianfang.duty.services.base import describe_shift, responsible_user_ids, shift_days, unavailable
from lianfang.notify.models import RobotChannel
from lianfang.notify.reminders import chat_name
from lianfang.notify.services import delivery_robot_enqueue, message_send

HORIZON = datetime.timedelta(days=7)
NOTICE = datetime.timedelta(hours=24)
GAP_KIND = "duty_gap"
CONFLICT_KIND = "duty_conflict"
LIST_KIND = "duty_list"


@dataclass
class CheckResult:
    gaps_alerted: int = 0
    conflicts: int = 0
    lists_posted: int = 0


def _robots(unit_id: int):
    return RobotChannel.objects.filter(unit_id=unit_id, is_active=True)


def _gap_text(post: DutyPost, gap: Gap) -> str:
    start, end = timezone.localtime(gap.starts_at), timezone.localtime(gap.ends_at)
    return _("%(post)s: %(missing)s from %(start)s to %(end)s.") % {
        "post": post,
        "missing": GapRole(gap.missing).label,
        "start": f"{start:%m-%d %H:%M}",
        "end": f"{end:%m-%d %H:%M}",
    }


def coverage_alert_due(*, now: datetime.datetime | None = None) -> int:
    """Alert every gap of the next 7 days that starts within 24 hours and was not alerted yet: the
    unit's liaisons and overall duty leaders in their inbox, and the unit's robot. A gap is alerted
    once: a recorded alert that overlaps it (same post, same missing role) counts."""
    now = now or timezone.now()
    posts = {p.pk: p for p in DutyPost.objects.filter(is_active=True).select_related("unit")}
    due = [g for g in coverage_gaps(posts, now, now + HORIZON) if g.starts_at < now + NOTICE]
    if not due:
        return 0
    # What was alerted already, in one query (re-checked under the post's lock before sending).
    alerted: dict[tuple[int, str], list[tuple[datetime.datetime, datetime.datetime]]] = {}
    for post_id, missing, s, e in CoverageGap.objects.filter(
        post_id__in={g.post_id for g in due}, ends_at__gt=now
    ).values_list("post_id", "missing", "starts_at", "ends_at"):
        alerted.setdefault((post_id, missing), []).append((s, e))
    due = [
        g for g in due if not any(s < g.ends_at and e > g.starts_at for s, e in alerted.get((g.post_id, g.missing), []))
    ]
    sent = 0
    for gap in due:
        with transaction.atomic():
            post = DutyPost.objects.select_for_update().get(pk=gap.post_id)
            post.unit = posts[gap.post_id].unit
            seen = CoverageGap.objects.filter(
                post_id=gap.post_id, missing=gap.missing, starts_at__lt=gap.ends_at, ends_at__gt=gap.starts_at
            ).exists()
            if seen:
                continue
            try:
                with transaction.atomic():
                    CoverageGap.objects.create(
                        post_id=gap.post_id,
                        missing=gap.missing,
                        starts_at=gap.starts_at,
                        ends_at=gap.ends_at,
                        alerted_at=now,
                    )
            except IntegrityError:  # another worker alerted it between our check and our insert
                continue
            text = _gap_text(post, gap)
            message_send(
                recipients=responsible_user_ids(post.unit),
                kind=GAP_KIND,
                title=_("Duty roster gap: %(text)s") % {"text": text},
                url=reverse("duty:gaps"),
            )
            for robot in _robots(post.unit_id):
                delivery_robot_enqueue(
                    robot=robot,
                    kind=GAP_KIND,
                    subject=_("Duty roster gap"),
                    body=text + " " + _("Please fill the roster."),
                )
            sent += 1
    return sent


def conflicts_check(*, now: datetime.datetime | None = None) -> int:
    """Rostered people of the next 7 days who may no longer be on duty (a check-in guard keeps them
    from work, leave): recorded on the shift, and the unit told once per shift and person."""
    now = now or timezone.now()
    members = list(
        ShiftMember.objects.filter(
            shift__post__is_active=True, shift__ends_at__gt=now, shift__starts_at__lt=now + HORIZON
        ).select_related("person", "shift__post__unit")
    )
    if not members:
        return 0
    people = list({m.person_id: m.person for m in members}.values())
    first = min(m.shift.starts_at for m in members)
    last = max(m.shift.ends_at for m in members)
    days = shift_days(max(first, now), last)
    blocked: dict[tuple[int, datetime.date], str] = {}
    for u in unavailable(people, days):
        blocked.setdefault((u.person.pk, u.day), u.reason)
    told = set(
        ShiftConflict.objects.filter(shift__in={m.shift_id for m in members}).values_list("shift_id", "person_id")
    )
    found = 0
    for m in members:
        if (m.shift_id, m.person_id) in told:
            continue
        reason = next(
            (
                blocked[(m.person_id, d)]
                for d in shift_days(m.shift.starts_at, m.shift.ends_at)
                if (m.person_id, d) in blocked
            ),
            None,
        )
        if reason is None:
            continue
        try:
            with transaction.atomic():
                ShiftConflict.objects.create(shift=m.shift, person=m.person, label=reason[:200], notified_at=now)
        except IntegrityError:
            continue
        message_send(
            recipients=responsible_user_ids(m.shift.post.unit),
            kind=CONFLICT_KIND,
            title=_("%(name)s cannot be on duty (%(shift)s): %(reason)s. Please find a replacement.")
            % {"name": m.person.name, "shift": describe_shift(m.shift), "reason": reason},
            url=reverse("duty:roster", args=[m.shift.post_id]),
        )
        found += 1
    return found


def duty_list_text(shift: Shift) -> str:
    members = list(shift.members.select_related("person").order_by("role", "id"))
    leaders = "、".join(chat_name(m.person.name) for m in members if m.role == MemberRole.LEADER) or "—"
    officers = "、".join(chat_name(m.person.name) for m in members if m.role == MemberRole.OFFICER) or "—"
    return _(
        "Today on duty at %(shift)s — leader on duty: %(leader)s; duty officers: %(officers)s; duty phone: %(phone)s"
    ) % {
        "shift": describe_shift(shift),
        "leader": leaders,
        "officers": officers,
        "phone": shift.post.phone,
    }


def duty_lists_post_due(*, now: datetime.datetime | None = None) -> int:
    """At the start of each shift, the robot of a unit that wants it posts who is on duty. A shift's
    list is claimed with one conditional UPDATE, so two workers never post it twice; a shift that
    started more than an hour ago is not posted late."""
    now = now or timezone.now()
    due = Shift.objects.filter(
        Q(post__post_duty_list=True, post__is_active=True, list_posted_at__isnull=True),
        starts_at__lte=now,
        starts_at__gt=now - datetime.timedelta(hours=1),
    ).select_related("post__unit")
    posted = 0
    for shift in due:
        if not Shift.objects.filter(pk=shift.pk, list_posted_at__isnull=True).update(list_posted_at=now):
            continue
        text = duty_list_text(shift)
        for robot in _robots(shift.post.unit_id):
            delivery_robot_enqueue(robot=robot, kind=LIST_KIND, subject=_("Duty list"), body=text)
        posted += 1
    return posted


def duty_check(*, now: datetime.datetime | None = None) -> CheckResult:
    now = now or timezone.now()
    return CheckResult(
        gaps_alerted=coverage_alert_due(now=now),
        conflicts=conflicts_check(now=now),
        lists_posted=duty_lists_post_due(now=now),
    )
