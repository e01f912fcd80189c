from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianfang.duty.selectors import duty_unit_ids, on_duty
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db


def at(day: int, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 12, day, hour, 0))


def test_only_units_with_an_active_post_keep_duty(tree):
    make_post(tree.a)
    make_post(tree.b, is_active=False)
    assert duty_unit_ids() == {tree.a.pk}


def test_on_duty_names_the_leader_and_officers_of_the_shift_running_at_that_moment(tree):
    post = make_post(tree.a, phone="0913-1111111")
    leader, officer = PersonFactory(unit=tree.a), PersonFactory(unit=tree.a1)
    make_shift(post, at(7, 8), at(8, 8), leader=leader, officers=[officer])
    other = make_shift(post, at(8, 8), at(9, 8), leader=officer, officers=[leader])

    found = on_duty([tree.a.pk, tree.b.pk], at(7, 23))

    assert found[tree.a.pk].leader == leader
    assert found[tree.a.pk].officers == (officer,)
    assert found[tree.a.pk].phone == "0913-1111111"
    assert found[tree.a.pk].ends_at == at(8, 8)
    assert found[tree.b.pk].leader is None and found[tree.b.pk].shift_id is None
    assert on_duty([tree.a.pk], at(8, 8))[tree.a.pk].shift_id == other.pk


def test_a_unit_with_a_post_but_no_shift_at_that_moment_has_no_leader(tree):
    make_post(tree.a)
    found = on_duty([tree.a.pk], at(7, 3))
    assert found[tree.a.pk].leader is None
    assert found[tree.a.pk].phone == "0951-1234567"
