"""With the duty app's real roster: the first level is the nearest unit with a duty post, the
leader on duty of the shift is told when a clock is missed, a general matter is due at the shift's end."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from lianfang.command.choices import MatterKind
from lianfang.command.models import Hop
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.notify.models import Message
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

factories = pytest.importorskip("lianfang.duty.tests.factories")


def test_the_roster_decides_the_levels_and_who_is_told(tree, levels, clock, office, sms):
    post = factories.make_post(tree.a)
    factories.make_post(tree.group)
    leader = PersonFactory(unit=tree.a, user=user_with_role(None, None, username="leader-a"), phone="13911112222")
    ends = clock.now + datetime.timedelta(hours=8)
    factories.make_shift(post, clock.now - datetime.timedelta(hours=1), ends, leader=leader)
    matter = matters.matter_report(
        actor=office,
        unit=tree.a1s,
        kind=MatterKind.UNREACHABLE,
        severity=levels["general"],
        title="Night watchman not answering",
        description="No answer on the phone since 02:00.",
    )
    hop = Hop.objects.get(matter=matter)
    assert hop.unit == tree.a  # A1S and A1 keep no duty
    assert hop.ack_due == ends  # general: by the end of the shift
    clock.now = ends + datetime.timedelta(minutes=1)
    # The shift ended: nobody of the next shift is rostered, so the unit's staff are told instead.
    assert escalation_scan().ack_missed == 1
    assert not Message.objects.filter(recipient=leader.user, kind="urgent_overdue").exists()


def test_the_leader_on_duty_of_the_shift_is_told_of_a_missed_clock(tree, levels, clock, office, sms):
    post = factories.make_post(tree.a)
    leader = PersonFactory(unit=tree.a, user=user_with_role(None, None, username="leader-a"), phone="13911112222")
    factories.make_shift(post, clock.now, clock.now + datetime.timedelta(hours=24), leader=leader)
    matters.matter_report(
        actor=office,
        unit=tree.a1,
        kind=MatterKind.SHORTAGE,
        severity=levels["major"],
        title="Masks run out at the heat stations",
        description="Stock zero; front-line staff cannot start the shift.",
    )
    clock.advance(minutes=16)
    escalation_scan()
    assert Message.objects.filter(recipient=leader.user, kind="urgent_overdue").count() == 1


def test_a_leader_on_duty_with_no_role_opens_the_matter_they_were_told_of_and_acts_for_the_level(
    client, tree, levels, clock, office, sms
):
    post_a, post_b = factories.make_post(tree.a), factories.make_post(tree.b)
    factories.make_post(tree.group)
    leader = PersonFactory(unit=tree.a, user=user_with_role(None, None, username="leader-a"), phone="13911112222")
    other = PersonFactory(unit=tree.b, user=user_with_role(None, None, username="leader-b"))
    shift_end = clock.now + datetime.timedelta(hours=8)
    factories.make_shift(post_a, clock.now - datetime.timedelta(hours=1), shift_end, leader=leader)
    factories.make_shift(post_b, clock.now - datetime.timedelta(hours=1), shift_end, leader=other)
    matter = matters.matter_report(
        actor=office,
        unit=tree.a1,
        kind=MatterKind.SHORTAGE,
        severity=levels["major"],
        title="Masks run out at the heat stations",
        description="Stock zero; front-line staff cannot start the shift.",
    )
    clock.advance(minutes=16)
    escalation_scan()
    told = Message.objects.get(recipient=leader.user, kind="urgent_overdue")
    client.force_login(leader.user)
    page = client.get(told.url)
    assert page.status_code == 200 and matter.number in page.content.decode()
    matters.matter_acknowledge(actor=leader.user, matter=matter)
    assert Hop.objects.get(matter=matter, unit=tree.a).acknowledged_by == leader.user
    # The leader on duty at B has nothing to do with it; after A's shift, neither has A's leader.
    client.force_login(other.user)
    assert client.get(told.url).status_code == 404
    clock.now = shift_end + datetime.timedelta(minutes=1)
    client.force_login(leader.user)
    assert client.get(told.url).status_code == 404
    with pytest.raises(PermissionDenied):
        matters.matter_add_report(actor=leader.user, matter=matter, text="Masks arrived.")
