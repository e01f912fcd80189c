"""How the duty app's personal data is purged (PIPL Art. 19, 47): the category ``duty`` (rosters,
leave, duty logs and handovers) is declared here with its retention, and its rows are registered in
``lianfang.core.extensions.retention_providers`` for privacy's purge engine.

Duty records are kept for managing the work (PIPL Art. 13(1)(2)), not collected for the emergency:
no consent is asked, and a stand-down's purge leaves them to their retention. A shift goes by the
day it starts, with its members, handover, swaps and conflicts; a handover of an earlier shift that
names it as the incoming one, and log entries kept longer, only lose the link. Log entries go by
their time, leave by its last day. Counts already in the unit reports and bulletins stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataCategory, PurgeProvider, purge_batches, purge_months
from lianfang.duty.models import Handover, Leave, LogEntry, Shift, ShiftConflict, ShiftMember, Swap

DUTY = "duty"

CATEGORY = DataCategory(
    DUTY,
    _("Duty rosters, leave, duty logs and handovers"),
    retention_days=365,
    retention_floor=90,
    retention_ceiling=3 * 365,
    fixed_basis=_("Human-resources management (PIPL Art. 13(1)(2))"),
)


def _raw(model, **filters) -> int:
    return model._base_manager.filter(**filters)._raw_delete(model._base_manager.db)


def shift_related(pks: Sequence[int]) -> dict:
    ids = list(pks)
    return {
        model: list(model._base_manager.filter(shift_id__in=ids).values_list("pk", flat=True))
        for model in (ShiftMember, Handover, Swap, ShiftConflict)
    }


def delete_shifts(pks: Sequence[int]) -> dict[str, int]:
    ids = list(pks)
    Handover._base_manager.filter(next_shift_id__in=ids).update(next_shift=None)
    LogEntry._base_manager.filter(shift_id__in=ids).update(shift=None)
    counts = {
        model._meta.label_lower: _raw(model, shift_id__in=ids) for model in (ShiftMember, Handover, Swap, ShiftConflict)
    }
    counts[Shift._meta.label_lower] = _raw(Shift, pk__in=ids)
    return counts


def delete_entries(pks: Sequence[int]) -> dict[str, int]:
    return {LogEntry._meta.label_lower: _raw(LogEntry, pk__in=list(pks))}


def delete_leave(pks: Sequence[int]) -> dict[str, int]:
    return {Leave._meta.label_lower: _raw(Leave, pk__in=list(pks))}


def _oldest(model, field: str):
    value = model._base_manager.aggregate(d=Min(field))["d"]
    return timezone.localtime(value).date() if value is not None and hasattr(value, "tzinfo") else value


PROVIDERS = (
    PurgeProvider(
        key="duty.logentry",
        category=DUTY,
        model=LogEntry,
        months=lambda before, since=None: purge_months(LogEntry._base_manager.all(), "at", before, since),
        batches=lambda target: purge_batches(LogEntry._base_manager.all(), "at", target),
        delete=delete_entries,
        oldest=lambda: _oldest(LogEntry, "at"),
        order=10,
    ),
    PurgeProvider(
        key="duty.shift",
        category=DUTY,
        model=Shift,
        months=lambda before, since=None: purge_months(Shift._base_manager.all(), "starts_at", before, since),
        batches=lambda target: purge_batches(Shift._base_manager.all(), "starts_at", target),
        delete=delete_shifts,
        related=shift_related,
        oldest=lambda: _oldest(Shift, "starts_at"),
        order=20,
    ),
    PurgeProvider(
        key="duty.leave",
        category=DUTY,
        model=Leave,
        months=lambda before, since=None: purge_months(Leave._base_manager.all(), "ends_on", before, since),
        batches=lambda target: purge_batches(Leave._base_manager.all(), "ends_on", target),
        delete=delete_leave,
        oldest=lambda: _oldest(Leave, "ends_on"),
        order=20,
    ),
)
