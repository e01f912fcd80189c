"""Reads of the unit tree that are more than a lookup. Every one takes the viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from lianfang.core.extensions import headcounts
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can

# A unit's contact phones (person in charge, liaison) are people's numbers: one rule for the unit page,
# the API, the report status and every export (docs/api.md, "Personal data").
CONTACT_PHONE_FIELDS = ("person_in_charge_phone", "liaison_phone")


def contact_phones_visible(*, viewer, unit: Unit) -> bool:
    """May the viewer see the unit's contact phones in full? Only where their role may unmask people
    (the roster's rule); everyone else sees them masked, ``138****5678``."""
    return can(viewer, Action.UNMASK, "people.person", unit)


def unit_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Unit]:
    return Unit.objects.restrict(viewer, action).select_related("kind").order_by("path")


def unit_subtree(*, viewer, unit: Unit, include_inactive: bool = False) -> QuerySet[Unit]:
    """The unit and everything below it that the viewer may see, in tree order."""
    qs = unit_list(viewer=viewer).filter(path__startswith=unit.path)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int
    people: int


def unit_tree_rows(*, viewer, include_inactive: bool = False) -> list[TreeRow]:
    """The visible tree with active headcounts, in one query for the units and one for the counts.

    Depth is relative to the shallowest visible unit, so a liaison's tree starts at their unit.
    """
    visible = unit_list(viewer=viewer)
    units = list(visible if include_inactive else visible.filter(is_active=True))
    if not units:
        return []
    # Who counts is the roster's decision (lianfang.people), asked through the extension point.
    counts = headcounts(viewer, "").by_path
    top = min(u.depth for u in units)
    return [TreeRow(unit=u, depth=u.depth - top, people=counts.get(u.path, 0)) for u in units]


def unit_parent_choices(*, viewer) -> QuerySet[Unit]:
    """Units under which the viewer may add a unit (form and API choices)."""
    return unit_list(viewer=viewer, action=Action.ADD).filter(is_active=True)
