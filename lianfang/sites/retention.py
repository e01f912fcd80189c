"""How the sites app's personal data is purged (PIPL Art. 19, 47), registered in
``lianfang.core.extensions.retention_providers`` for privacy's purge engine.

**Entries at the gates** say where a person was and when: they go under the privacy app's category
``whereabouts`` (with trips and outings, on the same retention), by the time of the passage.

**Visitors** have their own category ``visitors`` (a visitor's name, phone, company, reason and
health declaration), declared here with a short retention. A visitor has no account and came for
one day: the record is needed for a contact search of that day (a case at the site), so a month by
default, two weeks at least (the incubation look-back). A visit goes by its day. The gate's entries
stay (the counts of a checkpoint's traffic) but lose the link to the visitor, so nothing on them
names the person any more.

The counts already in unit reports and bulletins stay.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataCategory, PurgeProvider, purge_batches, purge_months
from lianfang.privacy.choices import WHEREABOUTS
from lianfang.sites.models import Entry, Visitor

VISITORS = "visitors"

CATEGORY = DataCategory(
    VISITORS,
    _("Visitors: name, phone, company, reason and health declaration"),
    retention_days=30,
    retention_floor=14,
    retention_ceiling=180,
)


def _entries():
    return Entry._base_manager.all()


def _visits():
    return Visitor._base_manager.all()


def delete_entries(pks: Sequence[int]) -> dict[str, int]:
    deleted = _entries().filter(pk__in=list(pks))._raw_delete(Entry._base_manager.db)
    return {Entry._meta.label_lower: deleted}


def delete_visits(pks: Sequence[int]) -> dict[str, int]:
    ids = list(pks)
    _entries().filter(visitor_id__in=ids).update(visitor=None)
    deleted = _visits().filter(pk__in=ids)._raw_delete(Visitor._base_manager.db)
    return {Visitor._meta.label_lower: deleted}


def _oldest_entry():
    first = _entries().aggregate(at=Min("at"))["at"]
    return timezone.localdate(first) if first else None


PROVIDERS = (
    PurgeProvider(
        key="sites.visitor",
        category=VISITORS,
        model=Visitor,
        months=lambda before, since=None: purge_months(_visits(), "day", before, since),
        batches=lambda target: purge_batches(_visits(), "day", target),
        delete=delete_visits,
        oldest=lambda: _visits().aggregate(d=Min("day"))["d"],
        order=10,
    ),
    PurgeProvider(
        key="sites.entry",
        category=WHEREABOUTS,
        model=Entry,
        months=lambda before, since=None: purge_months(_entries(), "at", before, since),
        batches=lambda target: purge_batches(_entries(), "at", target),
        delete=delete_entries,
        oldest=_oldest_entry,
        order=20,
    ),
)
