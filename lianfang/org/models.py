"""The group's organisation: a tree of units, and roles held on units."""

from __future__ import annotations

import datetime
import decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from lianfang.core.masking import mask_phone
from lianfang.core.querysets import RestrictedQuerySet
from lianfang.org.choices import Role, Tier


class UnitKind(models.Model):
    """A kind of unit (集团, 二级单位, 部门, 热力站, 小区 …). The office can add kinds without code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices)
    sort = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("unit kind")
        verbose_name_plural = _("unit kinds")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class UnitQuerySet(MP_NodeQuerySet, RestrictedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class UnitManager(MP_NodeManager):
    def get_queryset(self) -> UnitQuerySet:
        # treebeard's manager builds its own queryset class; keep its tree ordering, add restrict().
        return UnitQuerySet(self.model, using=self._db).order_by("path")

    def restrict(self, user, action: str = "view") -> UnitQuerySet:
        return self.get_queryset().restrict(user, action)


class Unit(MP_Node):
    """A unit of the group (集团 / 二级单位 / 部门 / 场所): a node of one tree.

    Stored as a materialised path (django-treebeard, docs/adr/0001-unit-tree.md), so a subtree is a
    prefix match on ``path`` and a move rewrites only the moved paths. Units with history are
    deactivated, never deleted.
    """

    steplen = 4
    node_order_by = ["code"]

    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Short unique code used in imports and exports, e.g. HT-03."),
    )
    name = models.CharField(pgettext_lazy("unit", "name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.ForeignKey(UnitKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="units")
    address = models.CharField(_("address"), max_length=200, blank=True)
    person_in_charge = models.CharField(_("person in charge"), max_length=60, blank=True)
    person_in_charge_phone = models.CharField(_("phone of person in charge"), max_length=20, blank=True)
    liaison = models.CharField(_("liaison"), max_length=60, blank=True)
    liaison_phone = models.CharField(_("liaison phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = UnitManager()
    scope_unit_field = "self"
    audit_masked = {"person_in_charge_phone": mask_phone, "liaison_phone": mask_phone}
    audit_exclude = ("updated", "numchild")

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        # Subtree queries are ``path LIKE 'prefix%'``; PostgreSQL needs a pattern index for them
        # (other databases ignore the operator class).
        indexes = [models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


def default_two_factor_roles() -> list[str]:
    """Office administrators, unit administrators and case managers: those who see or change the most."""
    return [Role.GROUP_ADMIN.value, Role.UNIT_ADMIN.value, Role.CASE_MANAGER.value]


class GroupSettings(models.Model):
    """The group's daily rhythm (one row): when check-in opens, reminders, the report deadline.

    Seed practice: check-in from the morning, reminders late morning, unit reports by 15:00, the
    group bulletin in the afternoon. Read with :meth:`load`; changed by the group office only.
    """

    checkin_opens = models.TimeField(_("check-in opens"), default=datetime.time(7, 0))
    reminder_times = models.CharField(
        _("reminder times"),
        max_length=100,
        default="10:00,12:00",
        help_text=_("Times of day, separated by commas, e.g. 10:00,12:00."),
    )
    report_deadline = models.TimeField(_("unit report deadline"), default=datetime.time(15, 0))
    bulletin_time = models.TimeField(_("bulletin draft time"), default=datetime.time(16, 0))
    completion_target = models.PositiveSmallIntegerField(
        _("check-in completion target (%)"), default=95, validators=[MaxValueValidator(100)]
    )
    fever_threshold = models.DecimalField(
        _("fever threshold (°C)"), max_digits=3, decimal_places=1, default=decimal.Decimal("37.3")
    )
    checkin_backdate_days = models.PositiveSmallIntegerField(
        _("days back a check-in may be entered"), default=2, validators=[MaxValueValidator(30)]
    )
    report_lock_days = models.PositiveSmallIntegerField(
        _("days after which a unit report locks"), default=3, validators=[MaxValueValidator(60)]
    )
    reporting_tier = models.CharField(
        _("units that submit a daily report"), max_length=12, choices=Tier.choices, default=Tier.SUBSIDIARY
    )
    # Prevention and control (issue 4): the look-back window, isolation durations, cluster alerts.
    lookback_days = models.PositiveSmallIntegerField(
        _("travel look-back window (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Risk-area travel within this many days makes a person yellow (2020 rules: 14; later: 7)."),
    )
    isolation_central_days = models.PositiveSmallIntegerField(
        _("centralised isolation (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    isolation_home_monitoring_days = models.PositiveSmallIntegerField(
        _("home health monitoring after centralised isolation (days)"),
        default=3,
        validators=[MaxValueValidator(60)],
    )
    isolation_home_days = models.PositiveSmallIntegerField(
        _("home isolation (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    isolation_hospital_days = models.PositiveSmallIntegerField(
        _("hospital observation (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    followups_per_day = models.PositiveSmallIntegerField(
        _("follow-up readings per day"), default=2, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    cluster_cases = models.PositiveSmallIntegerField(
        _("cluster alert: cases"), default=3, validators=[MinValueValidator(2), MaxValueValidator(100)]
    )
    cluster_days = models.PositiveSmallIntegerField(
        _("cluster alert: within days"), default=14, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    # Chasing non-reporters (issue 10): @-mentions in chat-group reminders, off until the office decides.
    robot_mentions = models.BooleanField(
        _("@-mention people in chat-group reminders"),
        default=False,
        help_text=_(
            'When a liaison presses "remind these people now", DingTalk and WeCom robots @-mention the people '
            "by their phone numbers, so that they get a notification. Their numbers are sent to DingTalk or "
            "WeCom for this. Feishu robots cannot mention by phone number and send the names only."
        ),
    )
    # What a person with a fever reads right after checking in (the office writes it: where the nearest
    # fever clinics are, whom to call).
    fever_advice = models.TextField(
        _("advice after a fever check-in"),
        max_length=500,
        blank=True,
        default="请不要到岗，居家休息并告知本单位联络人；如需就医，请佩戴口罩前往最近的发热门诊，避免乘坐公共交通。",
        help_text=_("Shown to a person right after a check-in with a fever: stay home, the nearest fever clinics."),
    )
    # Sign-in protection (issue 11): who must use a second factor, and when an idle office session ends.
    two_factor_roles = models.JSONField(
        _("roles that sign in with a second factor"),
        default=default_two_factor_roles,
        blank=True,
        help_text=_("Role codes; people holding any of them must confirm each sign-in with a one-time code."),
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle timeout for those roles (minutes)"),
        default=30,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("A session of those roles ends after this long without a request; 0 turns it off."),
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("group settings")
        verbose_name_plural = _("group settings")

    def __str__(self) -> str:
        return str(_("Group settings"))

    @classmethod
    def load(cls) -> GroupSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def reminder_time_list(self) -> list[datetime.time]:
        times = []
        for part in self.reminder_times.replace("，", ",").split(","):
            part = part.strip()
            if part:
                hours, _sep, minutes = part.partition(":")
                times.append(datetime.time(int(hours), int(minutes or 0)))
        return sorted(times)

    def clean(self) -> None:
        try:
            self.reminder_time_list()
        except ValueError:
            raise ValidationError(
                {"reminder_times": _("Write times as HH:MM separated by commas, e.g. 10:00,12:00.")}
            ) from None


class RoleAssignment(models.Model):
    """A user holds a role on a unit; it covers the unit's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="unit_roles"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created = models.DateTimeField(_("granted"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="unique_role_per_user_unit")]
        ordering = ["unit__path", "role"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"
