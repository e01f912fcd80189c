"""Daily health check-ins (健康打卡 / 晨检), the office's extra questions, and per-unit daily counts."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.health.choices import CheckInSource, QuestionKind, RiskLevel, Transport, TripKind, TripSource, WorkMode

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")


class Question(models.Model):
    """An extra check-in question the group office defines without code.

    Its wording and options live in :class:`QuestionVersion` rows; editing a question adds a version,
    and answers point at the version they answered, so past answers keep their meaning.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    units = models.ManyToManyField(
        "org.Unit",
        verbose_name=_("shown to units"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to ask everyone; otherwise only people in these units and their sub-units."),
    )
    current = models.ForeignKey(
        "QuestionVersion", verbose_name=_("current version"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in question")
        verbose_name_plural = _("check-in questions")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.current.label if self.current else self.code


class QuestionVersion(models.Model):
    """One wording of a question. Never changed once saved: a change is a new version."""

    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.CharField(_("question (Chinese)"), max_length=200)
    text_en = models.CharField(_("question (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=QuestionKind.choices)
    # [{"value": "green", "label": "绿码", "label_en": "Green"}, …] for single and multiple choice.
    choices = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # Answers that flag the person to their liaison at once, e.g. ["yes"] or ["red", "yellow"].
    flag_values = models.JSONField(_("answers that raise a flag"), default=list, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        ordering = ["question", "-version"]
        constraints = [models.UniqueConstraint(fields=["question", "version"], name="unique_question_version")]

    def __str__(self) -> str:
        return f"{self.label} (v{self.version})"

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.text_en:
            return self.text_en
        return self.text


class CheckIn(models.Model):
    """One person's health check-in for one day (健康打卡), by themselves or by proxy (晨检).

    One per person per day in the group's time zone (a database constraint); submitting again the
    same day corrects it, and the correction is in the change log. ``unit`` is the person's unit
    when they checked in, so history stays with the unit even if the person moves later.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="checkins"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    symptom_note = models.CharField(_("other symptoms"), max_length=200, blank=True)
    location_code = models.CharField(_("location (division code)"), max_length=12, blank=True)
    location_name = models.CharField(_("location"), max_length=100, blank=True)
    work_mode = models.CharField(_("today"), max_length=20, choices=WorkMode.choices, default=WorkMode.ON_SITE)
    # {"<QuestionVersion id>": answer}
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    is_fever = models.BooleanField(_("fever"), default=False)
    is_flagged = models.BooleanField(_("flagged"), default=False)
    flag_reasons = models.JSONField(_("why flagged"), default=list, blank=True)
    source = models.CharField(_("entered"), max_length=8, choices=CheckInSource.choices, default=CheckInSource.SELF)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-date", "unit__path", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "date"], name="one_checkin_per_person_per_day"),
            models.CheckConstraint(
                condition=Q(temperature__gte=TEMPERATURE_MIN) & Q(temperature__lte=TEMPERATURE_MAX),
                name="checkin_temperature_plausible",
                violation_error_message=_("Enter a body temperature between 34.0 and 43.0 °C."),
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "date"]),
            models.Index(fields=["date", "is_flagged"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.date}"

    @classmethod
    def scope_self(cls, user, action: str):
        """A person sees, enters and corrects their own check-ins."""
        return Q(person__user=user) if action in ("view", "add", "change") else None


class UnitDayStat(models.Model):
    """Per-unit counts for one day, kept up to date as check-ins arrive (F() increments in the
    check-in service), so dashboards and bulletins never scan raw check-ins.

    ``expected`` is the unit's active headcount for the day (set when the day opens and when the
    roster changes); the other counts cover check-ins whose ``unit`` is this unit (not sub-units).
    """

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    expected = models.PositiveIntegerField(_("people expected"), default=0)
    reported = models.PositiveIntegerField(_("checked in"), default=0)
    fever = models.PositiveIntegerField(_("fever"), default=0)
    flagged = models.PositiveIntegerField(_("flagged"), default=0)
    on_site = models.PositiveIntegerField(_("on site"), default=0)
    remote = models.PositiveIntegerField(_("remote"), default=0)
    on_leave = models.PositiveIntegerField(_("on leave"), default=0)
    isolated = models.PositiveIntegerField(_("in isolation or hospital"), default=0)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("unit day")
        verbose_name_plural = _("unit days")
        constraints = [models.UniqueConstraint(fields=["unit", "date"], name="one_stat_per_unit_per_day")]
        indexes = [models.Index(fields=["date", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}: {self.reported}/{self.expected}"


# --- Risk areas, trips and exposures, and the personal health status (issue 4) -------------------
#
# The status (green / yellow / red) is computed by an ordered list of rules the group office edits
# (StatusRule), from facts the records give (cases, isolation, fever, risk-area travel, follow-ups);
# lianfang.status.engine evaluates them. Each person has one current PersonStatus and a history of
# StatusChange rows.


class RiskArea(models.Model):
    """A risk area as published by the authorities, in force from ``effective_from`` until lifted.

    Never deleted once in use: lifting sets ``lifted_on``, so a check-in or trip is judged against
    the list that was in force on its date. The area is a national division code (province, city or
    district); a code covers the divisions below it (a city's code covers its districts).
    """

    division_code = models.CharField(_("division code"), max_length=12, db_index=True)
    name = models.CharField(_("area"), max_length=100)
    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    effective_from = models.DateField(_("in force from"))
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("Who published it, e.g. a notice number.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")
        ordering = ["-effective_from", "division_code"]
        indexes = [models.Index(fields=["effective_from", "lifted_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=models.F("effective_from")),
                name="risk_area_lifted_after_effective",
                violation_error_message=_("A risk area cannot be lifted before it comes into force."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class Trip(models.Model):
    """Where a person has been (行程) or an exposure they had, for the epidemiological history.

    ``unit`` is the person's unit when it was recorded, so liaisons see their people's trips.
    Trips come from check-in answers (``source=checkin``) or are entered directly.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="trips"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=TripKind.choices, default=TripKind.TRIP)
    place_code = models.CharField(_("division code"), max_length=12, blank=True, db_index=True)
    place_name = models.CharField(_("place"), max_length=100)
    date_from = models.DateField(pgettext_lazy("date range", "from"))
    date_to = models.DateField(pgettext_lazy("date range", "to"))
    transport = models.CharField(_("transport"), max_length=8, choices=Transport.choices, blank=True)
    transport_no = models.CharField(_("flight or train number"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=TripSource.choices, default=TripSource.ENTERED)
    # No foreign-key constraint in the database: check-ins are to be partitioned by month on
    # PostgreSQL, and a constraint would have to name the partitioned key (docs/adr/0010).
    checkin = models.ForeignKey(
        "health.CheckIn",
        verbose_name=_("check-in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("trip or exposure")
        verbose_name_plural = _("trips and exposures")
        ordering = ["-date_to", "person_id"]
        indexes = [models.Index(fields=["person", "date_to"]), models.Index(fields=["date_to", "place_code"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=models.F("date_from")),
                name="trip_ends_after_it_starts",
                violation_error_message=_("A trip cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_name} {self.date_from}–{self.date_to}"

    @classmethod
    def scope_self(cls, user, action: str):
        """A person sees and adds their own trips."""
        return Q(person__user=user) if action in ("view", "add") else None
