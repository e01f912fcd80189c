"""The group bulletin: figures against a hand-counted group, the draft, publishing, re-opening.

The small group below is shared with the dashboard, API and export tests:

    G (group, 2 people directly)
    ├ A  subsidiary — zero report on time      A 10/9 · A1 20/18 · A1S 5/5 · A2 5/3
    ├ B  subsidiary — draft only: missing      B 8/8 · B1 12/6
    └ C  subsidiary — report late              C 4/4

Hand-computed for DAY: people expected 66, checked in 55 (83.3 %), fever 4, flagged 7; units with
people 8, of which 4 reached the 95 % target (G, A1S, B, C): 50.0 %. Subtrees: A 40/35 (87.5 %),
B 20/14 (70.0 %), C 4/4 (100.0 %), the group's own staff 2/2. Reports: 3 expected, 1 on time,
1 late, 1 missing, 1 zero report.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lianfang.core.models import ObjectChange
from lianfang.health.models import UnitDayStat
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.reporting.choices import BulletinStatus, RaisedKind, RaisedStatus, ReportStatus
from lianfang.reporting.models import Bulletin, RaisedItem, UnitDailyReport
from lianfang.reporting.selectors import bulletins
from lianfang.reporting.services import bulletins as bulletin_services
from lianfang.testing import Tree, add_unit, user_with_role

DAY = datetime.date(2026, 2, 16)


def stat(unit: Unit, day: datetime.date, expected: int, reported: int, fever: int = 0, flagged: int = 0) -> UnitDayStat:
    return UnitDayStat.objects.create(
        unit=unit, date=day, expected=expected, reported=reported, fever=fever, flagged=flagged
    )


def report(
    unit: Unit,
    day: datetime.date,
    *,
    late: bool = False,
    zero: bool = False,
    values: dict | None = None,
    status: str = ReportStatus.SUBMITTED,
) -> UnitDailyReport:
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(16 if late else 11, 0)))
    return UnitDailyReport.objects.create(
        unit=unit,
        date=day,
        is_late=late,
        is_zero_report=zero,
        values=values or {},
        status=status,
        submitted_at=at if status == ReportStatus.SUBMITTED else None,
    )


@dataclass
class Group:
    tree: Tree
    c: Unit
    raised: RaisedItem


def make_group(tree: Tree, day: datetime.date = DAY) -> Group:
    c = add_unit(tree.group, "C", "丙公司", "subsidiary")
    stat(tree.group, day, 2, 2)
    stat(tree.a, day, 10, 9, fever=1, flagged=1)
    stat(tree.a1, day, 20, 18, flagged=2)
    stat(tree.a1s, day, 5, 5, fever=1, flagged=1)
    stat(tree.a2, day, 5, 3)
    stat(tree.b, day, 8, 8)
    stat(tree.b1, day, 12, 6, fever=2, flagged=3)
    stat(c, day, 4, 4)
    # The day before: everybody checked in, nobody with fever.
    yesterday = day - datetime.timedelta(days=1)
    for unit in (tree.a1, tree.b1):
        stat(unit, yesterday, 20, 20)
    report(tree.a, yesterday)

    report(tree.a, day, zero=True)
    report(tree.b, day, status=ReportStatus.DRAFT, values={"new_confirmed": 9})  # a draft counts for nothing
    late = report(
        c,
        day,
        late=True,
        values={"new_confirmed": 1, "home_isolation": 3, "practices": "错峰就餐，分餐到岗"},
    )
    raised = RaisedItem.objects.create(
        report=late, unit=c, kind=RaisedKind.NEED, text="急需口罩 2000 只", routed_to=tree.b, status=RaisedStatus.OPEN
    )
    return Group(tree=tree, c=c, raised=raised)


# --- the tests ----------------------------------------------------------------------------------


pytestmark = pytest.mark.django_db


@pytest.fixture
def group(tree) -> Group:
    return make_group(tree)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def leader(tree):
    return user_with_role(Role.LEADER, tree.group, "leader")


def build(office, day=DAY) -> Bulletin:
    return bulletin_services.bulletin_build(actor=office, day=day)


def row(data: dict, code: str, own: bool = False) -> dict:
    return next(r for r in data["rows"] if r["code"] == code and r["own_staff"] == own)


def test_the_bulletin_totals_match_the_hand_counted_group(group, office):
    data = build(office).data

    totals = data["totals"]
    assert (totals["expected"], totals["reported"], totals["completion"]) == (66, 55, 83.3)
    assert (totals["fever"], totals["flagged"], totals["missing_people"]) == (4, 7, 11)
    assert (totals["units_with_people"], totals["units_reached"], totals["units_completion"]) == (8, 4, 50.0)
    assert data["reports"] == {
        "expected": 3,
        "timely": 1,
        "late": 1,
        "missing": 1,
        "zero": 1,
        "submitted": 2,
        "timely_rate": 33.3,
    }


def test_each_subsidiary_row_adds_up_its_whole_subtree(group, office):
    data = build(office).data

    a, b, c = row(data, "A"), row(data, "B"), row(data, "C")
    assert (a["expected"], a["reported"], a["completion"], a["fever"], a["flagged"]) == (40, 35, 87.5, 2, 4)
    assert (b["expected"], b["reported"], b["completion"], b["fever"], b["flagged"]) == (20, 14, 70.0, 2, 3)
    assert (c["expected"], c["reported"], c["completion"]) == (4, 4, 100.0)
    assert (a["report"]["status"], a["report"]["zero"]) == ("timely", True)
    assert b["report"]["status"] == "missing"
    assert c["report"]["status"] == "late"
    own = row(data, "G", own=True)
    assert (own["expected"], own["reported"]) == (2, 2)
    assert [r["code"] for r in data["rows"]] == ["G", "A", "B", "C"]


def test_late_and_missing_units_are_listed_and_a_draft_report_is_missing_not_zero(group, office):
    data = build(office).data

    assert [u["code"] for u in data["late_units"]] == ["C"]
    assert [u["code"] for u in data["missing_units"]] == ["B"]
    b = next(u for u in data["report_units"] if u["code"] == "B")
    assert b["zero"] is False
    assert (b["expected_people"], b["reported_people"], b["completion"]) == (20, 14, 70.0)


def test_cases_and_practices_come_from_submitted_reports_only(group, office):
    data = build(office).data

    assert data["cases"]["new_confirmed"] == 1  # the draft's 9 is not counted
    assert data["cases"]["home_isolation"] == 3
    assert data["cases"]["reports_with_values"] == 1
    assert data["practices"] == [{"unit": "丙公司", "code": "C", "text": "错峰就餐，分餐到岗"}]


def test_raised_items_are_listed_with_their_routing_and_status(group, office):
    data = build(office).data

    assert data["raised"] == [
        {
            "id": group.raised.pk,
            "unit": "丙公司",
            "code": "C",
            "kind": "need",
            "text": "急需口罩 2000 只",
            "routed_to": "乙公司",
            "status": "open",
        }
    ]


def test_the_trend_covers_30_days_ending_on_the_bulletin_date(group, office):
    trends = build(office).data["trends"]

    assert len(trends) == 30
    assert trends[-1]["date"] == DAY.isoformat()
    assert trends[-1]["completion"] == 83.3
    yesterday = trends[-2]
    assert (yesterday["expected"], yesterday["reported"], yesterday["completion"]) == (40, 40, 100.0)
    assert (yesterday["reports_timely"], yesterday["timely_rate"]) == (1, 33.3)
    assert trends[0]["completion"] is None  # no figures is not 0 %
    assert len(bulletins.trend_days(build(office).data, 14)) == 14


def test_a_published_bulletin_keeps_its_figures_when_a_late_report_arrives(group, office, tree):
    bulletin = build(office)
    bulletin_services.bulletin_publish(actor=office, bulletin=bulletin)
    before = Bulletin.objects.get(pk=bulletin.pk).data

    UnitDailyReport.objects.filter(unit=tree.b, date=DAY).update(
        status=ReportStatus.SUBMITTED, is_late=True, submitted_at=timezone.now()
    )
    stat(tree.a2, DAY - datetime.timedelta(days=3), 1, 1)

    assert Bulletin.objects.get(pk=bulletin.pk).data == before
    with pytest.raises(ValidationError):
        bulletin_services.bulletin_build(actor=office, day=DAY)
    assert Bulletin.objects.get(pk=bulletin.pk).data == before


def test_rebuilding_a_draft_picks_up_a_late_report(group, office, tree):
    bulletin = build(office)
    UnitDailyReport.objects.filter(unit=tree.b, date=DAY).update(status=ReportStatus.SUBMITTED, is_late=True)

    rebuilt = bulletin_services.bulletin_build(actor=office, day=DAY)

    assert rebuilt.pk == bulletin.pk
    assert rebuilt.data["reports"]["late"] == 2
    assert rebuilt.data["missing_units"] == []


def test_the_scheduled_draft_is_built_once_after_the_bulletin_time(group):
    before = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(15, 59)))
    after = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(16, 0)))

    assert bulletin_services.bulletin_draft_due(now=before) is None
    first = bulletin_services.bulletin_draft_due(now=after)
    assert first is not None and first.status == BulletinStatus.DRAFT and first.date == DAY
    assert bulletin_services.bulletin_draft_due(now=after + datetime.timedelta(minutes=1)) is None
    assert Bulletin.objects.filter(date=DAY).count() == 1


def test_the_scheduled_draft_does_not_overwrite_the_offices_draft(group, office):
    bulletin = build(office)
    bulletin_services.bulletin_update_summary(actor=office, bulletin=bulletin, summary="今日总体平稳。")

    again = bulletin_services.bulletin_build(actor=None, day=DAY, rebuild=False)

    assert again.pk == bulletin.pk
    assert again.summary == "今日总体平稳。"


def test_the_periodic_task_builds_todays_draft(group, monkeypatch):
    from lianfang.reporting import tasks as tasks_bulletin

    now = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(17, 0)))
    real_localtime = timezone.localtime
    monkeypatch.setattr(timezone, "localtime", lambda value=None: real_localtime(value) if value else now)

    tasks_bulletin.build_bulletin_draft.call_local()

    assert Bulletin.objects.filter(date=DAY, status=BulletinStatus.DRAFT).exists()


def test_publishing_freezes_the_bulletin_logs_it_and_tells_the_leaders(group, office, leader, tree):
    branch_leader = user_with_role(Role.LEADER, tree.a, "branch-leader")  # cannot read the group bulletin
    bulletin = build(office)
    bulletin_services.bulletin_update_summary(actor=office, bulletin=bulletin, summary="今日总体平稳。")

    published = bulletin_services.bulletin_publish(actor=office, bulletin=bulletin)

    assert published.status == BulletinStatus.PUBLISHED
    assert published.published_by == office and published.published_at is not None
    change = ObjectChange.objects.filter(object_id=bulletin.pk).order_by("-time", "-pk").first()
    assert change.user == office
    assert (change.prechange_data["status"], change.postchange_data["status"]) == ("draft", "published")
    messages = Message.objects.filter(kind="bulletin_published")
    assert [m.recipient for m in messages] == [leader]
    assert messages[0].url.endswith(f"/bulletins/{bulletin.pk}/")
    assert messages[0].body == "今日总体平稳。"
    assert not Message.objects.filter(recipient__in=[office, branch_leader]).exists()


def test_a_published_bulletin_cannot_be_edited_until_the_office_reopens_it(group, office):
    bulletin = bulletin_services.bulletin_publish(actor=office, bulletin=build(office))

    with pytest.raises(ValidationError) as error:
        bulletin_services.bulletin_update_summary(actor=office, bulletin=bulletin, summary="改")
    assert "summary" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        bulletin_services.bulletin_reopen(actor=office, bulletin=bulletin, reason=" ")
    assert "reason" in error.value.message_dict

    reopened = bulletin_services.bulletin_reopen(actor=office, bulletin=bulletin, reason="乙公司补报")

    assert reopened.status == BulletinStatus.DRAFT and reopened.published_at is None
    change = ObjectChange.objects.filter(object_id=bulletin.pk).order_by("-time", "-pk").first()
    assert change.postchange_data["reason"] == "乙公司补报"
    assert bulletin_services.bulletin_build(actor=office, day=DAY).data["reports"]["missing"] == 1


@pytest.mark.parametrize("role", [Role.LEADER, Role.UNIT_ADMIN, Role.INSPECTOR])
def test_only_the_group_office_may_build_edit_publish_or_reopen(group, office, tree, role):
    bulletin = build(office)
    other = user_with_role(role, tree.group)
    data_before = Bulletin.objects.get(pk=bulletin.pk).data

    with pytest.raises(PermissionDenied):
        bulletin_services.bulletin_build(actor=other, day=DAY)
    with pytest.raises(PermissionDenied):
        bulletin_services.bulletin_update_summary(actor=other, bulletin=bulletin, summary="x")
    with pytest.raises(PermissionDenied):
        bulletin_services.bulletin_publish(actor=other, bulletin=bulletin)
    bulletin_services.bulletin_publish(actor=office, bulletin=bulletin)
    with pytest.raises(PermissionDenied):
        bulletin_services.bulletin_reopen(actor=other, bulletin=bulletin, reason="x")

    after = Bulletin.objects.get(pk=bulletin.pk)
    assert (after.status, after.summary, after.data) == (BulletinStatus.PUBLISHED, "", data_before)


def test_a_subsidiary_office_cannot_build_the_group_bulletin(group, tree):
    with pytest.raises(PermissionDenied):
        bulletin_services.bulletin_build(actor=user_with_role(Role.GROUP_ADMIN, tree.a), day=DAY)
    assert not Bulletin.objects.exists()
