"""The unit daily report (日报告、零报告): prefill, submit, zero report, deadline, lock, raised items."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lianfang.core.extensions import feed_counts
from lianfang.core.models import ObjectChange
from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.people.choices import Category, EmploymentStatus, Whereabouts
from lianfang.reporting.choices import RaisedKind, RaisedStatus, ReportStatus, Timeliness
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.reporting.selectors import reports as report_selectors
from lianfang.reporting.services import reports
from lianfang.testing import PersonFactory, add_unit, user_with_role

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY = datetime.date(2026, 3, 2)


def at(monkeypatch, year, month, day, hour, minute=0, second=0):
    """Freeze the clock at a wall-clock time in Asia/Shanghai."""
    moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture(autouse=True)
def template(db):
    ensure_default_report_fields()


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in their English source form, whatever the catalogue says.
    with translation.override("en"):
        yield


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def department(tree):
    return add_unit(tree.group, "GD-SAFETY", "集团安全环保部", "department")


@pytest.fixture
def morning(monkeypatch):
    return at(monkeypatch, 2026, 3, 2, 10)


def stat(unit, date=DAY, **counts):
    return UnitDayStat.objects.create(unit=unit, date=date, **counts)


# --- prefill ------------------------------------------------------------------------------------


def test_prefill_counts_the_subsidiary_s_whole_subtree_from_the_roster(tree):
    # Hand-computed: A has 3 employees (A1, A1S, A2), 2 temporary, 1 dispatched, 1 family member,
    # 1 employee who left; B's people do not count.
    PersonFactory(unit=tree.a1)
    PersonFactory(unit=tree.a1s, whereabouts=Whereabouts.NOT_RETURNED)
    PersonFactory(unit=tree.a2)
    PersonFactory(unit=tree.a1, category=Category.TEMPORARY)
    PersonFactory(unit=tree.a2, category=Category.TEMPORARY, whereabouts=Whereabouts.NOT_RETURNED)
    PersonFactory(unit=tree.a1s, category=Category.DISPATCHED)
    PersonFactory(unit=tree.a1, category=Category.FAMILY, whereabouts=Whereabouts.NOT_RETURNED)
    PersonFactory(unit=tree.a1, employment_status=EmploymentStatus.LEFT)
    PersonFactory(unit=tree.b1)
    PersonFactory(unit=tree.b1, category=Category.TEMPORARY)

    counts = feed_counts(
        tree.a, DAY, ["people.headcount", "people.temporary", "people.dispatched", "people.not_returned"]
    )

    assert counts == {
        "people.headcount": 6,  # 3 employees + 2 temporary + 1 dispatched; no family, not the leaver
        "people.temporary": 2,
        "people.dispatched": 1,
        "people.not_returned": 2,  # the family member is not staff
    }


def test_prefill_sums_the_day_counts_of_every_unit_in_the_subtree(tree):
    stat(tree.a, expected=2, reported=2, on_site=2)
    stat(tree.a1, expected=10, reported=9, on_site=6, remote=2, on_leave=1, fever=1, flagged=2)
    stat(tree.a1s, expected=5, reported=5, on_site=5)
    stat(tree.a2, expected=4, reported=3, on_site=1, remote=2)
    stat(tree.b1, expected=50, reported=50, on_site=50, fever=3)  # another subsidiary
    stat(tree.a1, date=DAY - datetime.timedelta(days=1), on_site=99)  # another day

    keys = ["checkin.on_site", "checkin.remote", "checkin.on_leave", "checkin.fever", "checkin.reported"]
    counts = feed_counts(tree.a, DAY, [*keys, "checkin.flagged"])

    assert counts == {
        "checkin.on_site": 14,
        "checkin.remote": 4,
        "checkin.on_leave": 1,
        "checkin.fever": 1,
        "checkin.reported": 19,
        "checkin.flagged": 2,
    }


def test_without_any_check_in_counts_the_at_work_figures_are_left_for_the_liaison(tree):
    counts = feed_counts(tree.a, DAY, ["checkin.on_site", "checkin.fever"])
    assert counts == {"checkin.on_site": None, "checkin.fever": None}


def test_cases_and_isolation_are_counted_from_the_records_so_no_case_is_a_real_zero(tree):
    # The cases app registers these sources (lianfang/cases/feeds.py; its tests count real cases).
    keys = ["cases.new_confirmed", "cases.close_contacts", "isolation.home", "isolation.central"]
    assert feed_counts(tree.a, DAY, keys) == dict.fromkeys(keys, 0)


def test_prefill_reads_the_day_counts_not_the_raw_check_ins(tree):
    person = PersonFactory(unit=tree.a1)
    CheckIn.objects.create(person=person, unit=tree.a1, date=DAY, temperature=Decimal("38.2"), is_fever=True)
    # No UnitDayStat row: the aggregate is the source of truth for reports and dashboards.
    assert feed_counts(tree.a, DAY, ["checkin.fever"]) == {"checkin.fever": None}


# --- drafts and submission ----------------------------------------------------------------------


def test_a_draft_is_prefilled_and_keeps_what_the_liaison_typed(tree, liaison, morning):
    PersonFactory.create_batch(3, unit=tree.a1)
    stat(tree.a1, on_site=2, remote=1, reported=3)

    report = reports.unit_report_save_draft(
        actor=liaison, unit=tree.a, date=DAY, values={"at_work": "5", "problems": " 缺少额温枪 "}
    )

    assert report.status == ReportStatus.DRAFT
    assert report.values["headcount"] == 3
    assert report.values["remote"] == 1
    assert report.values["at_work"] == 5  # typed over the prefilled 2
    assert report.prefilled["checkin.on_site"] == 2
    assert report.values["problems"] == "缺少额温枪"
    assert report.values["new_confirmed"] == 0  # counted from the case records
    lines = {line.field.code: line for line in report_selectors.report_lines(report)}
    assert lines["at_work"].changed and lines["at_work"].prefilled == 2
    assert not lines["remote"].changed


def test_a_full_report_needs_the_required_counts(tree, liaison, morning):
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values={})
    # The case counts come from the records; what the records cannot tell must be typed.
    assert {"at_work", "fever_today"} <= set(exc.value.message_dict)
    assert not UnitDailyReport.objects.exists()


def full_values(**overrides):
    values = {
        "at_work": 10,
        "fever_today": 0,
        "new_suspected": 0,
        "new_confirmed": 0,
        "new_asymptomatic": 0,
    }
    values.update(overrides)
    return values


def test_a_count_must_be_a_whole_number(tree, liaison, morning):
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(at_work="-3"))
    assert exc.value.message_dict["at_work"] == ["Enter a whole number, 0 or more."]


def test_a_field_that_is_not_in_the_template_is_refused(tree, liaison, morning):
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(weather="sunny"))
    assert "weather" in exc.value.message_dict


def test_a_report_submitted_before_the_deadline_is_timely(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 15, 0, 0)  # 15:00:00 sharp, Asia/Shanghai
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    assert report.status == ReportStatus.SUBMITTED
    assert not report.is_late
    assert report.submitted_by == liaison


def test_a_report_submitted_one_second_after_the_deadline_is_late(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 15, 0, 1)
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    assert report.is_late


def test_the_deadline_is_in_the_group_s_time_zone_not_utc(tree, liaison, monkeypatch):
    # 07:30 UTC is 15:30 in Shanghai: late, although it is well before 15:00 UTC.
    moment = datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    assert report.is_late


def test_a_correction_after_the_deadline_does_not_make_a_timely_report_late(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 9)
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    first = report.submitted_at
    at(monkeypatch, 2026, 3, 2, 18)
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(at_work=11))
    assert not report.is_late
    assert report.submitted_at == first
    assert report.values["at_work"] == 11


def test_the_deadline_follows_the_group_settings(tree, liaison, monkeypatch):
    settings = GroupSettings.load()
    settings.report_deadline = datetime.time(12, 0)
    settings.save()
    at(monkeypatch, 2026, 3, 2, 12, 30)
    assert reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values()).is_late


def test_a_report_for_tomorrow_is_refused(tree, liaison, morning):
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY + datetime.timedelta(days=1))
    assert "date" in exc.value.message_dict


def test_a_department_does_not_submit_its_own_report_when_subsidiaries_report(tree, liaison, morning):
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_save_draft(actor=liaison, unit=tree.a1, date=DAY)
    assert "unit" in exc.value.message_dict


def test_a_liaison_cannot_write_another_subsidiary_s_report(tree, liaison, morning):
    with pytest.raises(PermissionDenied):
        reports.unit_report_submit(actor=liaison, unit=tree.b, date=DAY, values=full_values())
    assert not UnitDailyReport.objects.exists()


def test_saving_a_draft_over_a_submitted_report_is_refused(tree, liaison, morning):
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    with pytest.raises(ValidationError):
        reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY, values={"at_work": 1})
    assert UnitDailyReport.objects.get().status == ReportStatus.SUBMITTED


# --- zero report --------------------------------------------------------------------------------


def test_a_zero_report_is_one_action_with_the_prefilled_counts(tree, liaison, morning):
    PersonFactory.create_batch(4, unit=tree.a2)
    stat(tree.a2, expected=4, reported=4, on_site=3, remote=1)

    report = reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)

    assert report.status == ReportStatus.SUBMITTED
    assert report.is_zero_report
    assert not report.is_late
    assert report.values["headcount"] == 4
    assert report.values["at_work"] == 3
    assert report.values["remote"] == 1
    assert report.values["new_confirmed"] == 0
    assert report.values["fever_today"] == 0
    assert not RaisedItem.objects.exists()


def test_a_zero_report_is_refused_when_someone_has_a_fever(tree, liaison, morning):
    stat(tree.a1s, expected=3, reported=3, on_site=3, fever=1, flagged=1)
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    message = exc.value.messages[0]
    assert "fever: 1" in message
    assert "Submit a full report" in message
    assert not UnitDailyReport.objects.exists()


def test_a_zero_report_is_refused_when_the_draft_counts_a_new_case(tree, liaison, morning):
    reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY, values={"new_suspected": 1})
    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    assert "New suspected cases: 1" in exc.value.messages[0]
    assert UnitDailyReport.objects.get().status == ReportStatus.DRAFT


def test_a_zero_report_is_refused_when_the_draft_raises_a_problem(tree, liaison, morning):
    reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY, values={"problems": "缺口罩"})
    with pytest.raises(ValidationError):
        reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)


# --- timely, late, missing ----------------------------------------------------------------------


def test_a_unit_without_a_report_is_missing_never_zero(tree, liaison, office, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 9)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)

    rows = report_selectors.report_status_by_unit(viewer=office, date=DAY)
    totals = report_selectors.report_status_totals(viewer=office, date=DAY)

    assert [(r.unit.code, r.timeliness, r.is_zero_report) for r in rows] == [
        ("A", Timeliness.TIMELY, True),
        ("B", Timeliness.MISSING, False),
    ]
    assert totals == {"expected": 2, "timely": 1, "late": 0, "missing": 1, "zero": 1, "submitted": 1}


def test_a_draft_is_still_missing(tree, liaison, office, morning):
    reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY)
    totals = report_selectors.report_status_totals(viewer=office, date=DAY)
    assert totals["missing"] == 2
    assert list(report_selectors.missing_units(date=DAY).values_list("code", flat=True)) == ["A", "B"]


def test_late_or_missing_units_lists_the_late_and_the_missing(tree, liaison, monkeypatch):
    b_liaison = user_with_role(Role.UNIT_ADMIN, tree.b)
    c = add_unit(tree.group, "C", "丙公司", "subsidiary")
    c_liaison = user_with_role(Role.UNIT_ADMIN, c)
    at(monkeypatch, 2026, 3, 2, 14, 59)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    at(monkeypatch, 2026, 3, 2, 15, 1)
    reports.unit_report_submit_zero(actor=b_liaison, unit=tree.b, date=DAY)
    reports.unit_report_save_draft(actor=c_liaison, unit=c, date=DAY)

    assert list(report_selectors.late_or_missing_units(date=DAY).values_list("code", flat=True)) == ["B", "C"]
    assert list(report_selectors.missing_units(date=DAY).values_list("code", flat=True)) == ["C"]


def test_a_liaison_sees_only_their_own_unit_in_the_status(tree, liaison, morning):
    rows = report_selectors.report_status_by_unit(viewer=liaison, date=DAY)
    assert [r.unit.code for r in rows] == ["A"]


def test_the_reporting_tier_decides_which_units_report(tree, office, morning):
    settings = GroupSettings.load()
    settings.reporting_tier = "department"
    settings.save()
    rows = report_selectors.report_status_by_unit(viewer=office, date=DAY)
    assert [r.unit.code for r in rows] == ["A1", "A2", "B1"]


# --- lock ---------------------------------------------------------------------------------------


def test_the_liaison_corrects_a_submitted_report_before_the_lock_and_it_is_audited(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 9)
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    at(monkeypatch, 2026, 3, 5, 23, 59)  # date + 3 lock days: still open
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(at_work=8))

    change = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(UnitDailyReport), object_id=report.pk
    ).latest("time")
    assert change.prechange_data["values"]["at_work"] == 10
    assert change.postchange_data["values"]["at_work"] == 8


def test_after_the_lock_the_liaison_is_refused_with_who_can_do_it(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 9)
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    at(monkeypatch, 2026, 3, 6, 0, 0)
    with pytest.raises(PermissionDenied) as exc:
        reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(at_work=1))
    assert "Only the group prevention office" in str(exc.value)
    assert UnitDailyReport.objects.get().values["at_work"] == 10


def test_after_the_lock_the_office_corrects_with_a_reason_that_is_kept(tree, liaison, office, monkeypatch):
    at(monkeypatch, 2026, 3, 2, 9)
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    at(monkeypatch, 2026, 3, 20, 10)

    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit(actor=office, unit=tree.a, date=DAY, values=full_values(at_work=12))
    assert "reason" in exc.value.message_dict

    report = reports.unit_report_submit(
        actor=office, unit=tree.a, date=DAY, values=full_values(at_work=12), reason="联络人电话更正在岗人数"
    )
    assert report.values["at_work"] == 12
    assert report.submitted_by == liaison  # the first submission stays on record
    change = ObjectChange.objects.filter(object_id=report.pk, user=office).get()
    assert change.postchange_data["correction_reason"] == "联络人电话更正在岗人数"
    assert change.prechange_data["values"]["at_work"] == 10


def test_a_missing_report_cannot_be_filed_by_the_liaison_after_the_lock(tree, liaison, monkeypatch):
    at(monkeypatch, 2026, 3, 10, 9)
    with pytest.raises(PermissionDenied):
        reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)


def test_the_lock_follows_the_group_settings(tree, liaison, monkeypatch):
    settings = GroupSettings.load()
    settings.report_lock_days = 0
    settings.save()
    at(monkeypatch, 2026, 3, 3, 9)
    with pytest.raises(PermissionDenied):
        reports.unit_report_save_draft(actor=liaison, unit=tree.a, date=DAY)


# --- raised items -------------------------------------------------------------------------------


def test_problems_and_needs_become_raised_items_and_a_resubmit_updates_them(tree, liaison, morning):
    values = full_values(problems="额温枪不足", material_needs="口罩 2000 只", practices="错峰就餐")
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=values)
    items = {i.kind: i for i in RaisedItem.objects.all()}
    assert set(items) == {RaisedKind.PROBLEM, RaisedKind.NEED}
    assert items[RaisedKind.NEED].text == "口罩 2000 只"
    assert items[RaisedKind.NEED].unit == tree.a and items[RaisedKind.NEED].report == report

    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values={"material_needs": "口罩 3000 只"})
    assert RaisedItem.objects.count() == 2
    assert RaisedItem.objects.get(kind=RaisedKind.NEED).text == "口罩 3000 只"

    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values={"problems": ""})
    assert list(RaisedItem.objects.values_list("kind", flat=True)) == [RaisedKind.NEED]


def test_the_office_routes_an_item_to_a_group_department_which_resolves_it(tree, liaison, office, department, morning):
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(material_needs="酒精"))
    item = RaisedItem.objects.get()
    head = user_with_role(Role.UNIT_ADMIN, department, "safety-head")
    assert not report_selectors.raised_item_list(viewer=head).exists()

    reports.raised_item_route(actor=office, item=item, routed_to=department)

    assert list(report_selectors.raised_item_list(viewer=head)) == [item]
    reports.raised_item_set_status(actor=head, item=item, status=RaisedStatus.IN_PROGRESS)
    with pytest.raises(ValidationError) as exc:
        reports.raised_item_set_status(actor=head, item=item, status=RaisedStatus.RESOLVED)
    assert "resolution" in exc.value.message_dict
    item = reports.raised_item_set_status(
        actor=head, item=item, status=RaisedStatus.RESOLVED, resolution="已调拨 500 瓶"
    )
    assert item.status == RaisedStatus.RESOLVED and item.resolution == "已调拨 500 瓶"
    assert list(report_selectors.raised_item_list(viewer=liaison, status=RaisedStatus.RESOLVED)) == [item]


def test_only_a_group_department_can_receive_an_item(tree, liaison, office, morning):
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(problems="缺人"))
    item = RaisedItem.objects.get()
    with pytest.raises(ValidationError) as exc:
        reports.raised_item_route(actor=office, item=item, routed_to=tree.a1)
    assert "routed_to" in exc.value.message_dict


def test_the_liaison_cannot_route_or_resolve_their_own_item(tree, liaison, department, morning):
    reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(problems="缺人"))
    item = RaisedItem.objects.get()
    with pytest.raises(PermissionDenied):
        reports.raised_item_route(actor=liaison, item=item, routed_to=department)
    with pytest.raises(PermissionDenied):
        reports.raised_item_set_status(actor=liaison, item=item, status=RaisedStatus.RESOLVED, resolution="x")
    item.refresh_from_db()
    assert item.routed_to is None and item.status == RaisedStatus.OPEN


# --- the template -------------------------------------------------------------------------------


def test_the_default_template_has_the_seed_fields():
    codes = list(ReportField.objects.values_list("code", flat=True))
    assert codes[:4] == ["headcount", "at_work", "remote", "not_returned"]
    assert {"temporary", "dispatched", "close_contacts", "problems", "practices", "business_impact"} <= set(codes)
    assert ReportField.objects.get(code="not_returned").label == "未返岗"


def test_the_office_adds_and_edits_fields_and_reports_follow(tree, office, liaison, morning):
    field = reports.report_field_create(
        actor=office, code="nucleic_tests", label="核酸检测人数", label_en="Nucleic-acid tests", kind="count"
    )
    reports.report_field_update(actor=office, field=ReportField.objects.get(code="remote"), is_active=False)
    reports.report_field_update(actor=office, field=field, required=True, sort=5)

    with pytest.raises(ValidationError) as exc:
        reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values())
    assert "nucleic_tests" in exc.value.message_dict
    report = reports.unit_report_submit(actor=liaison, unit=tree.a, date=DAY, values=full_values(nucleic_tests=7))
    assert report.values["nucleic_tests"] == 7
    assert "remote" not in report.values


def test_only_the_group_office_edits_the_template(tree, liaison):
    with pytest.raises(PermissionDenied):
        reports.report_field_create(actor=liaison, code="x", label="x", kind="count")
    with pytest.raises(PermissionDenied):
        reports.report_field_update(actor=liaison, field=ReportField.objects.first(), label="y")


def test_a_text_field_cannot_be_prefilled_and_a_source_must_exist(tree, office):
    with pytest.raises(ValidationError) as exc:
        reports.report_field_create(actor=office, code="x", label="x", kind="text", source="checkin.fever")
    assert "source" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        reports.report_field_create(actor=office, code="y", label="y", kind="count", source="weather.rain")
    assert "source" in exc.value.message_dict


def test_a_field_s_code_and_kind_cannot_be_changed(tree, office):
    with pytest.raises(ValidationError):
        reports.report_field_update(actor=office, field=ReportField.objects.get(code="problems"), kind="count")
