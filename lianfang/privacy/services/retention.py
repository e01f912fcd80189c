"""Retention, purge runs and the stand-down (应急结束): the office's writes around deleting personal data.

The deleting itself is the purge engine's (``lianfang/privacy/purge.py``); these services check who
asks and what is asked, write the settings with their change log, and hold the two-person rule of
the stand-down: one office administrator proposes, a different one confirms, and only the
confirmation does anything (closes the emergency period, ends check-ins, schedules the purge).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import personal_data_categories
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.privacy import gate, purge
from lianfang.privacy.models import (
    EmergencyPeriod,
    PrivacySettings,
    PurgeReceipt,
    PurgeTrigger,
    RetentionPolicy,
    StandDown,
)
from lianfang.privacy.selectors import is_office

retention_bounds = purge.bounds


def _ensure_office(actor, model, action: str = Action.CHANGE) -> None:
    if not is_office(actor, model, action):
        raise PermissionDenied(_("Only the group office sets retention, runs the purge and declares a stand-down."))


# --- retention ---------------------------------------------------------------------------------------


@transaction.atomic
def retention_set(*, actor, category: str, days: int) -> RetentionPolicy:
    """Set how long a category's rows are kept, between its floor and ceiling."""
    _ensure_office(actor, RetentionPolicy)
    if personal_data_categories.get(category) is None:
        raise ValidationError(
            {"category": _("“%(value)s” is not a known category of personal data.") % {"value": category}}
        )
    purge.check_retention(category, days)
    row = RetentionPolicy.objects.select_for_update().filter(category=category).first()
    before = snapshot(row) if row else None
    if row is None:
        row = RetentionPolicy(category=category)
    row.days, row.set_by = days, actor
    row.full_clean()
    row.save()
    record_change(actor=actor, obj=row, action=ChangeAction.UPDATE if before else ChangeAction.CREATE, before=before)
    return row


@transaction.atomic
def privacy_settings_update(*, actor, standdown_grace_days: int) -> PrivacySettings:
    _ensure_office(actor, RetentionPolicy)
    row = PrivacySettings.load()
    row = PrivacySettings.objects.select_for_update().get(pk=row.pk)
    before = snapshot(row)
    row.standdown_grace_days = standdown_grace_days
    row.full_clean()
    row.save()
    record_change(actor=actor, obj=row, action=ChangeAction.UPDATE, before=before)
    return row


# --- purge runs ----------------------------------------------------------------------------------------


def purge_run(*, actor, dry_run: bool = True, category: str | None = None) -> PurgeReceipt:
    """A purge started by the office (a dry run by default: what the nightly job would delete).

    Not atomic on purpose: the engine commits batch by batch so that check-ins are never held up."""
    _ensure_office(actor, PurgeReceipt, Action.ADD)
    if category and personal_data_categories.get(category) is None:
        raise ValidationError(
            {"category": _("“%(value)s” is not a known category of personal data.") % {"value": category}}
        )
    return purge.run_retention(dry_run=dry_run, category=category, actor=actor, trigger=PurgeTrigger.COMMAND)


def purge_nightly(*, today: datetime.date | None = None) -> list[PurgeReceipt]:
    """The nightly job: the stand-downs whose grace period is over, then every category past retention.
    Idempotent: a second run the same night finds nothing left to delete."""
    today = today or timezone.localdate()
    receipts = []
    due = StandDown.objects.filter(confirmed_at__isnull=False, purged_at__isnull=True, purge_on__lte=today)
    for stand_down in due.select_related("period").order_by("purge_on", "pk"):
        receipts.append(purge.run_stand_down(stand_down, trigger=PurgeTrigger.STANDDOWN))
    receipts.append(purge.run_retention(trigger=PurgeTrigger.NIGHTLY, today=today))
    return receipts


NIGHTLY_FROM_HOUR = 2  # the purge runs in the quiet of the night (group time zone)


