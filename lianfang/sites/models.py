"""Data of the sites app: disinfection (消杀) — the agents the group uses, each site's plans, the rounds
each day's plans give (and terminal disinfections after a case), and the record of each round.

A site is any unit of the tree (an office area, a heat station, a residential community, a fleet): a
plan hangs on the unit, and so does everything it gives.

Guarding the door: the keys that sign personal passes, the checkpoints (卡口) at sites with their
rules, and the entries the gates record.
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
from lianfang.core.fields import EncryptedCharField
from lianfang.core.masking import mask_phone
from lianfang.core.querysets import RestrictedManager
from lianfang.sites.choices import (
    WEEKDAYS,
    Area,
    Decision,
    DenyReason,
    Direction,
    Directions,
    Frequency,
    LateCheck,
    Method,
    OfflinePolicy,
    PassKind,
    RequiredColour,
    RoundKind,
    VisitStatus,
)

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


# --- the personal pass and checkpoints ---------------------------------------------------------


class PassKey(models.Model):
    """An Ed25519 key pair that signs passes (docs/adr/0016-pass-signing-keys.md).

    The newest key not retired signs; every key whose ``verify_until`` is in the future verifies, so a
    gate that cached the public keys keeps working across a rotation. The private key is stored
    encrypted like ID numbers and never leaves the server.
    """

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    public_key = models.CharField(_("public key"), max_length=64, help_text=_("Raw 32 bytes, base64url."))
    private_key = EncryptedCharField(_("private key"))
    created = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("stopped signing"), null=True, blank=True)
    verify_until = models.DateTimeField(_("accepted until"), null=True, blank=True)

    audit_exclude = ("private_key",)

    class Meta:
        verbose_name = _("pass signing key")
        verbose_name_plural = _("pass signing keys")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return self.kid

    def accepts(self, when: datetime.datetime) -> bool:
        return self.verify_until is None or when < self.verify_until


# What the office or a liaison sets on a checkpoint (the form, the service and the API share the list).
CHECKPOINT_FIELDS = (
    "name",
    "directions",
    "opens_at",
    "closes_at",
    "required_colour",
    "takes_temperature",
    "max_temperature",
    "keep_temperature",
    "visitors_allowed",
    "offline_policy",
    "is_active",
)


class Checkpoint(models.Model):
    """A gate (卡口) at a site, with the rules its staff apply: which way it counts, when it is open,
    the colour it lets in, the temperature threshold, whether visitors may come and what it does
    offline. Whether the temperature itself is kept is the office's choice (data minimisation)."""

    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("checkpoint", "name"), max_length=60, help_text=_("e.g. 东门, 3号楼大厅."))
    directions = models.CharField(_("counts"), max_length=4, choices=Directions.choices, default=Directions.BOTH)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True, help_text=_("Empty: open day and night."))
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    required_colour = models.CharField(
        _("lets in"), max_length=8, choices=RequiredColour.choices, default=RequiredColour.GREEN
    )
    takes_temperature = models.BooleanField(_("takes the temperature"), default=True)
    max_temperature = models.DecimalField(
        _("temperature threshold (℃)"),
        max_digits=3,
        decimal_places=1,
        default=37.3,
        validators=[MinValueValidator(36), MaxValueValidator(38.5)],
        help_text=_("A reading at or above this is refused."),
    )
    keep_temperature = models.BooleanField(
        _("keep the reading"),
        default=False,
        help_text=_("Off: only whether it was below the threshold is kept."),
    )
    visitors_allowed = models.BooleanField(_("visitors may come in here"), default=True)
    offline_policy = models.CharField(
        _("cards and typed numbers while offline"),
        max_length=8,
        choices=OfflinePolicy.choices,
        default=OfflinePolicy.ADMIT,
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set up by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "site"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["site__path", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                name="sites_checkpoint_unique_name",
                violation_error_message=_("This site already has a checkpoint with this name."),
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True, closes_at__isnull=True)
                | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="sites_checkpoint_hours_pair",
                violation_error_message=_("Give both the opening and the closing time, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.display_name} · {self.name}"

    def is_open_at(self, moment: datetime.datetime) -> bool:
        """Open at this local time; hours may cross midnight (22:00–06:00)."""
        if self.opens_at is None or self.closes_at is None:
            return True
        now = timezone.localtime(moment).time()
        if self.opens_at <= self.closes_at:
            return self.opens_at <= now < self.closes_at
        return now >= self.opens_at or now < self.closes_at

    def counts(self, direction: str) -> bool:
        return self.directions in (Directions.BOTH, direction)


def visit_slug() -> str:
    return uuid.uuid4().hex


class Visitor(models.Model):
    """A visit (来访): someone from outside, expected by a host on one day at one site.

    The host registers the visit (or the gate registers a walk-in); the visitor opens their link,
    declares their health and travel, and gets a single-use pass for that day. Visitor records have
    their own, shorter retention (the category ``visitors``).
    """

    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day of the visit"))
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    company = models.CharField(_("company"), max_length=100, blank=True)
    reason = models.CharField(_("reason for the visit"), max_length=200)
    host = models.ForeignKey(
        "people.Person", verbose_name=_("host"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    walk_in = models.BooleanField(_("registered at the gate"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.INVITED)
    slug = models.CharField(max_length=32, unique=True, default=visit_slug, editable=False)
    declaration = models.JSONField(_("health declaration"), default=dict, blank=True)
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True)
    risk_note = models.CharField(_("why the declaration did not pass"), max_length=200, blank=True)
    entered_at = models.DateTimeField(_("came in"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("registered"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "site"
    audit_masked = {"phone": mask_phone}
    audit_exclude = ("updated", "slug")

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        ordering = ["-day", "name", "pk"]
        indexes = [models.Index(fields=["site", "day"])]

    def __str__(self) -> str:
        return f"{self.name} · {self.day:%m-%d}"


class Entry(models.Model):
    """One pass through a checkpoint, allowed or denied, as the gate decided it.

    A gate offline records in the browser and uploads later: ``client_id`` is the page's id for the
    record, unique per checkpoint, so an upload repeated after a lost answer stores one row.
    """

    checkpoint = models.ForeignKey(Checkpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT)
    # The checkpoint's site, kept on the row: lists by unit and contact suggestions need no join.
    site = models.ForeignKey("org.Unit", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visitor = models.ForeignKey(
        "sites.Visitor", verbose_name=_("visitor"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    pass_kind = models.CharField(_("identified by"), max_length=1, choices=PassKind.choices, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.IN)
    decision = models.CharField(_("decision"), max_length=5, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=DenyReason.choices, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices, default=Method.CAMERA)
    temperature = models.DecimalField(_("temperature (℃)"), max_digits=3, decimal_places=1, null=True, blank=True)
    temperature_ok = models.BooleanField(_("temperature within range"), null=True, blank=True)
    colour = models.CharField(_("colour shown"), max_length=8, blank=True)
    token_id = models.CharField(_("pass id"), max_length=24, blank=True, db_index=True)
    client_id = models.UUIDField(_("record id on the gate"), default=uuid.uuid4)
    offline = models.BooleanField(_("recorded offline"), default=False)
    late_check = models.CharField(_("later check"), max_length=8, choices=LateCheck.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = RestrictedManager()
    scope_unit_field = "site"

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["site", "at"]),
            models.Index(fields=["person", "at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["checkpoint", "client_id"], name="sites_entry_once_per_client_id"),
            models.CheckConstraint(
                condition=Q(decision=Decision.ALLOW, reason="") | Q(decision=Decision.DENY) & ~Q(reason=""),
                name="sites_entry_denial_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_id} · {timezone.localtime(self.at):%m-%d %H:%M} · {self.decision}"
