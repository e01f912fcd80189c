"""The demo group's daily life: two weeks of check-ins, unit reports, raised items, a bulletin, inbox.

Called by :func:`lianfang.demo.loader.load` after the tree and the people exist, inside the same
transaction and request id, so ``bin/demo`` opens on a group that has been working for a while
rather than on empty dashboards:

* check-ins for the last :data:`DAYS` days (today included) of every active person: most check in
  every day (1–3 % miss a past day), a handful of fevers and flagged answers a day, today only
  about 70 %, so the completion and non-reporter pages are interesting at any time of day. The
  employee persona checked in yesterday but not yet today (the one-tap "same as yesterday");
* ``UnitDayStat`` rows for every active unit and day: ``expected`` is the unit's active headcount,
  the counts are computed from the check-ins inserted here, so they equal a recount;
* the subsidiaries' daily reports (the reporting tier) for the past 13 days and half of today's,
  with counts from :func:`lianfang.core.extensions.feed_counts` (the service's own prefill) and Chinese
  narratives drawn from the seeds; problems and needs become raised items, some routed to a group
  department, one resolved;
* yesterday's group bulletin, built and published by the admin persona through the bulletin
  services (today's draft is left for the office to build);
* a few inbox messages through :func:`lianfang.notify.services.message_send`.

Check-ins, day counts and reports are bulk inserted (:func:`lianfang.core.bulk.fast_insert`): the
services write one row at a time with their checks, which would take the demo load from about a
second to minutes. The generator makes only values the services would accept. Reports and raised
items get change-log rows, by the liaison who submitted them (the heat company's liaison persona;
for the other enterprises a liaison account without a password, so only the personas log in); the
26,000 check-ins do not, like an import of history.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from lianfang.core.audit import record_changes
from lianfang.core.bulk import fast_insert
from lianfang.core.extensions import feed_counts, zero_report_keys
from lianfang.core.models import ChangeAction
from lianfang.health import divisions
from lianfang.health.choices import CheckInSource, Symptom, WorkMode
from lianfang.health.models import CheckIn, Question, QuestionVersion, UnitDayStat
from lianfang.health.services.checkins import flag_reasons_for
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.services import role_assign
from lianfang.people.choices import Category, EmploymentStatus, Whereabouts
from lianfang.people.models import Person
from lianfang.reporting.choices import FieldKind, RaisedKind, RaisedStatus, ReportStatus
from lianfang.reporting.models import RaisedItem, UnitDailyReport
from lianfang.reporting.selectors.reports import report_deadline_at, report_fields, reporting_units
from lianfang.reporting.services import bulletins as bulletin_services

DAYS = 14  # of check-ins, today included; reports for the 13 days before today and today
TODAY_SHARE = 0.70  # of people who have checked in today when the demo loads

# The demo city's check-in locations: 渭南市 (Shaanxi) and its districts, the busiest first.
CITY_CODE = "6105"
LOCAL_DISTRICTS = (
    ("610502", 60),  # 临渭区, where the group and most of its sites are
    ("610503", 10),  # 华州区
    ("610523", 8),  # 大荔县
    ("610528", 7),  # 富平县
    ("610526", 5),  # 蒲城县
    ("610581", 4),  # 韩城市
    ("610582", 3),  # 华阴市
    ("610522", 3),  # 潼关县
)
# Where people not yet back in the city check in from (seed 004's "not yet returned").
AWAY_DISTRICTS = ("420106", "410105", "440304", "330302", "510107", "430102", "110105", "310115")

FRONT_LINE_KINDS = {"heat-station", "community", "market", "fleet", "site"}

# Narratives of the unit reports, drawn from the seeds (000 CITIC Wuhan, 002 Weinan, 003, 004 Wenzhou).
PROBLEMS = (
    "口罩储备仅够3天，供应商到货时间推迟",
    "部分返岗人员健康码尚未转绿，无法按时上岗",
    "热力站夜班人员紧张，两班轮换压力大",
    "小区卡口志愿者不足，夜间值守困难",
    "额温枪故障2支，备用不足",
    "外地货车司机核酸证明查验难度大",
    "公交车厢消毒频次增加后，司乘人员工作量明显加大",
    "景区预约系统承载不足，高峰时段排队聚集",
)
NEEDS = (
    "需协调医用酒精200斤",
    "需N95口罩500只",
    "需84消毒液20箱",
    "需额温枪10支",
    "需医用防护服50套",
    "需一次性手套2000副",
    "需临时隔离观察用帐篷2顶",
)
PRACTICES = (
    "热力站实行两班轮换，减少人员交叉",
    "小区卡口扫码测温登记，外来人员一律登记核验",
    "公交车辆每趟次到达终点站后消毒并登记",
    "员工食堂分餐错峰就餐，餐桌加装隔板",
    "营业网点每两小时消毒一次，现金消毒后再发放",
    "农贸市场单向通行、限流入场，摊位间隔一米以上",
    "宾馆设立临时隔离观察间，专人负责",
    "返岗人员建立“一人一档”健康台账",
    "押运车辆每班次出车前后全面消杀",
)
IMPACTS = (
    "客流下降约四成，营业收入减少",
    "工程项目复工推迟一周，正在重排工期",
    "供热生产正常，未受影响",
    "运输量下降约三成，冷链业务暂停",
    "窗口业务改为线上预约，办理量基本稳定",
)
RESOLUTION = "集团疫情防控办公室已从应急物资储备中调拨医用酒精200斤，当日送达。"
BULLETIN_SUMMARY = (
    "全集团打卡完成率保持在97%以上，个别发热人员已按规定就医复查；各企业日报按时报送，物资需求已转集团相关部门协调。"
)

# Raised items are routed to these group departments (codes of lianfang.demo.loader.GROUP_DEPARTMENTS).
ROUTE_TO = ("G-D02", "G-D01", "G-D04")


@dataclass
class DailySummary:
    checkins: int = 0
    reports: int = 0
    raised: int = 0
    messages: int = 0


@dataclass
class _Person:
    pk: int
    unit_id: int
    user_id: int | None
    category: str
    whereabouts: str
    front_line: bool
    district: str
    base: float  # the person's usual temperature
    mode: str
    doses: str


def _at(day: datetime.date, hour: int, minute: int, now: datetime.datetime) -> datetime.datetime:
    """An aware local time of ``day``; a time still to come today is moved back into the hours already
    gone (a demo loaded at 08:30 has its 10:00 entries spread over the early morning, none later than now)."""
    tz = timezone.get_default_timezone()
    moment = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)
    if moment < now:
        return moment
    start = datetime.datetime.combine(day, datetime.time(6, 0), tzinfo=tz)
    elapsed = max((now - start).total_seconds(), 60.0)
    # The same hour and minute always land on the same moment: deterministic, and in order.
    fraction = (hour * 60 + minute) / (24 * 60)
    return max(start, now - datetime.timedelta(seconds=elapsed * (1 - fraction) + 30))


def load_daily(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> DailySummary:
    """Create the demo's last two weeks under ``group`` (see the module docstring)."""
    now = timezone.now()
    summary = DailySummary()
    units = {u.pk: u for u in Unit.objects.filter(path__startswith=group.path).select_related("kind")}
    people = _people(rng, units)
    employee_pk = Person.objects.get(user=users["employee"]).pk
    checkins = _checkins(rng, today, now, people, units, users, employee_pk)
    fast_insert(CheckIn, checkins)
    summary.checkins = len(checkins)
    _day_stats(today, people, units, checkins)
    summary.reports, summary.raised = _reports(rng, today, now, users, group)
    summary.messages = _messages(today, users, units)
    return summary


