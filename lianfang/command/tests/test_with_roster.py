"""With the duty app's real roster: the first level is the nearest unit with a duty post, the
leader on duty of the shift is told when a clock is missed, a general matter is due at the shift's end."""

from __future__ import annotations

import datetime

import pytest

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
