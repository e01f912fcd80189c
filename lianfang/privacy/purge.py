"""The purge engine (个人信息清除): deletes personal data past its retention, or an emergency period's
personal health data after its stand-down, and redacts what the change log and audit events hold of it.

Privacy sits low in the dependency order and imports none of the apps that hold the data: each one
registers a ``PurgeProvider`` per model in ``lianfang.core.extensions.retention_providers`` (health:
check-ins and trips; cases: cases with contacts, isolation, follow-ups, care; status: the history of
statuses). The engine asks each provider for the months that hold rows to purge, then for batches of
primary keys, and for each batch runs one short transaction inside ``purge_session`` (the one door
through which audit records may be changed, lianfang/core/append_only.py):

1. it redacts the change-log rows (``ObjectChange``) of the batch's objects and of the dependants the
   provider deletes with them: the before/after snapshots are replaced by a marker and the object's
   description by "<model> #<id>"; who, when, the action, the model and the object id stay;
2. it redacts the audit events that name one of those objects (``detail.model`` and ``detail.pk``);
3. the provider deletes the rows (dependants first: contacts before their cases).

Batches are one month at a time (a whole month past retention is marked so that a partitioned table
could drop its partition) and at most a few thousand rows, so no transaction holds the check-ins of
the day up for long. Aggregates (per-unit day counts, unit reports, bulletins) are counts, not persons,
and are never touched. A dry run counts what it would do and changes nothing; every run writes a
:class:`~lianfang.privacy.models.PurgeReceipt`.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.append_only import purge_session
from lianfang.core.extensions import (
    PurgeProvider,
    PurgeTarget,
    personal_data_categories,
    retention_providers,
)
from lianfang.core.models import AuditEvent, ObjectChange
from lianfang.privacy.models import PurgeReceipt, PurgeTrigger, RetentionPolicy, StandDown

logger = logging.getLogger(__name__)

BATCH = 2000
REDACTED = {"purged": True}


def retention_days(category: str) -> int:
    """The retention the office set for the category, or the category's default."""
    row = RetentionPolicy.objects.filter(category=category).values_list("days", flat=True).first()
    if row is not None:
        return row
    declared = personal_data_categories.get(category)
    return declared.retention_days if declared else 180


def bounds(category: str) -> tuple[int, int]:
    """(floor, ceiling) in days of the category's retention, as the app that declared it set them."""
    declared = personal_data_categories.get(category)
    if declared is None:
        raise ValidationError(
            {"category": _("“%(value)s” is not a known category of personal data.") % {"value": category}}
        )
    return declared.retention_floor, declared.retention_ceiling


def check_retention(category: str, days: int) -> None:
    """Refuse a retention outside the category's floor and ceiling, naming both."""
    floor, ceiling = bounds(category)
    declared = personal_data_categories.get(category)
    values = {"label": declared.label if declared else category, "days": days, "floor": floor, "ceiling": ceiling}
    if days < floor:
        raise ValidationError(
            {
                "days": _(
                    "%(label)s must be kept at least %(floor)s days (and at most %(ceiling)s): %(days)s days is "
                    "below the floor."
                )
                % values
            }
        )
    if days > ceiling:
        raise ValidationError(
            {
                "days": _(
                    "%(label)s may be kept at most %(ceiling)s days (and at least %(floor)s): %(days)s days is "
                    "above the ceiling."
                )
                % values
            }
        )


def providers(category: str | None = None) -> list[PurgeProvider]:
    found = [p for p in retention_providers if category is None or p.category == category]
    return sorted(found, key=lambda p: p.order)


@dataclass
class CategoryTally:
    retention_days: int | None
    before: datetime.date
    since: datetime.date | None = None
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changes_redacted: int = 0
    events_redacted: int = 0
    oldest_kept: datetime.date | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "retention_days": self.retention_days,
            "before": self.before.isoformat(),
            "since": self.since.isoformat() if self.since else None,
            "rows": dict(self.rows),
            "deleted": sum(self.rows.values()),
            "changes_redacted": self.changes_redacted,
            "events_redacted": self.events_redacted,
            "oldest_kept": self.oldest_kept.isoformat() if self.oldest_kept else None,
        }


def _label(model) -> str:
    return model._meta.label_lower


def _redact_changes(model, pks: Sequence[int]) -> int:
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    name = str(model._meta.verbose_name)
    return ObjectChange.objects.filter(content_type=ct, object_id__in=list(pks)).update(
        prechange_data=REDACTED,
        postchange_data=REDACTED,
        object_repr=Concat(Value(f"{name} #"), Cast("object_id", CharField())),
    )


