"""Clocks with frozen time: each level's deadlines, the leader on duty told at once, the skip after
the grace period, 续报 reminders, closing stops every clock, and a scan run twice sends once."""

from __future__ import annotations

import datetime

import pytest

from lianfang.command.choices import HopVia, MatterKind, MatterState, ReportKind
from lianfang.command.models import Hop
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.notify.models import Delivery, Message, RobotChannel

pytestmark = pytest.mark.django_db


def report(actor, unit, level, **extra):
    return matters.matter_report(
        actor=actor,
        unit=unit,
        kind=extra.pop("kind", MatterKind.SUSPECTED_CASE),
        severity=level,
        title=extra.pop("title", "Fever at the gate"),
        description=extra.pop("description", "A worker had 38.5 at the morning check; isolated in the room."),
        **extra,
    )


def hops(matter):
    return list(Hop.objects.filter(matter=matter).select_related("unit").order_by("seq"))


def test_a_major_matter_reported_at_a_heat_station_is_received_there_with_15_and_30_minute_clocks(
    tree, roster, levels, clock, station
):
    matter = report(station, tree.a1s, levels["major"])
    assert matter.number == "JJ-2026-0001"
    [hop] = hops(matter)
    assert hop.unit == tree.a1s and hop.via == HopVia.REPORTED
    assert hop.ack_due == clock.now + datetime.timedelta(minutes=15)
    assert hop.written_due == clock.now + datetime.timedelta(minutes=30)
    # The station's own duty officer reported it: acknowledged at once.
    assert hop.acknowledged_at == clock.now
    assert matter.reports.get().kind == ReportKind.INITIAL


def test_a_unit_without_a_duty_room_is_passed_through(tree, roster, levels, clock, office):
    matter = report(office, tree.a1, levels["significant"])
    [hop] = hops(matter)
    assert hop.unit == tree.a  # A1 keeps no duty: the subsidiary receives it
    assert hop.ack_due == clock.now + datetime.timedelta(minutes=30)
    assert hop.written_due == clock.now + datetime.timedelta(minutes=60)


def test_a_general_matter_is_due_by_the_end_of_the_duty_shift(tree, roster, levels, clock, office):
    roster.ends_at = clock.now + datetime.timedelta(hours=5)
    matter = report(office, tree.a1, levels["general"])
    [hop] = hops(matter)
    assert hop.ack_due == hop.written_due == roster.ends_at
    assert hop.skip_ack_at is None  # general matters do not skip a level


def test_each_level_s_clock_starts_when_that_level_receives_it(tree, roster, levels, clock, station, sub_duty):
    matter = report(station, tree.a1s, levels["major"])
    clock.advance(minutes=20)
    matters.matter_forward(actor=station, matter=matter, text="Isolated; the clinic is on its way.")
    first, second = hops(matter)
    assert first.forwarded_at == first.closed_at == first.written_at == clock.now
    assert second.unit == tree.a and second.via == HopVia.FORWARDED
    assert second.ack_due == clock.now + datetime.timedelta(minutes=15)
    clock.advance(minutes=5)
    matters.matter_acknowledge(actor=sub_duty, matter=matter)
    matters.matter_forward(actor=sub_duty, matter=matter, text="Subsidiary informed; sent to the group.")
    third = hops(matter)[2]
    assert third.unit == tree.group and third.is_top
    # At the top the group's own limit to report outside starts (major: 120 minutes).
    matter.refresh_from_db()
    assert matter.external_due == clock.now + datetime.timedelta(minutes=120)


def test_a_missed_clock_tells_the_leader_on_duty_at_once_in_the_inbox_by_robot_and_sms(
    tree, roster, levels, clock, office, leaders, sms, django_capture_on_commit_callbacks
):
    RobotChannel.objects.create(
        unit=tree.a,
        kind="dingtalk",
        name="甲公司值班群",
        webhook_url="https://oapi.dingtalk.com/robot/send?access_token=x",
    )
    matter = report(office, tree.a1, levels["major"])
    clock.advance(minutes=15)
    assert escalation_scan().ack_missed == 0  # due, not yet missed
    clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = escalation_scan()
    assert result.ack_missed == 1
    leader_user = leaders[tree.a.pk].user
    message = Message.objects.get(recipient=leader_user, kind="urgent_overdue")
    assert matter.number in message.title and "未确认接报" in message.title  # the default language
    assert Delivery.objects.filter(robot__unit=tree.a, kind="urgent_overdue").count() == 1
    assert sms and sms[-1][0] == [leaders[tree.a.pk].phone]
    hop = hops(matter)[0]
    assert hop.ack_notified_at == clock.now and hop.leader_notified_at == clock.now


def test_running_the_scan_twice_sends_each_notice_once(tree, roster, levels, clock, office, leaders, sms):
    report(office, tree.a1, levels["major"])
    clock.advance(minutes=16)
    assert escalation_scan().ack_missed == 1
    assert escalation_scan().ack_missed == 0
    clock.advance(minutes=1)
    assert escalation_scan().ack_missed == 0
    assert Message.objects.filter(recipient=leaders[tree.a.pk].user, kind="urgent_overdue").count() == 1


