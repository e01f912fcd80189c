"""Risk areas in force by day, indexed by division code, to match the places of check-ins and trips
(a code covers its sub-divisions). Read by the health pages and by the status engine."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.db.models.functions import Left

from lianfang.health.models import RiskArea

_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class RiskIndex:
    """Risk areas by division code, each with the days it was in force, for matching places.

    A code covers its subdivisions: ``4201`` (a city) covers ``420102`` (one of its districts), so a
    place matches the areas whose code is a prefix of the place's code (2, 4 or 6 digits).
    """

    by_code: dict[str, list[tuple[datetime.date, datetime.date | None]]]

    @classmethod
    def load(cls, *, first: datetime.date | None = None, last: datetime.date | None = None) -> RiskIndex:
        """The areas in force on some day of [first, last] (every area when no bounds are given)."""
        qs = RiskArea.objects.all()
        if last is not None:
            qs = qs.filter(effective_from__lte=last)
        if first is not None:
            qs = qs.filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=first))
        by_code: dict[str, list[tuple[datetime.date, datetime.date | None]]] = {}
        for code, start, lifted in qs.values_list("division_code", "effective_from", "lifted_on"):
            by_code.setdefault(code, []).append((start, lifted))
        return cls(by_code)

    @property
    def lengths(self) -> list[int]:
        return sorted({len(code) for code in self.by_code})

    def _spans(self, place: str) -> Iterable[tuple[datetime.date, datetime.date | None]]:
        for length in self.lengths:
            if len(place) >= length:
                yield from self.by_code.get(place[:length], ())

    def covers(self, place: str, day: datetime.date | None = None) -> bool:
        """Is ``place`` in an area in force on ``day`` (on any day, without one)?"""
        if not place:
            return False
        for start, lifted in self._spans(place):
            if day is None or (start <= day and (lifted is None or lifted > day)):
                return True
        return False

    def last_day_in(self, place: str, first: datetime.date, last: datetime.date) -> datetime.date | None:
        """The latest day of [first, last] on which ``place`` was in an area in force."""
        best: datetime.date | None = None
        for start, lifted in self._spans(place):
            hi = last if lifted is None else min(last, lifted - _DAY)
            if hi >= max(first, start) and (best is None or hi > best):
                best = hi
        return best

    def place_filter(self, field: str) -> tuple[dict[str, Any], Q]:
        """Annotations and a condition keeping rows whose ``field`` starts with an area's code, so
        the database returns candidates only (a hashed IN list per code length)."""
        annotations: dict[str, Any] = {}
        condition = Q(pk__in=[])
        for length in self.lengths:
            codes = [code for code in self.by_code if len(code) == length]
            name = f"_risk_prefix_{length}"
            annotations[name] = Left(field, length)
            condition |= Q(**{f"{name}__in": codes})
        return annotations, condition
