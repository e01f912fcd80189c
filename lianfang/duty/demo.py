"""The demo's duty: the group duty room (集团总值班室, kept by the security company as in seed 002; its
post hangs on the group itself, the top level urgent matters reach), the duty rooms of the heat,
property and security companies, and the heat stations' day and night shifts — a month of rosters
(three weeks back, ten days ahead), yesterday's duty log with its handover accepted, one handover
still waiting, a swap waiting for approval, and one night next week nobody leads
(the coverage page shows it).

Rows are seeded directly (a month of shifts in a few inserts, not a service call each): the demo
people are eligible by construction, and the services' checks are what the tests are for.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from lianfang.duty.choices import EntryKind, HandoverStatus, MemberRole, Pattern, PhoneCheck, SwapStatus
from lianfang.duty.models import DutyPost, Handover, LogEntry, Shift, ShiftMember, Swap
from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

BACK, AHEAD = 21, 10
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
        "报告：东风路热力站夜班测温枪电池不足。",
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


def _roster(
    post: DutyPost, leaders: list[Person], officers: list[Person], first: datetime.date, days: int, gap_on=None
):
    tz = timezone.get_current_timezone()
    shifts, members = [], []
    n = 0
    for d in range(days):
        day = first + datetime.timedelta(days=d)
        starts = post.shift_starts()
        for i, at in enumerate(starts):
            start = datetime.datetime.combine(day, at, tzinfo=tz)
            end = (
                datetime.datetime.combine(day, starts[i + 1], tzinfo=tz)
                if i + 1 < len(starts)
                else datetime.datetime.combine(day + datetime.timedelta(days=1), starts[0], tzinfo=tz)
            )
            shift = Shift(post=post, starts_at=start, ends_at=end)
            shifts.append(shift)
            crew = [] if gap_on == (day, i) else [(leaders[n % len(leaders)], MemberRole.LEADER)]
            crew.append((officers[n % len(officers)], MemberRole.OFFICER))
            members.append(crew)
            n += 1
    Shift.objects.bulk_create(shifts)
    saved = list(Shift.objects.filter(post=post).order_by("starts_at"))
    ShiftMember.objects.bulk_create(
        [ShiftMember(shift=s, person=p, role=r) for s, crew in zip(saved, members, strict=True) for p, r in crew]
    )
    return saved


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    by_code = {u.code: u for u in Unit.objects.filter(code__in=["E01", "E02", "E03", "E03-O01"])}
    if len(by_code) < 4:
        return
    first = today - datetime.timedelta(days=BACK)
    days = BACK + AHEAD + 1
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
    head_office = [
        p
        for p in Person.objects.filter(
            unit__depth=2, unit__code__startswith="G-", employment_status=EmploymentStatus.ACTIVE
        ).order_by("pk")[:6]
    ]
    officers = ([duty_person] if duty_person else []) + [
        p for p in room + _pool(by_code["E03"])[:6] if p != duty_person
    ]
    group_shifts = _roster(group_post, head_office or officers[:3], officers[:6], first, days)

    # The companies' duty rooms; the property company has no leader one night next week.
    posts = {}
    for code, name, phone in (
        ("E01", "热力公司值班室", "0913-2102001"),
        ("E02", "金苑物业值班室", "0913-2102002"),
        ("E03", "金盾护卫值班室", "0913-2102003"),
    ):
        unit = by_code[code]
        posts[code] = DutyPost.objects.create(unit=unit, name=name, phone=phone)
        pool = [p for p in _pool(unit) if p not in officers[:6] and p not in head_office]
        leaders, crew = pool[:4], pool[4:10]
        if len(leaders) < 2 or len(crew) < 2:
            continue
        gap = (today + datetime.timedelta(days=4), 0) if code == "E02" else None
        _roster(posts[code], leaders, crew, first, days, gap_on=gap)

    # Heat stations with enough staff keep day and night shifts.
    for station in Unit.objects.filter(code__startswith="E01-HS", is_active=True).order_by("code")[:13]:
        pool = _pool(station)
        if len(pool) < 3:
            continue
        post = DutyPost.objects.create(
            unit=station,
            phone=f"0913-22{station.code[-2:]}000",
            pattern=Pattern.DAY_NIGHT,
            day_starts=datetime.time(8),
            night_starts=datetime.time(20),
        )
        _roster(post, pool[:1] + pool[2:3], pool[1:2] + pool[3:4] if len(pool) > 3 else pool[1:2], first, days)

    # Yesterday's log of the group duty room, handed over this morning and accepted.
    tz = timezone.get_current_timezone()
    yesterday = today - datetime.timedelta(days=1)
    shift = next(s for s in group_shifts if timezone.localdate(s.starts_at) == yesterday)
    nxt = next(s for s in group_shifts if s.starts_at == shift.ends_at)
    admin = users["admin"]
    duty_user = users.get("duty") or admin
    recorder = ShiftMember.objects.filter(shift=shift, role=MemberRole.OFFICER).select_related("person").first()
    entries = []
    for hour, minute, kind, who, what, done in LOG:
        at = datetime.datetime.combine(yesterday, datetime.time(hour, minute), tzinfo=tz)
        entries.append(
            LogEntry(
                post=group_post,
                shift=shift,
                at=at,
                kind=kind,
                counterpart=who,
                content=what,
                action=done,
                recorded_by=duty_user,
                recorded_by_person=recorder.person if recorder else None,
            )
        )
    LogEntry.objects.bulk_create(entries)
    Handover.objects.create(
        shift=shift,
        next_shift=nxt,
        open_items="1. 公交公司发热驾驶员就医结果待次日上报；\n2. 东风路热力站电池调拨待确认送达。",
        phone_check=PhoneCheck.OK,
        handed_by=duty_user,
        handed_at=shift.ends_at - datetime.timedelta(minutes=10),
        status=HandoverStatus.ACCEPTED,
        received_by=admin,
        received_at=shift.ends_at,
    )
    # The heat company's duty room handed over this morning; the incoming officer has not accepted yet.
    heat_shift = Shift.objects.filter(post=posts["E01"], ends_at__lte=timezone.now()).order_by("-ends_at").first()
    if heat_shift is not None:
        Handover.objects.create(
            shift=heat_shift,
            next_shift=Shift.objects.filter(post=posts["E01"], starts_at=heat_shift.ends_at).first(),
            open_items="生产运行部请示的夜班两班轮换方案待领导批复。",
            phone_check=PhoneCheck.FAULT,
            phone_note="值班手机电池鼓包，已申请更换。",
            handed_by=users.get("liaison") or admin,
            handed_at=heat_shift.ends_at,
        )

    # A swap three days ahead, accepted by the replacement, waits for approval (the office may approve
    # at any step; an overall duty leader, 总带班领导, is a role the office grants in Manage → roles).
    ahead = [s for s in group_shifts if timezone.localdate(s.starts_at) == today + datetime.timedelta(days=3)]
    if ahead:
        member = ShiftMember.objects.filter(shift=ahead[0], role=MemberRole.OFFICER).select_related("person").first()
        spare = next((p for p in officers[6:] + room if member and p.pk != member.person_id), None)
        if member and spare:
            Swap.objects.create(
                shift=ahead[0],
                person=member.person,
                replacement=spare,
                reason="孩子学校家长会",
                status=SwapStatus.ACCEPTED,
                requested_by=member.person.user or admin,
                accepted_at=timezone.now(),
            )
