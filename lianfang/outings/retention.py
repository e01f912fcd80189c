"""How the outings' personal data is purged (PIPL Art. 19, 47): outings are whereabouts, so they go
under the privacy app's category ``whereabouts`` (with the trips, on the same retention), registered
in ``lianfang.core.extensions.retention_providers`` for privacy's purge engine.

An outing goes by its last day (the return, or the end of the enhanced monitoring after it), with its
steps and monitoring readings. The trip it left in the epidemiological history is the health app's
row and goes by its own date. Counts already in the unit reports and bulletins stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min

from lianfang.core.extensions import PurgeProvider, purge_batches, purge_months
from lianfang.outings.models import MonitoringReading, Outing, OutingStep
from lianfang.privacy.choices import WHEREABOUTS


def _outings():
    return Outing._base_manager.all()


def _raw(model, **filters) -> int:
    return model._base_manager.filter(**filters)._raw_delete(model._base_manager.db)


def related(pks: Sequence[int]) -> dict:
    ids = list(pks)
    return {
        model: list(model._base_manager.filter(outing_id__in=ids).values_list("pk", flat=True))
        for model in (OutingStep, MonitoringReading)
    }


def delete_outings(pks: Sequence[int]) -> dict[str, int]:
    ids = list(pks)
    counts = {model._meta.label_lower: _raw(model, outing_id__in=ids) for model in (MonitoringReading, OutingStep)}
    counts[Outing._meta.label_lower] = _raw(Outing, pk__in=ids)
    return counts


PROVIDERS = (
    PurgeProvider(
        key="outings.outing",
        category=WHEREABOUTS,
        model=Outing,
        months=lambda before, since=None: purge_months(_outings(), "last_day", before, since),
        batches=lambda target: purge_batches(_outings(), "last_day", target),
        delete=delete_outings,
        related=related,
        oldest=lambda: _outings().aggregate(d=Min("last_day"))["d"],
        order=10,
    ),
)
