from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from lianfang.core.models import ObjectChange
from lianfang.duty import services
from lianfang.duty.choices import EntryKind, HandoverStatus, MemberRole, Pattern, PhoneCheck, SwapStatus
from lianfang.duty.models import DutyPost, Leave, Shift, ShiftMember, Swap
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.notify.models import Message
from lianfang.testing import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def tomorrow(n: int = 1) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


# --- posts ------------------------------------------------------------------------------------------


def test_the_office_makes_a_unit_keep_duty_and_a_liaison_cannot(tree, office, liaison):
    post = services.post_create(
        actor=office, unit=tree.b, phone="0913-1", pattern=Pattern.DAY_NIGHT, night_starts=datetime.time(20)
    )
    assert post.shift_starts() == [datetime.time(8), datetime.time(20)]
    with pytest.raises(PermissionDenied):
        services.post_create(actor=liaison, unit=tree.a1, phone="0913-2")
    with pytest.raises(ValidationError):
        services.post_create(actor=office, unit=tree.b, phone="0913-3")


def test_day_and_night_shifts_need_the_night_start(tree, office):
    with pytest.raises(ValidationError, match="night shift"):
        services.post_create(actor=office, unit=tree.b, phone="0913-1", pattern=Pattern.DAY_NIGHT)


# --- shifts and eligibility ---------------------------------------------------------------------------


def test_a_shift_is_created_with_its_leader_and_officers_and_logged(post, liaison, staff):
    day = tomorrow()
    shift = services.shift_create(
        actor=liaison,
        post=post,
        starts_at=local(day),
        ends_at=local(day + datetime.timedelta(days=1)),
        leader=staff[0],
        officers=staff[1:3],
    )
    roles = dict(shift.members.values_list("person_id", "role"))
    assert roles == {staff[0].pk: MemberRole.LEADER, staff[1].pk: MemberRole.OFFICER, staff[2].pk: MemberRole.OFFICER}
    assert ObjectChange.objects.filter(object_id=shift.pk, object_repr__contains="").exists()


def test_a_shift_with_nobody_is_refused(post, liaison):
    with pytest.raises(ValidationError, match="needs a leader"):
        services.shift_create(actor=liaison, post=post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)))
    assert not Shift.objects.exists()


def test_a_person_outside_the_units_scope_is_not_found(tree, post, liaison):
    outsider = PersonFactory(unit=tree.b1)
    with pytest.raises(Http404):
        services.shift_create(
            actor=liaison, post=post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)), leader=outsider
        )


def test_a_person_the_check_in_guard_keeps_from_work_is_refused_with_the_reason(post, liaison, staff, kept_from_work):
    kept_from_work.add(staff[1].pk)
    with pytest.raises(ValidationError, match="红码"):
        services.shift_create(
            actor=liaison,
            post=post,
            starts_at=local(tomorrow()),
            ends_at=local(tomorrow(2)),
            leader=staff[0],
            officers=[staff[1]],
        )
    assert not Shift.objects.exists()


def test_a_person_on_leave_is_refused(post, liaison, staff):
    services.leave_create(actor=liaison, person=staff[1], starts_on=tomorrow(2), ends_on=tomorrow(4), reason="年假")
    # a 24-hour shift from tomorrow 08:00 touches the day after tomorrow
    with pytest.raises(ValidationError, match="on leave"):
        services.shift_create(
            actor=liaison, post=post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)), officers=[staff[1]]
        )


def test_a_person_whose_check_in_says_on_leave_is_refused(tree, post, liaison, staff):
    today = timezone.localdate()
    CheckIn.objects.create(person=staff[1], unit=tree.a1, date=today, temperature="36.5", work_mode=WorkMode.ON_LEAVE)
    with pytest.raises(ValidationError, match="check-in"):
        services.shift_create(
            actor=liaison, post=post, starts_at=local(today, 20), ends_at=local(today, 23), officers=[staff[1]]
        )


def test_an_overlapping_shift_for_one_person_is_refused_naming_the_other_shift(tree, office, post, liaison, staff):
    other_post = make_post(tree.a1, phone="0913-9")
    services.shift_create(
        actor=liaison, post=other_post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)), officers=[staff[1]]
    )
    with pytest.raises(ValidationError) as refused:
        services.shift_create(
            actor=liaison,
            post=post,
            starts_at=local(tomorrow(), 20),
            ends_at=local(tomorrow(2), 8),
            officers=[staff[1]],
        )
    message = refused.value.messages[0]
    assert tree.a1.name in message and str(tomorrow()) in message and "08:00" in message