def publish_yesterday_bulletin(*, today: datetime.date, users: dict) -> None:
    """Yesterday's group bulletin, built and published by the admin persona. Called once every app's
    demo has loaded, so its cards (cases, duty, urgent matters) count what the demo holds."""
    yesterday = today - datetime.timedelta(days=1)
    admin = users["admin"]
    draft = bulletin_services.bulletin_build(actor=admin, day=yesterday)
    draft = bulletin_services.bulletin_update_summary(actor=admin, bulletin=draft, summary=BULLETIN_SUMMARY)
    bulletin_services.bulletin_publish(actor=admin, bulletin=draft)
    # Yesterday's history: built at the bulletin time and published half an hour later, not at the load.
    built = datetime.datetime.combine(
        yesterday, GroupSettings.load().bulletin_time, tzinfo=timezone.get_default_timezone()
    )
    type(draft).objects.filter(pk=draft.pk).update(built_at=built, published_at=built + datetime.timedelta(minutes=35))


# --- people and their check-ins -------------------------------------------------------------------


def _people(rng: random.Random, units: dict[int, Unit]) -> list[_Person]:
    districts, weights = zip(*LOCAL_DISTRICTS, strict=True)
    out = []
    rows = (
        Person.objects.filter(unit_id__in=units, employment_status=EmploymentStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "unit_id", "user_id", "category", "whereabouts")
    )
    for pk, unit_id, user_id, category, whereabouts in rows:
        front_line = units[unit_id].kind.code in FRONT_LINE_KINDS
        away = whereabouts == Whereabouts.NOT_RETURNED
        if away:
            mode = WorkMode.REMOTE if rng.random() < 0.6 else WorkMode.ON_LEAVE
        elif category == Category.FAMILY or (not front_line and rng.random() < 0.15):
            mode = WorkMode.REMOTE
        else:
            mode = WorkMode.ON_SITE
        out.append(
            _Person(
                pk=pk,
                unit_id=unit_id,
                user_id=user_id,
                category=category,
                whereabouts=whereabouts,
                front_line=front_line,
                district=rng.choice(AWAY_DISTRICTS) if away else rng.choices(districts, weights)[0],
                base=rng.uniform(36.2, 36.7),
                mode=mode,
                doses=rng.choices(("3", "2", "4", "1", "0"), (70, 15, 8, 4, 3))[0],
            )
        )
    return out


