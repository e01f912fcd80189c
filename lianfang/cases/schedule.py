"""The follow-up schedule of isolation: two readings a day from 08:00, which slots are due, and which
were missed (read by the follow-up pages and by the hourly job that tells the responsible people)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from lianfang.cases.models import FollowUp, Isolation
from lianfang.org.models import GroupSettings

DAY_START = datetime.time(8, 0)


DAY_HOURS = 12


MISSED_LOOKBACK_DAYS = 60


def slot_due(slot: int, per_day: int) -> datetime.time:
    """When reading ``slot`` of ``per_day`` is due: the end of its share of 08:00–20:00."""
    minutes = DAY_START.hour * 60 + DAY_START.minute + (DAY_HOURS * 60 * slot) // per_day
    return datetime.time(min(minutes // 60, 23), minutes % 60)


@dataclass(frozen=True)
class Missed:
    isolation_id: int
    date: datetime.date
    slot: int


def followup_days(isolation: Isolation, today: datetime.date) -> list[datetime.date]:
    """The days on which the isolation needs readings, up to today: from its start to the day before
    its release (the release day itself needs none), or to today while it is open."""
    last = today if isolation.released_on is None else min(today, isolation.released_on - datetime.timedelta(days=1))
    first = max(isolation.start_on, today - datetime.timedelta(days=MISSED_LOOKBACK_DAYS))
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)] if last >= first else []


def missed_slots(
    isolations: Iterable[Isolation],
    *,
    now: datetime.datetime | None = None,
    only_day: datetime.date | None = None,
    settings: GroupSettings | None = None,
) -> dict[int, list[Missed]]:
    """Unrecorded readings per isolation: earlier days' slots, and today's once due (see module doc)."""
    settings = settings or GroupSettings.load()
    now_local = timezone.localtime(now or timezone.now())
    today = now_local.date()
    per_day = settings.followups_per_day
    isolations = list(isolations)
    if not isolations:
        return {}
    recorded: set[tuple[int, datetime.date, int]] = set(
        FollowUp.objects.filter(isolation__in=[i.pk for i in isolations]).values_list("isolation_id", "date", "slot")
    )
    result: dict[int, list[Missed]] = defaultdict(list)
    for iso in isolations:
        for day in followup_days(iso, today):
            if only_day is not None and day != only_day:
                continue
            for slot in range(1, per_day + 1):
                if (iso.pk, day, slot) in recorded:
                    continue
                if day < today or now_local.time() >= slot_due(slot, per_day):
                    result[iso.pk].append(Missed(iso.pk, day, slot))
    return dict(result)


def isolations_active_on(day: datetime.date) -> QuerySet[Isolation]:
    """Orders needing follow-up on ``day`` (started, not released before or on it)."""
    return Isolation.objects.filter(start_on__lte=day).filter(Q(released_on__isnull=True) | Q(released_on__gt=day))