def test_two_shifts_of_one_post_cannot_overlap(post, liaison, staff):
    services.shift_create(
        actor=liaison, post=post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)), officers=[staff[0]]
    )
    with pytest.raises(ValidationError, match="already has a shift"):
        services.shift_create(
            actor=liaison,
            post=post,
            starts_at=local(tomorrow(), 12),
            ends_at=local(tomorrow(), 18),
            officers=[staff[1]],
        )


def test_a_shift_must_end_after_it_starts(post, liaison, staff):
    with pytest.raises(ValidationError):
        services.shift_create(
            actor=liaison, post=post, starts_at=local(tomorrow(2)), ends_at=local(tomorrow()), officers=[staff[0]]
        )


def test_editing_a_shift_checks_only_the_newcomers(post, liaison, staff, kept_from_work):
    shift = services.shift_create(
        actor=liaison,
        post=post,
        starts_at=local(tomorrow()),
        ends_at=local(tomorrow(2)),
        leader=staff[0],
        officers=[staff[1]],
    )
    kept_from_work.add(staff[1].pk)
    services.shift_set_members(actor=liaison, shift=shift, leader=staff[0], officers=[staff[1], staff[2]])
    assert shift.members.count() == 3
    kept_from_work.add(staff[3].pk)
    with pytest.raises(ValidationError):
        services.shift_set_members(actor=liaison, shift=shift, leader=staff[3], officers=[staff[1]])


def test_a_duty_officer_cannot_put_people_on_the_roster(tree, post, staff):
    from lianfang.org.choices import Role
    from lianfang.testing import user_with_role

    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    with pytest.raises(PermissionDenied):
        services.shift_create(
            actor=officer, post=post, starts_at=local(tomorrow()), ends_at=local(tomorrow(2)), officers=[staff[0]]
        )


# --- roster generation ------------------------------------------------------------------------------


def test_a_roster_rolls_through_the_leaders_and_officers(post, liaison, staff):
    result = services.roster_generate(
        actor=liaison, post=post, starts_on=tomorrow(), ends_on=tomorrow(4), leaders=staff[:2], officers=staff[2:]
    )
    assert len(result.created) == 4
    leaders = [s.members.get(role=MemberRole.LEADER).person for s in Shift.objects.order_by("starts_at")]
    assert leaders == [staff[0], staff[1], staff[0], staff[1]]
    first = Shift.objects.order_by("starts_at").first()
    assert first.starts_at == local(tomorrow()) and first.ends_at == local(tomorrow(2))


def test_a_day_and_night_roster_has_two_shifts_a_day(tree, office, staff, liaison):
    post = services.post_create(
        actor=office, unit=tree.a2, phone="1", pattern=Pattern.DAY_NIGHT, night_starts=datetime.time(20)
    )
    people = [PersonFactory(unit=tree.a2) for _ in range(4)]
    result = services.roster_generate(
        actor=liaison, post=post, starts_on=tomorrow(), ends_on=tomorrow(), leaders=people[:2], officers=people[2:]
    )
    spans = [(timezone.localtime(s.starts_at).hour, timezone.localtime(s.ends_at).hour) for s in result.created]
    assert spans == [(8, 20), (20, 8)]


def test_generation_passes_over_people_on_leave_and_keeps_existing_shifts(post, liaison, staff):
    services.leave_create(actor=liaison, person=staff[0], starts_on=tomorrow(), ends_on=tomorrow(2))
    services.shift_create(
        actor=liaison,
        post=post,
        starts_at=local(tomorrow(3)),
        ends_at=local(tomorrow(4)),
        leader=staff[3],
        officers=[staff[2]],
    )
    result = services.roster_generate(
        actor=liaison, post=post, starts_on=tomorrow(), ends_on=tomorrow(3), leaders=staff[:2], officers=staff[2:3]
    )
    assert len(result.created) == 2 and result.skipped == [local(tomorrow(3))]
    assert any(staff[0].name in p for p in result.problems)
    first = Shift.objects.order_by("starts_at").first()
    assert first.members.get(role=MemberRole.LEADER).person == staff[1]


# --- swaps ------------------------------------------------------------------------------------------


@pytest.fixture
def swap_world(tree, post, liaison, staff):
    asker_user, taker_user = UserFactory(), UserFactory()
    staff[1].user = asker_user
    staff[1].save()
    staff[2].user = taker_user
    staff[2].save()
    shift = services.shift_create(
        actor=liaison,
        post=post,
        starts_at=local(tomorrow()),
        ends_at=local(tomorrow(2)),
        leader=staff[0],
        officers=[staff[1]],
    )
    return shift, asker_user, taker_user