def _versions() -> dict[str, QuestionVersion]:
    questions = Question.objects.filter(is_active=True, current__isnull=False).select_related(
        "current", "current__question"
    )
    return {q.code: q.current for q in questions if q.current is not None}


def _answers(
    rng: random.Random, versions: dict[str, QuestionVersion], p: _Person, day: datetime.date, risk: str
) -> dict[str, Any]:
    """Mostly "no" and green; ``risk`` names the seed question answered with a flagged value."""
    answers: dict[str, Any] = {}

    def put(code: str, value: Any) -> None:
        if code in versions:
            answers[str(versions[code].pk)] = value

    put("travel-risk-area", "yes" if risk == "travel-risk-area" else "no")
    put("contact-case", "yes" if risk == "contact-case" else "no")
    put("health-code", "yellow" if risk == "health-code" else "green")
    put("vaccine-doses", p.doses)
    if p.pk % 4 != 0:  # most people note their latest test: a weekly one, on their weekday
        tested = day - datetime.timedelta(days=(day.toordinal() - p.pk) % 7)
        put("nat-date", tested.isoformat())
        put("nat-result", "pending" if tested == day else "negative")
    return answers


def _checkins(
    rng: random.Random,
    today: datetime.date,
    now: datetime.datetime,
    people: list[_Person],
    units: dict[int, Unit],
    users: dict[str, Any],
    employee_pk: int,
) -> list[CheckIn]:
    settings = GroupSettings.load()
    versions = _versions()
    all_versions = list(versions.values())
    liaison, duty = users["liaison"].pk, users["duty"].pk
    heat_company = next(u.path for u in units.values() if u.code == "E01")
    security = next(u.path for u in units.values() if u.code == "E03")
    names = {code: divisions.full_name(code) for code in {p.district for p in people}}
    out: list[CheckIn] = []
    previous: dict[int, CheckIn] = {}
    heat_people = [p for p in people if units[p.unit_id].path.startswith(heat_company) and p.pk != employee_pk]
    for offset in range(DAYS - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        miss = 1 - TODAY_SHARE if offset == 0 else rng.uniform(0.01, 0.03)
        fevers = set(rng.sample(range(len(people)), rng.randint(1, 4)))
        risks = {
            i: rng.choice(("health-code", "health-code", "travel-risk-area", "contact-case"))
            for i in rng.sample(range(len(people)), rng.randint(0, 3))
        }
        if offset <= 1:  # the heat company's liaison has a flag to look at, today and yesterday
            fevers.add(people.index(rng.choice(heat_people)))
        for index, p in enumerate(people):
            if p.pk == employee_pk:
                if offset == 0:
                    continue  # the demo shows the one-tap check-in
            elif rng.random() < miss and index not in fevers:
                continue
            fever = index in fevers
            temperature = round(rng.uniform(37.3, 38.5) if fever else min(max(rng.gauss(p.base, 0.2), 36.0), 37.2), 1)
            symptoms = (
                rng.sample([Symptom.COUGH, Symptom.FATIGUE, Symptom.SORE_THROAT], rng.randint(0, 1)) if fever else []
            )
            mode = p.mode
            if mode == WorkMode.ON_SITE and rng.random() < 0.02:
                mode = WorkMode.ON_LEAVE
            answers = _answers(rng, versions, p, day, risks.get(index, ""))
            temp = Decimal(f"{temperature:.1f}")
            is_fever, reasons = flag_reasons_for(
                temperature=temp,
                symptoms=[str(s) for s in symptoms],
                answers=answers,
                versions=all_versions,
                fever_threshold=settings.fever_threshold,
            )
            path = units[p.unit_id].path
            yesterday = previous.get(p.pk)
            if p.user_id is not None:
                source, reported_by = CheckInSource.SELF, p.user_id
            elif path.startswith(heat_company) and units[p.unit_id].kind.code == "heat-station" and rng.random() < 0.3:
                source, reported_by = CheckInSource.PROXY, liaison  # the morning check (晨检) at the station
            elif path.startswith(security) and rng.random() < 0.5:
                source, reported_by = CheckInSource.PROXY, duty
            else:
                source, reported_by = CheckInSource.SELF, None
            if (
                source == CheckInSource.SELF
                and yesterday is not None
                and not reasons
                and not yesterday.is_flagged
                and yesterday.work_mode == mode
                and rng.random() < 0.35
            ):
                source, temp = CheckInSource.SAME_AS_YESTERDAY, yesterday.temperature
            created = _at(day, rng.choice((6, 7, 7, 7, 8, 8, 8, 9, 10, 11)), rng.randrange(60), now)
            checkin = CheckIn(
                person_id=p.pk,
                unit_id=p.unit_id,
                date=day,
                temperature=temp,
                symptoms=[str(s) for s in symptoms],
                location_code=p.district,
                location_name=names[p.district],
                work_mode=mode,
                answers=answers,
                is_fever=is_fever,
                is_flagged=bool(reasons),
                flag_reasons=reasons,
                source=source,
                reported_by_id=reported_by,
                created=created,
                updated=created,
            )
            previous[p.pk] = checkin
            out.append(checkin)
    return out


def _day_stats(today: datetime.date, people: list[_Person], units: dict[int, Unit], checkins: list[CheckIn]) -> None:
    """One row per active unit and day: the headcount expected, and the counts of the check-ins made here."""
    headcount = Counter(p.unit_id for p in people)
    counts: dict[tuple[int, datetime.date], Counter] = defaultdict(Counter)
    bucket = {WorkMode.ON_SITE: "on_site", WorkMode.REMOTE: "remote", WorkMode.ON_LEAVE: "on_leave"}
    for c in checkins:
        row = counts[(c.unit_id, c.date)]
        row["reported"] += 1
        row["fever"] += c.is_fever
        row["flagged"] += c.is_flagged
        row[bucket[WorkMode(c.work_mode)]] += 1
    active = [pk for pk, u in units.items() if u.is_active or headcount[pk]]
    rows = []
    for offset in range(DAYS):
        day = today - datetime.timedelta(days=offset)
        for unit_id in active:
            row = counts.get((unit_id, day), Counter())
            rows.append(UnitDayStat(unit_id=unit_id, date=day, expected=headcount[unit_id], **row))
    fast_insert(UnitDayStat, rows)


# --- unit reports and what they raise -------------------------------------------------------------


def _reports(
    rng: random.Random, today: datetime.date, now: datetime.datetime, users: dict[str, Any], group: Unit
) -> tuple[int, int]:
    fields = report_fields()
    sources = [f.source for f in fields if f.kind == FieldKind.COUNT and f.source]
    enterprises = list(reporting_units().filter(path__startswith=group.path).order_by("path"))
    yesterday = today - datetime.timedelta(days=1)
    late_today = now > report_deadline_at(today)
    # Today: about half submitted, one of them a zero report; yesterday one unit forgot.
    submitted_today = set(rng.sample(range(len(enterprises)), len(enterprises) // 2))
    missing_yesterday = rng.choice([i for i in range(len(enterprises)) if enterprises[i].code != "E01"])
    liaisons = _liaisons(enterprises, users)
    reports: list[UnitDailyReport] = []
    texts: dict[tuple[int, datetime.date], dict[str, str]] = {}
    zero_today_done = False
    for offset in range(DAYS - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        for index, unit in enumerate(enterprises):
            if (offset == 0 and index not in submitted_today) or (day == yesterday and index == missing_yesterday):
                continue
            if offset > 1 and rng.random() < 0.02:
                continue  # a forgotten report, now and then
            counted = feed_counts(unit, day, sources)
            clean = not any(counted.get(key) for key in zero_report_keys())
            # Past days: several zero reports; today exactly one.
            zero = clean and (not zero_today_done if offset == 0 else rng.random() < 0.3)
            zero_today_done = zero_today_done or (offset == 0 and zero)
            values: dict[str, Any] = {}
            for f in fields:
                if f.kind == FieldKind.COUNT:
                    value = counted.get(f.source) if f.source else None
                    if value is None and f.code == "home_isolation" and not zero:
                        value = rng.choice((0, 0, 0, 1, 2))
                    values[f.code] = value if value is not None else 0
                else:
                    values[f.code] = ""
            if not zero:
                narrative = {
                    "problems": rng.choice(PROBLEMS) if rng.random() < 0.18 else "",
                    "material_needs": rng.choice(NEEDS) if rng.random() < 0.18 else "",
                    "practices": rng.choice(PRACTICES) if rng.random() < 0.45 else "",
                    "business_impact": rng.choice(IMPACTS) if rng.random() < 0.2 else "",
                }
                values.update({k: v for k, v in narrative.items() if k in values})
                texts[(unit.pk, day)] = narrative
            late = (offset > 0 and rng.random() < 0.08) or (offset == 0 and late_today and index % 5 == 4)
            hour, minute = (rng.randint(15, 18), rng.randrange(60)) if late else (rng.randint(9, 14), rng.randrange(60))
            submitted_at = _at(day, hour, minute, now)
            reports.append(
                UnitDailyReport(
                    unit_id=unit.pk,
                    date=day,
                    is_zero_report=zero,
                    values=values,
                    prefilled=counted,
                    status=ReportStatus.SUBMITTED,
                    submitted_at=submitted_at,
                    submitted_by_id=liaisons[unit.pk].pk,
                    is_late=submitted_at > report_deadline_at(day),
                    created=submitted_at,
                    updated=submitted_at,
                )
            )
    fast_insert(UnitDailyReport, reports)
    saved = list(
        UnitDailyReport.objects.filter(unit__in=enterprises, date__gte=today - datetime.timedelta(days=DAYS - 1))
    )
    items = _raised_items(rng, today, saved, texts)
    fast_insert(RaisedItem, items)
    _log(saved, list(RaisedItem.objects.filter(report__in=saved)), liaisons)
    return len(reports), len(items)


def _raised_items(
    rng: random.Random,
    today: datetime.date,
    reports: list[UnitDailyReport],
    texts: dict[tuple[int, datetime.date], dict[str, str]],
) -> list[RaisedItem]:
    routes = list(Unit.objects.filter(code__in=ROUTE_TO).order_by("code"))
    items: list[RaisedItem] = []
    resolved = False
    for report in sorted(reports, key=lambda r: (r.date, r.unit_id)):
        narrative = texts.get((report.unit_id, report.date), {})
        for code, kind in (("problems", RaisedKind.PROBLEM), ("material_needs", RaisedKind.NEED)):
            text = narrative.get(code, "")
            if not text:
                continue
            age = (today - report.date).days
            item = RaisedItem(report_id=report.pk, unit_id=report.unit_id, kind=kind, text=text)
            if age >= 2 and rng.random() < 0.6:
                item.routed_to = rng.choice(routes)
                item.status = RaisedStatus.IN_PROGRESS
            if kind == RaisedKind.NEED and age >= 3 and not resolved:
                item.text = NEEDS[0]  # 需协调医用酒精200斤, resolved by the prevention office
                report.values["material_needs"] = NEEDS[0]
                UnitDailyReport.objects.filter(pk=report.pk).update(values=report.values)
                item.routed_to = routes[0] if routes else None
                item.status, item.resolution = RaisedStatus.RESOLVED, RESOLUTION
                resolved = True
            item.created = report.submitted_at
            item.updated = (
                report.submitted_at + datetime.timedelta(days=1) if item.status != RaisedStatus.OPEN else item.created
            )
            items.append(item)
    return items


def _liaisons(enterprises: list[Unit], users: dict[str, Any]) -> dict[int, Any]:
    """Each enterprise's liaison account (联络员), who submits its reports: the liaison persona for
    the heat company; for the others an account named after the unit's liaison, without a password
    (only the personas log in to the demo), granted the role by the group office."""
    User = get_user_model()
    admin = users["admin"]
    out = {}
    for unit in enterprises:
        if unit.code == "E01":
            out[unit.pk] = users["liaison"]
            continue
        account = User(username=f"{unit.code.lower()}-liaison", first_name=unit.liaison)
        account.set_unusable_password()
        account.save()
        role_assign(actor=admin, user=account, unit=unit, role=Role.UNIT_ADMIN)
        out[unit.pk] = account
    return out


def _log(reports: list[UnitDailyReport], items: list[RaisedItem], liaisons: dict[int, Any]) -> None:
    """Change-log rows as the services write them, each by the liaison who submitted the report."""
    for unit_id, actor in liaisons.items():
        mine = [r for r in reports if r.unit_id == unit_id]
        record_changes(actor=actor, items=[(r, ChangeAction.CREATE, None) for r in mine])
        ids = {r.pk for r in mine}
        record_changes(actor=actor, items=[(i, ChangeAction.CREATE, None) for i in items if i.report_id in ids])


# --- inbox ----------------------------------------------------------------------------------------


def _messages(today: datetime.date, users: dict[str, Any], units: dict[int, Unit]) -> int:
    """What the day's jobs would have put in the inboxes, worded as they word it (the group's language)."""
    settings = GroupSettings.load()
    liaison, admin, employee = users["liaison"], users["admin"], users["employee"]
    heat = next(u for u in units.values() if u.code == "E01")
    sent = 0
    with override(django_settings.LANGUAGE_CODE):
        flagged = (
            CheckIn.objects.filter(date__gte=today - datetime.timedelta(days=1), is_flagged=True)
            .select_related("person", "unit")
            .order_by("-date", "unit__path")
        )
        for checkin in flagged:
            in_heat = checkin.unit.path.startswith(heat.path)
            # The heat company's liaison hears of their people; the office follows the enterprises
            # whose liaisons have no login in the demo.
            recipients = [liaison] if in_heat else [admin]
            reasons = ", ".join(_reason(r) for r in checkin.flag_reasons)
            sent += message_send(
                recipients=recipients,
                kind="checkin_flag",
                title=_("Check-in flagged: %(name)s (%(unit)s)")
                % {"name": checkin.person.name, "unit": checkin.unit.name},
                body=_("%(name)s, %(date)s, %(temperature)s °C. Why: %(reasons)s.")
                % {
                    "name": checkin.person.name,
                    "date": checkin.date,
                    "temperature": checkin.temperature,
                    "reasons": reasons,
                },
                url=reverse("health:checkin-detail", args=[checkin.pk]),
            )
        for user, unit in ((liaison, heat), (admin, None)):
            stats = UnitDayStat.objects.filter(date=today)
            if unit is not None:
                stats = stats.filter(unit__path__startswith=unit.path)
            expected = sum(stats.values_list("expected", flat=True))
            reported = sum(stats.values_list("reported", flat=True))
            name = unit.name if unit else Unit.objects.get(depth=1).name
            sent += message_send(
                recipients=[user],
                kind=MessageKind.COMPLETION_LOW,
                title=_("Check-in completion below %(target)d%%") % {"target": settings.completion_target},
                body=_("%(unit)s: %(reported)d of %(expected)d checked in (%(percent)s)")
                % {
                    "unit": name,
                    "reported": reported,
                    "expected": expected,
                    "percent": f"{100 * reported / expected:.0f}%",
                },
                url=reverse("health:completion"),
            )
        yesterday = today - datetime.timedelta(days=1)
        missing = reporting_units().exclude(daily_reports__date=yesterday, daily_reports__status=ReportStatus.SUBMITTED)
        if missing:
            sent += message_send(
                recipients=[admin],
                kind=MessageKind.REPORT_ESCALATION,
                title=_("%(count)d units have no daily report for %(date)s")
                % {"count": len(missing), "date": yesterday.isoformat()},
                body="\n".join(f"{u.name} · " + _("liaisons told") for u in missing),
                url=reverse("reporting:overview"),
            )
        sent += message_send(
            recipients=[employee],
            kind=MessageKind.CHECKIN_REMINDER,
            title=_("Please check in for today (%(date)s)") % {"date": today.isoformat()},
            body=_("You have not checked in yet today. It takes one tap if nothing changed."),
            url=reverse("health:checkin"),
        )
    return sent


def _reason(reason: str) -> str:
    from lianfang.health.services.checkins import reason_label

    return reason_label(reason)
