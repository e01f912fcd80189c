"""Every write of the notify app: inbox messages, robots, deliveries (with retries).

Reminder rounds (what is sent at 10:00 and at the report deadline) are in
:mod:`lianfang.notify.reminders`; they call the functions here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.jobs import defer
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import DeliveryChannel, DeliveryStatus, MessageKind
from lianfang.notify.models import Delivery, Message, RobotChannel, UnitReminder
from lianfang.notify.robots import RobotError, robot_post, supports_mentions, validate_robot
from lianfang.notify.selectors import UNIT_REMINDER_INTERVAL
from lianfang.notify.sms import sms_deliver
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_can, ensure_in_scope
from lianfang.people.models import Person

# After the 1st, 2nd and 3rd failed attempt, wait this long; the 4th failure is final.
BACKOFF = (datetime.timedelta(minutes=1), datetime.timedelta(minutes=5), datetime.timedelta(minutes=15))
MAX_ATTEMPTS = 4
# A claimed delivery is not picked again for this long: longer than one HTTP timeout, so a
# periodic sweep never sends it twice while it is in flight, short enough to recover from a dead worker.
CLAIM_LEASE = datetime.timedelta(minutes=2)


# --- inbox --------------------------------------------------------------------------------------


def message_send(*, recipients: Iterable[Any], kind: str, title: str, body: str = "", url: str = "") -> int:
    """Put one message in the inbox of each recipient (users or user ids); returns how many.

    Used by every app (flags from check-ins, reminders, alerts). Messages are notifications to one
    person, not records of the group, so they are not in the change log. A user named twice gets
    one message.
    """
    ids: list[int] = []
    seen: set[int] = set()
    for r in recipients:
        pk = r if isinstance(r, int) else r.pk
        if pk not in seen:
            seen.add(pk)
            ids.append(pk)
    if not ids:
        return 0
    rows = [Message(recipient_id=pk, kind=kind, title=title[:200], body=body, url=url[:300]) for pk in ids]
    Message.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def message_mark_read(*, actor, message: Message) -> Message:
    """Mark one of the actor's own messages read (opening it does this)."""
    if message.recipient_id != actor.pk:
        raise PermissionDenied
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


def message_mark_all_read(*, actor) -> int:
    """Mark every unread message of the actor read; returns how many changed."""
    return Message.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- reminders sent by hand ----------------------------------------------------------------------


