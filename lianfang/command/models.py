"""Urgent matters reported level by level (紧急事项逐级上报).

A unit reports an urgent matter; it travels up the unit tree through the units that keep duty, one
``Hop`` per level. Each level's clocks (acknowledge, written report) start when that level receives
it and are stored as deadlines on the hop: the escalation scan compares them with the time, so a
restart of the job consumer loses nothing. Reports follow 初报 → 续报 → 终报; at the top the group
records when and to whom it reported outside the group (``ExternalReport``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from lianfang.command.choices import HopVia, MatterKind, MatterState, ReportKind
from lianfang.core.querysets import RestrictedManager


class SeverityLevel(models.Model):
    """A severity level (事件等级) and its time limits, edited by the group office.

    Minutes count from when a level receives the matter. ``by_shift_end``: the level's clocks end
    with the receiving unit's duty shift (一般). ``grace_minutes``: how long after a missed clock the
    matter goes to the next level up by itself (越级); empty: it never skips, the leader on duty is
    told. ``followup_minutes``: the cadence of 续报 until the final report; empty: none required.
    ``external_minutes``: the group's own limit to report outside (the local 防控指挥部).
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("name (English)"), max_length=40, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the most severe."))
    ack_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"), null=True, blank=True)
    written_minutes = models.PositiveIntegerField(_("written report within (minutes)"), null=True, blank=True)
    by_shift_end = models.BooleanField(_("by the end of the duty shift"), default=False)
    grace_minutes = models.PositiveIntegerField(_("skip a level after (minutes overdue)"), null=True, blank=True)
    followup_minutes = models.PositiveIntegerField(_("follow-up report every (minutes)"), null=True, blank=True)
    external_minutes = models.PositiveIntegerField(
        _("report outside the group within (minutes)"), null=True, blank=True
    )
    must_reach_top = models.BooleanField(
        _("must reach the group"), default=False, help_text=_("Levels below the group forward it, never resolve it.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("severity level")
        verbose_name_plural = _("severity levels")
        ordering = ["rank", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_shift_end=True) | (Q(ack_minutes__gt=0) & Q(written_minutes__gt=0)),
                name="severity_level_has_limits",
                violation_error_message=_(
                    "Give both time limits in minutes, or choose “by the end of the duty shift”."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (translation.get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class MatterNumberCounter(models.Model):
    """The last urgent-matter number given in a year (JJ-2026-0007 → 7); incremented with an UPDATE,
    which locks the row until the transaction ends, so two reports never get the same number."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("urgent matter number counter")
        verbose_name_plural = _("urgent matter number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class UrgentMatter(models.Model):
    """An urgent matter (紧急事项) reported by a unit, and where it stands.

    Belongs to the reporting unit: every level it goes through is an ancestor of that unit, so each
    of them sees it through the ordinary scope.
    """

    number = models.CharField(_("number"), max_length=20, unique=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=MatterKind.choices)
    severity = models.ForeignKey(
        SeverityLevel, verbose_name=_("severity"), on_delete=models.PROTECT, related_name="matters"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("when it happened"))
    place = models.CharField(_("where"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=MatterState.choices, default=MatterState.OPEN)
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The 续报 cadence (copied from the level, a receiving level may change it) and the next one due.
    followup_minutes = models.PositiveIntegerField(_("follow-up report every (minutes)"), null=True, blank=True)
    followup_due = models.DateTimeField(_("next follow-up report due"), null=True, blank=True)
    followup_reminded_at = models.DateTimeField(_("follow-up reminder sent"), null=True, blank=True)
    # At the top: the group's own limit for reporting outside the group.
    external_due = models.DateTimeField(_("report outside due"), null=True, blank=True)
    external_reported_at = models.DateTimeField(_("reported outside at"), null=True, blank=True)
    external_notified_at = models.DateTimeField(_("missed outside report notified"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("resolved by unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("why closed"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("urgent matter")
        verbose_name_plural = _("urgent matters")
        ordering = ["-reported_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "reported_at"]),
            models.Index(fields=["state", "followup_due"]),
            models.Index(fields=["state", "external_due"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state == MatterState.OPEN


class Hop(models.Model):
    """One level the matter reached (一级), with that level's clocks.

    ``ack_due`` and ``written_due`` are set when the level receives it; a clock is missed when its
    time has passed and nothing stopped it. ``*_notified_at`` say the leader on duty was told (set by
    a conditional UPDATE, so two workers never send the same notice); ``skip_*_at`` are when the
    matter goes up by itself if the clock is still missed (empty: never). ``closed_at``: the level's
    clocks stopped (forwarded, resolved, skipped, or the matter closed).
    """

    matter = models.ForeignKey(
        UrgentMatter, verbose_name=_("urgent matter"), on_delete=models.CASCADE, related_name="hops"
    )
    seq = models.PositiveSmallIntegerField(_("step"))
    unit = models.ForeignKey("org.Unit", verbose_name=_("level"), on_delete=models.PROTECT, related_name="+")
    via = models.CharField(_("received as"), max_length=10, choices=HopVia.choices)
    is_top = models.BooleanField(_("top of the group"), default=False)
    received_at = models.DateTimeField(_("received at"))
    ack_due = models.DateTimeField(_("acknowledge by"))
    written_due = models.DateTimeField(_("written report by"))
    skip_ack_at = models.DateTimeField(_("goes up if not acknowledged by"), null=True, blank=True)
    skip_written_at = models.DateTimeField(_("goes up without a written report by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    written_at = models.DateTimeField(_("written report at"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("skipped at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clocks stopped at"), null=True, blank=True)
    ack_notified_at = models.DateTimeField(_("missed acknowledgement notified"), null=True, blank=True)
    written_notified_at = models.DateTimeField(_("missed written report notified"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "matter__unit"

    class Meta:
        verbose_name = _("level of an urgent matter")
        verbose_name_plural = _("levels of urgent matters")
        ordering = ["matter", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "seq"], name="one_hop_per_step"),
            # A level holds a matter once at a time: a second live hop at the same level is a double send.
            models.UniqueConstraint(
                fields=["matter", "unit"], condition=Q(closed_at__isnull=True), name="one_live_hop_per_level"
            ),
        ]
        indexes = [
            models.Index(fields=["closed_at", "ack_due"]),
            models.Index(fields=["closed_at", "written_due"]),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id}#{self.seq}"

    @property
    def leader_notified_at(self) -> datetime.datetime | None:
        times = [t for t in (self.ack_notified_at, self.written_notified_at) if t]
        return min(times) if times else None

    @property
    def is_live(self) -> bool:
        return self.closed_at is None


class Report(models.Model):
    """A written report on the matter (初报 / 续报 / 终报) by one level."""

    matter = models.ForeignKey(
        UrgentMatter, verbose_name=_("urgent matter"), on_delete=models.CASCADE, related_name="reports"
    )
    hop = models.ForeignKey(
        Hop, verbose_name=_("level"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("by unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    text = models.TextField(_("report"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("author name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"))

    objects = RestrictedManager()
    scope_unit_field = "matter__unit"

    class Meta:
        verbose_name = _("urgent matter report")
        verbose_name_plural = _("urgent matter reports")
        ordering = ["matter", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter"], condition=Q(kind=ReportKind.FINAL), name="one_final_report_per_matter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class ExternalReport(models.Model):
    """When and to whom the group reported the matter outside the group (e.g. the local 防控指挥部)."""

    matter = models.ForeignKey(
        UrgentMatter, verbose_name=_("urgent matter"), on_delete=models.CASCADE, related_name="external_reports"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("reported by unit"), on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))
    recipient = models.CharField(_("reported to"), max_length=120)
    channel = models.CharField(_("how"), max_length=60, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RestrictedManager()
    scope_unit_field = "matter__unit"

    class Meta:
        verbose_name = _("report outside the group")
        verbose_name_plural = _("reports outside the group")
        ordering = ["matter", "reported_at", "pk"]

    def __str__(self) -> str:
        return f"{self.matter_id} → {self.recipient}"
