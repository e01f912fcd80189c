"""While the trip lasts and after it: the daily check of the destination, the return with the
office's measures, the enhanced monitoring's second reading, with time frozen."""

from __future__ import annotations

import decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.health.models import Trip
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.outings import selectors, services
from lianfang.outings.choices import MonitoringWhen, OutingState
from lianfang.outings.models import OutingSettings
from lianfang.outings.tests.conftest import CHAOYANG, WUCHANG, ask, day, risk_area
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def inbox(user) -> list[str]:
    """Titles of the user's inbox, oldest first (messages are written in the group's language)."""
    return list(Message.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


@pytest.fixture
def approved(clock, employee, leader):
    """张伟's approved outing to Wuchang, 12-08 to 12-10."""
    outing = ask(employee.user, employee, place=WUCHANG, first=1, last=3)
    return services.outing_approve(actor=leader, outing=outing)


# --- the daily check ---------------------------------------------------------------------------------


def test_a_destination_that_turns_risky_during_the_trip_tells_the_person_and_the_approver_once(
    clock, employee, leader, approved
):
    clock.advance(days=2)  # 12-09, away
    assert services.destinations_check().turned_risky == 0
    risk_area("4201", since=day(2))

    assert services.destinations_check().turned_risky == 1
    assert services.destinations_check().turned_risky == 0

    approved.refresh_from_db()
    assert approved.risk_found_on == day(2) and approved.risk_found_area == "区域4201"
    title = "外出目的地已列为风险地区：张伟 · 湖北省武汉市武昌区 12-08–12-10"
    assert inbox(employee.user)[-1] == title
    assert inbox(leader)[-1] == title
    assert "尽快返回" in Message.objects.filter(recipient=employee.user).order_by("pk").last().body


def test_a_pending_request_whose_destination_turns_risky_warns_its_approver_before_deciding(clock, employee, leader):
    outing = ask(employee.user, employee, place=WUCHANG)
    risk_area(WUCHANG)

    services.destinations_check()

    message = Message.objects.filter(recipient=leader, kind="outing_risk").get()
    assert "审批时予以考虑" in message.body
    outing.refresh_from_db()
    assert outing.in_risk


def test_an_area_that_is_low_risk_or_elsewhere_is_not_reported(clock, employee, leader, approved):
    risk_area(WUCHANG, level="low")
    risk_area(CHAOYANG)

    assert services.destinations_check().turned_risky == 0


def test_a_person_past_the_date_of_return_is_reminded_once(clock, employee, approved):
    clock.advance(days=4)

    assert services.destinations_check().return_reminders == 1
    assert services.destinations_check().return_reminders == 0
    assert inbox(employee.user)[-1] == "请确认从湖北省武汉市武昌区返回"


# --- the return ------------------------------------------------------------------------------------


def test_the_return_records_the_trip_and_tells_the_status_engine(clock, employee, approved, recomputed):
    clock.advance(days=3)

    outing = services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(3))

    trip = Trip.objects.get(person=employee)
    assert (trip.place_code, trip.date_from, trip.date_to, trip.transport) == (WUCHANG, day(1), day(3), "train")
    assert trip.created_by == employee.user
    assert recomputed == [([employee.pk], "trip")]
    assert outing.state == OutingState.RETURNED and outing.trip_recorded
    assert outing.monitoring_until is None  # Wuchang was no risk area on those days


def test_a_return_from_a_place_that_was_a_risk_area_during_the_trip_starts_enhanced_monitoring(
    clock, employee, approved
):
    risk_area(WUCHANG, since=day(-30), lifted=day(2))  # in force on the first day of the trip only
    clock.advance(days=4)

    outing = services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(4))

    assert outing.monitoring_until == day(11)
    assert outing.last_day == day(11)


def test_the_office_decides_the_measures_on_return(clock, employee, approved):
    OutingSettings.objects.update_or_create(
        pk=1, defaults={"record_trip": False, "monitoring_when": MonitoringWhen.ALWAYS, "monitoring_days": 3}
    )
    clock.advance(days=3)

    outing = services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(3))

    assert not Trip.objects.exists() and not outing.trip_recorded
    assert outing.monitoring_until == day(6)


