"""Statuses follow the records: a check-in with fever, a trip, a risk area added or lifted, an
isolation, a rule changed; and the check-in hot path only recomputes when it can matter."""

from __future__ import annotations

import datetime

import pytest

from lianfang.health.services import checkins, trips
from lianfang.health.services import risk_areas as risk_services
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.health.tests.status_helpers import (
    LINWEI,
    WUHAN,
    WUHAN_JIANGAN,
    area,
    checkin,
    colour,
    days_ago,
    isolation,
    rules,
    status_of,
    today,
)
from lianfang.status import engine as status
from lianfang.status import services as service_status
from lianfang.status import tasks as task_status
from lianfang.status.models import PersonStatus, StatusChange
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db
D = datetime.timedelta


@pytest.fixture
def person(tree):
    rules()
    return employee(tree.a1)


@pytest.fixture
def calls(monkeypatch):
    """The people each recompute was asked for (the recompute still runs)."""
    seen: list[list[int]] = []
    real = status.recompute

    def spy(person_ids, **kwargs):
        ids = list(person_ids)
        seen.append(ids)
        return real(ids, **kwargs)

    monkeypatch.setattr(status, "recompute", spy)
    return seen


def submit(person, *, temperature="36.5", place="", answers=None, mode="on_site"):
    return checkins.checkin_submit(
        actor=person.user,
        person=person,
        data=CheckInData(
            temperature=temperature, location_code=place, answers=answers or seed_answers(), work_mode=mode
        ),
    )


# --- check-ins -----------------------------------------------------------------------------------


def test_a_fever_check_in_makes_the_person_yellow_once_it_commits(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, temperature="38.1")
    st = status_of(person)
    assert (st.colour, st.reason) == ("yellow", "近期发热")


def test_correcting_a_fever_check_in_to_normal_makes_the_person_green_again(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, temperature="38.1")
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, temperature="36.6")
    assert colour(person) == "green"
    assert list(StatusChange.objects.filter(person=person).values_list("colour", flat=True).order_by("pk")) == [
        "yellow",
        "green",
    ]


def test_a_check_in_from_a_risk_area_makes_the_person_yellow(person, django_capture_on_commit_callbacks):
    area(WUHAN, days_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, place=WUHAN_JIANGAN)
    st = status_of(person)
    assert (st.colour, st.reason) == ("yellow", "近期到过风险地区")


def test_a_normal_check_in_of_a_green_person_outside_risk_areas_recomputes_nobody(
    person, calls, django_capture_on_commit_callbacks
):
    area(WUHAN, days_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, place=LINWEI)
    assert calls == []
    assert not PersonStatus.objects.filter(person=person).exists()


def test_a_normal_check_in_of_a_yellow_person_recomputes_them(person, calls, django_capture_on_commit_callbacks):
    checkin(person, days_ago(2), fever=True)
    status.recompute([person.pk])
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submit(person, mode="remote")  # a yellow person may not check in on site
    assert calls == [[person.pk]]


