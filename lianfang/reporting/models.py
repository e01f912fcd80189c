"""Unit daily reports (日报告、零报告), what they raise, and the group's daily bulletin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.reporting.choices import BulletinStatus, FieldKind, RaisedKind, RaisedStatus, ReportStatus


class ReportField(models.Model):
    """One line of the unit daily report, editable by the office as a template.

    ``source`` names how a count is prefilled from the records (see ``lianfang.core.extensions.report_feeds``); a field
    without a source is typed by the liaison. Fields are deactivated, never deleted, so old reports
    keep their lines.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label (Chinese)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=5, choices=FieldKind.choices)
    source = models.CharField(_("prefilled from"), max_length=40, blank=True)
    required = models.BooleanField(_("required"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("report field")
        verbose_name_plural = _("report fields")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        if (get_language() or "").startswith("en") and self.label_en:
            return self.label_en
        return self.label


class UnitDailyReport(models.Model):
    """A unit's report for one day (日报告), or its zero report (零报告) when nothing is new.

    One per unit per day (a database constraint). ``values`` holds the template's fields by code.
    ``is_late`` is fixed when the report is first submitted: after the group's deadline. A report
    locks a configured number of days after its date; later corrections need the group office.
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="daily_reports")
    date = models.DateField(_("date"))
    is_zero_report = models.BooleanField(_("zero report"), default=False)
    values = models.JSONField(_("values"), default=dict, blank=True)
    # The counts computed from the records when the report was last saved (the report feeds of
    # ``lianfang.core.extensions``),
    # so a page can show the prefilled value next to one the liaison changed.
    prefilled = models.JSONField(_("prefilled counts"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_late = models.BooleanField(_("late"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("unit daily report")
        verbose_name_plural = _("unit daily reports")
        ordering = ["-date", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="one_report_per_unit_per_day")]
        indexes = [models.Index(fields=["date", "status"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.date}"


class RaisedItem(models.Model):
    """A problem or need a unit raised in its daily report, routed to a group department and
    followed to resolution (seed 000: "问题困难" discussed at the joint meeting)."""

    report = models.ForeignKey(
        UnitDailyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="raised"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=RaisedKind.choices)
    text = models.TextField(_("what was raised"))
    routed_to = models.ForeignKey(
        "org.Unit", verbose_name=_("routed to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=RaisedStatus.choices, default=RaisedStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("raised item")
        verbose_name_plural = _("raised items")
        ordering = ["-created"]
        # A re-submitted report updates its items instead of raising them twice.
        constraints = [models.UniqueConstraint(fields=["report", "kind"], name="one_raised_item_per_report_kind")]

    def __str__(self) -> str:
        return self.text[:60]

    @classmethod
    def scope_self(cls, user, action: str):
        """The group department an item is routed to sees it, and its liaison records progress.

        "Units they hold a role on" is the department itself: routing sends the item to the
        department's people, whatever the role table gives them elsewhere. Routing stays with the
        group office (checked in ``raised_item_route``).
        """
        from lianfang.org.choices import Role
        from lianfang.org.models import RoleAssignment

        held = RoleAssignment.objects.filter(user=user)
        if action == "view":
            return Q(routed_to__in=held.exclude(role=Role.EMPLOYEE).values("unit_id"))
        if action == "change":
            return Q(routed_to__in=held.filter(role=Role.UNIT_ADMIN).values("unit_id"))
        return None


class Bulletin(models.Model):
    """The group's daily bulletin (疫情防控日报) for the joint meeting.

    A draft is built from all units' records and reports at the configured time; the office edits
    the summary and publishes it; leaders read it. ``data`` is the snapshot the bulletin shows, so a
    published bulletin does not change when a late report arrives. ``unit`` is the group (root)
    unit, which scopes the bulletin to the group office and leaders.
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("group"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT)
    summary = models.TextField(_("summary"), blank=True)
    data = models.JSONField(_("figures"), default=dict, blank=True)
    built_at = models.DateTimeField(_("figures as of"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated", "data")

    class Meta:
        verbose_name = _("daily bulletin")
        verbose_name_plural = _("daily bulletins")
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)
