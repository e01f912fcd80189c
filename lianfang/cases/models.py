"""Cases, close contacts, isolation with daily follow-up, one-on-one care, and cluster alerts.

Case and contact details are sensitive health data: only case managers of the unit's subtree and the
group office see them (``org.roles``), and every read of a case's details is audited. Everyone else
sees the person's status colour only (``risk.PersonStatus``).

A case or contact is a roster person (employee or family member) or an external person named here;
``unit`` is the unit responsible for them (a family member's: the employee's unit).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.cases.choices import (
    AlertStatus,
    CareNeed,
    CaseStatus,
    ContactDegree,
    ExposureSetting,
    IsolationKind,
    IsolationReason,
    PersonKind,
    TestResult,
    Treatment,
)
from lianfang.core.fields import EncryptedCharField
from lianfang.core.masking import mask_phone
from lianfang.core.querysets import RestrictedManager


class Case(models.Model):
    """A suspected or confirmed case (or asymptomatic infection) and how it ends.

    The dates record each step; ``status`` is where the case is now. New suspected and confirmed
    cases alert the group office at once; a case counts toward cluster alerts of its unit.
    """

    number = models.CharField(
        _("case number"), max_length=20, unique=True, help_text=_("Given on registration, e.g. BL-2026-0007.")
    )
    person_kind = models.CharField(_("who"), max_length=10, choices=PersonKind.choices, default=PersonKind.ROSTER)
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    external_name = models.CharField(_("name (external person)"), max_length=60, blank=True)
    external_phone = EncryptedCharField(_("phone (external person)"), blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.SUSPECTED)
    onset_on = models.DateField(_("symptom onset"), null=True, blank=True)
    reported_on = models.DateField(_("reported on"))
    suspected_on = models.DateField(_("suspected on"), null=True, blank=True)
    confirmed_on = models.DateField(_("confirmed on"), null=True, blank=True)
    asymptomatic_on = models.DateField(_("asymptomatic infection found on"), null=True, blank=True)
    excluded_on = models.DateField(_("excluded on"), null=True, blank=True)
    recovered_on = models.DateField(_("recovered on"), null=True, blank=True)
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True)
    isolated_on = models.DateField(
        _("isolated on"),
        null=True,
        blank=True,
        help_text=_("When the case was isolated; contacts are exposed before it."),
    )
    treatment = models.CharField(_("treated at"), max_length=10, choices=Treatment.choices, default=Treatment.NONE)
    treatment_place = models.CharField(_("hospital or place"), max_length=100, blank=True)
    source_contact = models.ForeignKey(
        "Contact",
        verbose_name=_("was a contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The contact record this case grew out of, which links the chain."),
    )
    note = models.TextField(_("note"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_masked = {"external_phone": mask_phone}
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-reported_on", "-pk"]
        indexes = [
            models.Index(fields=["unit", "reported_on"]),
            models.Index(fields=["status", "reported_on"]),
            models.Index(fields=["person", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person_kind=PersonKind.ROSTER) & Q(person__isnull=False))
                | (Q(person_kind=PersonKind.EXTERNAL) & Q(person__isnull=True) & ~Q(external_name="")),
                name="case_names_its_person",
                violation_error_message=_("Choose a person on the roster, or give the name of the external person."),
            ),
            # One case at a time per person: a second report of the same person updates the first.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(person__isnull=False)
                & Q(status__in=[CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC]),
                name="one_active_case_per_person",
                violation_error_message=_("This person already has an active case: open it and change its status."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id and self.person else self.external_name

    @property
    def is_active(self) -> bool:
        """Still a case to manage: not excluded, recovered or deceased."""
        return self.status in (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)


class Contact(models.Model):
    """A close or secondary contact of a case (密接 / 次密接), with the last exposure.

    A secondary contact names the close contact it came through (``via``). When a contact becomes a
    case, ``became_case`` links the new case, which is how the contact graph draws chains.
    """

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="contacts")
    degree = models.CharField(_("degree"), max_length=10, choices=ContactDegree.choices, default=ContactDegree.CLOSE)
    via = models.ForeignKey(
        "self",
        verbose_name=_("through close contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="secondary",
    )
    person_kind = models.CharField(_("who"), max_length=10, choices=PersonKind.choices, default=PersonKind.ROSTER)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_records",
    )
    external_name = models.CharField(_("name (external person)"), max_length=60, blank=True)
    external_phone = EncryptedCharField(_("phone (external person)"), blank=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    last_exposure_on = models.DateField(_("last exposure"))
    setting = models.CharField(
        _("setting"), max_length=10, choices=ExposureSetting.choices, default=ExposureSetting.WORKPLACE
    )
    setting_note = models.CharField(_("where and how"), max_length=200, blank=True)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    became_case = models.ForeignKey(
        Case, verbose_name=_("became case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_masked = {"external_phone": mask_phone}

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["case", "degree", "pk"]
        indexes = [models.Index(fields=["person", "last_exposure_on"]), models.Index(fields=["unit", "created"])]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"], condition=Q(person__isnull=False), name="one_contact_record_per_case_person"
            ),
            models.CheckConstraint(
                condition=(Q(person_kind=PersonKind.ROSTER) & Q(person__isnull=False))
                | (Q(person_kind=PersonKind.EXTERNAL) & Q(person__isnull=True) & ~Q(external_name="")),
                name="contact_names_its_person",
                violation_error_message=_("Choose a person on the roster, or give the name of the external person."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id and self.person else self.external_name


class Isolation(models.Model):
    """An isolation or medical observation order (隔离 / 医学观察) for a roster person.

    ``planned_end`` is computed from the group's durations when the order is made (centralised: 7
    days + 3 of home monitoring by default) and may be changed with a reason. One person has at most
    one isolation at a time (overlaps refused). Released with the test result, which updates the
    person's status.
    """

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="isolations"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=IsolationKind.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=IsolationReason.choices)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="isolations"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="isolations"
    )
    start_on = models.DateField(_("start"))
    planned_end_on = models.DateField(_("planned end"))
    monitoring_end_on = models.DateField(
        _("home monitoring until"),
        null=True,
        blank=True,
        help_text=_("After centralised isolation, health monitoring at home until this day."),
    )
    place = models.CharField(_("place"), max_length=100, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible for follow-up"),
        on_delete=models.PROTECT,
        related_name="isolations_followed",
    )
    released_on = models.DateField(_("released on"), null=True, blank=True)
    release_test_result = models.CharField(
        _("test result at release"), max_length=12, choices=TestResult.choices, blank=True
    )
    release_test_on = models.DateField(_("tested on"), null=True, blank=True)
    release_note = models.CharField(_("release note"), max_length=200, blank=True)
    end_change_reason = models.CharField(
        _("why the planned end changed"),
        max_length=200,
        blank=True,
        help_text=_("Given when the planned end differs from the group's standard duration."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("isolation")
        verbose_name_plural = _("isolations")
        ordering = ["-start_on", "-pk"]
        indexes = [
            models.Index(fields=["person", "start_on"]),
            models.Index(fields=["released_on", "kind"]),
            models.Index(fields=["responsible", "released_on"]),
            models.Index(fields=["unit", "start_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end_on__gte=models.F("start_on")),
                name="isolation_ends_after_it_starts",
                violation_error_message=_("An isolation cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(released_on__isnull=True) | Q(released_on__gte=models.F("start_on")),
                name="isolation_released_after_start",
                violation_error_message=_("An isolation cannot be released before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_kind_display()} {self.start_on}"

    @classmethod
    def scope_self(cls, user, action: str):
        """The person responsible for follow-up sees the isolations they follow."""
        return Q(responsible=user) if action == "view" else None


class FollowUp(models.Model):
    """One follow-up reading of an isolated person (temperature and symptoms), ``slot`` 1..N per day."""

    isolation = models.ForeignKey(
        Isolation, verbose_name=_("isolation"), on_delete=models.CASCADE, related_name="followups"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    slot = models.PositiveSmallIntegerField(_("reading"))
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["isolation", "date", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["isolation", "date", "slot"], name="one_followup_per_slot"),
            models.CheckConstraint(
                condition=Q(temperature__gte=34) & Q(temperature__lte=43),
                name="followup_temperature_plausible",
                violation_error_message=_("Enter a body temperature between 34.0 and 43.0 °C."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.isolation_id} {self.date} #{self.slot}"

    @classmethod
    def scope_self(cls, user, action: str):
        """The person responsible for the isolation records and sees its follow-ups."""
        return Q(isolation__responsible=user) if action in ("view", "add") else None


class CareAssignment(models.Model):
    """One-on-one care (一对一关怀): who looks after a case or isolated person."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("cared for"), on_delete=models.PROTECT, related_name="care_received"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    carer = models.ForeignKey(
        "people.Person", verbose_name=_("carer"), on_delete=models.PROTECT, related_name="care_given"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    isolation = models.ForeignKey(
        Isolation, verbose_name=_("isolation"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_on = models.DateField(pgettext_lazy("date range", "from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("care assignment")
        verbose_name_plural = _("care assignments")
        ordering = ["-started_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.carer_id} → {self.person_id}"

    @classmethod
    def scope_self(cls, user, action: str):
        """Carers see the people they look after."""
        return Q(carer__user=user) if action == "view" else None


class CareContact(models.Model):
    """One contact of a carer with the person: the need, what was done, and whether it is settled."""

    assignment = models.ForeignKey(
        CareAssignment, verbose_name=_("care"), on_delete=models.CASCADE, related_name="contacts"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    need = models.CharField(_("need"), max_length=14, choices=CareNeed.choices)
    need_note = models.CharField(_("what is needed"), max_length=200, blank=True)
    action = models.CharField(_("action taken"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    is_open = models.BooleanField(_("still open"), default=True)
    closed_on = models.DateField(_("settled on"), null=True, blank=True)
    recorded = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("care contact")
        verbose_name_plural = _("care contacts")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["is_open", "unit"])]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.date} {self.need}"

    @classmethod
    def scope_self(cls, user, action: str):
        return Q(assignment__carer__user=user) if action in ("view", "add", "change") else None


class ClusterAlert(models.Model):
    """N or more cases in one unit within D days (group settings; default 3 in 14): one open alert per unit."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    window_from = models.DateField(_("window from"))
    window_to = models.DateField(_("window to"))
    case_count = models.PositiveIntegerField(_("cases"))
    cases = models.ManyToManyField(Case, verbose_name=_("cases"), related_name="+")
    opened = models.DateTimeField(_("opened"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    closed = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("cluster alert")
        verbose_name_plural = _("cluster alerts")
        ordering = ["-opened"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=~Q(status=AlertStatus.CLOSED), name="one_open_cluster_alert_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.case_count} ({self.window_from}–{self.window_to})"


class CaseNumberCounter(models.Model):
    """The last case number given in a year (BL-2026-0007 → 7).

    The service increments the row with an UPDATE, which locks it until the transaction ends, so
    two registrations at the same moment never get the same number.
    """

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class MissedFollowUpRun(models.Model):
    """One row per day whose missed follow-ups were notified: a second run of the task sends nothing."""

    date = models.DateField(_("date"), unique=True)
    notified = models.PositiveIntegerField(_("isolations notified"), default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("missed follow-up notice")
        verbose_name_plural = _("missed follow-up notices")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.notified}"
