"""The outing's route, its decisions, the expiry and reminders, filing, and the refusals, with time frozen."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.health.choices import RiskLevel
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.outings import selectors, services
from lianfang.outings.choices import OutingState, Route, StepDecision, StepKind
from lianfang.outings.models import OutingSettings, OutingStep
from lianfang.outings.tests.conftest import CHAOYANG, TODAY, WUCHANG, ask, day, grant, risk_area
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def inbox(user) -> list[str]:
    """Titles of the user's inbox, oldest first (messages are written in the group's language)."""
    return list(Message.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True))


def steps(outing) -> list[tuple[str, str, str]]:
    return [(s.kind, s.unit.code, s.role) for s in outing.steps.select_related("unit").order_by("seq")]


# --- the route ---------------------------------------------------------------------------------------


def test_an_employees_request_goes_to_the_leader_of_the_nearest_unit_above_and_tells_them(
    clock, tree, employee, leader, office
):
    outing = ask(employee.user, employee)

    assert outing.state == OutingState.PENDING
    assert outing.route == Route.APPROVAL
    assert steps(outing) == [(StepKind.LEADER, "A", Role.LEADER)]
    assert outing.place_name == "北京市朝阳区"
    assert inbox(leader) == ["外出申请待审批：张伟 · 北京市朝阳区 12-08–12-10"]
    assert inbox(office) == []


def test_the_leader_of_the_persons_own_unit_comes_before_the_one_above(clock, tree, employee, leader):
    near = user_with_role(Role.LEADER, tree.a1, username="leader-a1")

    outing = ask(employee.user, employee)

    assert steps(outing) == [(StepKind.LEADER, "A1", Role.LEADER)]
    assert len(inbox(near)) == 1
    assert inbox(leader) == []


def test_a_destination_in_a_risk_area_in_force_on_the_day_of_asking_adds_the_office(
    clock, tree, employee, leader, office
):
    risk_area("4201", level=RiskLevel.MEDIUM)  # the city of Wuhan covers its district Wuchang

    outing = ask(employee.user, employee, place=WUCHANG)

    assert steps(outing) == [(StepKind.LEADER, "A", Role.LEADER), (StepKind.OFFICE, "G", Role.GROUP_ADMIN)]
    assert outing.risk_at_request and outing.risk_area_name == "区域4201"
    assert inbox(office) == []  # the office hears of it once the leader has approved


@pytest.mark.parametrize(
    "area",
    [
        {"level": RiskLevel.LOW},  # the office counts high and medium by default
        {"since": day(1)},  # comes into force tomorrow
        {"since": day(-10), "lifted": TODAY},  # lifted today
    ],
)
def test_an_area_that_is_low_risk_not_yet_in_force_or_lifted_does_not_add_the_office(
    clock, tree, employee, leader, area
):
    risk_area(WUCHANG, **area)

    outing = ask(employee.user, employee, place=WUCHANG)

    assert steps(outing) == [(StepKind.LEADER, "A", Role.LEADER)]
    assert not outing.risk_at_request


def test_the_office_counts_the_levels_it_chose(clock, tree, employee, leader):
    risk_area(WUCHANG, level=RiskLevel.LOW)
    OutingSettings.objects.update_or_create(pk=1, defaults={"risk_levels": ["high", "medium", "low"]})

    outing = ask(employee.user, employee, place=WUCHANG)

    assert [kind for kind, _u, _r in steps(outing)] == [StepKind.LEADER, StepKind.OFFICE]


def test_a_person_holding_a_key_role_goes_to_the_office_too(clock, tree, employee, leader):
    grant(employee.user, Role.DUTY_OFFICER, tree.a1)

    outing = ask(employee.user, employee)

    assert [kind for kind, _u, _r in steps(outing)] == [StepKind.LEADER, StepKind.OFFICE]
    assert outing.key_role


def test_a_leaders_own_outing_is_filed_with_the_office_and_valid_at_once(clock, tree, leader, office):
    me = PersonFactory(unit=tree.a, user=leader, name="高总")

    outing = ask(leader, me)

    assert outing.route == Route.FILING
    assert outing.state == OutingState.FILED
    assert steps(outing) == [(StepKind.FILING, "G", Role.GROUP_ADMIN)]
    assert outing.steps.get().due_at is None  # a filing never expires
    assert inbox(office) == ["外出报备待确认：高总 · 北京市朝阳区 12-08–12-10"]


def test_a_leaders_outing_to_a_risk_area_is_approved_by_the_office(clock, tree, leader, office):
    me = PersonFactory(unit=tree.a, user=leader, name="高总")
    risk_area(WUCHANG)

    outing = ask(leader, me, place=WUCHANG)

    assert outing.route == Route.APPROVAL and outing.state == OutingState.PENDING
    assert steps(outing) == [(StepKind.OFFICE, "G", Role.GROUP_ADMIN)]


def test_without_filing_a_leaders_outing_goes_to_the_next_leader_up_never_to_themselves(clock, tree, leader):
    OutingSettings.objects.update_or_create(pk=1, defaults={"leaders_file_only": False})
    top = user_with_role(Role.LEADER, tree.group, username="chairman")
    me = PersonFactory(unit=tree.a, user=leader, name="高总")

    outing = ask(leader, me)

    assert steps(outing) == [(StepKind.LEADER, "G", Role.LEADER)]
    assert len(inbox(top)) == 1


def test_without_any_approver_above_the_request_goes_to_the_office(clock, tree, office):
    person = PersonFactory(unit=tree.b1, user=user_with_role(None, None, username="b1-staff"))

    outing = ask(person.user, person)

    assert steps(outing) == [(StepKind.OFFICE, "G", Role.GROUP_ADMIN)]


def test_the_office_may_make_the_liaison_the_approver(clock, tree, employee, leader, liaison):
    OutingSettings.objects.update_or_create(pk=1, defaults={"approver_role": Role.UNIT_ADMIN})
    outing = ask(employee.user, employee)

    assert steps(outing) == [(StepKind.LEADER, "A", Role.UNIT_ADMIN)]
    with pytest.raises(PermissionDenied):
        services.outing_approve(actor=leader, outing=outing)
    assert services.outing_approve(actor=liaison, outing=outing).state == OutingState.APPROVED


def test_the_route_is_kept_when_the_settings_change_afterwards(clock, tree, employee, leader, liaison):
    outing = ask(employee.user, employee)
    OutingSettings.objects.update_or_create(pk=1, defaults={"approver_role": Role.UNIT_ADMIN})

    assert services.outing_approve(actor=leader, outing=outing).state == OutingState.APPROVED


# --- refusals ----------------------------------------------------------------------------------------


def test_a_return_before_the_departure_is_refused_on_the_date_of_return(clock, employee, leader):
    with pytest.raises(ValidationError) as exc:
        ask(employee.user, employee, first=3, last=2)

    assert list(exc.value.message_dict) == ["date_to"]
    assert "cannot be before the date of departure" in exc.value.message_dict["date_to"][0]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first": -1}, "date_from"),
        ({"place": "999999"}, "place_code"),
        ({"place": ""}, "place_code"),
        ({"reason": "  "}, "reason"),
        ({"transport": "rocket"}, "transport"),
        ({"transport_no": "G12;34"}, "transport_no"),
        ({"last": 100}, "date_to"),
    ],
)
def test_a_request_is_refused_naming_the_field(clock, employee, leader, fields, field):
    with pytest.raises(ValidationError) as exc:
        ask(employee.user, employee, **fields)

    assert field in exc.value.message_dict


def test_a_request_overlapping_another_live_one_of_the_same_person_is_refused(clock, employee, leader):
    first = ask(employee.user, employee, first=1, last=3)

    with pytest.raises(ValidationError) as exc:
        ask(employee.user, employee, first=3, last=5)

    message = exc.value.message_dict["date_from"][0]
    assert "You already have an outing on these days: 北京市朝阳区, 2026-12-08 to 2026-12-10" in message
    assert first.steps.count() == 1


@pytest.mark.parametrize("how", ["rejected", "cancelled"])
def test_a_rejected_or_withdrawn_request_does_not_hold_its_days(clock, employee, leader, how):
    first = ask(employee.user, employee, first=1, last=3)
    if how == "rejected":
        services.outing_reject(actor=leader, outing=first, reason="疫情期间非必要不外出")
    else:
        services.outing_cancel(actor=employee.user, outing=first)

    second = ask(employee.user, employee, first=2, last=4)

    assert second.state == OutingState.PENDING


def test_a_liaison_asks_for_someone_without_a_phone_but_a_colleague_may_not(clock, tree, liaison, leader, employee):
    no_phone = PersonFactory(unit=tree.a1s, name="老王")

    outing = ask(liaison, no_phone)

    assert outing.submitted_by == liaison
    with pytest.raises(PermissionDenied):
        ask(employee.user, no_phone, first=5, last=6)


# --- decisions ---------------------------------------------------------------------------------------


def test_the_office_step_opens_after_the_leader_approves_and_the_person_is_told_at_the_end(
    clock, tree, employee, leader, office
):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)

    services.outing_approve(actor=leader, outing=outing, note="同意")
    outing.refresh_from_db()
    assert outing.state == OutingState.PENDING
    assert inbox(office) == ["外出申请待审批：张伟 · 湖北省武汉市武昌区 12-08–12-10"]
    assert inbox(employee.user) == []

    clock.advance(hours=2)
    services.outing_approve(actor=office, outing=outing)
    outing.refresh_from_db()
    assert outing.state == OutingState.APPROVED
    assert outing.decided_at == clock.now
    assert inbox(employee.user) == ["外出已批准：湖北省武汉市武昌区，2026-12-08 至 2026-12-10"]
    assert [s.decision for s in outing.steps.order_by("seq")] == [StepDecision.APPROVED, StepDecision.APPROVED]


def test_the_leader_cannot_decide_the_office_step(clock, tree, employee, leader, office):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)
    services.outing_approve(actor=leader, outing=outing)

    with pytest.raises(PermissionDenied):
        services.outing_approve(actor=leader, outing=outing)


def test_a_refusal_needs_a_reason_and_tells_the_person_why(clock, tree, employee, leader):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)

    with pytest.raises(ValidationError) as exc:
        services.outing_reject(actor=leader, outing=outing, reason=" ")
    assert list(exc.value.message_dict) == ["reason"]

    services.outing_reject(actor=leader, outing=outing, reason="目的地为高风险地区")
    outing.refresh_from_db()
    assert outing.state == OutingState.REJECTED
    assert outing.steps.count() == 1  # the office step was never reached
    message = employee.user.messages.get()
    assert message.title == "外出未获批准：湖北省武汉市武昌区，2026-12-08 至 2026-12-10"
    assert message.body == "理由：目的地为高风险地区"


def test_nobody_decides_their_own_outing_even_the_office(clock, tree, office):
    me = PersonFactory(unit=tree.group, user=office, name="周主任")
    outing = ask(office, me)

    with pytest.raises(PermissionDenied):
        services.outing_approve(actor=office, outing=outing)


def test_a_leader_of_another_subsidiary_cannot_decide(clock, tree, employee, leader):
    other = user_with_role(Role.LEADER, tree.b, username="leader-b")
    outing = ask(employee.user, employee)

    with pytest.raises(PermissionDenied):
        services.outing_approve(actor=other, outing=outing)
    assert selectors.steps_waiting(viewer=other).count() == 0
    assert selectors.steps_waiting(viewer=leader).count() == 1


def test_the_office_may_decide_the_leaders_step_in_its_place(clock, tree, employee, leader, office):
    outing = ask(employee.user, employee)

    services.outing_approve(actor=office, outing=outing)

    assert outing.steps.get().decided_by == office


def test_the_office_acknowledges_a_filing_which_stays_valid(clock, tree, leader, office):
    me = PersonFactory(unit=tree.a, user=leader, name="高总")
    outing = ask(leader, me)
    assert selectors.steps_waiting(viewer=office).get().kind == StepKind.FILING

    services.outing_acknowledge(actor=office, outing=outing, note="已备案")

    outing.refresh_from_db()
    assert outing.state == OutingState.FILED
    assert outing.acknowledged_by == office
    assert selectors.steps_waiting(viewer=office).count() == 0
    with pytest.raises(ValidationError):
        services.outing_approve(actor=office, outing=outing)


# --- reminders and expiry ----------------------------------------------------------------------------


def test_approvers_are_reminded_once_and_an_undecided_request_expires_once(clock, tree, employee, leader):
    outing = ask(employee.user, employee)

    clock.advance(hours=11)
    assert services.outings_scan().as_dict() == {"reminded": 0, "expired": 0}
    clock.advance(hours=1)
    assert services.outings_scan().as_dict() == {"reminded": 1, "expired": 0}
    assert services.outings_scan().as_dict() == {"reminded": 0, "expired": 0}
    assert inbox(leader)[-1] == "提醒：外出申请待您审批：张伟 · 北京市朝阳区 12-08–12-10"

    clock.advance(hours=36)
    assert services.outings_scan().as_dict() == {"reminded": 0, "expired": 1}
    assert services.outings_scan().as_dict() == {"reminded": 0, "expired": 0}
    outing.refresh_from_db()
    assert outing.state == OutingState.EXPIRED
    assert inbox(employee.user) == ["外出申请已失效：北京市朝阳区，2026-12-08 至 2026-12-10"]
    assert selectors.steps_waiting(viewer=leader).count() == 0
    with pytest.raises(ValidationError):
        services.outing_approve(actor=leader, outing=outing)


def test_the_expiry_counts_from_when_a_step_is_reached(clock, tree, employee, leader, office):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)
    clock.advance(hours=47)
    services.outing_approve(actor=leader, outing=outing)

    clock.advance(hours=2)
    assert services.outings_scan().expired == 0
    clock.advance(hours=46)
    assert services.outings_scan().expired == 1


def test_the_expiry_time_is_the_offices(clock, tree, employee, leader):
    OutingSettings.objects.update_or_create(pk=1, defaults={"expire_hours": 4, "remind_hours": 2})
    ask(employee.user, employee)

    clock.advance(hours=4)

    assert services.outings_scan().as_dict() == {"reminded": 0, "expired": 1}


def test_a_decided_request_does_not_expire(clock, tree, employee, leader):
    outing = ask(employee.user, employee)
    services.outing_approve(actor=leader, outing=outing)

    clock.advance(days=5)

    assert services.outings_scan().expired == 0
    outing.refresh_from_db()
    assert outing.state == OutingState.APPROVED


def test_a_filing_is_reminded_but_never_expires(clock, tree, leader, office):
    me = PersonFactory(unit=tree.a, user=leader, name="高总")
    ask(leader, me)

    clock.advance(days=5)

    assert services.outings_scan().as_dict() == {"reminded": 1, "expired": 0}


# --- withdrawing ------------------------------------------------------------------------------------


def test_an_approved_outing_may_be_withdrawn_before_leaving_but_not_after(clock, tree, employee, leader):
    outing = ask(employee.user, employee, first=1, last=3)
    services.outing_approve(actor=leader, outing=outing)
    later = ask(employee.user, employee, first=5, last=6)
    services.outing_approve(actor=leader, outing=later)

    assert services.outing_cancel(actor=employee.user, outing=later).state == OutingState.CANCELLED
    clock.advance(days=2)
    with pytest.raises(ValidationError) as exc:
        services.outing_cancel(actor=employee.user, outing=outing)
    assert "confirm your return" in exc.value.messages[0]


def test_withdrawing_a_request_takes_it_off_the_approvers_list(clock, tree, employee, leader):
    outing = ask(employee.user, employee)

    services.outing_cancel(actor=employee.user, outing=outing)

    assert selectors.steps_waiting(viewer=leader).count() == 0
    assert OutingStep.objects.get(outing=outing).decision == StepDecision.CANCELLED
    with pytest.raises(PermissionDenied):
        services.outing_cancel(actor=leader, outing=ask(employee.user, employee, first=10, last=11))


# --- settings ----------------------------------------------------------------------------------------


def test_only_the_office_on_the_group_changes_the_settings(clock, tree, office):
    sub_office = user_with_role(Role.GROUP_ADMIN, tree.a, username="sub-office")

    with pytest.raises(PermissionDenied):
        services.outing_settings_update(actor=sub_office, expire_hours=24)
    config = services.outing_settings_update(actor=office, expire_hours=24, key_roles=[Role.CHECKPOINT])

    assert (config.expire_hours, config.key_roles) == (24, [Role.CHECKPOINT])


def test_a_reminder_after_the_expiry_is_refused(clock, tree, office):
    with pytest.raises(ValidationError) as exc:
        services.outing_settings_update(actor=office, expire_hours=12, remind_hours=12)

    assert list(exc.value.message_dict) == ["remind_hours"]


def test_chaoyang_and_wuchang_are_real_districts():
    from lianfang.health import divisions

    assert divisions.full_name(CHAOYANG) == "北京市朝阳区"
    assert divisions.full_name(WUCHANG) == "湖北省武汉市武昌区"