def test_a_return_is_refused_for_a_future_day_or_a_return_before_leaving(clock, employee, approved):
    clock.advance(days=2)

    with pytest.raises(ValidationError) as exc:
        services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(3))
    assert list(exc.value.message_dict) == ["actual_to"]
    with pytest.raises(ValidationError) as exc:
        services.outing_return(actor=employee.user, outing=approved, actual_from=day(2), actual_to=day(1))
    assert list(exc.value.message_dict) == ["actual_to"]
    assert not Trip.objects.exists()


def test_the_liaison_confirms_a_return_for_someone_but_the_leader_does_not(clock, tree, employee, leader, approved):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison-a1")
    clock.advance(days=3)

    with pytest.raises(PermissionDenied):
        services.outing_return(actor=leader, outing=approved, actual_from=day(1), actual_to=day(3))
    outing = services.outing_return(actor=liaison, outing=approved, actual_from=day(1), actual_to=day(3))

    assert outing.return_confirmed_by == liaison
    assert Trip.objects.get().created_by == liaison


def test_a_pending_request_is_not_returned_from(clock, employee, leader):
    outing = ask(employee.user, employee, first=0, last=0)

    with pytest.raises(ValidationError):
        services.outing_return(actor=employee.user, outing=outing, actual_from=day(0), actual_to=day(0))


def test_the_return_frees_the_days_after_an_early_return(clock, employee, leader, approved):
    clock.advance(days=1)
    services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(1))

    later = ask(employee.user, employee, first=2, last=3)

    assert later.state == OutingState.PENDING


# --- the second reading -------------------------------------------------------------------------------


@pytest.fixture
def monitored(clock, employee, approved):
    risk_area(WUCHANG)  # in force on every day of the trip
    clock.advance(days=3)
    return services.outing_return(actor=employee.user, outing=approved, actual_from=day(1), actual_to=day(3))


def test_the_person_records_one_second_reading_a_day_from_the_day_after_the_return(clock, employee, tree, monitored):
    with pytest.raises(ValidationError):  # the day of return itself asks for none
        services.reading_record(actor=employee.user, outing=monitored, temperature=decimal.Decimal("36.5"))

    clock.advance(days=1)
    reading = services.reading_record(actor=employee.user, outing=monitored, temperature=decimal.Decimal("36.52"))

    assert (reading.date, reading.temperature, reading.is_fever) == (day(4), decimal.Decimal("36.5"), False)
    with pytest.raises(ValidationError) as exc:
        services.reading_record(actor=employee.user, outing=monitored, temperature=decimal.Decimal("36.6"))
    assert list(exc.value.message_dict) == ["temperature"]


def test_a_fever_reading_tells_the_liaison(clock, tree, employee, liaison, monitored):
    clock.advance(days=1)

    reading = services.reading_record(actor=employee.user, outing=monitored, temperature=decimal.Decimal("37.8"))

    assert reading.is_fever
    assert inbox(liaison) == ["加强健康监测期间发热：张伟，37.8 °C"]


def test_the_monitoring_ends_on_its_last_day(clock, employee, monitored):
    clock.advance(days=8)

    with pytest.raises(ValidationError):
        services.reading_record(actor=employee.user, outing=monitored, temperature=decimal.Decimal("36.5"))


def test_the_liaisons_to_do_counts_the_people_without_todays_reading(clock, tree, employee, liaison, monitored):
    other = PersonFactory(unit=tree.a2, name="李四")
    assert other.outings.count() == 0
    clock.advance(days=1)
    today = day(4)

    todos = {t.key: t for t in selectors.todos_for(liaison, today)}
    assert todos["outings.monitoring"].count == 1
    assert "outings.reading" in {t.key for t in selectors.todos_for(employee.user, today)}

    services.reading_record(actor=liaison, outing=monitored, temperature=decimal.Decimal("36.4"))

    assert "outings.monitoring" not in {t.key for t in selectors.todos_for(liaison, today)}
    assert "outings.reading" not in {t.key for t in selectors.todos_for(employee.user, today)}


def test_the_person_is_asked_to_confirm_the_return_from_the_last_day(clock, employee, approved):
    assert "outings.return" not in {t.key for t in selectors.todos_for(employee.user, day(2))}
    todo = next(t for t in selectors.todos_for(employee.user, day(3)) if t.key == "outings.return")
    assert not todo.urgent
    assert next(t for t in selectors.todos_for(employee.user, day(4)) if t.key == "outings.return").urgent
