"""Teams (突击队、先锋队、志愿服务储备队) with members from anywhere in the group, and their
deployments (下沉) to a unit's site or an outside place such as a community (社区).

A deployment is called up: every eligible member gets an ``Assignment`` row (called); the first
members to accept fill the slots, the rest are told it is full. Hours are recorded per shift on the
accepted assignment and credited to the member's home unit (``Assignment.home_unit``, fixed when
they accept, so a later move does not move the hours).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lianfang.core.masking import mask_phone
from lianfang.core.querysets import RestrictedManager
from lianfang.teams.choices import DeploymentStatus, Skill, TeamKind


def no_skills() -> list[str]:
    return []


class Team(models.Model):
    """A team (突击队 / 先锋队 / 志愿服务储备队) owned by a unit, often the group itself."""

    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=TeamKind.choices, default=TeamKind.COMMANDO)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="teams_team_unique_name_per_unit")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_self(cls, user, action: str):
        """A member sees the teams they are in."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(members__person__user=user, members__is_active=True)
        return None


class TeamMember(models.Model):
    """A person in a team. ``held_back``: the person's home unit needs them (the liaison of the home
    unit sets it); a held-back member is not called up and cannot accept."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="team_memberships"
    )
    skills = models.JSONField(_("skills"), default=no_skills, blank=True)
    availability = models.CharField(_("availability"), max_length=200, blank=True)
    unavailable_from = models.DateField(_("unavailable from"), null=True, blank=True)
    unavailable_to = models.DateField(_("unavailable to"), null=True, blank=True)
    held_back = models.BooleanField(_("held back by the home unit"), default=False)
    held_reason = models.CharField(_("why the home unit holds them back"), max_length=200, blank=True)
    joined = models.DateField(_("joined"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedManager()
    # The team's unit manages its members; the home unit sees its people in teams and may hold them back.
    scope_unit_field = ("team__unit", "person__unit")

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "person"], name="teams_member_once_per_team"),
            models.CheckConstraint(
                condition=Q(unavailable_from__isnull=True)
                | Q(unavailable_to__isnull=True)
                | Q(unavailable_to__gte=F("unavailable_from")),
                name="teams_member_unavailable_period_in_order",
                violation_error_message=_("The end of the unavailable period cannot be before its start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.team}"

    @property
    def skill_labels(self) -> list[str]:
        labels = dict(Skill.choices)
        return [str(labels[s]) for s in self.skills or [] if s in labels]

    @classmethod
    def scope_self(cls, user, action: str):
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(person__user=user)
        return None


class Deployment(models.Model):
    """A deployment (下沉): people of a team sent to a place for some days, one shift a day."""

    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="deployments")
    site = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place_name = models.CharField(_("place"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    shift_start = models.TimeField(_("shift starts"))
    shift_end = models.TimeField(_("shift ends"))
    people_needed = models.PositiveSmallIntegerField(
        _("people needed"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    skills_needed = models.JSONField(_("skills needed"), default=no_skills, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeploymentStatus.choices, default=DeploymentStatus.OPEN
    )
    called_at = models.DateTimeField(_("called up at"), null=True, blank=True)
    report = models.TextField(_("report"), blank=True)
    people_served = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "team__unit"
    audit_exclude = ("updated",)
    audit_masked = {"contact_phone": mask_phone}

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="teams_deployment_ends_after_it_starts",
                violation_error_message=_("The last day cannot be before the first day."),
            ),
            models.CheckConstraint(
                condition=Q(shift_end__gt=F("shift_start")),
                name="teams_deployment_shift_ends_after_it_starts",
                violation_error_message=_("A shift must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=False) | ~Q(place_name=""),
                name="teams_deployment_has_a_place",
                violation_error_message=_("Choose a unit's site or name an outside place."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.starts_on}–{self.ends_on}"

    @property
    def place(self) -> str:
        return self.site.name if self.site_id and self.site else self.place_name

    @classmethod
    def scope_self(cls, user, action: str):
        """A member sees the deployments they were called up for."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(assignments__member__person__user=user)
        return None


class Assignment(models.Model):
    """A member called up for a deployment and, once accepted (``accepted_at``), one of its slots.
    ``home_unit`` is the member's unit when they accepted: the hours are credited to it."""

    deployment = models.ForeignKey(
        Deployment, verbose_name=_("deployment"), on_delete=models.CASCADE, related_name="assignments"
    )
    member = models.ForeignKey(
        TeamMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="assignments"
    )
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField(_("called up at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    home_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("home unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, default=0)

    objects = RestrictedManager()
    scope_unit_field = ("deployment__team__unit", "person__unit")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["deployment", "accepted_at", "pk"]
        indexes = [models.Index(fields=["person", "accepted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "member"], name="teams_assignment_once_per_deployment"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="teams_assignment_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.deployment}"

    @classmethod
    def scope_self(cls, user, action: str):
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(person__user=user)
        return None


class ShiftHours(models.Model):
    """The hours one deployed person worked on one day's shift (one row a day)."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="shift_hours"
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(24)]
    )
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()
    scope_unit_field = ("assignment__deployment__team__unit", "assignment__person__unit")

    class Meta:
        verbose_name = _("hours of a shift")
        verbose_name_plural = _("hours of shifts")
        ordering = ["assignment", "date"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "date"], name="teams_hours_once_per_day"),
            models.CheckConstraint(condition=Q(hours__gte=0) & Q(hours__lte=24), name="teams_hours_within_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.date} {self.hours}"
