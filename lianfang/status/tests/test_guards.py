"""The status engine answers the check-in guard: may this person come to work today?"""

from __future__ import annotations

import pytest

from lianfang.core.extensions import work_verdicts
from lianfang.health.tests.status_helpers import case, checkin, rules, today
from lianfang.status.engine import recompute_all
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_confirmed_case_may_not_come_to_work_and_a_green_colleague_may(tree):
    rules()
    sick = PersonFactory(unit=tree.a1)
    case(sick, "confirmed")
    well = PersonFactory(unit=tree.a1)
    checkin(well, today())
    recompute_all()
    verdicts = work_verdicts([sick.pk, well.pk], today())
    assert not verdicts[sick.pk].may_work
    assert verdicts[sick.pk].colour == "red"
    assert "不得到岗" in verdicts[sick.pk].label  # the words anyone who sees the person may read
    assert verdicts[sick.pk].reason  # the medical reason, for those who may read reasons
    assert well.pk not in verdicts


def test_a_fever_at_check_in_turns_the_person_yellow_and_keeps_them_home(tree):
    rules()
    person = PersonFactory(unit=tree.a1)
    checkin(person, today(), fever=True)
    recompute_all()
    verdict = work_verdicts([person.pk], today())[person.pk]
    assert verdict.colour == "yellow"
    assert not verdict.may_work