def test_a_swap_is_asked_accepted_and_approved_then_the_roster_changes(swap_world, staff, duty_leader):
    shift, asker, taker = swap_world
    swap = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2], reason="家中有事")
    assert Message.objects.filter(recipient=taker).exists()
    with pytest.raises(ValidationError, match="not accepted"):
        services.swap_approve(actor=duty_leader, swap=swap)
    services.swap_accept(actor=taker, swap=swap)
    assert Message.objects.filter(recipient=duty_leader).exists()
    swap = services.swap_approve(actor=duty_leader, swap=swap)
    assert swap.status == SwapStatus.APPROVED
    assert set(shift.members.values_list("person_id", flat=True)) == {staff[0].pk, staff[2].pk}
    assert shift.members.get(person=staff[2]).role == MemberRole.OFFICER


def test_only_the_replacement_accepts_and_only_the_duty_leader_approves(swap_world, staff, liaison):
    shift, asker, taker = swap_world
    swap = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])
    with pytest.raises(PermissionDenied):
        services.swap_accept(actor=asker, swap=swap)
    services.swap_accept(actor=taker, swap=swap)
    with pytest.raises(PermissionDenied):
        services.swap_approve(actor=liaison, swap=swap)


def test_the_office_may_approve_a_swap_before_it_is_accepted(swap_world, staff, office):
    shift, asker, _taker = swap_world
    swap = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])
    assert services.swap_approve(actor=office, swap=swap, note="办公室调整").decided_by == office


def test_a_swap_with_someone_outside_the_unit_is_refused(tree, swap_world, staff):
    shift, asker, _ = swap_world
    outsider = PersonFactory(unit=tree.b1)
    with pytest.raises(ValidationError, match="within the unit"):
        services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=outsider)
    assert not Swap.objects.exists()


def test_a_person_asks_a_swap_only_of_their_own_shift(swap_world, staff):
    shift, _asker, taker = swap_world
    with pytest.raises(PermissionDenied):
        services.swap_request(actor=taker, shift=shift, person=staff[1], replacement=staff[3])


def test_a_swap_to_someone_kept_from_work_is_refused(swap_world, staff, kept_from_work):
    shift, asker, _ = swap_world
    kept_from_work.add(staff[2].pk)
    with pytest.raises(ValidationError, match="红码"):
        services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])


def test_the_replacement_can_decline_and_the_asker_cancel(swap_world, staff):
    shift, asker, taker = swap_world
    swap = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])
    assert services.swap_refuse(actor=taker, swap=swap, note="不便").status == SwapStatus.REFUSED
    swap2 = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[3])
    assert services.swap_cancel(actor=asker, swap=swap2).status == SwapStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.swap_accept(actor=taker, swap=swap)


# --- coverage ----------------------------------------------------------------------------------------


def test_the_coverage_check_lists_hours_without_a_leader_or_an_officer(post, staff):
    from lianfang.duty.selectors import coverage_gaps

    start = local(tomorrow())
    make_shift(post, start, start + datetime.timedelta(hours=24), leader=staff[0], officers=[staff[1]])
    make_shift(post, start + datetime.timedelta(hours=24), start + datetime.timedelta(hours=48), officers=[staff[2]])
    gaps = coverage_gaps([post.pk], start, start + datetime.timedelta(hours=72))
    as_hours = [(g.missing, (g.starts_at - start).total_seconds() / 3600, g.hours) for g in gaps]
    assert as_hours == [("leader", 24, 48), ("officer", 48, 24)]


def test_gaps_starting_within_24_hours_are_alerted_once(tree, post, liaison, staff, duty_leader):
    now = local(timezone.localdate(), 9)
    make_shift(
        post,
        now - datetime.timedelta(hours=1),
        now + datetime.timedelta(hours=10),
        leader=staff[0],
        officers=[staff[1]],
    )
    assert services.coverage_alert_due(now=now) == 2  # from 19:00 nobody: no leader, no officer
    assert Message.objects.filter(recipient=liaison, kind="duty_gap").count() == 2
    assert Message.objects.filter(recipient=duty_leader, kind="duty_gap").count() == 2
    assert services.coverage_alert_due(now=now) == 0
    assert services.coverage_alert_due(now=now + datetime.timedelta(hours=1)) == 0


def test_a_rostered_person_who_may_no_longer_work_is_a_conflict_told_once(post, liaison, staff, kept_from_work):
    shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0], officers=[staff[1]])
    kept_from_work.add(staff[1].pk)
    assert services.conflicts_check() == 1
    assert shift.conflicts.get().person == staff[1]
    assert Message.objects.filter(recipient=liaison, kind="duty_conflict").count() == 1
    assert services.conflicts_check() == 0


