"""Messages to people: the in-app inbox, chat-group robots, e-mail, and every delivery attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.fields import EncryptedCharField
from lianfang.core.masking import mask_phone
from lianfang.core.querysets import RestrictedManager
from lianfang.notify.choices import DeliveryChannel, DeliveryStatus, ReminderKind, RobotKind


class Message(models.Model):
    """An in-app inbox message for one user (reminders, flags, alerts).

    Not unit-scoped: a message belongs to its recipient alone, so it is always read through
    ``recipient`` and never through ``restrict``.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class RobotChannel(models.Model):
    """A unit's chat-group robot (DingTalk, WeCom or Feishu webhook) that receives its reminders."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="robots")
    kind = models.CharField(_("kind"), max_length=10, choices=RobotKind.choices)
    name = models.CharField(_("name"), max_length=60, help_text=_("E.g. the name of the chat group."))
    webhook_url = models.URLField(_("webhook address"), max_length=500)
    secret = EncryptedCharField(_("signing secret"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated", "secret")

    class Meta:
        verbose_name = _("chat-group robot")
        verbose_name_plural = _("chat-group robots")
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Delivery(models.Model):
    """One message to one outside channel (a robot, an e-mail address or a mobile number), with its attempts.

    A failed delivery is retried with back-off and stays visible to the office: never silent.
    An SMS keeps its number encrypted (``phone``) and pages show it masked (``masked_phone``).
    """

    channel = models.CharField(_("channel"), max_length=6, choices=DeliveryChannel.choices)
    robot = models.ForeignKey(
        RobotChannel,
        verbose_name=_("robot"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    # SMS (lianfang.notify.sms): the number, encrypted and never shown in full; the template's
    # variables, kept so that a retry sends the same message; the provider's id for the message.
    phone = EncryptedCharField(_("mobile number"), blank=True)
    template_params = models.JSONField(_("template variables"), default=dict, blank=True)
    external_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    # People to @-mention in a chat group, by roster id: their phone numbers are looked up when the
    # message is sent, so the numbers are never copied into this table (or shown with the delivery).
    mention_people = models.JSONField(_("people to mention"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    # The change log (a retry by hand) never copies a mobile number.
    audit_exclude = ("phone",)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.subject or self.kind}"

    @property
    def masked_phone(self) -> str:
        """The SMS number as pages and the API show it: ``138****5678``."""
        return mask_phone(self.phone)


class ReminderRun(models.Model):
    """One scheduled reminder round that has been sent (the 10:00 check-in reminder, the deadline chase).

    The unique constraint is what makes reminders idempotent: the round inserts its row in the
    same transaction as the messages it sends, so a restart, a late minute or a second worker
    finds the row and sends nothing.
    """

    date = models.DateField(_("date"))
    time = models.TimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReminderKind.choices)
    created = models.DateTimeField(_("ran at"), auto_now_add=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")
        ordering = ["-date", "-time"]
        constraints = [models.UniqueConstraint(fields=["date", "time", "kind"], name="one_reminder_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.kind} {self.date} {self.time:%H:%M}"


class UnitReminder(models.Model):
    """A reminder sent by hand to the people of one unit who have not checked in ("remind these
    people now" on the non-reporter list): one row per unit per press.

    The ten-minute rate reads it (:data:`lianfang.notify.selectors.UNIT_REMINDER_INTERVAL`), and the
    list shows who reminded the unit last and when.
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("check-in date"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    people = models.PositiveIntegerField(_("people reminded"), default=0)
    messages = models.PositiveIntegerField(_("inbox messages"), default=0)
    robot_messages = models.PositiveIntegerField(_("chat-group messages"), default=0)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("unit reminder")
        verbose_name_plural = _("unit reminders")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["unit", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date} {self.sent_at:%H:%M}"
