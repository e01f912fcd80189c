"""Duty records under retention (PIPL Art. 19): the ``duty`` category has a basis set by law, its
shifts (with members, handover, swaps, conflicts), log entries and leave go after the retention the
office set, what is younger stays whole, and a stand-down's purge leaves them to their retention."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianfang.core.audit import record_change
from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.duty.choices import EntryKind, HandoverStatus, PhoneCheck
from lianfang.duty.models import Handover, Leave, LogEntry, Shift, ShiftConflict, ShiftMember, Swap
from lianfang.duty.retention import DUTY
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.org.choices import Role
from lianfang.privacy import purge, services
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

OLD = datetime.date(2025, 3, 10)
TODAY = datetime.date(2026, 12, 7)  # OLD is 637 days back; RECENT 97
RECENT = datetime.date(2026, 9, 1)
NOTE = "ZZ值班来电张某发热"


@pytest.fixture
def records(tree):
    post = make_post(tree.a)
    people = [PersonFactory(unit=tree.a) for _ in range(3)]
    old = make_shift(post, local(OLD), local(OLD + datetime.timedelta(days=1)), people[0], [people[1]])
    recent = make_shift(post, local(RECENT), local(RECENT + datetime.timedelta(days=1)), people[0], [people[1]])
    before_recent = make_shift(post, local(RECENT - datetime.timedelta(days=1)), local(RECENT), people[2], [people[1]])
    Handover.objects.create(shift=old, phone_check=PhoneCheck.OK, status=HandoverStatus.ACCEPTED, open_items=NOTE)
    Handover.objects.create(shift=before_recent, next_shift=recent, phone_check=PhoneCheck.OK)
    Swap.objects.create(shift=old, person=people[1], replacement=people[2])
    ShiftConflict.objects.create(shift=old, person=people[1])
    LogEntry.objects.create(post=post, shift=old, at=local(OLD, 9), kind=EntryKind.CALL_IN, content=NOTE)
    LogEntry.objects.create(post=post, shift=recent, at=local(RECENT, 9), kind=EntryKind.CALL_IN, content="电话")
    Leave.objects.create(person=people[2], starts_on=OLD, ends_on=OLD + datetime.timedelta(days=2))
    Leave.objects.create(person=people[2], starts_on=RECENT, ends_on=RECENT)
    return {"old": old, "recent": recent, "before_recent": before_recent}


def test_duty_records_past_retention_go_and_younger_ones_stay_whole(records):
    receipt = purge.run_retention(category=DUTY, today=TODAY)
    assert not Shift.objects.filter(pk=records["old"].pk).exists()
    assert not ShiftMember.objects.filter(shift_id=records["old"].pk).exists()
    assert not Swap.objects.exists() and not ShiftConflict.objects.exists()
    assert not LogEntry.objects.filter(content__contains="ZZ").exists()
    assert not Handover.objects.filter(open_items__contains="ZZ").exists()
    assert list(Leave.objects.values_list("ends_on", flat=True)) == [RECENT]
    # A year by default: the shifts around 1 September stay, with their members, handover and log.
    assert Shift.objects.count() == 2 and ShiftMember.objects.count() == 4
    assert Handover.objects.get(shift=records["before_recent"]).next_shift == records["recent"]
    assert LogEntry.objects.count() == 1
    assert receipt.categories[DUTY]["rows"]["duty.shift"] == 1
    assert receipt.categories[DUTY]["rows"]["duty.logentry"] == 1


def test_a_shorter_retention_set_by_the_office_takes_the_younger_shifts_too(office, records):
    services.retention_set(actor=office, category=DUTY, days=90)
    purge.run_retention(category=DUTY, today=TODAY)
    assert not Shift.objects.exists() and not LogEntry.objects.exists()


def test_a_retention_below_the_floor_is_refused(office):
    with pytest.raises(ValidationError, match="90"):
        services.retention_set(actor=office, category=DUTY, days=30)


def test_no_basis_is_chosen_for_duty_records(client, office):
    with pytest.raises(ValidationError, match="set by law"):
        services.legal_basis_set(actor=office, category=DUTY, basis="consent")
    client.force_login(office)
    page = client.get(reverse("privacy:bases"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-category="duty" data-fixed' in page
    assert "实施人力资源管理所必需" in page


def test_a_stand_down_leaves_duty_records_to_their_retention(office, records, tree):
    period = services.emergency_open(
        actor=office, name="2025 春季疫情", declared_by="市卫健委", starts_on=OLD - datetime.timedelta(days=30)
    )
    second = user_with_role(Role.GROUP_ADMIN, tree.group, username="office-2")
    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_confirm(actor=second, stand_down=stand_down)
    receipt = purge.run_stand_down(stand_down)
    assert DUTY not in receipt.categories
    assert Shift.objects.filter(pk=records["old"].pk).exists()


def test_the_purged_rows_leave_no_trace_in_the_change_log(records, office):
    entry = LogEntry.objects.get(content=NOTE)
    record_change(actor=office, obj=entry, action=ChangeAction.CREATE)
    assert ObjectChange.objects.filter(postchange_data__icontains="ZZ").exists()
    purge.run_retention(category=DUTY, today=TODAY)
    assert not ObjectChange.objects.filter(postchange_data__icontains="ZZ").exists()
