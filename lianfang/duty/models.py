"""Data of the duty app (值班值守): the units that keep duty, their shifts with the leader on duty
(带班领导) and the duty officers, leave, swaps, the duty log (值班日志) and the handover (交接班)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.duty.choices import EntryKind, GapRole, HandoverStatus, MemberRole, Pattern, PhoneCheck, SwapStatus


class DutyPost(models.Model):
    """A unit that keeps duty (the office decides which): its duty phone and how it cuts the day."""

    unit = models.OneToOneField("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="duty_post")
    name = models.CharField(
        _("name"), max_length=120, blank=True, help_text=_("E.g. “Group duty room”; the unit's name if empty.")
    )
    phone = models.CharField(_("duty phone"), max_length=30)
    pattern = models.CharField(_("shift pattern"), max_length=10, choices=Pattern.choices, default=Pattern.FULL_DAY)
    day_starts = models.TimeField(
        _("shift change"), default=datetime.time(8, 0), help_text=_("When the (day) shift starts.")
    )
    night_starts = models.TimeField(
        _("night shift starts"),
        null=True,
        blank=True,
        help_text=_("Only for day and night shifts."),
    )
    post_duty_list = models.BooleanField(
        _("post the duty list to the unit's robot"),
        default=False,
        help_text=_("At the start of each shift, the unit's robot posts who is on duty."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("duty post")
        verbose_name_plural = _("duty posts")
        ordering = ["unit__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pattern=Pattern.FULL_DAY) | Q(night_starts__isnull=False),
                name="duty_post_night_start_for_day_night",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.unit.name

    def clean(self) -> None:
        if self.pattern == Pattern.DAY_NIGHT:
            if self.night_starts is None:
                raise ValidationError({"night_starts": _("Day and night shifts need the time the night shift starts.")})
            if self.night_starts == self.day_starts:
                raise ValidationError(
                    {"night_starts": _("The night shift must start at another time than the day shift.")}
                )
        elif self.night_starts is not None:
            self.night_starts = None

    def shift_starts(self) -> list[datetime.time]:
        """The times shifts start each day, in order."""
        if self.pattern == Pattern.DAY_NIGHT and self.night_starts is not None:
            return sorted([self.day_starts, self.night_starts])
        return [self.day_starts]

    @classmethod
    def scope_self(cls, user, action: str):
        """Whoever is on a post's roster sees the post (the group duty room is kept by the security
        company's staff, whose roles are on their own company)."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(pk__in=ShiftMember.objects.filter(person__user=user).values("shift__post_id"))
        return None