def _redact_events(model, pks: Sequence[int], index: dict[int, list[int]]) -> int:
    """Redact the audit events that name one of these objects (``index``: object pk → event ids)."""
    ids = [event_id for pk in pks for event_id in index.get(pk, ())]
    if not ids:
        return 0
    events = list(AuditEvent.objects.filter(pk__in=ids))
    for event in events:
        pk = event.detail.get("pk")
        event.detail = {"model": _label(model), "pk": pk, **REDACTED}
        event.object_repr = f"{model._meta.verbose_name} #{pk}"
    AuditEvent.objects.bulk_update(events, ["detail", "object_repr"])
    return len(events)


def _event_index(model) -> dict[int, list[int]]:
    """The audit events that name an object of ``model`` (``detail.model``/``detail.pk``, as the reads of
    case details write them), read once per run: object pk → event ids. One scan of the audit events per
    model rather than one per batch."""
    index: dict[int, list[int]] = defaultdict(list)
    rows = AuditEvent.objects.filter(detail__model=_label(model)).values_list("pk", "detail__pk")
    for event_id, pk in rows.iterator(chunk_size=5000):
        if isinstance(pk, int):
            index[pk].append(event_id)
    return index


def _count_changes(model, pks: Sequence[int]) -> int:
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return ObjectChange.objects.filter(content_type=ct, object_id__in=list(pks)).count()


def _count_events(pks: Sequence[int], index: dict[int, list[int]]) -> int:
    return sum(len(index.get(pk, ())) for pk in pks)


class Run:
    """One run of the purge: the categories to purge, each with the date before which rows go."""

    def __init__(self, *, dry_run: bool, trigger: str, actor=None, stand_down: StandDown | None = None) -> None:
        self.dry_run = dry_run
        self.receipt = PurgeReceipt(
            run_id=uuid.uuid4(),
            trigger=trigger,
            dry_run=dry_run,
            stand_down=stand_down,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            started=timezone.now(),
        )
        self.longest_ms = 0.0
        self.tallies: dict[str, CategoryTally] = {}
        self._events: dict[str, dict[int, list[int]]] = {}

    def events(self, model) -> dict[int, list[int]]:
        label = _label(model)
        if label not in self._events:
            self._events[label] = _event_index(model)
        return self._events[label]

    # -- one batch ----------------------------------------------------------------------------------

    def _drop_month(self, provider: PurgeProvider, target: PurgeTarget, tally: CategoryTally) -> bool:
        """The whole-month fast path: redact the month's change log in batches, then drop its partition."""
        if self.dry_run or provider.partitioned is None or provider.drop_month is None:
            return False
        if not provider.partitioned(target):
            return False
        for pks in provider.batches(target):
            if not pks:
                continue
            started = time.monotonic()
            with purge_session():
                tally.changes_redacted += _redact_changes(provider.model, pks)
                tally.events_redacted += _redact_events(provider.model, pks, self.events(provider.model))
            self.longest_ms = max(self.longest_ms, (time.monotonic() - started) * 1000)
        started = time.monotonic()
        with purge_session():
            for label, n in provider.drop_month(target).items():
                tally.rows[label] += n
        self.longest_ms = max(self.longest_ms, (time.monotonic() - started) * 1000)
        return True

    def _batch(self, provider: PurgeProvider, pks: Sequence[int], tally: CategoryTally) -> None:
        related = dict(provider.related(pks)) if provider.related else {}
        objects = [(provider.model, list(pks)), *[(m, list(ids)) for m, ids in related.items() if ids]]
        if self.dry_run:
            for model, ids in objects:
                tally.rows[_label(model)] += len(ids)
                tally.changes_redacted += _count_changes(model, ids)
                tally.events_redacted += _count_events(ids, self.events(model))
            return
        started = time.monotonic()
        with purge_session():
            for model, ids in objects:
                tally.changes_redacted += _redact_changes(model, ids)
                tally.events_redacted += _redact_events(model, ids, self.events(model))
            for label, n in provider.delete(pks).items():
                tally.rows[label] += n
        self.longest_ms = max(self.longest_ms, (time.monotonic() - started) * 1000)

    def _orphans(self, provider: PurgeProvider, tally: CategoryTally) -> None:
        """Change-log rows of objects deleted earlier (by their users) and logged before the cutoff:
        their snapshots still hold the values, though the rows are gone."""
        if tally.since is not None:
            return  # a stand-down's purge deletes what the period holds; the nightly purge sweeps the rest
        cutoff = timezone.make_aware(datetime.datetime.combine(tally.before, datetime.time.min))
        ct = ContentType.objects.get_for_model(provider.model, for_concrete_model=False)
        exists = provider.model._base_manager.filter(pk=OuterRef("object_id"))
        orphans = (
            ObjectChange.objects.filter(content_type=ct, time__lt=cutoff)
            .exclude(postchange_data=REDACTED, prechange_data=REDACTED)
            .filter(~Exists(exists))
            .values_list("object_id", flat=True)
            .distinct()
        )
        ids = list(orphans[:100_000])
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            if self.dry_run:
                tally.changes_redacted += _count_changes(provider.model, chunk)
                continue
            started = time.monotonic()
            with purge_session():
                tally.changes_redacted += _redact_changes(provider.model, chunk)
                tally.events_redacted += _redact_events(provider.model, chunk, self.events(provider.model))
            self.longest_ms = max(self.longest_ms, (time.monotonic() - started) * 1000)

    # -- one category ---------------------------------------------------------------------------------

    def category(
        self,
        key: str,
        *,
        before: datetime.date,
        since: datetime.date | None = None,
        retention: int | None = None,
        batch: int = BATCH,
    ) -> CategoryTally:
        tally = self.tallies.setdefault(key, CategoryTally(retention_days=retention, before=before, since=since))
        for provider in providers(key):
            for month in provider.months(before, since):
                next_month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
                target = PurgeTarget(
                    month=month,
                    before=before,
                    whole_month=next_month <= before and (since is None or since <= month),
                    batch=batch,
                    since=since,
                )
                if target.whole_month and self._drop_month(provider, target, tally):
                    continue
                for pks in provider.batches(target):
                    if pks:
                        self._batch(provider, pks, tally)
            self._orphans(provider, tally)
            if provider.oldest is not None:
                oldest = provider.oldest()
                if oldest is not None and (tally.oldest_kept is None or oldest < tally.oldest_kept):
                    tally.oldest_kept = oldest
        return tally

    def finish(self, error: str = "") -> PurgeReceipt:
        self.receipt.finished = timezone.now()
        self.receipt.categories = {k: t.as_json() for k, t in self.tallies.items()}
        self.receipt.longest_transaction_ms = round(self.longest_ms)
        self.receipt.error = error
        self.receipt.save()
        return self.receipt


