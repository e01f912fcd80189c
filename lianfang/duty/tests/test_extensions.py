"""What the duty app tells the rest: report feeds, contact suggestions, "My data", to-dos."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianfang.core.extensions import ContactQuery, feed_counts, personal_data_for, todos_for
from lianfang.duty import services
from lianfang.duty.choices import EntryKind, PhoneCheck
from lianfang.duty.selectors import shift_contacts
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.org.choices import Role
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_the_daily_report_counts_log_entries_and_unaccepted_handovers(tree, post, staff):
    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    now = timezone.now()
    ended = make_shift(post, now - datetime.timedelta(hours=26), now - datetime.timedelta(hours=2), officers=[staff[0]])
    make_shift(post, now - datetime.timedelta(hours=2), now + datetime.timedelta(minutes=30), officers=[staff[1]])
    services.log_entry_create(actor=officer, post=post, kind=EntryKind.EVENT, content="巡查值班室")
    day = timezone.localdate(ended.ends_at)
    counts = feed_counts(tree.group, day, ["duty.log_entries", "duty.handovers_unaccepted"])
    assert counts["duty.handovers_unaccepted"] == 1
    assert feed_counts(tree.group, timezone.localdate(), ["duty.log_entries"])["duty.log_entries"] == 1
    assert feed_counts(tree.b, timezone.localdate(), ["duty.log_entries"])["duty.log_entries"] == 0


def test_people_on_the_same_shift_as_a_case_are_suggested_as_contacts(tree, post, staff):
    day = timezone.localdate() - datetime.timedelta(days=3)
    make_shift(post, local(day), local(day + datetime.timedelta(days=1)), leader=staff[0], officers=[staff[1]])
    other_post = make_post(tree.b)
    make_shift(other_post, local(day), local(day + datetime.timedelta(days=1)), leader=PersonFactory(unit=tree.b))
    query = ContactQuery(
        case_person_id=staff[1].pk, places={day: frozenset({tree.a.pk})}, candidates=Person.objects.values("pk")
    )
    found = {e.person_id: e for e in shift_contacts(query)}
    assert set(found) == {staff[0].pk}
    assert found[staff[0].pk].days == frozenset({day}) and found[staff[0].pk].how == "duty"


def test_my_data_lists_my_shifts_leave_and_log_entries(tree, post, staff, liaison):
    make_shift(
        post, local(timezone.localdate()), local(timezone.localdate() + datetime.timedelta(days=1)), leader=staff[0]
    )
    services.leave_create(actor=liaison, person=staff[0], starts_on=timezone.localdate(), ends_on=timezone.localdate())
    sections = {s.key: s for s in personal_data_for(staff[0])}
    assert len(sections["duty.shifts"].rows) == 1 and len(sections["duty.leave"].rows) == 1
    assert sections["duty.log"].rows == []


def test_the_replacement_finds_the_swap_on_the_home_page(tree, post, staff):
    asker, taker = UserFactory(), UserFactory()
    staff[1].user, staff[2].user = asker, taker
    staff[1].save()
    staff[2].save()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    shift = make_shift(post, local(tomorrow), local(tomorrow + datetime.timedelta(days=1)), officers=[staff[1]])
    services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])
    assert [t.key for t in todos_for(taker, timezone.localdate()) if t.key == "duty.swaps"] == ["duty.swaps"]
    assert not [t for t in todos_for(asker, timezone.localdate()) if t.key == "duty.swaps"]


def test_unused_phone_check_choice_is_known():
    assert PhoneCheck.OK
