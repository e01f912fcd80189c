"""Counts of the unit daily report computed from the records, so the liaison does not retype them.

A report field names its ``source``; :data:`SOURCES` maps each source key to a function
``(unit, date) -> int | None`` that counts over the unit's whole subtree (a subsidiary reports for
its departments and sites too). ``None`` means "the records cannot tell": the liaison types the
number. Counts are prefilled and stay editable; the narrative fields have no source.

* ``people.*`` count the roster (active people, family members left out of the headcount).
* ``checkin.*`` read the per-unit day counts (``health.UnitDayStat``) by unit path, never the raw
  check-ins, so a report for a subsidiary of 50,000 people is one small aggregate. A subtree
  without any day counts for the date answers ``None``: no check-in was recorded there, and a 0
  would claim that nobody came to work.
* ``cases.*`` and ``isolation.*`` are counted by the cases app from its records (it replaces the
  placeholders below with :func:`register` when it loads; without it they answer ``None``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from lianfang.org.models import Unit

PrefillFunction = Callable[[Unit, datetime.date], "int | None"]


@dataclass(frozen=True)
class Source:
    key: str
    label: object  # a lazy translation
    function: PrefillFunction


SOURCES: dict[str, Source] = {}

# Counts that must be zero for a zero report (零报告): something new happened if any is above zero.
ZERO_REPORT_BLOCKERS = (
    "checkin.fever",
    "checkin.flagged",
    "cases.new_suspected",
    "cases.new_confirmed",
    "cases.new_asymptomatic",
)


def register(key: str, label) -> Callable[[PrefillFunction], PrefillFunction]:
    """Add (or replace) a source: ``@register("cases.new_confirmed", _("New confirmed cases"))``."""

    def decorator(function: PrefillFunction) -> PrefillFunction:
        SOURCES[key] = Source(key=key, label=label, function=function)
        return function

    return decorator


def source_choices() -> list[tuple[str, str]]:
    """(key, label) for the template editor: a field may be prefilled from any registered source."""
    return [(s.key, f"{s.label} · {s.key}") for s in sorted(SOURCES.values(), key=lambda s: s.key)]


def prefill(unit: Unit, date: datetime.date, sources: Iterable[str]) -> dict[str, int | None]:
    """Every asked source's count for the unit's subtree on ``date``; unknown sources are ``None``."""
    result: dict[str, int | None] = {}
    for key in dict.fromkeys(sources):
        source = SOURCES.get(key)
        result[key] = source.function(unit, date) if source else None
    return result


# --- people -------------------------------------------------------------------------------------


def _active_people(unit: Unit):
    from lianfang.people.choices import EmploymentStatus
    from lianfang.people.models import Person

    return Person.objects.filter(unit__path__startswith=unit.path, employment_status=EmploymentStatus.ACTIVE)


def _staff(unit: Unit):
    """Active people who work for the group: the roster without family members."""
    from lianfang.people.choices import Category

    return _active_people(unit).exclude(category=Category.FAMILY)


@register("people.headcount", _("Active staff on the roster (family members not counted)"))
def headcount(unit: Unit, date: datetime.date) -> int | None:
    return _staff(unit).count()


@register("people.temporary", _("Active temporary workers"))
def temporary(unit: Unit, date: datetime.date) -> int | None:
    from lianfang.people.choices import Category

    return _active_people(unit).filter(category=Category.TEMPORARY).count()


@register("people.dispatched", _("Active dispatched workers"))
def dispatched(unit: Unit, date: datetime.date) -> int | None:
    from lianfang.people.choices import Category

    return _active_people(unit).filter(category=Category.DISPATCHED).count()


@register("people.not_returned", _("Staff not yet returned"))
def not_returned(unit: Unit, date: datetime.date) -> int | None:
    from lianfang.people.choices import Whereabouts

    return _staff(unit).filter(whereabouts=Whereabouts.NOT_RETURNED).count()


# --- today's check-ins, through the per-unit day counts -----------------------------------------


def _day_stat_sum(unit: Unit, date: datetime.date, column: str) -> int | None:
    from lianfang.health.models import UnitDayStat

    totals = UnitDayStat.objects.filter(unit__path__startswith=unit.path, date=date).aggregate(
        rows=Count("pk"), total=Sum(column)
    )
    if not totals["rows"]:
        return None
    return int(totals["total"] or 0)


def _stat_source(key: str, column: str, label) -> None:
    register(key, label)(lambda unit, date: _day_stat_sum(unit, date, column))


_stat_source("checkin.reported", "reported", _("People who checked in"))
_stat_source("checkin.expected", "expected", _("People expected to check in"))
_stat_source("checkin.on_site", "on_site", _("Checked in as on site"))
_stat_source("checkin.remote", "remote", _("Checked in as working remotely"))
_stat_source("checkin.on_leave", "on_leave", _("Checked in as on leave"))
_stat_source("checkin.fever", "fever", _("Checked in with a fever"))
_stat_source("checkin.flagged", "flagged", _("Flagged at check-in (fever or a risk answer)"))


# --- cases, contacts and isolation: placeholders the cases app replaces (lianfang/cases/feeds.py) --


def _typed_by_liaison(unit: Unit, date: datetime.date) -> int | None:
    return None


for _key, _label in (
    ("cases.new_suspected", _("New suspected cases")),
    ("cases.new_confirmed", _("New confirmed cases")),
    ("cases.new_asymptomatic", _("New asymptomatic infections")),
    ("cases.close_contacts", _("Close contacts")),
    ("isolation.home", _("Under home isolation")),
    ("isolation.central", _("Under centralised isolation")),
):
    register(_key, _label)(_typed_by_liaison)