def unit_reminder_claim(
    *, units: Iterable[Unit], now: datetime.datetime
) -> tuple[list[Unit], dict[int, datetime.datetime]]:
    """Split ``units`` into those that may be reminded now and those reminded by hand less than ten
    minutes ago (unit id → when the next reminder is possible).

    Call inside the transaction that then records the reminder (:func:`unit_reminders_record`):
    the units' rows are locked in primary-key order, so two people pressing the button at once
    for the same unit send one reminder, not two (PostgreSQL; SQLite runs one writer at a time).
    """
    units = sorted({u.pk: u for u in units}.values(), key=lambda u: u.pk)
    if not units:
        return [], {}
    ids = [u.pk for u in units]
    list(Unit.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    last: dict[int, datetime.datetime] = {}
    for unit_id, sent_at in (
        UnitReminder.objects.filter(unit_id__in=ids, sent_at__gt=now - UNIT_REMINDER_INTERVAL)
        .order_by("unit_id", "sent_at")
        .values_list("unit_id", "sent_at")
    ):
        last[unit_id] = sent_at
    blocked = {pk: sent_at + UNIT_REMINDER_INTERVAL for pk, sent_at in last.items()}
    return [u for u in units if u.pk not in blocked], blocked


def unit_reminders_record(
    *, actor, date: datetime.date, now: datetime.datetime, counts: dict[int, tuple[int, int, int]]
) -> list[UnitReminder]:
    """One row per unit reminded by hand: unit id → (people, inbox messages, chat-group messages).

    The rows are themselves the record of who reminded whom and when (like deliveries, they are not
    objects anyone edits, so they are not in the change log).
    """
    rows = [
        UnitReminder(
            unit_id=unit_id,
            date=date,
            sent_at=now,
            sent_by=actor if getattr(actor, "is_authenticated", False) else None,
            people=people,
            messages=messages,
            robot_messages=robot_messages,
        )
        for unit_id, (people, messages, robot_messages) in sorted(counts.items())
    ]
    UnitReminder.objects.bulk_create(rows)
    return rows


# --- robots -------------------------------------------------------------------------------------


@transaction.atomic
def robot_create(
    *, actor, unit: Unit, kind: str, name: str, webhook_url: str, secret: str = "", is_active: bool = True
) -> RobotChannel:
    ensure_can(actor, Action.ADD, RobotChannel, unit)
    webhook_url, secret = webhook_url.strip(), secret.strip()
    validate_robot(kind, webhook_url, secret)
    robot = RobotChannel(unit=unit, kind=kind, name=name, webhook_url=webhook_url, secret=secret, is_active=is_active)
    robot.full_clean()
    robot.save()
    record_change(actor=actor, obj=robot, action=ChangeAction.CREATE, extra_after={"secret_set": bool(secret)})
    ensure_in_scope(actor, robot, Action.ADD)
    return robot


@transaction.atomic
def robot_update(*, actor, robot: RobotChannel, secret: str | None = None, **fields: Any) -> RobotChannel:
    """Change a robot. ``secret=None`` keeps the stored secret (it is never shown back, so a form
    left empty must not erase it); ``secret=""`` removes it."""
    robot = RobotChannel.objects.select_for_update().get(pk=robot.pk)
    ensure_can(actor, Action.CHANGE, RobotChannel, robot.unit)
    before = {**snapshot(robot), "secret_set": bool(robot.secret)}
    allowed = {"unit", "kind", "name", "webhook_url", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"robot_update does not set {sorted(unknown)}")
    for name, value in fields.items():
        setattr(robot, name, value.strip() if isinstance(value, str) else value)
    if "unit" in fields:
        ensure_can(actor, Action.CHANGE, RobotChannel, robot.unit)
    secret_changed = secret is not None and secret.strip() != robot.secret
    if secret is not None:
        robot.secret = secret.strip()
    validate_robot(robot.kind, robot.webhook_url, robot.secret)
    robot.full_clean()
    robot.save()
    record_change(
        actor=actor,
        obj=robot,
        action=ChangeAction.UPDATE,
        before=before,
        extra_after={"secret_set": bool(robot.secret), **({"secret_changed": True} if secret_changed else {})},
    )
    ensure_in_scope(actor, robot, Action.CHANGE)
    return robot


@transaction.atomic
def robot_delete(*, actor, robot: RobotChannel) -> None:
    """Remove a robot. Its past deliveries stay (their robot becomes empty) for the record."""
    robot = RobotChannel.objects.select_for_update().get(pk=robot.pk)
    ensure_can(actor, Action.DELETE, RobotChannel, robot.unit)
    ensure_in_scope(actor, robot, Action.DELETE)
    before = snapshot(robot)
    record_change(actor=actor, obj=robot, action=ChangeAction.DELETE, before=before)
    robot.delete()


def robot_test(*, actor, robot: RobotChannel) -> tuple[Delivery, str]:
    """Send a test message now (not through the queue) and return the delivery and the service's answer.

    The attempt is recorded like any delivery (sent or failed, not retried: the person is watching).
    """
    if not can(actor, Action.CHANGE, RobotChannel, robot.unit):
        raise PermissionDenied
    title = _("Lianfang test message")
    text = _("Test message from Lianfang for %(unit)s (%(robot)s), sent by %(user)s at %(time)s.") % {
        "unit": robot.unit.name,
        "robot": robot.name,
        "user": actor.get_username(),
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    delivery = Delivery.objects.create(
        channel=DeliveryChannel.ROBOT,
        robot=robot,
        unit=robot.unit,
        kind=MessageKind.ROBOT_TEST,
        subject=title,
        body=text,
        attempts=1,
        status=DeliveryStatus.PENDING,
    )
    try:
        answer = robot_post(robot.kind, robot.webhook_url, robot.secret, title, text)
    except RobotError as exc:
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, last_error=str(exc))
        delivery.refresh_from_db()
        return delivery, str(exc)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    delivery.refresh_from_db()
    return delivery, answer.body


# --- deliveries ---------------------------------------------------------------------------------


def _enqueue(delivery_id: int) -> None:
    defer("lianfang.notify.tasks.send_delivery", delivery_id)


def delivery_robot_enqueue(
    *, robot: RobotChannel, kind: str, subject: str, body: str, mention_people: Iterable[int] = ()
) -> Delivery:
    """Queue one message to a chat-group robot; it is sent by a job after the transaction commits.

    ``mention_people`` (roster ids) are @-mentioned by phone number where the robot's kind allows it;
    the caller decides whether mentions are wanted (the group setting).
    """
    mentions = list(dict.fromkeys(mention_people)) if supports_mentions(robot.kind) else []
    delivery = Delivery.objects.create(
        channel=DeliveryChannel.ROBOT,
        robot=robot,
        unit_id=robot.unit_id,
        kind=kind,
        subject=subject[:200],
        body=body,
        mention_people=mentions,
    )
    _enqueue(delivery.pk)
    return delivery


def delivery_email_enqueue(*, email: str, unit: Unit | None, kind: str, subject: str, body: str) -> Delivery:
    """Queue one e-mail. ``unit`` scopes who sees the delivery (the recipient's unit)."""
    delivery = Delivery.objects.create(
        channel=DeliveryChannel.EMAIL, email=email, unit=unit, kind=kind, subject=subject[:200], body=body
    )
    _enqueue(delivery.pk)
    return delivery


def _deliver(delivery: Delivery) -> None:
    """One attempt over the wire; raises with a readable reason on failure."""
    if delivery.channel == DeliveryChannel.SMS:
        sms_deliver(delivery)
        return
    if delivery.channel == DeliveryChannel.ROBOT:
        robot = delivery.robot
        if robot is None:
            raise RobotError(_("The robot was deleted."))
        if not robot.is_active:
            raise RobotError(_("The robot is switched off."))
        robot_post(
            robot.kind,
            robot.webhook_url,
            robot.secret,
            delivery.subject or delivery.kind,
            delivery.body,
            mention_phones=_mention_phones(delivery),
        )
    else:
        try:
            send_mail(delivery.subject, delivery.body, None, [delivery.email], fail_silently=False)
        except Exception as exc:  # any SMTP or socket error is a failed attempt, shown to the office
            raise RobotError(_("The mail server refused the message: %(error)s") % {"error": exc}) from exc


def _mention_phones(delivery: Delivery) -> list[str]:
    """The current phone numbers of the people the delivery mentions (read at sending time, so that
    the numbers are never stored with the message)."""
    ids = delivery.mention_people or []
    if not ids or delivery.robot is None or not supports_mentions(delivery.robot.kind):
        return []
    phones = dict(Person.objects.filter(pk__in=ids).exclude(phone="").values_list("pk", "phone"))
    return [phones[pk] for pk in ids if pk in phones]


def delivery_attempt(*, delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Try a due delivery once. Idempotent: a delivery already sent, failed for good, not yet due
    or claimed by another worker is left alone (returns None).

    The claim is one conditional UPDATE, and the HTTP call happens outside any transaction, so a
    slow robot never holds a database lock.
    """
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    row = (
        Delivery.objects.filter(due, pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING])
        .values_list("attempts", flat=True)
        .first()
    )
    if row is None:
        return None
    claimed = (
        Delivery.objects.filter(due, pk=delivery_id, attempts=row)
        .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING])
        .update(attempts=row + 1, next_attempt_at=now + CLAIM_LEASE)
    )
    if not claimed:
        return None  # another worker won the race
    delivery = Delivery.objects.select_related("robot").get(pk=delivery_id)
    try:
        _deliver(delivery)
    except RobotError as exc:
        attempts = delivery.attempts
        if attempts >= MAX_ATTEMPTS:
            status, next_at = DeliveryStatus.FAILED, None
        else:
            status, next_at = DeliveryStatus.RETRYING, now + BACKOFF[min(attempts, len(BACKOFF)) - 1]
        Delivery.objects.filter(pk=delivery_id).update(status=status, next_attempt_at=next_at, last_error=str(exc))
    else:
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.SENT, next_attempt_at=None, sent_at=timezone.now()
        )
    delivery.refresh_from_db()
    return delivery


def can_retry(user, delivery: Delivery) -> bool:
    """Who may press "retry now": whoever manages the unit's robots (the office everywhere, a unit
    administrator in their subtree). Deliveries themselves are read-only records."""
    return delivery.status != DeliveryStatus.SENT and can(user, Action.CHANGE, RobotChannel, delivery.unit)


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> Delivery:
    """Make a failed or waiting delivery due now and queue it. A delivery that failed for good gets
    one more attempt; if that fails too it is failed again, with the new error."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    ensure_in_scope(actor, delivery, Action.VIEW)
    if not can_retry(actor, delivery):
        if delivery.status == DeliveryStatus.SENT:
            raise ValidationError(_("This message was already delivered."))
        raise PermissionDenied
    before = snapshot(delivery)
    if delivery.status == DeliveryStatus.FAILED:
        # One more attempt: the counter stays, so a failure goes straight back to failed.
        delivery.attempts = max(delivery.attempts, MAX_ATTEMPTS) - 1
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_change(actor=actor, obj=delivery, action=ChangeAction.UPDATE, before=before)
    _enqueue(delivery.pk)
    return delivery


def deliveries_resend_due(*, now: datetime.datetime | None = None) -> int:
    """Attempt every delivery whose retry time has come (the periodic sweep); returns how many were tried."""
    now = now or timezone.now()
    due_ids = list(
        Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    # Pending rows without a time are queued already; a lost queue entry is picked up after the lease.
    stale_pending = list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__isnull=True, created__lte=now - CLAIM_LEASE
        ).values_list("pk", flat=True)[:500]
    )
    tried = 0
    for pk in due_ids + stale_pending:
        if delivery_attempt(delivery_id=pk, now=now) is not None:
            tried += 1
    return tried
