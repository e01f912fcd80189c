"""The demo's duty, as a well-run group keeps it: the group duty room (集团总值班室, kept by the
security company as in seed 002; its post hangs on the group itself, the top level urgent matters
reach), the duty rooms of the heat, property and security companies, and the heat stations' day and
night shifts — rosters from three weeks back to the end of the month (ten days ahead at least, so
the coverage of the next seven days is whole) and a day's log.

* The rosters are drawn only from people who may be on duty on each day a shift touches — the check
  the services make (``unavailable``: a check-in guard such as red, yellow or isolation, leave, a
  check-in saying on leave) — and nobody is on two shifts at once or back on duty within 12 hours of
  a shift, as ``roster_generate`` rolls through a rota. A station keeps its own shifts only if enough
  of its people are at work (东风大街热力站, where the cases are, does not).
* Every shift that has ended was handed over and accepted, but for two: 西岳路热力站's last shift
  is handed over (the duty phone faulty) and waits for the crew on duty now, and at 乐天大街热力站
  one night four days ago nobody handed over.
* One conflict the unit must fix: an officer of 站北路热力站 went on sick leave and is still on the
  roster for his next shift (the duty check run at the end records it and tells the liaison).
* One night next week at 解放路热力站 has no leader on duty: a shift leader is on annual leave and
  nobody has been named yet (the coverage page shows the gap).
* The group duty room's log of its last full day, handed over and accepted; a swap waiting for
  approval.

Rows are seeded directly (a month of shifts and their handovers in a few inserts, not a service call
each, so the demo loads in seconds); eligibility is the services' own check, asked once for everyone
and every day, and the services' checks are what the tests are for.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from lianfang.duty.choices import EntryKind, HandoverStatus, MemberRole, Pattern, PhoneCheck, SwapStatus
from lianfang.duty.models import DutyPost, Handover, Leave, LogEntry, Shift, ShiftMember, Swap
from lianfang.duty.services.base import shift_days, unavailable
from lianfang.duty.services.coverage import duty_check
from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

BACK, AHEAD = 21, 10
REST = datetime.timedelta(hours=12)  # nobody is back on duty sooner after a shift
STATIONS = 13
MIN_STATION_STAFF = 6  # at work today: enough for a station to keep its own day and night shifts
PENDING_STATION = "E01-HS04"  # 西岳路: its last shift handed over, not accepted yet
SICK_STATION = "E01-HS03"  # 站北路: an officer on sick leave, still on the roster (the one conflict)
MISSED_STATION = "E01-HS05"  # 乐天大街: a night four days ago that nobody handed over
GAP_STATION = "E01-HS07"  # 解放路: one night next week without a leader on duty
_PERSONAS_OFF_ROSTER = ("admin", "leader", "liaison", "checkpoint", "inspector", "epi", "keeper", "employee")

LOG = [
    (8, 35, EntryKind.EVENT, "", "交接班完毕，值班电话、传真、值班手机测试正常。", ""),
    (
        9,
        10,
        EntryKind.INSTRUCTION,
        "各成员单位值班室",
        "转发市防控指挥部关于加强节日期间值班值守的通知。",
        "已在值班群发布，要求各单位 12:00 前回复收到。",
    ),
    (
        11,
        50,
        EntryKind.CALL_IN,
        "热力公司值班室",
        "报告：东风大街热力站夜班测温枪电池不足。",
        "已协调金盾护卫库房调拨 10 节电池，14:00 前送达。",
    ),
    (14, 20, EntryKind.CALL_OUT, "金苑物业值班室", "询问胜利新村卡口人员到岗情况。", "已到岗 4 人，正常。"),
    (16, 5, EntryKind.REPORT, "市防控指挥部", "报送集团当日疫情防控日报。", "已通过政务邮箱报送，电话确认收到。"),
    (21, 30, EntryKind.EVENT, "", "夜间巡查集团机关大楼，门岗扫码测温正常。", ""),
    (
        23,
        45,
        EntryKind.CALL_IN,
        "公交公司调度",
        "报告一名驾驶员发热 37.6℃，已停止出车。",
        "已告知其按要求就医，请公交公司次日上报结果。",
    ),
]


def _pool(unit: Unit) -> list[Person]:
    # The demo's personas with their own jobs (the employee, the keeper, the case manager…) are kept off
    # the rosters, so each signs in to the pages of their role; the duty officer persona is rostered.
    return list(
        Person.objects.filter(unit__path__startswith=unit.path, employment_status=EmploymentStatus.ACTIVE)
        .exclude(user__username__in=_PERSONAS_OFF_ROSTER)
        .order_by("pk")
    )


Busy = dict[int, list[tuple[datetime.datetime, datetime.datetime]]]
Blocked = set[tuple[int, datetime.date]]


class _Rota:
    """Round robin through people, passing over whoever cannot take the shift: the services' check
    said no for a day it touches, or they are on duty (or resting from duty) at that time."""

    def __init__(self, people: list[Person], blocked: Blocked, busy: Busy) -> None:
        self.people, self.blocked, self.busy = people, blocked, busy
        self.next = 0

    def fits(self, person: Person, start: datetime.datetime, end: datetime.datetime) -> bool:
        if any((person.pk, day) in self.blocked for day in shift_days(start, end)):
            return False
        return not any(s < end + REST and e > start - REST for s, e in self.busy.get(person.pk, ()))

    def take(self, start: datetime.datetime, end: datetime.datetime) -> Person | None:
        for _step in range(len(self.people)):
            person = self.people[self.next % len(self.people)]
            self.next += 1
            if self.fits(person, start, end):
                self.busy.setdefault(person.pk, []).append((start, end))
                return person
        return None


@dataclass
class _Roster:
    post: DutyPost
    leaders: list[Person]
    officers: list[Person]
    no_leader_at: datetime.datetime | None = None


def _times(post: DutyPost, first: datetime.date, days: int) -> list[tuple[datetime.datetime, datetime.datetime]]:
    tz = timezone.get_current_timezone()
    starts = post.shift_starts()
    out = []
    for d in range(days):
        day = first + datetime.timedelta(days=d)
        for i, at in enumerate(starts):
            end_day, end_at = (
                (day, starts[i + 1]) if i + 1 < len(starts) else (day + datetime.timedelta(days=1), starts[0])
            )
            out.append(
                (datetime.datetime.combine(day, at, tzinfo=tz), datetime.datetime.combine(end_day, end_at, tzinfo=tz))
            )
    return out


def _blocked(people: list[Person], first: datetime.date, days: int) -> Blocked:
    """(person, day) pairs on which the services' check says the person may not be on duty, asked once
    for everyone and every day a shift of the month touches."""
    every_day = [first + datetime.timedelta(days=n) for n in range(days + 1)]
    return {(u.person.pk, u.day) for u in unavailable(people, every_day)}


def _ranked(pool: list[Person], blocked: Blocked) -> list[Person]:
    """The unit's people, those who may work the most days of the month first: a unit names its shift
    leaders among the people at work, not among those in isolation all month."""
    away: dict[int, int] = {}
    for pk, _day in blocked:
        away[pk] = away.get(pk, 0) + 1
    return sorted(pool, key=lambda p: away.get(p.pk, 0))


def _draw(rosters: list[_Roster], first: datetime.date, days: int, blocked: Blocked) -> dict[int, list[Shift]]:
    """Every post's shifts with their people, drawn from each day's eligible people, in two inserts."""
    busy: Busy = {}
    shifts: list[Shift] = []
    crews: list[list[tuple[Person, str]]] = []
    for roster in rosters:
        leaders, officers = _Rota(roster.leaders, blocked, busy), _Rota(roster.officers, blocked, busy)
        for start, end in _times(roster.post, first, days):
            crew = []
            leader = None if start == roster.no_leader_at else leaders.take(start, end)
            if leader is not None:
                crew.append((leader, MemberRole.LEADER))
            officer = officers.take(start, end)
            if officer is not None:
                crew.append((officer, MemberRole.OFFICER))
            if crew:  # a shift nobody can take is not made, as roster_generate does: the gap shows
                shifts.append(Shift(post=roster.post, starts_at=start, ends_at=end))
                crews.append(crew)
    Shift.objects.bulk_create(shifts, batch_size=500)  # SQLite and PostgreSQL both return the pks
    ShiftMember.objects.bulk_create(
        [ShiftMember(shift=s, person=p, role=r) for s, crew in zip(shifts, crews, strict=True) for p, r in crew],
        batch_size=1000,
    )
    by_post: dict[int, list[Shift]] = {}
    for shift in shifts:
        by_post.setdefault(shift.post_id, []).append(shift)
    return by_post


def _following(shifts: list[Shift], shift: Shift) -> Shift | None:
    return next((s for s in shifts if s.starts_at == shift.ends_at), None)


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    by_code = {u.code: u for u in Unit.objects.filter(code__in=["E01", "E02", "E03", "E03-O01"])}
    if len(by_code) < 4:
        return
    now = timezone.now()
    tz = timezone.get_current_timezone()
    first = today - datetime.timedelta(days=BACK)
    # Each month's roster is drawn up whole (月值班表), and the next one before the last week runs out.
    month_end = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    days = (max(today + datetime.timedelta(days=AHEAD), month_end) - first).days + 1
    admin = users["admin"]
    duty_user = users.get("duty") or admin
    liaison = users.get("liaison") or admin
    duty_person = Person.objects.filter(user=users.get("duty")).first()

    # The group duty room: officers from the security company's duty room, leaders from the group's offices.
    group_post = DutyPost.objects.create(
        unit=group,
        name="集团总值班室（设在金盾护卫）",
        phone="0913-2101234",
        day_starts=datetime.time(8, 30),
        post_duty_list=True,
    )
    room = _pool(by_code["E03-O01"])
    head_office = list(
        Person.objects.filter(
            unit__depth=2, unit__code__startswith="G-", employment_status=EmploymentStatus.ACTIVE
        ).order_by("pk")[:6]
    )
    officers = ([duty_person] if duty_person else []) + [
        p for p in room + _pool(by_code["E03"])[:6] if p != duty_person
    ]
    # Who records each post's handovers: the demo's duty officers have no logins of their own, so the
    # persona who keeps the post's log stands in for them (the office accepts).
    keeper = {group_post.pk: duty_user}

    # The companies' duty rooms, and the heat stations' day and night shifts.
    posts, stations, pools = {}, {}, {}
    for code, name, phone in (
        ("E01", "热力公司值班室", "0913-2102001"),
        ("E02", "金苑物业值班室", "0913-2102002"),
        ("E03", "金盾护卫值班室", "0913-2102003"),
    ):
        unit = by_code[code]
        posts[code] = DutyPost.objects.create(unit=unit, name=name, phone=phone)
        keeper[posts[code].pk] = {"E01": liaison, "E03": duty_user}.get(code)
        pools[posts[code].pk] = [p for p in _pool(unit) if p not in officers[:6] and p not in head_office][:20]
    station_pools = {
        station: _pool(station)
        for station in Unit.objects.filter(code__startswith="E01-HS", is_active=True).order_by("code")[:STATIONS]
    }
    blocked = _blocked(
        list(
            {
                p.pk: p
                for p in [
                    *head_office,
                    *officers[:6],
                    *(p for pool in [*pools.values(), *station_pools.values()] for p in pool),
                ]
            }.values()
        ),
        first,
        days,
    )
    for station, pool in station_pools.items():
        # A station keeps its own day and night shifts when enough of its people are at work today;
        # 东风大街热力站, where the cases are, has most of its staff isolated: the heat company's duty
        # room answers for it.
        if sum((p.pk, today) not in blocked for p in pool) < MIN_STATION_STAFF:
            continue
        stations[station.code] = post = DutyPost.objects.create(
            unit=station,
            phone=f"0913-22{station.code[-2:]}000",
            pattern=Pattern.DAY_NIGHT,
            day_starts=datetime.time(8),
            night_starts=datetime.time(20),
        )
        keeper[post.pk] = liaison
        pools[post.pk] = pool

    rosters = [_Roster(group_post, head_office or officers[:3], officers[:6])]
    for post in [*posts.values(), *stations.values()]:
        pool = _ranked(pools[post.pk], blocked)
        # A company room: four leaders and six officers in turn; a station: four shift leaders and
        # six operators.
        roster = _Roster(post, pool[:4], pool[4:10])
        if post.unit.code == GAP_STATION:
            # A shift leader takes annual leave next week, and that night has no leader yet.
            night = today + datetime.timedelta(days=4)
            leave = Leave.objects.create(
                person=pool[0],
                starts_on=night,
                ends_on=night + datetime.timedelta(days=1),
                reason="年休假",
                created_by=liaison,
            )
            blocked |= {(leave.person_id, leave.starts_on), (leave.person_id, leave.ends_on)}
            roster.no_leader_at = datetime.datetime.combine(night, datetime.time(20), tzinfo=tz)
        rosters.append(roster)

    shifts = _draw(rosters, first, days, blocked)
    group_shifts = shifts[group_post.pk]

    # An officer of 站北路热力站 went on sick leave after the roster was drawn: still on his next
    # shift, the one conflict the station must fix (the check below records it and tells the liaison).
    sick_post = stations.get(SICK_STATION)
    upcoming = next((s for s in shifts.get(sick_post.pk, []) if s.starts_at > now), None) if sick_post else None
    sick = (
        ShiftMember.objects.filter(shift=upcoming, role=MemberRole.OFFICER).select_related("person").first()
        if upcoming
        else None
    )
    if sick is not None:
        Leave.objects.create(
            person=sick.person,
            starts_on=timezone.localdate(upcoming.starts_at),
            ends_on=timezone.localdate(upcoming.starts_at) + datetime.timedelta(days=1),
            reason="病假，发热就医",
            created_by=liaison,
        )

    # The group duty room's last full day: its log, handed over at the end and accepted.
    done = max((s for s in group_shifts if s.ends_at <= now), key=lambda s: s.ends_at)
    day = timezone.localdate(done.starts_at)
    recorder = ShiftMember.objects.filter(shift=done, role=MemberRole.OFFICER).select_related("person").first()
    current = _following(group_shifts, done)
    entries = [
        LogEntry(
            post=group_post,
            shift=done,
            at=datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz),
            kind=kind,
            counterpart=who,
            content=what,
            action=action,
            recorded_by=duty_user,
            recorded_by_person=recorder.person if recorder else None,
        )
        for hour, minute, kind, who, what, action in LOG
    ]
    if current is not None:  # the shift on duty now took over, and says so first
        on_now = ShiftMember.objects.filter(shift=current, role=MemberRole.OFFICER).select_related("person").first()
        entries.append(
            LogEntry(
                post=group_post,
                shift=current,
                at=min(current.starts_at + datetime.timedelta(minutes=5), now),
                kind=EntryKind.EVENT,
                content="交接班完毕，接收昨日待办 2 项，值班电话、传真测试正常。",
                recorded_by=duty_user,
                recorded_by_person=on_now.person if on_now else None,
            )
        )
    LogEntry.objects.bulk_create(entries)
    handovers = [
        Handover(
            shift=done,
            next_shift=current,
            open_items="1. 公交公司发热驾驶员就医结果待次日上报；\n2. 东风大街热力站电池调拨待确认送达。",
            phone_check=PhoneCheck.OK,
            handed_by=duty_user,
            handed_at=done.ends_at - datetime.timedelta(minutes=10),
            status=HandoverStatus.ACCEPTED,
            received_by=admin,
            received_at=done.ends_at,
        )
    ]
    # 西岳路热力站's last shift to end was handed over; the crew on duty now has not accepted it yet.
    pending_post = stations.get(PENDING_STATION)
    pending_shifts = shifts.get(pending_post.pk, []) if pending_post else []
    last = max((s for s in pending_shifts if s.ends_at <= now), key=lambda s: s.ends_at, default=None)
    if last is not None:
        handovers.append(
            Handover(
                shift=last,
                next_shift=_following(pending_shifts, last),
                open_items="2 号换热机组循环泵异响，已报生产运行部，待检修人员到场。",
                phone_check=PhoneCheck.FAULT,
                phone_note="值班手机电池鼓包，已申请更换。",
                handed_by=liaison,
                handed_at=last.ends_at - datetime.timedelta(minutes=5),
            )
        )
    # 乐天大街热力站's night shift four days ago was never handed over (the coverage page lists it).
    missed_post = stations.get(MISSED_STATION)
    missed_start = datetime.datetime.combine(today - datetime.timedelta(days=4), datetime.time(20), tzinfo=tz)
    special = {h.shift.pk for h in handovers} | {
        s.pk for s in shifts.get(missed_post.pk if missed_post else 0, []) if s.starts_at == missed_start
    }
    # Every other shift that has ended: handed over at its end, the duty phone checked, accepted.
    for post_shifts in shifts.values():
        for n, shift in enumerate(post_shifts):
            if shift.ends_at > now or shift.pk in special:
                continue
            handovers.append(
                Handover(
                    shift=shift,
                    next_shift=post_shifts[n + 1] if n + 1 < len(post_shifts) else None,
                    phone_check=PhoneCheck.OK,
                    handed_by=keeper.get(shift.post_id),
                    handed_at=shift.ends_at - datetime.timedelta(minutes=5 + n % 11),
                    status=HandoverStatus.ACCEPTED,
                    received_by=admin,
                    received_at=min(shift.ends_at + datetime.timedelta(minutes=2 + n % 9), now),
                )
            )
    Handover.objects.bulk_create(handovers, batch_size=500)

    # A swap three days ahead, accepted by the replacement, waits for approval (the office may approve
    # at any step; an overall duty leader, 总带班领导, is a role the office grants in Manage → roles).
    ahead = next(
        (s for s in group_shifts if timezone.localdate(s.starts_at) == today + datetime.timedelta(days=3)), None
    )
    member = (
        ShiftMember.objects.filter(shift=ahead, role=MemberRole.OFFICER).select_related("person").first()
        if ahead
        else None
    )
    if member is not None:
        near = set(
            ShiftMember.objects.filter(
                shift__starts_at__lt=ahead.ends_at + REST, shift__ends_at__gt=ahead.starts_at - REST
            ).values_list("person_id", flat=True)
        )
        away = {u.person.pk for u in unavailable(officers[6:] + room, shift_days(ahead.starts_at, ahead.ends_at))}
        spare = next((p for p in officers[6:] + room if p.pk not in near and p.pk not in away), None)
        if spare is not None:
            Swap.objects.create(
                shift=ahead,
                person=member.person,
                replacement=spare,
                reason="孩子学校家长会",
                status=SwapStatus.ACCEPTED,
                requested_by=member.person.user or admin,
                accepted_at=now,
            )

    # The periodic duty check runs once now, as it would within five minutes of the load: the sick
    # officer's conflict is on the coverage page and in the liaison's inbox from the first page.
    with translation.override(settings.LANGUAGE_CODE):
        duty_check(now=now)
