"""The personal health status (健康码式: green / yellow / red).

Each person has one current :class:`PersonStatus` and a history of :class:`StatusChange` rows; the
colour comes from an ordered list of :class:`StatusRule` the group office edits, evaluated over
facts the records give (cases, isolation, fever, risk-area travel, follow-ups) by
:mod:`lianfang.status.engine`."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianfang.core.querysets import RestrictedManager
from lianfang.status.choices import Colour, StatusCause


class StatusRule(models.Model):
    """One rule of the status engine: the first active rule (by ``sort``) whose condition holds wins.

    ``condition`` is structured data, never code: ``{"fact": "<fact key>", "within_days": n}`` or
    ``{"fact": "<key>"}`` for facts that are true or false now; the facts are listed in
    :data:`lianfang.status.engine.FACTS` and an unknown fact is refused on save. A rule's colour holds
    for ``hold_days`` after the fact last held (0 = only while it holds); ``hold_days`` is always
    finite. Changes are audited; editing rules recomputes everyone.
    """

    sort = models.PositiveSmallIntegerField(_("order"), default=100)
    name = models.CharField(_("name"), max_length=60)
    condition = models.JSONField(_("condition"))
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reason = models.CharField(
        _("reason (Chinese)"), max_length=60, help_text=_("Shown with the colour, e.g. 集中隔离中.")
    )
    reason_en = models.CharField(_("reason (English)"), max_length=60, blank=True)
    hold_days = models.PositiveSmallIntegerField(
        _("holds for (days)"),
        default=0,
        help_text=_("How long the colour holds after the fact last held; 0 = only while it holds."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("status rule")
        verbose_name_plural = _("status rules")
        ordering = ["sort", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def reason_label(self) -> str:
        if (get_language() or "").startswith("en") and self.reason_en:
            return self.reason_en
        return self.reason


class PersonStatus(models.Model):
    """A person's current colour, why, and until when (``until`` is empty for green or open-ended facts).

    ``unit`` follows the person's unit so lists by unit need no join. The colour is visible to
    whoever may see the person; the reason only to the person, case managers and the office.
    """

    person = models.OneToOneField(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="status"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices, default=Colour.GREEN)
    reason = models.CharField(_("reason"), max_length=60, blank=True)
    reason_en = models.CharField(_("reason (English)"), max_length=60, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    rule = models.ForeignKey(
        StatusRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    since = models.DateTimeField(_("since"))
    computed = models.DateTimeField(_("computed"))

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("health status")
        verbose_name_plural = _("health statuses")
        indexes = [models.Index(fields=["unit", "colour"]), models.Index(fields=["colour", "until"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.colour}"

    @classmethod
    def scope_self(cls, user, action: str):
        return Q(person__user=user) if action == "view" else None

    @property
    def reason_label(self) -> str:
        if (get_language() or "").startswith("en") and self.reason_en:
            return self.reason_en
        return self.reason


class StatusChange(models.Model):
    """The history of a person's status: one row each time the colour, reason or end date changes."""

    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="status_changes"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+")
    colour_before = models.CharField(_("colour before"), max_length=8, choices=Colour.choices, blank=True)
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reason = models.CharField(_("reason"), max_length=60, blank=True)
    reason_en = models.CharField(_("reason (English)"), max_length=60, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    rule = models.ForeignKey(
        StatusRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cause = models.CharField(_("cause"), max_length=8, choices=StatusCause.choices)
    changed = models.DateTimeField(_("changed"), db_index=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed", "-pk"]
        indexes = [models.Index(fields=["person", "changed"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.colour_before or '-'} → {self.colour}"

    @classmethod
    def scope_self(cls, user, action: str):
        return Q(person__user=user) if action == "view" else None