def test_the_hot_path_decides_from_memory_when_its_copy_is_fresh(
    person, calls, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from lianfang.health import cache as config_cache

    settings.LIANFANG_CHECKIN_CONFIG_CACHE = True
    area(WUHAN, days_ago(5))
    status._reload_hot()
    first = checkin(person, today(), place=WUHAN_JIANGAN)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_num_queries(0):
            status.after_checkin(first, None)
        assert len(callbacks) == 1  # in a risk area: recompute after the commit
        with django_capture_on_commit_callbacks(execute=False) as callbacks, django_assert_num_queries(0):
            first.location_code = LINWEI
            status.after_checkin(first, None)
        assert callbacks == []  # nothing that can change a fact, and no query to decide it
    finally:
        status.invalidate_hot()
        config_cache.invalidate()


# --- trips, risk areas, isolation, rules ---------------------------------------------------------


def test_a_trip_to_a_risk_area_makes_the_person_yellow_and_deleting_it_green(
    person, superuser, django_capture_on_commit_callbacks
):
    area(WUHAN_JIANGAN, days_ago(20))
    with django_capture_on_commit_callbacks(execute=True):
        recorded = trips.trip_create(
            actor=person.user,
            person=person,
            place_code=WUHAN_JIANGAN,
            date_from=days_ago(5),
            date_to=days_ago(3),
            transport="train",
            transport_no="g1234",
        )
    assert recorded.transport_no == "G1234" and recorded.place_name.endswith("江岸区")
    assert colour(person) == "yellow"
    with django_capture_on_commit_callbacks(execute=True):
        trips.trip_delete(actor=superuser, trip=recorded)
    assert colour(person) == "green"


def test_adding_a_risk_area_makes_people_who_checked_in_there_yellow(
    tree, superuser, django_capture_on_commit_callbacks
):
    rules()
    there, elsewhere = PersonFactory(unit=tree.a1), PersonFactory(unit=tree.b1)
    checkin(there, days_ago(2), place=WUHAN_JIANGAN)
    checkin(elsewhere, days_ago(2), place=LINWEI)
    with django_capture_on_commit_callbacks(execute=True):
        risk_services.risk_area_create(actor=superuser, division_code=WUHAN, level="medium", effective_from=days_ago(7))
    assert colour(there) == "yellow"
    assert colour(elsewhere) == "green"


def test_lifting_an_area_before_the_check_in_day_makes_the_person_green_again(
    tree, superuser, django_capture_on_commit_callbacks
):
    rules()
    person = PersonFactory(unit=tree.a1)
    checkin(person, days_ago(2), place=WUHAN_JIANGAN)
    with django_capture_on_commit_callbacks(execute=True):
        wuhan = risk_services.risk_area_create(
            actor=superuser, division_code=WUHAN, level="high", effective_from=days_ago(7)
        )
    assert colour(person) == "yellow"
    with django_capture_on_commit_callbacks(execute=True):
        risk_services.risk_area_lift(actor=superuser, area=wuhan, lifted_on=days_ago(3))
    assert colour(person) == "green"


def test_lifting_an_area_after_the_check_in_day_keeps_the_person_yellow(
    tree, superuser, django_capture_on_commit_callbacks
):
    rules()
    person = PersonFactory(unit=tree.a1)
    checkin(person, days_ago(3), place=WUHAN_JIANGAN)
    with django_capture_on_commit_callbacks(execute=True):
        wuhan = risk_services.risk_area_create(
            actor=superuser, division_code=WUHAN, level="high", effective_from=days_ago(7)
        )
        risk_services.risk_area_lift(actor=superuser, area=wuhan, lifted_on=days_ago(1))
    assert colour(person) == "yellow"


def test_an_isolation_recomputed_by_the_cases_services_signature_is_red(person):
    order = isolation(person, today(), today() + D(days=7))
    assert status.recompute([person.pk]) == 1
    st = status_of(person)
    assert (st.colour, st.until) == ("red", order.planned_end_on)


def test_changing_a_rule_recomputes_everyone(tree, superuser, django_capture_on_commit_callbacks):
    rules()
    people = [PersonFactory(unit=tree.a1), PersonFactory(unit=tree.b1)]
    checkin(people[0], today(), fever=True)
    status.recompute_all()
    assert colour(people[0]) == "yellow"
    with django_capture_on_commit_callbacks(execute=True):
        service_status.status_rule_update(actor=superuser, rule=rules()["fever"], colour="red")
    st = status_of(people[0])
    assert st.colour == "red"
    assert StatusChange.objects.filter(person=people[0]).latest("pk").cause == "rules"


def test_a_new_person_on_the_roster_gets_a_green_status(tree, superuser, django_capture_on_commit_callbacks):
    from lianfang.people.services import person_create

    rules()
    with django_capture_on_commit_callbacks(execute=True):
        person = person_create(actor=superuser, name="新员工", employee_no="N0001", unit=tree.a2)
    st = status_of(person)
    assert st is not None and st.colour == "green" and st.unit == tree.a2


def test_the_nightly_task_recomputes_everyone_only_after_midnight(tree, monkeypatch):
    from django.utils import timezone

    rules()
    person = PersonFactory(unit=tree.a1)
    checkin(person, today(), fever=True)
    at = timezone.localtime().replace(hour=12)
    monkeypatch.setattr(timezone, "localtime", lambda *a, **k: at)
    assert task_status.recompute_statuses_nightly.call_local() == 0 and colour(person) == "green"
    at = at.replace(hour=0, minute=20)
    assert task_status.recompute_statuses_nightly.call_local() == 1 and colour(person) == "yellow"
    assert task_status.recompute_statuses_nightly.call_local() == 0
