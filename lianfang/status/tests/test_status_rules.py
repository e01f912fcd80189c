"""The status engine: each default rule, rule order, expiry (until and hold days), history, and the
risk list in force on a date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from lianfang.health.selectors import risk_area_list
from lianfang.health.tests.status_helpers import (
    LINWEI,
    WUHAN,
    WUHAN_JIANGAN,
    area,
    case,
    checkin,
    contact,
    days_ago,
    isolation,
    rules,
    status_of,
    today,
    trip,
)
from lianfang.org.models import GroupSettings
from lianfang.status import engine as status
from lianfang.status import services
from lianfang.status.choices import StatusCause
from lianfang.status.engine import RiskIndex, recompute, recompute_all
from lianfang.status.models import PersonStatus, StatusChange
from lianfang.testing import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.timedelta


@pytest.fixture
def person(tree):
    rules()
    return PersonFactory(unit=tree.a1)


def status_after(person) -> PersonStatus:
    recompute([person.pk])
    st = status_of(person)
    assert st is not None
    return st


# --- each default rule ----------------------------------------------------------------------------


def test_a_person_with_no_facts_is_green_with_no_concerns(person):
    st = status_after(person)
    assert (st.colour, st.reason, st.until, st.rule_id) == ("green", "无异常", None, None)


def test_a_confirmed_case_is_red_with_no_end_date(person):
    case(person, "confirmed")
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("red", "疑似或确诊病例", None)


@pytest.mark.parametrize("case_status", ["suspected", "asymptomatic"])
def test_a_suspected_case_or_asymptomatic_infection_is_red(person, case_status):
    case(person, case_status)
    assert status_after(person).colour == "red"


def test_a_person_in_isolation_is_red_until_the_planned_end(person):
    end = today() + D(days=5)
    isolation(person, days_ago(2), end)
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("red", "隔离观察中", end)


def test_an_isolation_that_starts_tomorrow_does_not_count_yet(person):
    isolation(person, today() + D(days=1), today() + D(days=8))
    assert status_after(person).colour == "green"


def test_an_overdue_isolation_not_yet_released_is_still_red(person):
    isolation(person, days_ago(10), days_ago(3))
    st = status_after(person)
    assert st.colour == "red" and st.until == today()


def test_home_monitoring_after_release_is_yellow_until_it_ends(person):
    end = today() + D(days=2)
    isolation(person, days_ago(8), days_ago(1), released_on=days_ago(1), monitoring_end_on=end)
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("yellow", "居家健康监测中", end)


def test_a_fever_check_in_is_yellow_for_three_days(person):
    checkin(person, days_ago(1), fever=True)
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("yellow", "近期发热", days_ago(1) + D(days=3))


def test_a_follow_up_reading_above_the_threshold_counts_as_fever(person):
    from lianfang.cases.models import FollowUp

    order = isolation(person, days_ago(20), days_ago(10), released_on=days_ago(9))
    FollowUp.objects.create(isolation=order, unit=person.unit, date=days_ago(1), slot=1, temperature=Decimal("37.6"))
    st = status_after(person)
    assert (st.colour, st.reason) == ("yellow", "近期发热")


def test_a_follow_up_reading_below_the_threshold_does_not(person):
    from lianfang.cases.models import FollowUp

    order = isolation(person, days_ago(20), days_ago(10), released_on=days_ago(9))
    FollowUp.objects.create(isolation=order, unit=person.unit, date=days_ago(1), slot=1, temperature=Decimal("37.2"))
    assert status_after(person).colour == "green"


def test_a_trip_to_a_risk_area_is_yellow_until_the_look_back_window_has_passed(person):
    area(WUHAN_JIANGAN, days_ago(30))
    trip(person, WUHAN_JIANGAN, days_ago(6), days_ago(4))
    st = status_after(person)
    lookback = GroupSettings.load().lookback_days
    assert (st.colour, st.reason, st.until) == ("yellow", "近期到过风险地区", days_ago(4) + D(days=lookback))


def test_a_check_in_from_inside_a_city_that_is_a_risk_area_is_yellow(person):
    area(WUHAN, days_ago(30))  # the whole city: its districts are covered
    checkin(person, days_ago(2), place=WUHAN_JIANGAN)
    assert status_after(person).colour == "yellow"


def test_a_district_risk_area_does_not_cover_a_check_in_that_only_names_the_city(person):
    area(WUHAN_JIANGAN, days_ago(30))
    checkin(person, days_ago(2), place=WUHAN)
    assert status_after(person).colour == "green"


def test_travel_longer_ago_than_the_look_back_window_no_longer_counts(person):
    settings = GroupSettings.load()
    settings.lookback_days = 7
    settings.save()
    area(WUHAN_JIANGAN, days_ago(60))
    trip(person, WUHAN_JIANGAN, days_ago(12), days_ago(8))
    assert status_after(person).colour == "green"
    settings.lookback_days = 14
    settings.save()
    assert status_after(person).colour == "yellow"


def test_a_close_contact_not_yet_isolated_is_yellow_until_fourteen_days_after_exposure(person):
    contact(person, days_ago(3))
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("yellow", "密接观察期未满", days_ago(3) + D(days=14))


def test_a_contact_isolated_since_the_exposure_is_red_for_the_isolation_not_yellow(person):
    record = contact(person, days_ago(3))
    isolation(person, days_ago(2), today() + D(days=5), contact=record)
    assert status_after(person).reason == "隔离观察中"


def test_a_contact_released_from_isolation_is_no_longer_an_unfinished_follow_up(person):
    record = contact(person, days_ago(10))
    isolation(person, days_ago(9), days_ago(2), contact=record, released_on=days_ago(2))
    assert status_after(person).colour == "green"


def test_a_flagged_answer_today_is_yellow(person):
    checkin(person, today(), flagged=True)
    st = status_after(person)
    assert (st.colour, st.reason, st.until) == ("yellow", "打卡答案异常", today() + D(days=1))


# --- order, switching off, expiry -----------------------------------------------------------------


def test_the_first_rule_that_holds_wins(person):
    case(person, "suspected")
    checkin(person, today(), fever=True)
    assert status_after(person).reason == "疑似或确诊病例"


def test_moving_a_rule_up_changes_which_reason_wins(person, superuser):

    case(person, "suspected")
    checkin(person, today(), fever=True)
    fever = rules()["fever"]
    ids = [fever.pk, *(r.pk for r in rules().values() if r.pk != fever.pk)]
    services.status_rules_reorder(actor=superuser, rule_ids=ids)
    st = status_after(person)
    assert (st.colour, st.reason) == ("yellow", "近期发热")


def test_a_switched_off_rule_is_skipped(person):
    case(person, "confirmed")
    case_rule = rules()["case_active"]
    case_rule.is_active = False
    case_rule.save()
    assert status_after(person).colour == "green"


def test_a_fever_older_than_the_window_is_green_again(person):
    checkin(person, days_ago(4), fever=True)
    assert status_after(person).colour == "green"


def test_hold_days_keep_the_colour_after_the_fact_ends_and_show_until_then(person):
    fever = rules()["fever"]
    fever.hold_days = 2
    fever.save()
    checkin(person, days_ago(4), fever=True)
    st = status_after(person)
    assert (st.colour, st.until) == ("yellow", days_ago(4) + D(days=3 + 2))


def test_release_from_isolation_ends_red_at_once_without_hold_days(person):
    isolation(person, days_ago(9), today() + D(days=1), released_on=today())
    assert status_after(person).colour == "green"


def test_release_with_hold_days_keeps_red_for_those_days(person):
    rule = rules()["isolated"]
    rule.hold_days = 3
    rule.save()
    isolation(person, days_ago(9), today() + D(days=1), released_on=today())
    st = status_after(person)
    assert (st.colour, st.until) == ("red", today() - D(days=1) + D(days=3))


def test_an_excluded_case_turns_green_again_with_the_change_in_the_history(person):
    record = case(person, "suspected")
    assert status_after(person).colour == "red"
    record.status, record.excluded_on = "excluded", today()
    record.save()
    st = status_after(person)
    assert st.colour == "green"
    colours = list(StatusChange.objects.filter(person=person).order_by("pk").values_list("colour_before", "colour"))
    assert colours == [("", "red"), ("red", "green")]


def test_the_status_on_a_given_day_is_judged_on_that_day(person):
    checkin(person, days_ago(1), fever=True)
    recompute([person.pk], today=days_ago(1) + D(days=3))
    assert status_of(person).colour == "yellow"
    recompute([person.pk], today=days_ago(1) + D(days=4))
    assert status_of(person).colour == "green"


# --- history and idempotence ----------------------------------------------------------------------


def test_an_unchanged_recompute_writes_no_history_and_a_change_writes_one_row(person):
    checkin(person, today(), fever=True)
    assert recompute([person.pk]) == 1
    assert recompute([person.pk]) == 0
    assert recompute_all() == 0
    change = StatusChange.objects.get(person=person)
    assert (change.colour_before, change.colour, change.cause) == ("", "yellow", StatusCause.EVENT)


def test_recompute_all_covers_everyone_and_is_idempotent(tree):
    rules()
    people = [PersonFactory(unit=unit) for unit in (tree.a1, tree.a2, tree.b1)]
    checkin(people[1], today(), fever=True)
    changed = recompute_all()
    assert changed == 1
    assert PersonStatus.objects.count() == 3
    assert {st.person_id: st.colour for st in PersonStatus.objects.all()} == {
        people[0].pk: "green",
        people[1].pk: "yellow",
        people[2].pk: "green",
    }
    assert recompute_all() == 0
    assert StatusChange.objects.count() == 1


def test_a_status_follows_the_person_to_their_new_unit(tree, person):
    recompute([person.pk])
    person.unit = tree.b1
    person.save()
    recompute([person.pk])
    assert status_of(person).unit == tree.b1


def test_an_older_computation_never_overwrites_a_newer_one(person):
    checkin(person, today(), fever=True)
    recompute([person.pk])
    st = status_of(person)
    # A computation whose facts were read before the row was last written is skipped.
    people = {person.pk: person.unit_id}
    old = st.computed - D(minutes=1)
    with_status = {person.pk: status.GREEN}
    from django.db import transaction

    with transaction.atomic():
        changed = status._write(people=people, outcomes=with_status, person_ids=[person.pk], started=old, cause="event")
    assert changed == 0 and status_of(person).colour == "yellow"


def test_a_rule_naming_an_unknown_fact_in_the_database_is_skipped(person):
    rule = rules()["case_active"]
    rule.condition = {"fact": "no-such-fact"}
    rule.save()
    case(person)
    assert status_after(person).colour == "green"


def test_the_number_of_queries_does_not_grow_with_the_number_of_people(tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rules()
    area(WUHAN, days_ago(30))

    def queries_for(n: int) -> int:
        for index in range(n):
            p = PersonFactory(unit=tree.a1)
            checkin(p, today(), fever=index % 3 == 0, place=WUHAN_JIANGAN if index % 5 == 0 else LINWEI)
        with CaptureQueriesContext(connection) as captured:
            recompute_all()
        return len(captured)

    few, many = queries_for(10), queries_for(40)
    assert many <= few <= 30


# --- the risk list in force on a date -------------------------------------------------------------


def test_a_lifted_area_no_longer_applies_from_the_day_it_was_lifted_but_still_applies_before():
    index = RiskIndex(by_code={WUHAN: [(datetime.date(2022, 11, 1), datetime.date(2022, 11, 20))]})
    assert not index.covers(WUHAN_JIANGAN, datetime.date(2022, 10, 31))
    assert index.covers(WUHAN_JIANGAN, datetime.date(2022, 11, 1))
    assert index.covers(WUHAN_JIANGAN, datetime.date(2022, 11, 19))
    assert not index.covers(WUHAN_JIANGAN, datetime.date(2022, 11, 20))
    assert index.last_day_in(WUHAN_JIANGAN, datetime.date(2022, 11, 15), datetime.date(2022, 11, 25)) == (
        datetime.date(2022, 11, 19)
    )


def test_a_check_in_before_the_lifting_still_makes_a_person_yellow_and_one_after_does_not(tree):
    rules()
    before, after = PersonFactory(unit=tree.a1), PersonFactory(unit=tree.a1)
    area(WUHAN_JIANGAN, days_ago(20), lifted=days_ago(3))
    checkin(before, days_ago(4), place=WUHAN_JIANGAN)
    checkin(after, days_ago(2), place=WUHAN_JIANGAN)
    recompute([before.pk, after.pk])
    assert (status_of(before).colour, status_of(after).colour) == ("yellow", "green")


def test_the_risk_list_in_force_on_a_day_leaves_out_lifted_and_future_areas(tree, superuser):
    old = area(WUHAN, datetime.date(2022, 11, 1), lifted=datetime.date(2022, 11, 20))
    current = area(WUHAN_JIANGAN, datetime.date(2022, 11, 10))
    future = area(LINWEI, datetime.date(2022, 12, 1))
    on = {a.pk for a in risk_area_list(viewer=superuser, on=datetime.date(2022, 11, 15))}
    assert on == {old.pk, current.pk}
    on_later = {a.pk for a in risk_area_list(viewer=superuser, on=datetime.date(2022, 11, 20))}
    assert on_later == {current.pk}
    assert future.pk in {a.pk for a in risk_area_list(viewer=superuser)}


def test_the_risk_list_is_empty_for_an_anonymous_reader(tree):
    from django.contrib.auth.models import AnonymousUser

    area(WUHAN, days_ago(1))
    assert not risk_area_list(viewer=AnonymousUser()).exists()


def test_the_isolation_responsible_user_is_not_made_a_person(person):
    # The responsible user of an isolation is an account, not a roster person: no status of their own.
    isolation(person, days_ago(1), today() + D(days=3), responsible=UserFactory())
    recompute_all()
    assert PersonStatus.objects.count() == 1
