"""How the sites app's personal data is purged (PIPL Art. 19, 47), registered in
``lianfang.core.extensions.retention_providers`` for privacy's purge engine.

Entries at the gates say where a person was and when: they go under the privacy app's category
``whereabouts`` (with trips and outings, on the same retention), by the time of the passage. The
counts already in unit reports and bulletins stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min
from django.utils import timezone

from lianfang.core.extensions import PurgeProvider, purge_batches, purge_months
from lianfang.privacy.choices import WHEREABOUTS
from lianfang.sites.models import Entry


def _entries():
    return Entry._base_manager.all()


def delete_entries(pks: Sequence[int]) -> dict[str, int]:
    deleted = Entry._base_manager.filter(pk__in=list(pks))._raw_delete(Entry._base_manager.db)
    return {Entry._meta.label_lower: deleted}


def _oldest():
    first = _entries().aggregate(at=Min("at"))["at"]
    return timezone.localdate(first) if first else None


PROVIDERS = (
    PurgeProvider(
        key="sites.entry",
        category=WHEREABOUTS,
        model=Entry,
        months=lambda before, since=None: purge_months(_entries(), "at", before, since),
        batches=lambda target: purge_batches(_entries(), "at", target),
        delete=delete_entries,
        oldest=_oldest,
        order=20,
    ),
)
