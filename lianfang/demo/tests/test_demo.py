"""The demo group (lianfang/demo/loader.py): what a person trying Lianfang finds after ``bin/demo``."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest  # django-axes checks every authenticate(): it needs the request
from django.utils import timezone

from lianfang.core.fields import blind_index
from lianfang.core.models import ObjectChange
from lianfang.core.scoping import Action
from lianfang.demo import daily as demo_daily
from lianfang.demo import loader as demo
from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.people.choices import Category, Gender, Whereabouts
from lianfang.people.models import Person
from lianfang.people.validators import validate_id_number, validate_phone
from lianfang.reporting.choices import BulletinStatus, RaisedStatus, ReportStatus
from lianfang.reporting.models import Bulletin, RaisedItem, UnitDailyReport


@pytest.fixture(scope="module")
def demo_group(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back at the end.

    Each test's own ``db`` transaction nests inside it as a savepoint, so tests still cannot see
    each other's writes, and other modules never see the demo.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        result = demo.load()
        yield result
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_group")]


def units_of_kind(kind: str):
    return Unit.objects.filter(kind__code=kind)


def user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_the_group_has_twelve_enterprises_in_one_tree(demo_group):
    group = Unit.objects.get(code="G")
    assert group.depth == 1 and group.name == demo.GROUP_NAME
    enterprises = Unit.objects.filter(depth=2, kind__code="subsidiary")
    assert sorted(enterprises.values_list("code", flat=True)) == [f"E{i:02d}" for i in range(1, 13)]
    assert demo_group.enterprises == 12
    assert Unit.objects.count() == demo_group.units


def test_each_enterprise_has_two_to_four_departments():
    for enterprise in Unit.objects.filter(depth=2, kind__code="subsidiary"):
        departments = Unit.objects.get_children(enterprise).filter(kind__code="department")
        assert 2 <= departments.count() <= 4, enterprise.code
        assert all(re.fullmatch(rf"{enterprise.code}-D0\d", d.code) for d in departments)


def test_the_heat_company_runs_thirteen_heat_stations():
    stations = units_of_kind("heat-station")
    assert stations.count() == 13
    assert {Unit.objects.get_parent(s).code for s in stations} == {"E01"}
    assert sorted(stations.values_list("code", flat=True)) == [f"E01-HS{i:02d}" for i in range(1, 14)]


def test_the_property_company_serves_twelve_residential_communities():
    communities = units_of_kind("community")
    assert communities.count() == 12
    assert {Unit.objects.get_parent(c).code for c in communities} == {"E02"}


def test_the_demo_has_offices_markets_buildings_and_a_fleet_of_about_a_hundred_vehicles():
    for kind in ("office", "market", "building", "fleet"):
        assert units_of_kind(kind).exists(), kind
    security_fleet = Unit.objects.get(code="E03-F01")
    assert "98" in security_fleet.name


def test_every_unit_names_a_person_in_charge_and_a_liaison_with_valid_phones():
    for unit in Unit.objects.all():
        assert unit.person_in_charge and unit.liaison, unit.code
        validate_phone(unit.person_in_charge_phone)
        validate_phone(unit.liaison_phone)


def test_there_are_about_two_thousand_people_in_every_category(demo_group):
    assert 1900 <= Person.objects.count() <= 2100
    assert demo_group.people == Person.objects.count()
    categories = Counter(Person.objects.values_list("category", flat=True))
    assert set(categories) == set(Category.values)
    assert categories[Category.EMPLOYEE] > Person.objects.count() / 2


def test_every_id_number_is_valid_unique_and_agrees_with_the_gender():
    seen = set()
    for person in Person.objects.all():
        validate_id_number(person.id_number)
        assert person.id_number not in seen
        seen.add(person.id_number)
        # GB 11643: the 17th character is odd for men and even for women.
        assert (int(person.id_number[16]) % 2 == 1) == (person.gender == Gender.MALE), person
        assert person.id_number_digest == blind_index(person.id_number)


def test_a_person_can_be_found_by_id_number_through_the_blind_index():
    from lianfang.people.selectors import person_search

    person = Person.objects.order_by("pk")[100]
    found = person_search(Person.objects.all(), person.id_number, viewer=user("admin"))
    assert list(found) == [person]


def test_phones_are_valid_and_employee_numbers_unique():
    phones = [p for p in Person.objects.values_list("phone", flat=True) if p]
    for phone in phones:
        validate_phone(phone)
    assert len(set(phones)) == len(phones)
    numbers = list(Person.objects.values_list("employee_no", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_people_carry_the_four_tags_and_front_line_staff_work_at_sites():
    tags = Counter(Person.objects.values_list("tags__code", flat=True))
    for code in ("party-member", "front-line", "overseas", "volunteer"):
        assert tags[code] > 0, code
    at_heat_stations = Person.objects.filter(unit__kind__code="heat-station").exclude(category=Category.FAMILY)
    front_line = at_heat_stations.filter(tags__code="front-line").count()
    assert front_line > at_heat_stations.count() / 2


def test_whereabouts_classes_have_the_dates_they_need():
    today = timezone.localdate()
    counts = Counter(Person.objects.values_list("whereabouts", flat=True))
    assert counts[Whereabouts.STAYED] > counts[Whereabouts.RETURNED] > counts[Whereabouts.NOT_RETURNED] > 0
    for person in Person.objects.filter(whereabouts=Whereabouts.RETURNED):
        assert person.returned_on is not None and person.returned_on <= today and person.returned_from
    for person in Person.objects.filter(whereabouts=Whereabouts.NOT_RETURNED):
        assert person.expected_return_on is not None and person.expected_return_on > today


def test_every_persona_logs_in_with_the_printed_password():
    for persona in demo.PERSONAS:
        user = authenticate(HttpRequest(), username=persona.username, password=demo.DEMO_PASSWORD)
        assert user is not None, persona.username
    assert authenticate(HttpRequest(), username="admin", password="wrong-password") is None


def test_no_persona_is_a_superuser_the_group_office_works_through_its_role():
    for persona in demo.PERSONAS:
        account = user(persona.username)
        assert not account.is_superuser and not account.is_staff
        held = set(RoleAssignment.objects.filter(user=account).values_list("role", "unit__code"))
        assert held == {(persona.role, code) for code in persona.role_units}


def test_each_persona_has_their_own_person_record():
    for persona in demo.PERSONAS:
        person = Person.objects.get(user__username=persona.username)
        assert person.name == persona.name and person.unit.code == persona.home_unit


def subtree_people(*codes: str):
    paths = Unit.objects.filter(code__in=codes).values_list("path", flat=True)
    ids = set()
    for path in paths:
        ids |= set(Person.objects.filter(unit__path__startswith=path).values_list("pk", flat=True))
    return ids


def visible_people(username: str) -> set[int]:
    return set(Person.objects.restrict(user(username), Action.VIEW).values_list("pk", flat=True))


def visible_units(username: str) -> set[str]:
    return set(Unit.objects.restrict(user(username), Action.VIEW).values_list("code", flat=True))


def test_the_group_admin_and_the_leader_see_the_whole_group():
    everyone = set(Person.objects.values_list("pk", flat=True))
    assert visible_people("admin") == everyone
    assert visible_people("leader") == everyone
    assert visible_units("leader") == set(Unit.objects.values_list("code", flat=True))


def test_only_the_group_admin_may_change_people_and_see_the_audit_log():
    assert Person.objects.restrict(user("admin"), Action.CHANGE).count() == Person.objects.count()
    assert not Person.objects.restrict(user("leader"), Action.CHANGE).exists()
    assert ObjectChange.objects.restrict(user("admin"), Action.VIEW).exists()
    for persona in demo.PERSONAS:
        if persona.role != Role.GROUP_ADMIN:
            assert not ObjectChange.objects.restrict(user(persona.username), Action.VIEW).exists(), persona


def test_the_liaison_sees_only_the_heat_company_and_its_people():
    heat_company = subtree_people("E01")
    assert visible_people("liaison") == heat_company
    assert Person.objects.restrict(user("liaison"), Action.CHANGE).count() == len(heat_company)
    units = visible_units("liaison")
    assert "E01" in units and "E01-HS13" in units
    assert "E02" not in units and "G" not in units


def test_the_duty_officer_sees_the_security_company_where_the_duty_room_is():
    assert visible_people("duty") == subtree_people("E03")
    assert "E03-O01" in visible_units("duty")


def test_the_checkpoint_staff_see_only_their_community():
    assert visible_units("checkpoint") == {"E02-C01"}
    assert visible_people("checkpoint") == subtree_people("E02-C01")


def test_the_inspector_sees_the_three_key_units_but_not_their_people():
    units = visible_units("inspector")
    assert {"E01", "E02", "E03", "E02-C12"} <= units and "E04" not in units
    own = Person.objects.get(user__username="inspector")
    assert visible_people("inspector") == {own.pk}


def test_the_employee_sees_only_their_own_record():
    own = Person.objects.get(user__username="employee")
    assert visible_people("employee") == {own.pk}
    assert not visible_units("employee")


def test_the_load_is_in_the_change_log_as_one_operation_with_masked_snapshots():
    changes = ObjectChange.objects.filter(content_type__model__in=("unit", "person", "roleassignment"))
    assert changes.count() == Unit.objects.count() + Person.objects.count() + RoleAssignment.objects.count()
    assert ObjectChange.objects.filter(content_type__model="unitdailyreport").count() == (
        UnitDailyReport.objects.count()
    )
    assert ObjectChange.objects.values("request_id").distinct().count() == 1
    person = Person.objects.order_by("pk").first()
    logged = ObjectChange.objects.get(content_type__model="person", object_id=person.pk)
    assert logged.user.username == "admin"
    assert person.id_number not in str(logged.postchange_data)
    assert logged.postchange_data["id_number"] == person.id_number_masked
    assert sorted(logged.postchange_data["tags"]) == sorted(person.tags.values_list("pk", flat=True))


def test_loading_again_changes_nothing():
    def counts():
        return [m.objects.count() for m in (Unit, Person, ObjectChange, CheckIn, UnitDayStat, UnitDailyReport)]

    before = counts()
    result = demo.load()
    assert result.already_loaded
    assert counts() == before


def test_the_logins_table_lists_every_persona_with_the_password():
    from django.utils import translation

    with translation.override("en"):
        table = demo.logins_table()
    for persona in demo.PERSONAS:
        assert re.search(rf"^{persona.username}\s+{demo.DEMO_PASSWORD}\s", table, re.MULTILINE), persona.username
    assert "robots" in table.splitlines()[-1]  # none in the demo (no internet); where to set them up


def test_the_same_seed_gives_the_same_people():
    day = datetime.date(2026, 2, 1)
    first, second = demo.Generator(7, day), demo.Generator(7, day)
    sample = [(first.name(Gender.MALE), first.id_number(Gender.FEMALE, min_age=20, max_age=60)) for _i in range(50)]
    again = [(second.name(Gender.MALE), second.id_number(Gender.FEMALE, min_age=20, max_age=60)) for _i in range(50)]
    assert sample == again


# --- the daily loop: two weeks of check-ins, reports and bulletins ---------------------------------


def test_the_last_two_weeks_have_check_ins_and_todays_dashboard_is_not_empty():
    from lianfang.reporting.selectors import dashboard
    from lianfang.reporting.views.dashboard import dashboard_view  # noqa: F401  (the page exists)

    today = timezone.localdate()
    dates = set(CheckIn.objects.values_list("date", flat=True).distinct())
    assert dates == {today - datetime.timedelta(days=n) for n in range(demo_daily.DAYS)}
    totals = dashboard.stat_totals(UnitDayStat.objects.all(), day=today, target=95)
    assert totals["expected"] == Person.objects.filter(employment_status="active").count()
    assert 0.6 < totals["reported"] / totals["expected"] < 0.8  # about 70 % so far today
    yesterday = dashboard.stat_totals(UnitDayStat.objects.all(), day=today - datetime.timedelta(days=1), target=95)
    assert yesterday["reported"] / yesterday["expected"] > 0.95
    assert totals["on_site"] > totals["remote"] > 0


def test_day_counts_equal_a_recount_of_the_check_ins_for_every_unit_and_day():
    recount = Counter()
    for unit_id, date, fever, flagged, mode in CheckIn.objects.values_list(
        "unit_id", "date", "is_fever", "is_flagged", "work_mode"
    ):
        recount[(unit_id, date, "reported")] += 1
        recount[(unit_id, date, "fever")] += fever
        recount[(unit_id, date, "flagged")] += flagged
        recount[(unit_id, date, mode)] += 1
    headcount = Counter(Person.objects.filter(employment_status="active").values_list("unit_id", flat=True))
    stats = list(UnitDayStat.objects.all())
    assert len(stats) == Unit.objects.filter(is_active=True).count() * demo_daily.DAYS
    for s in stats:
        assert s.expected == headcount[s.unit_id], s
        for field in ("reported", "fever", "flagged", "on_site", "remote", "on_leave"):
            assert getattr(s, field) == recount[(s.unit_id, s.date, field)], (s, field)


def test_check_ins_are_plausible_with_a_few_fevers_and_flags():
    checkins = CheckIn.objects.all()
    normal = checkins.filter(is_fever=False)
    assert not normal.filter(Q(temperature__lt=36) | Q(temperature__gt=37.2)).exists()
    fevers = checkins.filter(is_fever=True)
    assert 0 < fevers.count() < 100
    assert all(37.3 <= float(t) <= 38.5 for t in fevers.values_list("temperature", flat=True))
    assert checkins.filter(is_flagged=True, is_fever=False).exists()  # a risk answer, not a fever
    # People in the city check in from the demo city's districts (渭南市, 6105xx); those not yet back, from afar.
    here = checkins.exclude(person__whereabouts=Whereabouts.NOT_RETURNED).values_list("location_code", flat=True)
    assert all(code[:4] == demo_daily.CITY_CODE for code in here)
    away = checkins.filter(person__whereabouts=Whereabouts.NOT_RETURNED).values_list("location_code", flat=True)
    assert away and all(code[:4] != demo_daily.CITY_CODE for code in away)


def test_the_employee_has_not_checked_in_today_but_did_yesterday():
    today = timezone.localdate()
    me = Person.objects.get(user__username="employee")
    assert not CheckIn.objects.filter(person=me, date=today).exists()
    assert CheckIn.objects.filter(person=me, date=today - datetime.timedelta(days=1)).exists()


def test_the_employee_can_check_in_same_as_yesterday():
    from lianfang.health.services.checkins import checkin_same_as_yesterday

    me = Person.objects.get(user__username="employee")
    checkin, created = checkin_same_as_yesterday(actor=user("employee"), person=me)
    assert created and checkin.date == timezone.localdate()


def test_todays_reports_include_timely_and_missing_units_and_a_zero_report():
    today = timezone.localdate()
    enterprises = Unit.objects.filter(kind__code="subsidiary")
    reports = UnitDailyReport.objects.filter(date=today, status=ReportStatus.SUBMITTED)
    assert 0 < reports.count() < enterprises.count()
    assert reports.filter(is_zero_report=True).exists()
    assert reports.exists() and (reports.filter(is_late=False).exists() or timezone.localtime().hour >= 15)


def test_past_reports_are_mostly_timely_with_some_late_and_zero_reports_and_correct_counts():
    today = timezone.localdate()
    past = UnitDailyReport.objects.filter(date__lt=today)
    assert past.filter(is_late=True).exists()
    assert past.filter(is_late=False).count() > past.count() * 0.8
    assert past.filter(is_zero_report=True).count() >= 5
    for report in past.filter(is_zero_report=False)[:20]:
        subtree = UnitDayStat.objects.filter(unit__path__startswith=report.unit.path, date=report.date)
        assert report.values["at_work"] == sum(subtree.values_list("on_site", flat=True))
        assert report.values["fever_today"] == sum(subtree.values_list("fever", flat=True))
    yesterday = today - datetime.timedelta(days=1)
    assert UnitDailyReport.objects.filter(date=yesterday).count() < 12  # one unit forgot


def test_problems_and_needs_are_raised_some_routed_to_a_group_department_and_one_resolved():
    items = RaisedItem.objects.all()
    assert items.exists()
    routed = items.exclude(routed_to=None)
    assert routed.exists()
    assert all(Unit.objects.get_parent(i.routed_to).code == "G" for i in routed)
    resolved = items.get(status=RaisedStatus.RESOLVED)
    assert resolved.resolution and "酒精" in resolved.text


def test_yesterdays_bulletin_is_published_by_the_admin_and_todays_is_not_built():
    today = timezone.localdate()
    bulletin = Bulletin.objects.get(date=today - datetime.timedelta(days=1))
    assert bulletin.status == BulletinStatus.PUBLISHED and bulletin.published_by.username == "admin"
    assert bulletin.data["totals"]["reported"] > 0 and bulletin.data["missing_units"]
    assert not Bulletin.objects.filter(date=today).exists()


def test_the_liaison_and_the_admin_have_a_flag_alert_and_a_reminder_in_their_inbox():
    for username in ("liaison", "admin"):
        kinds = set(Message.objects.filter(recipient__username=username).values_list("kind", flat=True))
        assert "checkin_flag" in kinds and "completion_low" in kinds, (username, kinds)
    assert Message.objects.filter(recipient__username="leader", kind="bulletin_published").exists()


def test_the_same_seed_gives_the_same_check_ins():
    sample = list(
        CheckIn.objects.order_by("person_id", "date").values_list("person_id", "temperature", "work_mode")[:200]
    )
    assert len({t for _p, t, _m in sample}) > 5  # not all the same reading


# --- duty: a well-run group, with one of each thing the duty pages warn about --------------------


def test_the_demo_rosters_name_only_people_who_may_work_but_the_officer_gone_on_sick_leave():
    from lianfang.duty.models import ShiftMember
    from lianfang.duty.selectors import conflicts_open
    from lianfang.duty.services.base import shift_days, unavailable

    members = list(ShiftMember.objects.select_related("person", "shift"))
    days = sorted({d for m in members for d in shift_days(m.shift.starts_at, m.shift.ends_at)})
    blocked = {(u.person.pk, u.day) for u in unavailable(list({m.person_id: m.person for m in members}.values()), days)}
    rostered_anyway = {
        m.person.name
        for m in members
        if any((m.person_id, d) in blocked for d in shift_days(m.shift.starts_at, m.shift.ends_at))
    }
    conflicts = list(conflicts_open(viewer=user("admin")))
    assert len(rostered_anyway) == 1 and [c.person.name for c in conflicts] == list(rostered_anyway)
    assert "病假" in conflicts[0].label and conflicts[0].shift.post.unit.name == "站北路热力站"
    assert Message.objects.filter(recipient__username="liaison", kind="duty_conflict").count() == 1


def test_every_shift_of_the_demo_that_ended_was_handed_over_and_accepted_but_two():
    from lianfang.duty.models import Handover, Shift
    from lianfang.duty.selectors import handovers_unaccepted, shifts_not_handed_over

    admin = user("admin")
    assert [s.post.unit.name for s in shifts_not_handed_over(viewer=admin)] == ["乐天大街热力站"]
    assert [h.shift.post.unit.name for h in handovers_unaccepted(viewer=admin)] == ["西岳路热力站"]
    ended = Shift.objects.filter(ends_at__lte=timezone.now())
    assert ended.count() > 500 and ended.filter(handover__isnull=True).count() == 1
    assert Handover.objects.filter(shift__ends_at__gt=timezone.now()).count() == 0


def test_the_next_seven_days_of_the_demo_lack_only_one_night_s_leader_at_one_station():
    from lianfang.duty.selectors import gap_rows

    gaps = gap_rows(viewer=user("admin"))
    assert [(g.post.unit.name, g.gap.missing, g.gap.hours) for g in gaps] == [("解放路热力站", "leader", 12.0)]
    assert timezone.localtime(gaps[0].gap.starts_at).hour == 20


def test_the_outings_tell_their_story_and_wait_on_the_personas_home_pages():
    from lianfang.core.extensions import todos_for
    from lianfang.outings.choices import OutingState, Route
    from lianfang.outings.models import Outing

    today = timezone.localdate()
    turned = Outing.objects.get(risk_found_on=today)
    assert turned.state == OutingState.APPROVED and not turned.risk_at_request
    assert Message.objects.filter(recipient__username="leader", kind="outing_risk").exists()
    back = Outing.objects.get(state=OutingState.RETURNED)
    assert back.trip_recorded and back.monitoring_until > today and back.readings.count() == 2
    assert Outing.objects.filter(route=Route.FILING, acknowledged_by__username="admin").exists()
    assert Outing.objects.filter(state=OutingState.REJECTED).exists()
    assert Outing.objects.get(person__user__username="employee").state == OutingState.PENDING
    keys = {username: {t.key for t in todos_for(user(username), today)} for username in ("leader", "liaison")}
    assert "outings.approve" in keys["leader"]
    assert "outings.monitoring" in keys["liaison"]


def test_a_week_of_disinfection_rounds_is_logged_with_two_left_undone_yesterday_and_a_terminal_one_open():
    from lianfang.core.extensions import feed_counts, todos_for
    from lianfang.sites.choices import RoundKind
    from lianfang.sites.models import DisinfectionLog, DisinfectionSlot

    today = timezone.localdate()
    group = Unit.objects.get(depth=1)
    yesterday = feed_counts(group, today - datetime.timedelta(days=1), ["sites.disinfection_overdue"])
    assert yesterday == {"sites.disinfection_overdue": 2}
    assert DisinfectionSlot.objects.filter(site__code__startswith="E01-HS").values("site").distinct().count() == 13
    assert DisinfectionSlot.objects.filter(site__code__startswith="E02-C").values("site").distinct().count() == 12
    # The heat station's latest case: its terminal disinfection is past its deadline and on the liaison's to-dos.
    open_terminal = DisinfectionSlot.objects.filter(kind=RoundKind.TERMINAL, log__isnull=True).get()
    assert open_terminal.site.code == "E01-HS01" and open_terminal.case is not None
    assert any(t.key == "sites.terminal" for t in todos_for(user("liaison"), today))
    # The checkpoint persona logged the community's recent rounds, the latest two with a photo.
    mine = DisinfectionLog.objects.filter(operator__user__username="checkpoint")
    assert mine.exists() and mine.exclude(photo="").count() == 2