def test_the_duty_list_is_posted_once_at_the_start_of_the_shift(tree, office, staff):
    from lianfang.notify.models import Delivery, RobotChannel

    post = make_post(tree.b, post_duty_list=True)
    RobotChannel.objects.create(
        unit=tree.b, kind="dingtalk", name="乙公司群", webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x"
    )
    person = PersonFactory(unit=tree.b, name="王小明")
    now = local(timezone.localdate(), 8, 5)
    make_shift(post, local(timezone.localdate()), local(tomorrow()), leader=person)
    assert services.duty_lists_post_due(now=now) == 1
    assert services.duty_lists_post_due(now=now) == 0
    delivery = Delivery.objects.get(kind="duty_list")
    assert "王*明" in delivery.body and "王小明" not in delivery.body


# --- log and handover ----------------------------------------------------------------------------


def test_a_duty_officer_logs_an_entry_under_the_running_shift(tree, post, staff):
    from lianfang.org.choices import Role
    from lianfang.testing import user_with_role

    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    now = timezone.now()
    shift = make_shift(post, now - datetime.timedelta(hours=2), now + datetime.timedelta(hours=22), officers=[staff[1]])
    entry = services.log_entry_create(
        actor=officer, post=post, kind=EntryKind.CALL_IN, content="热力站报告测温枪故障", counterpart="一号热力站"
    )
    assert entry.shift == shift
    with pytest.raises(ValidationError):
        services.log_entry_create(
            actor=officer, post=post, kind=EntryKind.EVENT, content="x", at=now + datetime.timedelta(hours=1)
        )
    with pytest.raises(ValidationError):
        services.log_entry_create(actor=officer, post=post, kind=EntryKind.EVENT, content="  ")


def test_a_handover_is_accepted_by_the_incoming_officer_not_the_outgoing(tree, post, staff):
    from lianfang.org.choices import Role
    from lianfang.testing import user_with_role

    outgoing, incoming = user_with_role(Role.DUTY_OFFICER, tree.a), user_with_role(Role.DUTY_OFFICER, tree.a)
    now = timezone.now()
    shift = make_shift(post, now - datetime.timedelta(hours=23), now + datetime.timedelta(hours=1), officers=[staff[1]])
    nxt = make_shift(post, now + datetime.timedelta(hours=1), now + datetime.timedelta(hours=25), officers=[staff[2]])
    with pytest.raises(ValidationError):
        services.handover_create(actor=outgoing, shift=shift, phone_check=PhoneCheck.FAULT)
    handover = services.handover_create(
        actor=outgoing, shift=shift, phone_check=PhoneCheck.OK, open_items="等待A1S回电"
    )
    assert handover.next_shift == nxt and handover.status == HandoverStatus.PENDING
    with pytest.raises(ValidationError):
        services.handover_create(actor=outgoing, shift=shift, phone_check=PhoneCheck.OK)
    with pytest.raises(PermissionDenied):
        services.handover_accept(actor=outgoing, handover=handover)
    handover = services.handover_accept(actor=incoming, handover=handover, missing="未交值班手机充电器")
    assert handover.status == HandoverStatus.INCOMPLETE and handover.received_by == incoming


def test_a_shift_is_not_handed_over_long_before_it_ends(tree, post, staff):
    from lianfang.org.choices import Role
    from lianfang.testing import user_with_role

    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), officers=[staff[1]])
    with pytest.raises(ValidationError, match="near its end"):
        services.handover_create(actor=officer, shift=shift, phone_check=PhoneCheck.OK)


def test_leave_is_refused_when_it_ends_before_it_starts(liaison, staff):
    with pytest.raises(ValidationError):
        services.leave_create(actor=liaison, person=staff[0], starts_on=tomorrow(3), ends_on=tomorrow())
    assert not Leave.objects.exists()


def test_unused_names_are_imported():
    assert DutyPost and ShiftMember


def test_the_people_on_duty_keep_their_posts_log_whatever_their_roles(tree, post, staff):
    """The group duty room is kept by staff of the security company: being on the shift is enough."""
    from lianfang.duty.models import LogEntry

    user = UserFactory()
    staff[1].user = user
    staff[1].save()
    now = timezone.now()
    shift = make_shift(post, now - datetime.timedelta(hours=23), now + datetime.timedelta(hours=1), officers=[staff[1]])
    entry = services.log_entry_create(actor=user, post=post, kind=EntryKind.EVENT, content="巡查")
    assert entry.shift == shift and LogEntry.objects.restrict(user, "view").count() == 1
    assert DutyPost.objects.restrict(user, "view").get() == post
    services.handover_create(actor=user, shift=shift, phone_check=PhoneCheck.OK)
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        services.log_entry_create(actor=stranger, post=post, kind=EntryKind.EVENT, content="x")
