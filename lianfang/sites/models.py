"""Data of the sites app: disinfection (消杀) — the agents the group uses, each site's plans, the rounds
each day's plans give (and terminal disinfections after a case), and the record of each round.

A site is any unit of the tree (an office area, a heat station, a residential community, a fleet): a
plan hangs on the unit, and so does everything it gives. Checkpoints, visitors and the personal pass
will live here too (issue 13, later).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import join_words
from lianfang.core.querysets import RestrictedManager
from lianfang.sites.choices import WEEKDAYS, Area, Frequency, RoundKind

# Ventilation (开窗通风): at least this long each time unless the plan says otherwise (local guidelines
# ask for two or three rounds of at least 30 minutes a day).
VENTILATION_MINUTES = 30
MAX_TIMES_A_DAY = 12


class Disinfectant(models.Model):
    """A disinfectant at a working concentration (消毒剂), with the contact time it needs (作用时间).

    The group's catalogue, kept by the office: the same product at two concentrations is two entries
    (含氯消毒剂 500 mg/L for surfaces, 1000 mg/L for terminal disinfection). A round logged with it
    must last at least ``contact_minutes``.
    """

    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    concentration = models.CharField(
        _("concentration"), max_length=30, help_text=_("As it is made up for use, e.g. 500 mg/L or 75%.")
    )
    contact_minutes = models.PositiveSmallIntegerField(
        _("contact time (minutes)"),
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("How long it must act before it is wiped off or the room is used; see the product's label."),
    )
    use = models.CharField(_("used for"), max_length=200, blank=True)
    for_terminal = models.BooleanField(
        _("for terminal disinfection"),
        default=False,
        help_text=_("Offered first for a terminal disinfection (终末消毒) after a case."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("disinfectant")
        verbose_name_plural = _("disinfectants")
        ordering = ["sort", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "concentration"],
                name="sites_disinfectant_once_per_concentration",
                violation_error_message=_("This disinfectant is already in the catalogue at this concentration."),
            ),
            models.CheckConstraint(condition=Q(contact_minutes__gte=1), name="sites_disinfectant_contact_time"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.concentration}"

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class DisinfectionPlan(models.Model):
    """What a site disinfects, where, with what and when (消杀计划): "offices, 含氯消毒剂 500 mg/L, every
    day by 10:00 and 16:00", "the vehicles on Mondays and Thursdays by 18:00", or a ventilation plan
    (开窗通风, no agent, at least 30 minutes). Each time is a deadline: the round is due by then."""

    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=RoundKind.choices, default=RoundKind.DISINFECTION)
    area = models.CharField(pgettext_lazy("disinfection", "area"), max_length=12, choices=Area.choices)
    area_note = models.CharField(
        _("which"), max_length=100, blank=True, help_text=_("E.g. “Building 3, both lifts” or “east gate”.")
    )
    agent = models.ForeignKey(
        Disinfectant,
        verbose_name=_("disinfectant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    min_minutes = models.PositiveSmallIntegerField(
        _("at least (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("For ventilation: how long the windows stay open each time."),
    )
    frequency = models.CharField(_("how often"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True, help_text=_("Monday is 0, Sunday 6."))
    times = models.JSONField(_("due by"), default=list, help_text=_("The deadlines of the day's rounds, e.g. 10:00."))
    starts_on = models.DateField(pgettext_lazy("date range", "from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "site"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("disinfection plan")
        verbose_name_plural = _("disinfection plans")
        ordering = ["site__path", "kind", "area", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RoundKind.DISINFECTION, agent__isnull=False)
                | Q(kind=RoundKind.VENTILATION, agent__isnull=True),
                name="sites_plan_agent_for_disinfection_only",
                violation_error_message=_("A disinfection plan names its disinfectant; ventilation needs none."),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="sites_plan_ends_after_start",
                violation_error_message=_("The plan cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.area_label}"

    @property
    def area_label(self) -> str:
        return area_label(self.get_area_display(), self.area_note)

    @property
    def schedule_label(self) -> str:
        """ "每天" or "每周：周一、周四" ("Every day", "Weekly: Mon, Thu")."""
        if self.frequency != Frequency.WEEKLY:
            return str(self.get_frequency_display())
        names = dict(WEEKDAYS)
        days = join_words(names[d] for d in self.weekdays if d in names)
        return _("Weekly: %(days)s") % {"days": days}

    def deadlines(self) -> list[datetime.time]:
        return sorted(datetime.time.fromisoformat(t) for t in self.times)

    def runs_on(self, day: datetime.date) -> bool:
        """Does the plan give rounds on ``day``?"""
        if not self.is_active or day < self.starts_on or (self.ends_on is not None and day > self.ends_on):
            return False
        return self.frequency == Frequency.DAILY or day.weekday() in (self.weekdays or [])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        times = []
        for value in self.times or []:
            try:
                times.append(datetime.time.fromisoformat(str(value)).strftime("%H:%M"))
            except ValueError:
                errors["times"] = _("Give each time as hours and minutes, e.g. 10:00.")
                break
        if "times" not in errors:
            if not times:
                errors["times"] = _("Give at least one time the round is due by, e.g. 10:00.")
            elif len(set(times)) != len(times):
                errors["times"] = _("Each time of the day may be given once.")
            elif len(times) > MAX_TIMES_A_DAY:
                errors["times"] = _("At most %(n)d rounds a day.") % {"n": MAX_TIMES_A_DAY}
            self.times = sorted(times)
        days = self.weekdays or []
        if not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            errors["weekdays"] = _("Choose weekdays from Monday to Sunday.")
        elif self.frequency == Frequency.WEEKLY and not days:
            errors["weekdays"] = _("Choose the weekdays of a weekly plan.")
        else:
            self.weekdays = sorted(set(days)) if self.frequency == Frequency.WEEKLY else []
        if self.kind == RoundKind.DISINFECTION:
            if self.agent_id is None:
                errors["agent"] = _("Choose the disinfectant this plan uses.")
            self.min_minutes = None
        elif self.kind == RoundKind.VENTILATION:
            self.agent = None
            self.min_minutes = self.min_minutes or VENTILATION_MINUTES
        else:
            errors["kind"] = _("Plan disinfection or ventilation; a terminal disinfection follows a case.")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The plan cannot end before it starts.")
        if errors:
            raise ValidationError(errors)


def area_label(area, note: str) -> str:
    """ "办公区域（3号楼）" in Chinese, "Offices (Building 3)" in English."""
    if not note:
        return str(area)
    return f"{area} ({note})" if (get_language() or "").startswith("en") else f"{area}（{note}）"


class DisinfectionSlot(models.Model):
    """A round due at a site by a deadline (消杀轮次): one of the day's rounds a plan gives, or a
    terminal disinfection (终末消毒) opened after a confirmed case at the site.

    Rounds are made ahead by a job (idempotent: one per plan and deadline); what the plan said is
    copied, so a changed plan leaves the rounds already done as they were. A round is done when its
    log is finished; overdue when its deadline passed first.
    """

    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        DisinfectionPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="slots",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RoundKind.choices)
    area = models.CharField(pgettext_lazy("disinfection", "area"), max_length=12, choices=Area.choices)
    area_note = models.CharField(_("which"), max_length=100, blank=True)
    agent = models.ForeignKey(
        Disinfectant,
        verbose_name=_("disinfectant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    min_minutes = models.PositiveSmallIntegerField(_("at least (minutes)"), null=True, blank=True)
    day = models.DateField(_("day"))
    due_at = models.DateTimeField(_("due by"))
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedManager()
    scope_unit_field = "site"

    class Meta:
        verbose_name = _("disinfection round")
        verbose_name_plural = _("disinfection rounds")
        ordering = ["due_at", "area", "pk"]
        indexes = [
            models.Index(fields=["site", "day"], name="sites_slot_site_day"),
            models.Index(fields=["day", "due_at"], name="sites_slot_day_due"),
        ]
        constraints = [
            # The job may run twice, or on two workers: a plan gives one round per deadline.
            models.UniqueConstraint(
                fields=["plan", "due_at"], condition=Q(plan__isnull=False), name="sites_slot_once_per_plan_deadline"
            ),
            # A case opens one terminal disinfection per site.
            models.UniqueConstraint(
                fields=["case", "site"], condition=Q(case__isnull=False), name="sites_terminal_once_per_case_site"
            ),
            models.CheckConstraint(
                condition=Q(kind=RoundKind.TERMINAL) | Q(plan__isnull=False),
                name="sites_slot_from_a_plan_unless_terminal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} · {self.area_label} · {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"

    @property
    def area_label(self) -> str:
        return area_label(self.get_area_display(), self.area_note)


def photo_path(instance: DisinfectionLog, filename: str) -> str:
    """Photos under the month they were taken, by a random name (never the sender's file name)."""
    now = timezone.localdate()
    return f"sites/disinfection/{now:%Y/%m}/{uuid.uuid4().hex}.jpg"


class DisinfectionLog(models.Model):
    """The record of a round (消杀记录): when it started and ended, with what at which concentration,
    who did it, a photo. Started and finished from a phone, or recorded afterwards from the paper
    sheet; a round of disinfection must last at least the disinfectant's contact time, ventilation
    the plan's minimum."""

    slot = models.OneToOneField(DisinfectionSlot, verbose_name=_("round"), on_delete=models.PROTECT, related_name="log")
    # The round's site, copied: the scope and the change log's unit without a join.
    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    agent = models.ForeignKey(
        Disinfectant,
        verbose_name=_("disinfectant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    concentration = models.CharField(_("concentration"), max_length=30, blank=True)
    operator = models.ForeignKey(
        "people.Person",
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="disinfection_logs",
    )
    operator_name = models.CharField(_("done by"), max_length=60)
    photo = models.FileField(_("photo"), upload_to=photo_path, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "site"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("disinfection record")
        verbose_name_plural = _("disinfection records")
        ordering = ["started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="sites_log_ends_after_start",
                violation_error_message=_("A round cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot} · {timezone.localtime(self.started_at):%H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.ended_at is not None

    @property
    def minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)