class Shift(models.Model):
    """One shift of a post: from ``starts_at`` to ``ends_at`` (aware), one leader on duty and one or
    more duty officers (``ShiftMember``). Shifts of one post never overlap (checked by the service)."""

    post = models.ForeignKey(DutyPost, verbose_name=_("duty post"), on_delete=models.CASCADE, related_name="shifts")
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # When the unit's robot posted this shift's duty list (once, at the start of the shift).
    list_posted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "post__unit"
    audit_exclude = ("updated", "list_posted_at")

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["post", "starts_at"]
        indexes = [models.Index(fields=["post", "starts_at"], name="duty_shift_post_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
            models.UniqueConstraint(fields=["post", "starts_at"], name="duty_shift_one_per_start"),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        if end.date() == start.date():
            return f"{self.post} {start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{self.post} {start:%Y-%m-%d %H:%M}–{end:%m-%d %H:%M}"

    @classmethod
    def scope_self(cls, user, action: str):
        """Whoever is on a post's roster sees the post's roster (it hangs on the duty room's wall)."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(post__in=ShiftMember.objects.filter(person__user=user).values("shift__post_id"))
        return None

    @property
    def unit(self):
        return self.post.unit

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A shift must end after it starts.")})
        if self.starts_at and self.ends_at and self.ends_at - self.starts_at > datetime.timedelta(hours=48):
            raise ValidationError({"ends_at": _("A shift lasts at most 48 hours.")})


class ShiftMember(models.Model):
    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="duty_shifts"
    )
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.OFFICER)

    objects = RestrictedManager()
    scope_unit_field = "shift__post__unit"

    class Meta:
        verbose_name = _("shift member")
        verbose_name_plural = _("shift members")
        ordering = ["shift", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "person"], name="duty_member_once_per_shift"),
            models.UniqueConstraint(
                fields=["shift"], condition=Q(role=MemberRole.LEADER), name="duty_one_leader_per_shift"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class Leave(models.Model):
    """A person is away from ``starts_on`` to ``ends_on`` (inclusive) and cannot be put on duty."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="duty_leaves"
    )
    starts_on = models.DateField(_("first day of leave"))
    ends_on = models.DateField(_("last day of leave"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedManager()
    scope_unit_field = "person__unit"

    class Meta:
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="duty_leave_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.starts_on}–{self.ends_on}"


class Swap(models.Model):
    """A swap (换班): ``person`` asks ``replacement`` to take their place on ``shift``; the replacement
    accepts; the overall duty leader (总带班领导) approves, and only then the roster changes."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="swaps")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person on duty"), on_delete=models.CASCADE, related_name="+"
    )
    replacement = models.ForeignKey(
        "people.Person", verbose_name=_("replacement"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=SwapStatus.choices, default=SwapStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "shift__post__unit"

    class Meta:
        verbose_name = _("swap")
        verbose_name_plural = _("swaps")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(person=F("replacement")), name="duty_swap_with_someone_else"),
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.replacement} ({self.shift})"

    @classmethod
    def scope_self(cls, user, action: str):
        """The person who asked and the replacement see the swap."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(person__user=user) | Q(replacement__user=user)
        return None

    @property
    def is_open(self) -> bool:
        return self.status in (SwapStatus.REQUESTED, SwapStatus.ACCEPTED)


class CoverageGap(models.Model):
    """A stretch of a post's next days without a leader or an officer, alerted once (the row is the
    proof: a second run of the check finds it and sends nothing)."""

    post = models.ForeignKey(DutyPost, verbose_name=_("duty post"), on_delete=models.CASCADE, related_name="gaps")
    missing = models.CharField(_("missing"), max_length=10, choices=GapRole.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    alerted_at = models.DateTimeField(_("alerted at"), default=timezone.now)

    objects = RestrictedManager()
    scope_unit_field = "post__unit"

    class Meta:
        verbose_name = _("coverage gap")
        verbose_name_plural = _("coverage gaps")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["post", "missing", "starts_at"], name="duty_gap_alerted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.get_missing_display()} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"


class ShiftConflict(models.Model):
    """A rostered person who may no longer come to work on the day of the shift (a check-in guard
    says so, or they went on leave); the unit was told once."""

    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="conflicts")
    person = models.ForeignKey("people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("why"), max_length=200)
    notified_at = models.DateTimeField(_("unit told at"), default=timezone.now)

    objects = RestrictedManager()
    scope_unit_field = "shift__post__unit"

    class Meta:
        verbose_name = _("shift conflict")
        verbose_name_plural = _("shift conflicts")
        constraints = [models.UniqueConstraint(fields=["shift", "person"], name="duty_conflict_told_once")]

    def __str__(self) -> str:
        return f"{self.person} · {self.shift}: {self.label}"


class LogEntry(models.Model):
    """An entry of the duty log (值班日志): what happened during a shift, when, with whom, what was done."""

    post = models.ForeignKey(DutyPost, verbose_name=_("duty post"), on_delete=models.CASCADE, related_name="log")
    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), null=True, blank=True, on_delete=models.SET_NULL, related_name="log"
    )
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    counterpart = models.CharField(
        _("who"), max_length=120, blank=True, help_text=_("The caller, the unit reported to, the person instructed…")
    )
    content = models.TextField(_("what"), max_length=4000)
    action = models.TextField(_("what was done"), max_length=4000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by_person = models.ForeignKey(
        "people.Person",
        verbose_name=_("duty officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duty_log_entries",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()
    scope_unit_field = "post__unit"
    audit_exclude = ("updated",)

    class Meta:
        verbose_name = _("duty log entry")
        verbose_name_plural = _("duty log entries")
        ordering = ["post", "at", "id"]
        indexes = [models.Index(fields=["post", "at"], name="duty_log_post_at")]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.get_kind_display()}"

    @classmethod
    def scope_self(cls, user, action: str):
        """The people on a post's roster read its log."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(post__in=ShiftMember.objects.filter(person__user=user).values("shift__post_id"))
        return None


class Handover(models.Model):
    """The handover (交接班) at the end of a shift: the outgoing officer lists the open items and the
    state of the duty phone; the incoming officer accepts, or accepts noting what is missing."""

    shift = models.OneToOneField(
        Shift, verbose_name=_("outgoing shift"), on_delete=models.CASCADE, related_name="handover"
    )
    next_shift = models.ForeignKey(
        Shift,
        verbose_name=_("incoming shift"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers_received",
    )
    open_items = models.TextField(_("open items"), max_length=4000, blank=True)
    phone_check = models.CharField(_("duty phone check"), max_length=12, choices=PhoneCheck.choices)
    phone_note = models.CharField(_("phone note"), max_length=200, blank=True)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handed_at = models.DateTimeField(_("handed over at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=12, choices=HandoverStatus.choices, default=HandoverStatus.PENDING
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    missing = models.TextField(_("what is missing"), max_length=2000, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "shift__post__unit"

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-handed_at"]

    def __str__(self) -> str:
        return str(self.shift)

    @classmethod
    def scope_self(cls, user, action: str):
        """The people on a post's roster see its handovers."""
        if action == "view" and getattr(user, "is_authenticated", False):
            return Q(shift__post__in=ShiftMember.objects.filter(person__user=user).values("shift__post_id"))
        return None