def categories_with_providers() -> list[str]:
    keys = {p.category for p in retention_providers}
    return [c.key for c in personal_data_categories if c.key in keys]


def run_retention(
    *,
    dry_run: bool = False,
    category: str | None = None,
    trigger: str = PurgeTrigger.COMMAND,
    actor=None,
    today: datetime.date | None = None,
    batch: int = BATCH,
) -> PurgeReceipt:
    """Purge every category (or one) of the rows past the retention the office set."""
    today = today or timezone.localdate()
    run = Run(dry_run=dry_run, trigger=trigger, actor=actor)
    keys = [category] if category else categories_with_providers()
    for key in keys:  # a retention the declared limits no longer allow is refused before anything is deleted
        check_retention(key, retention_days(key))
    try:
        for key in keys:
            days = retention_days(key)
            run.category(key, before=today - datetime.timedelta(days=days), retention=days, batch=batch)
    except Exception as exc:  # the receipt says the run failed and how far it got; the job logs the trace
        logger.exception("purge failed")
        run.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    return run.finish()


def run_stand_down(
    stand_down: StandDown, *, dry_run: bool = False, trigger: str = PurgeTrigger.STANDDOWN, actor=None
) -> PurgeReceipt:
    """Purge the personal health data of the stand-down's emergency period, regardless of retention:
    every category's rows dated from the period's start to its end, except the categories whose basis
    the law gives (duty rosters), which keep their own retention."""
    period = stand_down.period
    run = Run(dry_run=dry_run, trigger=trigger, actor=actor, stand_down=stand_down)
    before = stand_down.ends_on + datetime.timedelta(days=1)
    try:
        for key in categories_with_providers():
            declared = personal_data_categories.get(key)
            if declared is not None and declared.fixed_basis is not None:
                continue  # not collected for the emergency: its own retention applies
            run.category(key, before=before, since=period.starts_on)
    except Exception as exc:
        logger.exception("stand-down purge failed")
        run.finish(error=f"{type(exc).__name__}: {exc}")
        raise
    receipt = run.finish()
    if not dry_run:
        StandDown.objects.filter(pk=stand_down.pk).update(purged_at=receipt.finished)
    return receipt
