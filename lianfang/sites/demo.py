"""The demo's disinfection (消杀), as seed 002 tells it: the office areas twice a day, the 13 heat stations'
control rooms twice a day with their duty rooms aired, the 12 communities' gates three times a day with
their lifts and waste points, the fleets' vehicles — a week of rounds, nearly all logged by the sites'
own people; two rounds left undone yesterday (overdue), one logged late, and the terminal disinfections
(终末消毒) the demo's cases opened: done the day after each case, except the heat station's latest,
still open past its deadline.

Rows are seeded directly (a week of rounds and records in a few inserts, not a service call each): the
plans are dated a week back, so the job's own ``slots_generate`` makes their rounds day by day, and the
records are written as the sites would have written them (the services' checks are what the tests are
for). The checkpoint persona logged their community's rounds of yesterday and today, the latest two
with a photo from "the phone".
"""

from __future__ import annotations

import datetime
import io
import random
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from lianfang.cases.models import Case
from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person
from lianfang.sites.choices import Area, Frequency, RoundKind
from lianfang.sites.defaults import ensure_default_disinfectants
from lianfang.sites.models import Disinfectant, DisinfectionLog, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.services.rounds import slots_generate

BACK = 6  # days of rounds before today

# (unit code, or a prefix ending in *, kind, area, which, disinfectant, times, weekdays or None for every
# day, minutes of ventilation)
CHLORINE, CHLORINE_1000, ALCOHOL, PERACETIC = "500 mg/L", "1000 mg/L", "75%", "0.2%"
PLANS: list[tuple[str, str, str, str, str | None, list[str], list[int] | None, int | None]] = [
    ("G-O01", RoundKind.DISINFECTION, Area.OFFICE, "机关办公楼各楼层", CHLORINE, ["10:00", "16:00"], None, None),
    (
        "G-O01",
        RoundKind.DISINFECTION,
        Area.LIFT,
        "1号、2号电梯按钮及扶手",
        ALCOHOL,
        ["09:00", "13:00", "17:00"],
        None,
        None,
    ),
    ("G-O01", RoundKind.DISINFECTION, Area.CANTEEN, "职工食堂（午餐后）", CHLORINE, ["13:30"], None, None),
    ("G-O01", RoundKind.VENTILATION, Area.OFFICE, "各办公室、会议室", None, ["09:30", "14:30"], None, 30),
    ("E01-O01", RoundKind.DISINFECTION, Area.OFFICE, "", CHLORINE, ["10:00", "16:00"], None, None),
    ("E01-O01", RoundKind.VENTILATION, Area.OFFICE, "", None, ["09:30", "14:30"], None, 30),
    (
        "E01-HS*",
        RoundKind.DISINFECTION,
        Area.CONTROL_ROOM,
        "控制室、换热机房",
        CHLORINE,
        ["10:00", "16:00"],
        None,
        None,
    ),
    ("E01-HS*", RoundKind.VENTILATION, Area.DUTY_ROOM, "", None, ["09:00", "15:00"], None, 30),
    (
        "E02-C*",
        RoundKind.DISINFECTION,
        Area.GATE,
        "小区出入口、岗亭",
        CHLORINE,
        ["08:00", "12:00", "18:00"],
        None,
        None,
    ),
    ("E02-C*", RoundKind.DISINFECTION, Area.LIFT, "各楼栋电梯按钮", ALCOHOL, ["10:00", "16:00"], None, None),
    ("E02-C*", RoundKind.DISINFECTION, Area.WASTE, "各楼栋垃圾桶站", CHLORINE_1000, ["17:00"], None, None),
    ("E03-F01", RoundKind.DISINFECTION, Area.VEHICLE, "勤务车辆（车内及门把手）", PERACETIC, ["18:00"], [0, 3], None),
    ("E06-F*", RoundKind.DISINFECTION, Area.VEHICLE, "公交车收车后车厢、扶手、座椅", CHLORINE, ["21:30"], None, None),
]

# Rounds nobody logged: (unit code, days back, deadline); and one logged after its deadline.
UNDONE = [("E01-HS05", 1, "16:00"), ("E02-C07", 1, "17:00")]
LATE = ("E01-HS09", 2, "10:00")
PERSONA_SITE = "E02-C01"  # the checkpoint persona's community


