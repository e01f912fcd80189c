"""Outing approval and filing (外出审批报备): an employee asks to travel, the unit's leader approves
(and the prevention office too when the destination is in a risk area or the person holds a key
role); a leader's own outing is filed (报备) and acknowledged by the office. While the trip lasts the
destination is checked against the risk areas every day; on return the person confirms the dates,
the trip goes into their epidemiological history and, where the office says so, they are under
enhanced monitoring (a second temperature reading a day) for some days.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.health.choices import Transport
from lianfang.org.choices import Role
from lianfang.outings.choices import (
    APPROVER_CHOICES,
    DEFAULT_KEY_ROLES,
    DEFAULT_RISK_LEVELS,
    MonitoringWhen,
    OutingState,
    Route,
    StepDecision,
    StepKind,
)


def default_key_roles() -> list[str]:
    return list(DEFAULT_KEY_ROLES)


def default_risk_levels() -> list[str]:
    return list(DEFAULT_RISK_LEVELS)


class OutingSettings(models.Model):
    """The route of an outing request and the measures on return (one row), edited by the office.

    Read with :meth:`load`. A request keeps the route it was given when it was asked: changing the
    settings changes the requests asked afterwards.
    """

    approver_role = models.CharField(
        _("who approves for the unit"),
        max_length=20,
        choices=APPROVER_CHOICES,
        default=Role.LEADER,
        help_text=_("Held on the person's unit or the nearest unit above it."),
    )
    office_for_risk_areas = models.BooleanField(
        _("the prevention office approves outings to risk areas"),
        default=True,
        help_text=_("When the destination is in a risk area in force on the day of asking."),
    )
    risk_levels = models.JSONField(_("risk levels that count"), default=default_risk_levels, blank=True)
    key_roles = models.JSONField(
        _("key roles whose outings the prevention office approves"), default=default_key_roles, blank=True
    )
    leaders_file_only = models.BooleanField(
        _("leaders' own outings are filed, not approved"),
        default=True,
        help_text=_("The office acknowledges the filing; to a risk area the office approves it."),
    )
    expire_hours = models.PositiveSmallIntegerField(
        _("a request not decided expires after (hours)"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    remind_hours = models.PositiveSmallIntegerField(
        _("approvers are reminded after (hours)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    record_trip = models.BooleanField(
        _("on return, the trip goes into the person's epidemiological history"),
        default=True,
        help_text=_("The health status is worked out again from it."),
    )
    monitoring_days = models.PositiveSmallIntegerField(
        _("days of enhanced monitoring after return"),
        default=7,
        validators=[MaxValueValidator(30)],
        help_text=_("A second temperature reading each day; 0 for none."),
    )
    monitoring_when = models.CharField(
        _("enhanced monitoring after"), max_length=10, choices=MonitoringWhen.choices, default=MonitoringWhen.RISK
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("outing settings")
        verbose_name_plural = _("outing settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="outing_settings_single_row"),
        ]

    def __str__(self) -> str:
        return str(_("Outing settings"))

    @classmethod
    def load(cls) -> OutingSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Outing(models.Model):
    """An outing request (外出申请) of one person, or a leader's filing (外出报备).

    ``unit`` is the person's unit when they asked, so the liaison and the leaders above it see it.
    The planned dates are those asked for; ``actual_from`` and ``actual_to`` are confirmed on return.
    ``last_day`` is the latest day the record speaks of (the return, the end of the enhanced
    monitoring): the purge goes by it.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="outings"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    route = models.CharField(_("route"), max_length=10, choices=Route.choices, default=Route.APPROVAL)
    state = models.CharField(_("state"), max_length=10, choices=OutingState.choices, default=OutingState.PENDING)
    place_code = models.CharField(_("destination (division code)"), max_length=12)
    place_name = models.CharField(_("destination"), max_length=100)
    date_from = models.DateField(_("date of departure"))
    date_to = models.DateField(_("date of return"))
    reason = models.CharField(_("reason for the outing"), max_length=200)
    transport = models.CharField(_("transport"), max_length=8, choices=Transport.choices)
    transport_no = models.CharField(_("flight or train number"), max_length=20, blank=True)
    # Why the office is on the route, as found on the day of asking.
    risk_at_request = models.BooleanField(_("destination in a risk area when asked"), default=False)
    risk_area_name = models.CharField(_("risk area"), max_length=100, blank=True)
    key_role = models.BooleanField(_("holds a key role"), default=False)
    submitted_at = models.DateTimeField(_("asked at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("filing acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filing acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # The daily check: the destination turned into a risk area after the request was asked.
    risk_found_on = models.DateField(_("destination became a risk area on"), null=True, blank=True)
    risk_found_area = models.CharField(_("risk area found"), max_length=100, blank=True)
    return_reminded_at = models.DateTimeField(_("reminded to confirm the return"), null=True, blank=True)
    returned_at = models.DateTimeField(_("return confirmed at"), null=True, blank=True)
    return_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("return confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actual_from = models.DateField(_("actual date of departure"), null=True, blank=True)
    actual_to = models.DateField(_("actual date of return"), null=True, blank=True)
    # No link to the health app's trip row: trips are purged on their own retention, with a raw delete.
    trip_recorded = models.BooleanField(_("trip in the epidemiological history"), default=False)
    monitoring_until = models.DateField(_("enhanced monitoring until"), null=True, blank=True)
    last_day = models.DateField(_("last day"), db_index=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("outing")
        verbose_name_plural = _("outings")
        ordering = ["-date_from", "-pk"]
        indexes = [
            models.Index(fields=["person", "date_from"]),
            models.Index(fields=["unit", "date_from"]),
            models.Index(fields=["state", "date_from"]),
            models.Index(fields=["state", "monitoring_until"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")),
                name="outing_returns_after_it_departs",
                violation_error_message=_("The date of return cannot be before the date of departure."),
            ),
            models.CheckConstraint(
                condition=Q(actual_from__isnull=True) | Q(actual_to__isnull=True) | Q(actual_to__gte=F("actual_from")),
                name="outing_actual_return_after_departure",
                violation_error_message=_("The actual date of return cannot be before the actual date of departure."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_name} {self.date_from}–{self.date_to}"

    @classmethod
    def scope_self(cls, user, action: str):
        """A person sees their own outings."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(person__user=user)
        return None

    @property
    def is_going(self) -> bool:
        """Approved or filed, and not back yet."""
        return self.state in (OutingState.APPROVED, OutingState.FILED)

    @property
    def in_risk(self) -> bool:
        return self.risk_at_request or self.risk_found_on is not None

    @property
    def first_day(self) -> datetime.date:
        return self.actual_from or self.date_from

    @property
    def return_day(self) -> datetime.date:
        return self.actual_to or self.date_to


class OutingStep(models.Model):
    """One step of an outing's route (审批环节): who decides (``role`` held on ``unit`` or above),
    since when (``opened_at``; empty until the step before is decided), by when it expires
    (``due_at``; empty for a filing, which never expires), and what was decided."""

    outing = models.ForeignKey(Outing, verbose_name=_("outing"), on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    unit = models.ForeignKey("org.Unit", verbose_name=_("decided at"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role that decides"), max_length=20, choices=Role.choices)
    opened_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    due_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    remind_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=12, choices=StepDecision.choices, blank=True)
    note = models.CharField(_("opinion"), max_length=200, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "outing__unit"

    class Meta:
        verbose_name = _("step of an outing")
        verbose_name_plural = _("steps of outings")
        ordering = ["outing", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["outing", "seq"], name="outing_one_step_per_seq"),
            # One step is waiting at a time: a second would be a double decision.
            models.UniqueConstraint(
                fields=["outing"],
                condition=Q(opened_at__isnull=False, decided_at__isnull=True),
                name="outing_one_open_step",
            ),
        ]
        indexes = [
            models.Index(fields=["decided_at", "due_at"]),
            models.Index(fields=["decided_at", "remind_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.outing_id}#{self.seq} {self.kind}"

    @classmethod
    def scope_self(cls, user, action: str):
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(outing__person__user=user)
        return None

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.decided_at is None


class MonitoringReading(models.Model):
    """The second temperature reading of a day (the first is the daily check-in) during the
    enhanced monitoring after an outing (返岗后加强健康监测)."""

    outing = models.ForeignKey(Outing, verbose_name=_("outing"), on_delete=models.CASCADE, related_name="readings")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    is_fever = models.BooleanField(_("fever"), default=False)
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("monitoring reading")
        verbose_name_plural = _("monitoring readings")
        ordering = ["outing", "date"]
        constraints = [
            models.UniqueConstraint(fields=["outing", "date"], name="outing_one_reading_per_day"),
            models.CheckConstraint(
                condition=Q(temperature__gte=34) & Q(temperature__lte=43),
                name="outing_reading_temperature_plausible",
                violation_error_message=_("Enter a body temperature between 34.0 and 43.0 °C."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outing_id} {self.date} {self.temperature}"

    @classmethod
    def scope_self(cls, user, action: str):
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(outing__person__user=user)
        return None
