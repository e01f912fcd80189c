"""How the visitors' personal data is purged (PIPL Art. 19, 47): the category ``visitors`` (a
visitor's name, phone, company, reason and health declaration) is declared here with a short
retention, and its rows are registered in ``lianfang.core.extensions.retention_providers`` for
privacy's purge engine.

A visitor has no account and came for one day: the record is needed for a contact search of that
day (a case at the site), so a month by default, two weeks at least (the incubation look-back).
A visit goes by its day. The gate's entries stay (the counts of a checkpoint's traffic) but lose
the link to the visitor, so nothing on them names the person any more.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataCategory, PurgeProvider, purge_batches, purge_months
from lianfang.sites.models import Entry, Visitor

VISITORS = "visitors"

CATEGORY = DataCategory(
    VISITORS,
    _("Visitors: name, phone, company, reason and health declaration"),
    retention_days=30,
    retention_floor=14,
    retention_ceiling=180,
)


def _visits():
    return Visitor._base_manager.all()


def delete_visits(pks: Sequence[int]) -> dict[str, int]:
    ids = list(pks)
    Entry._base_manager.filter(visitor_id__in=ids).update(visitor=None)
    deleted = _visits().filter(pk__in=ids)._raw_delete(Visitor._base_manager.db)
    return {Visitor._meta.label_lower: deleted}


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
)