def _photo(rng: random.Random, label: str) -> ContentFile:
    """A small picture standing in for a phone's photo of the round (a coloured card, no one on it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (rng.randint(150, 220), rng.randint(170, 230), rng.randint(150, 210)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 450, 330), outline=(40, 90, 140), width=6)
    draw.text((50, 160), label, fill=(20, 40, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return ContentFile(out.getvalue(), name="photo.jpg")


def _units(code: str, units: dict[str, Unit]) -> list[Unit]:
    """The units a plan line is for: one by its code, or every unit whose code starts with the prefix."""
    if code.endswith("*"):
        return [units[c] for c in sorted(units) if c.startswith(code[:-1])]
    return [units[code]] if code in units else []


def _people_by_site(sites: list[Unit]) -> dict[int, list[Person]]:
    rows: dict[int, list[Person]] = {s.pk: [] for s in sites}
    for person in Person.objects.filter(unit__in=sites, employment_status=EmploymentStatus.ACTIVE).order_by("pk"):
        rows[person.unit_id].append(person)
    return rows


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    ensure_default_disinfectants()
    agents = {a.concentration: a for a in Disinfectant.objects.filter(is_active=True)}
    units = {u.code: u for u in Unit.objects.filter(path__startswith=group.path, is_active=True)}
    first = today - datetime.timedelta(days=BACK)
    planned_at = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min)) - datetime.timedelta(days=1)

    plans = []
    for code, kind, area, which, strength, times, weekdays, minutes in PLANS:
        for unit in _units(code, units):
            plans.append(
                DisinfectionPlan(
                    site=unit,
                    kind=kind,
                    area=area,
                    area_note=which,
                    agent=agents.get(strength) if strength else None,
                    min_minutes=minutes,
                    frequency=Frequency.WEEKLY if weekdays else Frequency.DAILY,
                    weekdays=weekdays or [],
                    times=times,
                    starts_on=first,
                    created_by=users["admin"],
                )
            )
    DisinfectionPlan.objects.bulk_create(plans)
    # As if the plans had been made the week before: the rounds of every day of the week are due.
    DisinfectionPlan.objects.filter(pk__in=[p.pk for p in plans]).update(created=planned_at, updated=planned_at)
    day = first
    while day <= today + datetime.timedelta(days=1):
        slots_generate(day=day)
        day += datetime.timedelta(days=1)

    now = timezone.now()
    sites = [units[c] for c in sorted({p.site.code for p in plans})]
    people = _people_by_site(sites)
    persona = Person.objects.filter(user=users.get("checkpoint")).first()
    undone = {(c, today - datetime.timedelta(days=n), t) for c, n, t in UNDONE}
    late = (LATE[0], today - datetime.timedelta(days=LATE[1]), LATE[2])
    logs = []
    photos = []
    slots = (
        DisinfectionSlot.objects.filter(site__in=sites, day__lte=today, due_at__lt=now - datetime.timedelta(minutes=20))
        .select_related("site", "agent")
        .order_by("due_at", "pk")
    )
    for slot in slots:
        key = (slot.site.code, slot.day, f"{timezone.localtime(slot.due_at):%H:%M}")
        if key in undone:
            continue
        minimum = slot.min_minutes if slot.kind == RoundKind.VENTILATION else slot.agent.contact_minutes
        took = (minimum or 1) + rng.randint(0, 12)
        # Finished 5 to 45 minutes before the deadline; the late one started after it.
        lead = took + rng.randint(5, 45) if key != late else -rng.randint(40, 70)
        started = slot.due_at - datetime.timedelta(minutes=lead)
        ended = started + datetime.timedelta(minutes=took)
        if ended > now:
            continue
        staff = people.get(slot.site_id) or []
        recent = slot.day >= today - datetime.timedelta(days=1)
        operator = persona if slot.site.code == PERSONA_SITE and persona and recent else None
        operator = operator or (rng.choice(staff) if staff else None)
        log = DisinfectionLog(
            slot=slot,
            site=slot.site,
            started_at=started,
            ended_at=ended,
            agent=slot.agent,
            concentration=slot.agent.concentration if slot.agent else "",
            operator=operator,
            operator_name=operator.name if operator else "保洁班组",
            note="晚于时限：上午检修后补做" if key == late else "",
            recorded_by=operator.user if operator and operator.user_id else None,
        )
        if operator is not None and operator == persona:
            photos.append(log)
        logs.append(log)
    for log in photos[-2:]:  # the persona's latest rounds, with a photo taken on the spot
        log.photo.save(
            "photo.jpg", _photo(rng, f"{log.slot.area_note} {timezone.localtime(log.ended_at):%H:%M}"), save=False
        )
    DisinfectionLog.objects.bulk_create(logs, batch_size=500)

    _terminal(rng, today, units, people, agents.get(CHLORINE_1000))


def _terminal(rng: random.Random, today: datetime.date, units: dict[str, Unit], people, agent) -> None:
    """The demo's cases opened a terminal disinfection at their units, the day each was confirmed (or
    found an asymptomatic infection): done the next morning, but the latest is still open."""
    positive = (
        Case.objects.filter(unit__in=list(units.values()))
        .exclude(confirmed_on__isnull=True, asymptomatic_on__isnull=True)
        .select_related("unit")
        .order_by("pk")
    )
    found = [(case, case.confirmed_on or case.asymptomatic_on) for case in positive]
    found = [(c, on) for c, on in found if on is not None]
    latest = max((on for _c, on in found), default=None)
    for case, on in found:
        if DisinfectionSlot.objects.filter(case=case, site_id=case.unit_id).exists():
            continue
        opened = timezone.make_aware(datetime.datetime.combine(on, datetime.time(11, 0)))
        slot = DisinfectionSlot.objects.create(
            site=case.unit,
            kind=RoundKind.TERMINAL,
            area=Area.WHOLE_SITE,
            agent=agent,
            day=on,
            due_at=opened + datetime.timedelta(hours=24),
            case=case,
        )
        DisinfectionSlot.objects.filter(pk=slot.pk).update(created=opened)
        if on == latest:
            continue  # still open: on the station's to-dos, the dashboard and the bulletin
        started = timezone.make_aware(datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time(8, 30)))
        staff = people.get(case.unit_id) or list(Person.objects.filter(unit=case.unit)[:3])
        operator = rng.choice(staff) if staff else None
        DisinfectionLog.objects.create(
            slot=slot,
            site=case.unit,
            started_at=started,
            ended_at=started + datetime.timedelta(minutes=(agent.contact_minutes if agent else 30) + 25),
            agent=agent,
            concentration=agent.concentration if agent else "",
            operator=operator,
            operator_name=operator.name if operator else "消杀专班",
            note="全场所喷洒擦拭，作用后通风",
        )
