"""Test set-up for duty rosters (writes rows directly, not through services: the services' own tests
check the rules; other apps' tests just need someone on duty)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from lianfang.duty.choices import MemberRole
from lianfang.duty.models import DutyPost, Shift, ShiftMember


def make_post(unit, phone: str = "0951-1234567", **kw) -> DutyPost:
    return DutyPost.objects.create(unit=unit, phone=phone, **kw)


def make_shift(
    post: DutyPost,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    leader=None,
    officers: Iterable = (),
    **kw,
) -> Shift:
    shift = Shift.objects.create(post=post, starts_at=starts_at, ends_at=ends_at, **kw)
    if leader is not None:
        ShiftMember.objects.create(shift=shift, person=leader, role=MemberRole.LEADER)
    for person in officers:
        ShiftMember.objects.create(shift=shift, person=person, role=MemberRole.OFFICER)
    return shift
