"""Data of the privacy app (个人信息保护): legal bases, emergency periods, the privacy notice and its
versions, and the consent register — a hash chain, append-only, that holds no health content, so
purging health data later leaves it verifiable."""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.extensions import personal_data_categories
from lianfang.core.querysets import RestrictedManager, RestrictedQuerySet
from lianfang.privacy.choices import Basis, Channel, ConsentAction


def validate_category(value: str) -> None:
    if personal_data_categories.get(value) is None:
        raise ValidationError(_("“%(value)s” is not a known category of personal data.") % {"value": value})


class EmergencyPeriod(models.Model):
    """A public-health emergency declared by the authorities (突发公共卫生事件应急响应期), opened and closed
    by the office. While one is open, categories on the emergency basis need no consent. At most one
    is open at a time (a partial unique index); the next outbreak opens a new one."""

    name = models.CharField(_("name"), max_length=200)
    declared_by = models.CharField(_("declared by"), max_length=200, help_text=_("The authority that declared it."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_open = models.BooleanField(_("open"), default=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("emergency period")
        verbose_name_plural = _("emergency periods")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_open"], condition=Q(is_open=True), name="privacy_one_open_emergency"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="privacy_emergency_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(is_open=False) | Q(ends_on__isnull=True), name="privacy_open_emergency_has_no_end"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def in_force_on(self, day: datetime.date) -> bool:
        return self.is_open and self.starts_on <= day


class LegalBasis(models.Model):
    """The legal basis the office relies on for one category of personal data. A category without a
    row relies on separate consent. The emergency basis is tied to a period and holds only while the
    period is open: when it closes, consent is needed again."""

    category = models.CharField(_("data category"), max_length=60, unique=True, validators=[validate_category])
    basis = models.CharField(_("legal basis"), max_length=20, choices=Basis.choices, default=Basis.CONSENT)
    emergency = models.ForeignKey(
        EmergencyPeriod,
        verbose_name=_("emergency period"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bases",
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=Q(basis="consent", emergency__isnull=True) | Q(basis="emergency", emergency__isnull=False),
                name="privacy_emergency_basis_names_its_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.get_basis_display()}"


class PrivacyNotice(models.Model):
    """One version of the privacy notice (个人信息处理告知书), in Chinese and English: what is collected,
    why it is necessary, how long it is kept, who sees it, how to withdraw. Drafts may be edited; a
    published version never changes. The current notice is the published one with the highest
    version. A ``substantive`` version asks everyone for consent again; a wording fix does not."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    substantive = models.BooleanField(
        _("substantive change"), default=True, help_text=_("Everyone must consent again to a substantive change.")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def title_in(self, language: str | None) -> str:
        return self.title_en if (language or "").startswith("en") and self.title_en else self.title

    def body_in(self, language: str | None) -> str:
        return self.body_en if (language or "").startswith("en") and self.body_en else self.body


class ConsentChainHead(models.Model):
    """The single row that holds the chain's last hash: a new record locks it (SELECT … FOR UPDATE)
    so two concurrent consents cannot both link to the same predecessor and fork the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="privacy_chain_head_singleton")]

    def __str__(self) -> str:
        return f"{self.count} records, last {self.last_hash[:12]}"


class AppendOnlyQuerySet(RestrictedQuerySet):
    """Consent records are never changed or deleted through the application."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("consent records are append-only")

    def delete(self) -> Any:
        raise TypeError("consent records are append-only")


class ConsentRecord(models.Model):
    """One entry of the consent register (同意记录): a consent given, withdrawn, or a notice shown,
    for one person and one category of data, under one version of the notice.

    Tamper-evident: ``hash`` is sha256 over the previous record's hash and the canonical JSON of
    this record's metadata (person id, category, notice version, time, channel, basis, action, who
    attested). It never covers health content, so a purge of health data leaves the chain whole.
    """

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consent_records")
    category = models.CharField(_("data category"), max_length=60, validators=[validate_category])
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, related_name="consents")
    notice_version = models.PositiveIntegerField(_("notice version"))
    action = models.CharField(_("action"), max_length=20, choices=ConsentAction.choices)
    basis = models.CharField(_("legal basis"), max_length=20, choices=Basis.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    given_at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    attested_on = models.DateField(_("signed on"), null=True, blank=True)
    scan = models.FileField(_("scan"), upload_to="privacy/consent-scans/%Y/%m/", blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = models.Manager.from_queryset(AppendOnlyQuerySet)()
    scope_unit_field = "person__unit"
    # The scan's path is no value worth logging (the record, with its hash, is its own log).
    audit_masked = {"scan": lambda value: str(value) if value else ""}

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "category", "-id"], name="privacy_consent_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="self") | Q(attested_by__isnull=False), name="privacy_paper_consent_attested"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.category} {self.action} v{self.notice_version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("consent records are append-only")

    @classmethod
    def scope_self(cls, user, action: str):
        """A person sees their own consent records."""
        return Q(person__user=user) if action == "view" else None

    def canonical(self) -> dict[str, Any]:
        """What the hash covers: metadata only, never health content."""
        given = self.given_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        return {
            "person": self.person_id,
            "category": self.category,
            "notice_version": self.notice_version,
            "time": given,
            "channel": self.channel,
            "basis": self.basis,
            "action": self.action,
            "attested_by": self.attested_by_id,
            "attested_on": self.attested_on.isoformat() if self.attested_on else None,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()


class WithdrawalReview(models.Model):
    """The office's review of a withdrawal made under the emergency basis (the record itself never
    changes, so the review is a row of its own)."""

    record = models.OneToOneField(ConsentRecord, on_delete=models.PROTECT, related_name="review")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    objects = RestrictedManager()
    scope_unit_field = "record__person__unit"

    class Meta:
        verbose_name = _("withdrawal review")
        verbose_name_plural = _("withdrawal reviews")

    def __str__(self) -> str:
        return f"review of {self.record_id}"


# --- retention, purge and stand-down -------------------------------------------------------------------


class PrivacySettings(models.Model):
    """The privacy settings of the group (one row): how long after a stand-down the personal health
    data of the emergency period is purged. Read with :meth:`load`; changed by the group office."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    standdown_grace_days = models.PositiveSmallIntegerField(
        _("grace period after a stand-down (days)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("The personal health data of an emergency period is purged this many days after it is closed."),
    )

    class Meta:
        verbose_name = _("privacy settings")
        verbose_name_plural = _("privacy settings")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="privacy_settings_singleton")]

    def __str__(self) -> str:
        return f"grace {self.standdown_grace_days} days"

    @classmethod
    def load(cls) -> PrivacySettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class RetentionPolicy(models.Model):
    """How long the rows of one category of personal data are kept (保存期限, PIPL Art. 19), set by the
    office between the category's floor and ceiling. A category without a row keeps its default."""

    category = models.CharField(
        pgettext_lazy("data category", "category"), max_length=60, unique=True, validators=[validate_category]
    )
    days = models.PositiveIntegerField(_("kept for (days)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["category"]
        constraints = [models.CheckConstraint(condition=Q(days__gte=1), name="privacy_retention_positive")]

    def __str__(self) -> str:
        return f"{self.category}: {self.days}"


class PurgeTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly job")
    COMMAND = "command", pgettext_lazy("purge trigger", "Command")
    STANDDOWN = "standdown", _("Stand-down")


class StandDown(models.Model):
    """Declaring an outbreak over (应急结束): proposed by one office administrator, confirmed by another.

    Until it is confirmed nothing happens. The confirmation closes the emergency period, ends check-ins
    (the collection gate refuses health data from ``ends_on`` on) and schedules the purge of the period's
    personal health data for ``purge_on`` (the end plus the grace period); the nightly job purges it then,
    regardless of retention, and links its receipt here. Aggregates and documents are kept.
    """

    period = models.OneToOneField(
        EmergencyPeriod, verbose_name=_("emergency period"), on_delete=models.PROTECT, related_name="stand_down"
    )
    ends_on = models.DateField(_("outbreak over on"))
    grace_days = models.PositiveSmallIntegerField(_("grace period (days)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    purge_on = models.DateField(_("purge on"), null=True, blank=True)
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stand-down")
        verbose_name_plural = _("stand-downs")
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("proposed_by")),
                name="privacy_standdown_two_people",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(purge_on__isnull=False),
                name="privacy_standdown_confirmed_is_scheduled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.ends_on}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class PurgeReceipt(models.Model):
    """What one run of the purge did (清除回执): per category the retention used, the rows deleted, the
    change-log rows and audit events redacted and the oldest date kept. Written by every run, a dry
    run included (marked as such: it changed nothing)."""

    run_id = models.UUIDField(_("run"), unique=True, default=uuid.uuid4, editable=False)
    trigger = models.CharField(_("started by"), max_length=10, choices=PurgeTrigger.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    stand_down = models.ForeignKey(
        StandDown,
        verbose_name=_("stand-down"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    # {category: {"retention_days", "before", "since", "rows": {model: n}, "deleted", "changes_redacted",
    #  "events_redacted", "oldest_kept"}}
    categories = models.JSONField(_("categories"), default=dict, blank=True)
    longest_transaction_ms = models.PositiveIntegerField(_("longest transaction (ms)"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("purge receipt")
        verbose_name_plural = _("purge receipts")
        ordering = ["-started", "-id"]

    def __str__(self) -> str:
        return f"{self.run_id} {self.started:%Y-%m-%d %H:%M}"

    @property
    def deleted(self) -> int:
        return sum(int(c.get("deleted", 0)) for c in self.categories.values())

    @property
    def redacted(self) -> int:
        return sum(
            int(c.get("changes_redacted", 0)) + int(c.get("events_redacted", 0)) for c in self.categories.values()
        )
