"""Inbox, robots and deliveries: the writes, and what the office sees when a delivery fails."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lianfang.core.models import ObjectChange
from lianfang.notify import services
from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel
from lianfang.notify.tests.factories import robot
from lianfang.org.choices import Role
from lianfang.testing import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

DING_SECRET = "SEC0123456789abcdef"


# --- inbox ----------------------------------------------------------------------------------------


def test_message_send_puts_one_message_in_each_inbox_even_when_a_user_is_named_twice():
    a, b = UserFactory(), UserFactory()
    n = services.message_send(recipients=[a, b.pk, a], kind="test", title="Hello", body="b", url="/x/")
    assert n == 2
    assert Message.objects.filter(recipient=a).count() == 1
    assert Message.objects.get(recipient=b).url == "/x/"


def test_a_user_can_mark_their_own_message_read_but_not_someone_elses():
    a, b = UserFactory(), UserFactory()
    services.message_send(recipients=[a], kind="t", title="x")
    msg = Message.objects.get(recipient=a)
    with pytest.raises(PermissionDenied):
        services.message_mark_read(actor=b, message=msg)
    services.message_mark_read(actor=a, message=msg)
    assert Message.objects.get(pk=msg.pk).read_at is not None


def test_mark_all_read_only_touches_the_actors_messages():
    a, b = UserFactory(), UserFactory()
    services.message_send(recipients=[a, b], kind="t", title="x")
    services.message_send(recipients=[a], kind="t", title="y")
    assert services.message_mark_all_read(actor=a) == 2
    assert Message.objects.filter(recipient=b, read_at__isnull=True).count() == 1


# --- robots ---------------------------------------------------------------------------------------


def test_a_liaison_adds_a_robot_for_their_unit_and_the_secret_is_stored_encrypted(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    r = services.robot_create(
        actor=liaison,
        unit=tree.a1s,
        kind="dingtalk",
        name="热力站群",
        webhook_url=" https://oapi.dingtalk.com/robot/send?access_token=abc ",
        secret=DING_SECRET,
    )
    assert r.webhook_url.startswith("https://")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM notify_robotchannel WHERE id = %s", [r.pk])
        (stored,) = cursor.fetchone()
    assert DING_SECRET not in stored
    assert RobotChannel.objects.get(pk=r.pk).secret == DING_SECRET
    change = ObjectChange.objects.get(object_id=r.pk, content_type__model="robotchannel")
    assert "secret" not in change.postchange_data and change.postchange_data["secret_set"] is True


def test_a_malformed_robot_is_refused_on_save_and_nothing_is_written(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.robot_create(
            actor=liaison,
            unit=tree.a1,
            kind="dingtalk",
            name="x",
            webhook_url="https://oapi.dingtalk.com/robot/send?access_token=abc",
            secret="not-a-dingtalk-secret",
        )
    assert "SEC" in exc.value.message_dict["secret"][0]
    assert not RobotChannel.objects.exists()


def test_a_liaison_cannot_add_a_robot_outside_their_unit(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    with pytest.raises(PermissionDenied):
        services.robot_create(
            actor=liaison,
            unit=tree.a2,
            kind="wecom",
            name="x",
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1",
        )


def test_updating_a_robot_without_a_secret_keeps_the_stored_one(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    r = robot(tree.a, kind="dingtalk", secret=DING_SECRET)
    RobotChannel.objects.filter(pk=r.pk).update(webhook_url="https://oapi.dingtalk.com/robot/send?access_token=a")
    services.robot_update(actor=office, robot=r, name="新名字")
    r.refresh_from_db()
    assert r.name == "新名字" and r.secret == DING_SECRET
    services.robot_update(actor=office, robot=r, secret="")
    r.refresh_from_db()
    assert r.secret == ""


def test_the_test_button_sends_now_and_shows_the_services_answer(tree, receivers):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    rec = receivers("dingtalk", secret=DING_SECRET)
    r = robot(tree.a, rec, kind="dingtalk", secret=DING_SECRET)
    delivery, answer = services.robot_test(actor=office, robot=r)
    assert delivery.status == DeliveryStatus.SENT and '"errcode": 0' in answer
    assert len(rec.received) == 1

    r.secret = "SECwrong"
    r.save()
    delivery, answer = services.robot_test(actor=office, robot=r)
    assert delivery.status == DeliveryStatus.FAILED
    assert "sign not match" in answer and "sign not match" in delivery.last_error


# --- deliveries -----------------------------------------------------------------------------------


def test_a_failing_robot_is_retried_after_1_5_and_15_minutes_then_failed_with_the_error_kept(
    tree, receivers, django_capture_on_commit_callbacks
):
    rec = receivers("dingtalk", secret=DING_SECRET)
    r = robot(tree.a, rec, kind="dingtalk", secret="SECnotTheRightOne")
    t0 = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        d = services.delivery_robot_enqueue(robot=r, kind="t", subject="s", body="text")
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.RETRYING, 1)
    assert "sign not match" in d.last_error
    first_retry = d.next_attempt_at

    # Not yet due: a duplicate task or an early sweep does nothing.
    assert services.delivery_attempt(delivery_id=d.pk, now=t0 + datetime.timedelta(seconds=30)) is None
    steps = []
    now = first_retry
    for _ in range(3):
        assert services.deliveries_resend_due(now=now) == 1
        d.refresh_from_db()
        steps.append((d.status, d.attempts))
        if d.next_attempt_at:
            steps.append(round((d.next_attempt_at - now).total_seconds() / 60))
            now = d.next_attempt_at
    assert round((first_retry - t0).total_seconds() / 60) == 1
    assert steps == [
        (DeliveryStatus.RETRYING, 2),
        5,
        (DeliveryStatus.RETRYING, 3),
        15,
        (DeliveryStatus.FAILED, 4),
    ]
    assert "sign not match" in d.last_error
    assert services.deliveries_resend_due(now=now + datetime.timedelta(hours=1)) == 0
    assert rec.received == [] and len(rec.refused) == 4


def test_retry_now_gives_a_failed_delivery_one_more_attempt(tree, receivers, django_capture_on_commit_callbacks):
    rec = receivers("wecom")
    r = robot(tree.a1, rec)
    d = Delivery.objects.create(
        channel="robot",
        robot=r,
        unit=tree.a1,
        kind="t",
        body="x",
        status=DeliveryStatus.FAILED,
        attempts=4,
        last_error="old",
    )
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_retry(actor=liaison, delivery=d)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.sent_at is not None
    assert rec.received


def test_retry_now_is_refused_to_someone_who_only_reads(tree):
    d = Delivery.objects.create(
        channel="email",
        email="a@example.com",
        unit=tree.a1,
        kind="t",
        body="x",
        status=DeliveryStatus.FAILED,
        attempts=4,
    )
    leader = user_with_role(Role.LEADER, tree.group)
    with pytest.raises(PermissionDenied):
        services.delivery_retry(actor=leader, delivery=d)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED


def test_an_email_delivery_is_sent_through_djangos_mail_backend(tree, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        d = services.delivery_email_enqueue(email="li@example.com", unit=tree.a1, kind="t", subject="主题", body="正文")
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT
    assert mail.outbox[0].to == ["li@example.com"] and mail.outbox[0].subject == "主题"


def test_a_failing_mail_server_is_a_visible_retry(tree, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with django_capture_on_commit_callbacks(execute=True):
        d = services.delivery_email_enqueue(email="li@example.com", unit=tree.a1, kind="t", subject="s", body="b")
    d.refresh_from_db()
    assert d.status == DeliveryStatus.RETRYING and d.last_error