def test_a_clock_still_missed_after_the_grace_period_skips_to_the_next_level_and_says_so(
    tree, roster, levels, clock, office, leaders, sms
):
    matter = report(office, tree.a1s, levels["major"])  # the office reported for the station: not acknowledged
    clock.advance(minutes=15 + 14)
    escalation_scan()
    assert len(hops(matter)) == 1  # grace (15 min) not over yet
    clock.advance(minutes=2)
    result = escalation_scan()
    assert result.skipped == 1
    station_hop, sub_hop = hops(matter)
    assert station_hop.escalated_at == station_hop.closed_at == clock.now
    assert sub_hop.unit == tree.a and sub_hop.via == HopVia.ESCALATED
    assert "未在时限内确认接报" in sub_hop.note and "越级" in sub_hop.note
    assert sub_hop.ack_due == clock.now + datetime.timedelta(minutes=15)
    told = Message.objects.get(recipient=leaders[tree.a.pk].user, kind="urgent_escalated")
    assert "越级上报" in told.title
    assert escalation_scan().skipped == 0  # a second run does not skip again


def test_a_level_that_acknowledged_but_sent_no_written_report_is_skipped_too(
    tree, roster, levels, clock, station, sub_duty
):
    matter = report(station, tree.a1s, levels["major"])  # acknowledged at once by the station itself
    clock.advance(minutes=30 + 16)
    result = escalation_scan()
    assert result.written_missed == 1 and result.skipped == 1
    assert "未在时限内书面报告" in hops(matter)[1].note


def test_the_top_level_never_skips(tree, roster, levels, clock, office):
    roster.duty_ids = {tree.group.pk}
    matter = report(office, tree.a1, levels["major"])
    clock.advance(hours=5)
    result = escalation_scan()
    assert result.skipped == 0 and result.ack_missed == 1 and result.external == 1
    assert len(hops(matter)) == 1


def test_follow_up_reports_are_reminded_at_the_level_s_cadence(tree, roster, levels, clock, station, leaders):
    matter = report(station, tree.a1s, levels["major"])  # 续报 every 120 minutes
    clock.advance(minutes=119)
    assert escalation_scan().followups == 0
    clock.advance(minutes=2)
    assert escalation_scan().followups == 1
    assert escalation_scan().followups == 0
    assert Message.objects.filter(recipient=leaders[tree.a1s.pk].user, kind="urgent_followup").exists()
    matters.matter_add_report(actor=station, matter=matter, text="Nucleic acid test taken.")
    matter.refresh_from_db()
    assert matter.followup_due == clock.now + datetime.timedelta(minutes=120)
    clock.advance(minutes=121)
    assert escalation_scan().followups == 1


def test_a_level_sets_the_follow_up_cadence_when_it_acknowledges(tree, roster, levels, clock, office, sub_duty):
    matter = report(office, tree.a1, levels["significant"])
    matters.matter_acknowledge(actor=sub_duty, matter=matter, followup_minutes=30)
    matter.refresh_from_db()
    assert matter.followup_minutes == 30
    assert matter.followup_due == clock.now + datetime.timedelta(minutes=30)


def test_closing_stops_every_clock(tree, roster, levels, clock, office):
    matter = report(office, tree.a1s, levels["major"])
    matters.matter_close(actor=office, matter=matter, reason="False alarm: the thermometer was faulty.")
    clock.advance(hours=6)
    result = escalation_scan()
    assert result.as_dict() == {"ack_missed": 0, "written_missed": 0, "skipped": 0, "followups": 0, "external": 0}
    matter.refresh_from_db()
    assert matter.state == MatterState.CLOSED
    assert all(h.closed_at for h in hops(matter))


def test_resolving_with_the_final_report_stops_every_clock(tree, roster, levels, clock, office, sub_duty):
    matter = report(office, tree.a1, levels["significant"])
    matters.matter_resolve(actor=sub_duty, matter=matter, text="Stock moved from B; work resumed.")
    clock.advance(hours=6)
    assert sum(escalation_scan().as_dict().values()) == 0
    matter.refresh_from_db()
    assert matter.state == MatterState.RESOLVED and matter.resolved_unit == tree.a
    assert matter.reports.filter(kind=ReportKind.FINAL).count() == 1


def test_the_outside_report_stops_its_clock(tree, roster, levels, clock, office):
    roster.duty_ids = {tree.group.pk}
    matter = report(office, tree.a1, levels["especially_major"])
    clock.advance(minutes=30)
    matters.external_report_record(actor=office, matter=matter, recipient="市疫情防控指挥部", channel="phone")
    clock.advance(minutes=60)
    assert escalation_scan().external == 0


def test_the_sms_goes_through_the_notify_provider_after_the_commit(
    tree, roster, levels, clock, office, leaders, monkeypatch, django_capture_on_commit_callbacks
):
    import importlib

    sms_module = importlib.import_module("lianfang.notify.sms")
    sent = []
    monkeypatch.setattr(sms_module, "send_sms", lambda phones, text, **kw: sent.append((phones, kw)))
    report(office, tree.a1, levels["major"])
    clock.advance(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        escalation_scan()
    assert sent == [([leaders[tree.a.pk].phone], {"purpose": "urgent_matter", "unit": tree.a})]
