"""Reads of personal health statuses: the board by unit, people by colour, the return-to-work list,
one person's status and history. Each takes the viewer.

Statuses are scoped like everything else (``PersonStatus.objects.restrict``); on top of that the
*reason* of a status (why someone is yellow or red) is health information: it is shown only to the
person themselves and to viewers holding ``unmask`` on ``status.personstatus`` for the person's unit
(the group office, case managers). Everyone else sees the colour. Showing reasons of others is
audited (:func:`audit_reason_reads`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _

from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.health.selectors import _signed_in
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths
from lianfang.people import counts as headcounts
from lianfang.people.choices import Whereabouts
from lianfang.people.models import Person
from lianfang.status.choices import Colour
from lianfang.status.models import PersonStatus, StatusChange, StatusRule

STATUS_LABEL = "status.personstatus"


def status_rule_list(*, viewer) -> QuerySet[StatusRule]:
    return StatusRule.objects.order_by("sort", "pk") if _signed_in(viewer) else StatusRule.objects.none()


class ReasonPolicy:
    """Who may read the reason of whose status, decided once per request (no query per row)."""

    def __init__(self, viewer) -> None:
        self.viewer = viewer
        self.superuser = bool(getattr(viewer, "is_superuser", False)) and _signed_in(viewer)
        self.paths = tuple(allowed_paths(viewer, STATUS_LABEL, Action.UNMASK)) if _signed_in(viewer) else ()
        self.own_person_id = (
            Person.objects.filter(user=viewer).values_list("pk", flat=True).first() if _signed_in(viewer) else None
        )

    def is_own(self, person_id: int) -> bool:
        return self.own_person_id is not None and person_id == self.own_person_id

    def may_read(self, person_id: int, unit: Unit | None) -> bool:
        if self.is_own(person_id) or self.superuser:
            return True
        return unit is not None and any(unit.path.startswith(p) for p in self.paths)


def audit_reason_reads(*, viewer, statuses: Iterable[Any], where: str, unit: Unit | None = None) -> None:
    """One audit event for the reasons of other people's statuses shown to the viewer."""
    people = sorted({s.person_id for s in statuses})
    if not people:
        return
    record_event(
        kind=AuditKind.SENSITIVE_READ,
        actor=viewer,
        unit=unit,
        object_repr=_("Health status reasons"),
        what="status_reason",
        where=where,
        people=people[:500],
        count=len(people),
    )


def statuses(*, viewer) -> QuerySet[PersonStatus]:
    """Statuses the viewer may see, of people on the roster (active or on leave)."""
    return (
        PersonStatus.objects.restrict(viewer, Action.VIEW)
        .filter(headcounts.on_roster("person__"))
        .select_related("person", "unit")
    )


@dataclass
class BoardRow:
    unit: Unit | None
    counts: dict[str, int] = field(default_factory=lambda: {c: 0 for c in Colour.values})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def green(self) -> int:
        return self.counts[Colour.GREEN]

    @property
    def yellow(self) -> int:
        return self.counts[Colour.YELLOW]

    @property
    def red(self) -> int:
        return self.counts[Colour.RED]


def scope_roots(*, viewer) -> list[Unit]:
    """The top units of the viewer's status scope (the group for a superuser)."""
    if getattr(viewer, "is_superuser", False):
        return list(Unit.objects.filter(depth=1).order_by("path"))
    paths = allowed_paths(viewer, STATUS_LABEL, Action.VIEW) if _signed_in(viewer) else []
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def board(*, viewer, root: Unit | None = None) -> tuple[list[BoardRow], BoardRow]:
    """Counts by colour for ``root``'s own people and for each unit just below it, each counting
    its whole subtree, and the total (one grouped query). Without ``root``: the viewer's top units
    (or, with a single one, that unit's breakdown)."""
    if root is None:
        roots = scope_roots(viewer=viewer)
        if len(roots) == 1:
            root = roots[0]
    # The board counts the people expected to check in, like the dashboard and the reports
    # (lianfang.people.counts); people on leave keep a status but are not on the board.
    qs = statuses(viewer=viewer).filter(headcounts.expected("person__"))
    if root is not None:
        qs = qs.filter(unit__path__startswith=root.path)
    by_path: dict[str, dict[str, int]] = {}
    for path, colour, n in qs.order_by().values_list("unit__path", "colour").annotate(n=Count("pk")):
        by_path.setdefault(path, {})[colour] = n
    total = BoardRow(unit=root)
    for counts in by_path.values():
        for colour, n in counts.items():
            total.counts[colour] += n
    rows: list[BoardRow] = []
    if root is not None:
        own = BoardRow(unit=root)
        for colour, n in by_path.get(root.path, {}).items():
            own.counts[colour] += n
        rows.append(own)
        shown = list(
            Unit.objects.restrict(viewer, Action.VIEW)
            .filter(path__startswith=root.path, depth=root.depth + 1)
            .order_by("path")
        )
    else:
        shown = roots
    for unit in shown:
        row = BoardRow(unit=unit)
        for path, counts in by_path.items():
            if path.startswith(unit.path):
                for colour, n in counts.items():
                    row.counts[colour] += n
        rows.append(row)
    return rows, total


def status_people(
    *, viewer, colour: str | None = None, unit: Unit | None = None, q: str | None = None
) -> QuerySet[PersonStatus]:
    """People by colour (red first), in the viewer's scope, filtered by unit subtree and searched by
    name or employee number."""
    qs = statuses(viewer=viewer)
    if colour:
        qs = qs.filter(colour=colour)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if q:
        text = q.strip()
        qs = qs.filter(Q(person__name__icontains=text) | Q(person__employee_no__iexact=text))
    order = {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 2}
    return qs.annotate(
        colour_rank=Case(*(When(colour=c, then=Value(n)) for c, n in order.items()), output_field=IntegerField())
    ).order_by("colour_rank", "unit__path", "person__employee_no")


def return_to_work(*, viewer, unit: Unit | None = None, q: str | None = None) -> QuerySet[PersonStatus]:
    """People who may return to work (复工): green, and not on site — their latest check-in says
    working remotely or on leave, or they have not yet returned (whereabouts)."""
    last_mode = Subquery(
        CheckIn.objects.filter(person_id=OuterRef("person_id")).order_by("-date").values("work_mode")[:1]
    )
    qs = status_people(viewer=viewer, colour=Colour.GREEN, unit=unit, q=q).annotate(last_mode=last_mode)
    return qs.filter(
        Q(last_mode__in=[WorkMode.REMOTE, WorkMode.ON_LEAVE]) | Q(person__whereabouts=Whereabouts.NOT_RETURNED)
    )


def own_status(*, viewer) -> PersonStatus | None:
    if not _signed_in(viewer):
        return None
    return PersonStatus.objects.filter(person__user=viewer).select_related("person", "unit").first()


def status_of(*, viewer, person: Person) -> PersonStatus | None:
    return PersonStatus.objects.restrict(viewer, Action.VIEW).filter(person=person).select_related("unit").first()


def status_history(*, viewer, person: Person, limit: int = 50) -> list[StatusChange]:
    return list(
        StatusChange.objects.restrict(viewer, Action.VIEW)
        .filter(person=person)
        .select_related("rule")
        .order_by("-changed", "-pk")[:limit]
    )
