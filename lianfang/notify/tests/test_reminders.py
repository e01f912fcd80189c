"""Who gets what at the reminder times and at the report deadline, and never twice."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from lianfang.health.services.reminders import checkin_round_send
from lianfang.notify.choices import DeliveryStatus, MessageKind
from lianfang.notify.models import Delivery, Message, ReminderRun
from lianfang.notify.reminders import masked_name_list, reminders_send_due
from lianfang.notify.tests.factories import check_in, person, robot
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.reporting.choices import ReportStatus
from lianfang.reporting.models import UnitDailyReport
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

DING_SECRET = "SEC0123456789abcdef"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def day():
    return timezone.localdate()


@pytest.fixture
def world(tree, day, receivers):
    """A1 subtree 1 of 4 checked in (below target), A2 4 of 4, B1 40 of 40 missing (no accounts)."""
    settings = GroupSettings.load()
    settings.reminder_times, settings.completion_target = "10:00,12:00", 95
    settings.save()
    w = {"tree": tree}
    w["zhang"] = person(tree.a1, "张三")
    check_in(w["zhang"], day)
    w["li"] = person(tree.a1, "李四")
    w["wang"] = person(tree.a1, "王五", account=False)
    w["zhao"] = person(tree.a1s, "赵六六")
    w["a2"] = [person(tree.a2, f"钱{i}") for i in range(4)]
    for p in w["a2"]:
        check_in(p, day)
    w["b1"] = [person(tree.b1, f"孙{i:02d}", account=False) for i in range(40)]
    w["liaison_a1"] = user_with_role(Role.UNIT_ADMIN, tree.a1, "liaison-a1")
    w["liaison_a1"].email = "a1@example.com"
    w["liaison_a1"].save()
    w["liaison_a2"] = user_with_role(Role.UNIT_ADMIN, tree.a2, "liaison-a2")
    w["rec_a1"] = receivers("wecom")
    w["rec_b"] = receivers("dingtalk", secret=DING_SECRET)
    w["robot_a1"] = robot(tree.a1, w["rec_a1"])
    w["robot_b"] = robot(tree.b, w["rec_b"], kind="dingtalk", secret=DING_SECRET)
    off = robot(tree.a2, w["rec_a1"], name="off")
    off.is_active = False
    off.save()
    return w


def inbox(kind: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in Message.objects.filter(kind=kind).select_related("recipient"):
        counts[m.recipient.username] = counts.get(m.recipient.username, 0) + 1
    return counts


def test_at_10_only_people_with_an_account_who_have_not_checked_in_get_a_reminder(
    world, day, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (result,) = reminders_send_due(now=at(day, 10, 0))
    assert inbox(MessageKind.CHECKIN_REMINDER) == {"u-李四-A1": 1, "u-赵六六-A1S": 1}
    msg = Message.objects.get(kind=MessageKind.CHECKIN_REMINDER, recipient__username="u-李四-A1")
    assert msg.url == "/health/checkin/" and msg.read_at is None
    assert result.checkin_messages == 2


def test_liaisons_of_units_below_target_get_an_inbox_message_and_an_email(
    world, day, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=at(day, 10, 0))
    assert inbox(MessageKind.COMPLETION_LOW) == {"liaison-a1": 1}  # A2 is at 100 %
    msg = Message.objects.get(kind=MessageKind.COMPLETION_LOW)
    assert "1" in msg.body and "4" in msg.body and "25%" in msg.body
    (email,) = mail.outbox
    assert email.to == ["a1@example.com"]
    assert Delivery.objects.get(channel="email").status == DeliveryStatus.SENT


def test_a_unit_at_target_is_left_alone(world, day, django_capture_on_commit_callbacks):
    settings = GroupSettings.load()
    settings.completion_target = 25
    settings.save()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=at(day, 10, 0))
    assert inbox(MessageKind.COMPLETION_LOW) == {}


def test_each_active_robot_gets_its_units_completion_with_masked_names(world, day, django_capture_on_commit_callbacks):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=at(day, 10, 0))
    (a1,) = world["rec_a1"].received  # the switched-off robot on A2 got nothing
    text = a1["markdown"]["content"]
    assert "1 of 4" in text and "25%" in text
    for masked in ("李*", "王*", "赵*六"):  # family name and last character (张*伟), as issue 10 asks
        assert masked in text
    for full in ("李四", "王五", "赵六六", "张"):
        assert full not in text


def test_a_robot_message_lists_at_most_30_names_and_says_how_many_more(world, day, django_capture_on_commit_callbacks):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=at(day, 10, 0))
    (b,) = world["rec_b"].received  # signed DingTalk, checked by the receiver
    text = b["markdown"]["text"]
    assert "0 of 40" in text
    assert text.count("孙*") == 30 and "and 10 more" in text


def test_a_reminder_round_runs_once_however_often_the_job_runs(world, day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reminders_send_due(now=at(day, 10, 0))) == 1
        assert reminders_send_due(now=at(day, 10, 0)) == []  # a second worker, the same minute
        assert reminders_send_due(now=at(day, 10, 3)) == []  # the next minutes
        assert checkin_round_send(day=day, at=datetime.time(10, 0)) is None  # a restart
    assert inbox(MessageKind.CHECKIN_REMINDER) == {"u-李四-A1": 1, "u-赵六六-A1S": 1}
    assert len(world["rec_a1"].received) == 1
    assert ReminderRun.objects.filter(date=day).count() == 1


def test_the_12_oclock_round_reminds_again_only_those_still_missing(world, day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=at(day, 10, 0))
        check_in(world["li"], day)
        reminders_send_due(now=at(day, 12, 0))
    assert inbox(MessageKind.CHECKIN_REMINDER) == {"u-李四-A1": 1, "u-赵六六-A1S": 2}


@pytest.mark.parametrize("hour,minute", [(9, 59), (10, 10), (11, 0)])
def test_nothing_is_sent_outside_a_reminder_time(world, day, hour, minute):
    assert reminders_send_due(now=at(day, hour, minute)) == []
    assert not Message.objects.exists() and not ReminderRun.objects.exists()


def test_a_worker_that_starts_a_few_minutes_late_still_sends_the_round(world, day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert len(reminders_send_due(now=at(day, 10, 7))) == 1


def test_masked_name_list_caps_the_names():
    with translation.override("en"):
        assert masked_name_list(["张三", "李四"], 2) == "张*、李*"
        assert masked_name_list(["张三"] * 30, 31) == "、".join(["张*"] * 30) + " and 1 more"


# --- the report deadline --------------------------------------------------------------------------


@pytest.fixture
def deadline_world(tree, day):
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "office")
    office.email = "office@example.com"
    office.save()
    liaison_a = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")
    liaison_b = user_with_role(Role.UNIT_ADMIN, tree.b, "liaison-b")
    liaison_b.email = "b@example.com"
    liaison_b.save()
    UnitDailyReport.objects.create(
        unit=tree.a, date=day, status=ReportStatus.SUBMITTED, submitted_at=at(day, 14, 0), is_late=False
    )
    return {"office": office, "liaison_a": liaison_a, "liaison_b": liaison_b}


def test_at_the_deadline_liaisons_of_missing_units_and_the_office_are_told(
    deadline_world, day, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (result,) = reminders_send_due(now=at(day, 15, 0))
    assert inbox(MessageKind.REPORT_LATE) == {"liaison-b": 1}  # A reported on time
    assert inbox(MessageKind.REPORT_ESCALATION) == {"office": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["b@example.com", "office@example.com"]
    assert result.units == ["B"]
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send_due(now=at(day, 15, 1)) == []
    assert inbox(MessageKind.REPORT_LATE) == {"liaison-b": 1}


def test_a_draft_report_counts_as_missing_at_the_deadline(deadline_world, tree, day):
    UnitDailyReport.objects.create(unit=tree.b, date=day, status=ReportStatus.DRAFT)
    reminders_send_due(now=at(day, 15, 0))
    assert inbox(MessageKind.REPORT_LATE) == {"liaison-b": 1}


def test_nobody_is_chased_when_every_unit_reported(deadline_world, tree, day):
    UnitDailyReport.objects.create(unit=tree.b, date=day, status=ReportStatus.SUBMITTED, submitted_at=at(day, 9, 0))
    reminders_send_due(now=at(day, 15, 0))
    assert not Message.objects.exists()
    assert ReminderRun.objects.get().summary["units"] == []