def purge_nightly_due(*, now: datetime.datetime | None = None) -> list[PurgeReceipt] | None:
    """Run the nightly purge once a night: the first call from 02:00 (group time zone) on a day that has
    no nightly receipt yet. A second consumer calling at the same time waits for no lock: the cache's
    ``add`` lets one of them run (the database rows would make the second a no-op anyway)."""
    from django.core.cache import cache

    local = timezone.localtime(now)
    if local.hour < NIGHTLY_FROM_HOUR:
        return None
    day = local.date()
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    if PurgeReceipt.objects.filter(trigger=PurgeTrigger.NIGHTLY, started__gte=start).exists():
        return None
    if not cache.add(f"lianfang:privacy:purge:{day.isoformat()}", 1, timeout=6 * 3600):
        return None
    return purge_nightly(today=day)


# --- stand-down ----------------------------------------------------------------------------------------


@transaction.atomic
def stand_down_propose(
    *, actor, period: EmergencyPeriod, ends_on: datetime.date | None = None, note: str = ""
) -> StandDown:
    """The first office administrator proposes to declare the outbreak over. Nothing happens until a
    second administrator confirms."""
    _ensure_office(actor, StandDown, Action.ADD)
    period = EmergencyPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("This emergency period is already closed."))
    if StandDown.objects.filter(period=period).exists():
        raise ValidationError(_("A stand-down of this period is already proposed: confirm or withdraw it."))
    today = timezone.localdate()
    ends_on = ends_on or today
    if ends_on < period.starts_on:
        raise ValidationError(
            {"ends_on": _("The end cannot be before the start (%(date)s).") % {"date": period.starts_on}}
        )
    if ends_on > today:
        raise ValidationError({"ends_on": _("The outbreak can only be declared over today or on a past day.")})
    stand_down = StandDown(
        period=period,
        ends_on=ends_on,
        grace_days=PrivacySettings.load().standdown_grace_days,
        note=note.strip()[:200],
        proposed_by=actor,
    )
    stand_down.full_clean(validate_constraints=False)
    stand_down.save()
    record_change(actor=actor, obj=stand_down, action=ChangeAction.CREATE)
    return stand_down


@transaction.atomic
def stand_down_confirm(*, actor, stand_down: StandDown) -> StandDown:
    """A second office administrator confirms: the period closes, check-ins end, and the purge of the
    period's personal health data is scheduled after the grace period. Aggregates and documents stay."""
    _ensure_office(actor, StandDown, Action.CHANGE)
    stand_down = StandDown.objects.select_for_update().select_related("period").get(pk=stand_down.pk)
    if stand_down.is_confirmed:
        raise ValidationError(_("This stand-down is already confirmed."))
    if stand_down.proposed_by_id == actor.pk:
        raise ValidationError(
            _("A second office administrator must confirm the stand-down: you proposed it, so you cannot confirm it.")
        )
    period = EmergencyPeriod.objects.select_for_update().get(pk=stand_down.period_id)
    if not period.is_open:
        raise ValidationError(_("This emergency period is already closed."))
    before_period = snapshot(period)
    period.is_open = False
    period.ends_on = stand_down.ends_on
    period.closed_by = actor
    period.save()
    record_change(actor=actor, obj=period, action=ChangeAction.UPDATE, before=before_period)
    before = snapshot(stand_down)
    stand_down.confirmed_by = actor
    stand_down.confirmed_at = timezone.now()
    stand_down.purge_on = stand_down.ends_on + datetime.timedelta(days=stand_down.grace_days)
    stand_down.save()
    record_change(actor=actor, obj=stand_down, action=ChangeAction.UPDATE, before=before)
    gate.invalidate_on_commit()
    return stand_down


@transaction.atomic
def stand_down_cancel(*, actor, stand_down: StandDown) -> None:
    """Withdraw a proposal not confirmed yet (either administrator may)."""
    _ensure_office(actor, StandDown, Action.CHANGE)
    stand_down = StandDown.objects.select_for_update().get(pk=stand_down.pk)
    if stand_down.is_confirmed:
        raise ValidationError(
            _("A confirmed stand-down cannot be withdrawn: the purge is scheduled for %(date)s.")
            % {"date": date_format(stand_down.purge_on, "Y-m-d") if stand_down.purge_on else "-"}
        )
    record_change(actor=actor, obj=stand_down, action=ChangeAction.DELETE, before=snapshot(stand_down))
    stand_down.delete()
