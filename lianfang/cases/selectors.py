"""Reads of the cases app. Every queryset that reaches a user passes through ``restrict(viewer, action)``:
only case managers of the unit's subtree and the group office see cases and contacts (``org.roles``);
responsible people see the isolations they follow, carers the people they look after.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from lianfang.cases.choices import ACTIVE_STATUSES, CaseStatus, ContactDegree
from lianfang.cases.models import CareAssignment, CareContact, Case, ClusterAlert, Contact, FollowUp, Isolation
from lianfang.cases.schedule import Missed, followup_days, isolations_active_on, missed_slots, slot_due
from lianfang.core.extensions import ContactEvidence, ContactQuery, Todo, contact_sources
from lianfang.core.scoping import Action
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.org.models import GroupSettings, Unit
from lianfang.people.models import Person

# --- cases --------------------------------------------------------------------------------------


def case_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Case]:
    return Case.objects.restrict(viewer, action).select_related("unit", "person")


def case_filter(
    qs: QuerySet[Case],
    *,
    status: str = "",
    unit: Unit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    active: bool = False,
) -> QuerySet[Case]:
    if status:
        qs = qs.filter(status=status)
    if active:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if date_from is not None:
        qs = qs.filter(reported_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(reported_on__lte=date_to)
    return qs


def case_counts(qs: QuerySet[Case]) -> dict[str, int]:
    """Cases per status in ``qs`` (every status present, zero when none)."""
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in CaseStatus.values}


def case_timeline(case: Case) -> list[tuple[datetime.date, str]]:
    """The dated steps of a case, oldest first: (date, what)."""
    from lianfang.cases.choices import STATUS_DATE_FIELD

    steps: list[tuple[datetime.date, str]] = []
    if case.onset_on:
        steps.append((case.onset_on, str(Case._meta.get_field("onset_on").verbose_name)))
    for status, name in STATUS_DATE_FIELD.items():
        day = getattr(case, name)
        if day:
            steps.append((day, str(CaseStatus(status).label)))
    if case.isolated_on:
        steps.append((case.isolated_on, str(Case._meta.get_field("isolated_on").verbose_name)))
    return sorted(steps, key=lambda s: s[0])


def contact_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Contact]:
    return Contact.objects.restrict(viewer, action).select_related("case", "person", "unit", "via", "became_case")


# --- suggestions --------------------------------------------------------------------------------


@dataclass
class Suggestion:
    person: Person
    shared_days: int
    last_day: datetime.date


def infectious_window(case: Case, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """From two days before onset (or the report, when onset is unknown) to isolation (or today)."""
    today = today or timezone.localdate()
    start = (case.onset_on or case.reported_on) - datetime.timedelta(days=2)
    end = min(case.isolated_on or today, today)
    return start, max(start, end)


def case_places(case: Case, start: datetime.date, end: datetime.date) -> dict[datetime.date, frozenset[int]]:
    """Where the case was on each day of the window: the units of its own on-site check-ins. A case
    without any check-in in the window (an external person, or someone who never checked in) counts
    every day of the window at the case's unit: nothing says when they were there."""
    every_day = {start + datetime.timedelta(days=i): frozenset({case.unit_id}) for i in range((end - start).days + 1)}
    if case.person_id is None:
        return every_day
    own = list(
        CheckIn.objects.filter(person_id=case.person_id, date__gte=start, date__lte=end).values_list(
            "date", "unit_id", "work_mode"
        )
    )
    if not own:
        return every_day
    places: dict[datetime.date, set[int]] = defaultdict(set)
    for day, unit_id, mode in own:
        if mode == WorkMode.ON_SITE:
            places[day].add(unit_id)
    return {day: frozenset(units) for day, units in places.items()}


def contact_suggestions(*, viewer, case: Case, limit: int | None = 50) -> list[Suggestion]:
    """People who shared a place with the case on the days of its infectious window, ranked by the
    number of shared days; people already listed, the case itself and people the viewer may not see
    are left out. Every registered contact source contributes its evidence (``contact_sources``:
    check-ins here; duty rosters and checkpoint entries from their apps)."""
    start, end = infectious_window(case)
    places = case_places(case, start, end)
    if not places:
        return []
    listed = Contact.objects.filter(case=case, person__isnull=False).values("person_id")
    candidates = (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(employment_status="active")
        .exclude(pk=case.person_id or 0)
        .exclude(pk__in=listed)
        .values("pk")
    )
    query = ContactQuery(case_person_id=case.person_id, places=places, candidates=candidates)
    days: dict[int, set[datetime.date]] = defaultdict(set)
    for source in contact_sources:
        for evidence in source(query):
            days[evidence.person_id] |= evidence.days
    ranked = sorted(days.items(), key=lambda item: (-len(item[1]), -max(item[1]).toordinal(), item[0]))
    if limit is not None:
        ranked = ranked[:limit]
    people = Person.objects.select_related("unit").in_bulk([person_id for person_id, _days in ranked])
    return [Suggestion(people[pk], len(shared), max(shared)) for pk, shared in ranked if pk in people]


def checkin_contacts(query: ContactQuery) -> Iterator[ContactEvidence]:
    """The check-in source of suggestions: people who checked in on site at one of the case's units on
    a day the case was there."""
    by_unit: dict[int, list[datetime.date]] = defaultdict(list)
    for day, units in query.places.items():
        for unit_id in units:
            by_unit[unit_id].append(day)
    same_place = Q(pk__in=[])
    for unit_id, unit_days in by_unit.items():
        same_place |= Q(unit_id=unit_id, date__in=sorted(unit_days))
    found: dict[int, set[datetime.date]] = defaultdict(set)
    for person_id, day in CheckIn.objects.filter(
        same_place, work_mode=WorkMode.ON_SITE, person__in=query.candidates
    ).values_list("person_id", "date"):
        found[person_id].add(day)
    for person_id, shared in found.items():
        yield ContactEvidence(person_id=person_id, days=frozenset(shared), how="checkin")


# --- the contact graph --------------------------------------------------------------------------


@dataclass
class GraphNode:
    id: str  # "case-12" or "contact-34"
    kind: str  # "case" or "contact"
    label: str
    detail: str  # status or degree, in words
    status: str  # case status or contact degree (code)
    unit: str
    hop: int  # 0 = the case asked for; negative = the chain that led to it
    pk: int


@dataclass
class GraphEdge:
    source: str
    target: str
    degree: str
    exposure: datetime.date | None


@dataclass
class ContactGraph:
    root: str
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)

    def node(self, node_id: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


_CASE_FIELDS = ("pk", "number", "status", "person__name", "external_name", "unit__name", "source_contact__case_id")
_CONTACT_FIELDS = (
    "pk",
    "case_id",
    "degree",
    "via_id",
    "person__name",
    "external_name",
    "unit__name",
    "became_case_id",
    "last_exposure_on",
)


def contact_graph(*, viewer, case: Case, hops: int = 2) -> ContactGraph:
    """The chains around a case: its contacts, the contacts that became cases and their contacts, for
    ``hops`` case generations downwards, and the cases it came from (``hops`` generations upwards).

    Set-based: per hop one query for the frontier's contacts and one for the cases they became, each
    through ``restrict``, so a chain never shows rows the viewer may not see. A contact who became a
    case is drawn as that case.
    """
    cases_qs = Case.objects.restrict(viewer, Action.VIEW)
    contacts_qs = Contact.objects.restrict(viewer, Action.VIEW)
    graph = ContactGraph(root=f"case-{case.pk}")
    case_rows: dict[int, dict] = {}
    hop_of: dict[int, int] = {case.pk: 0}

    first = cases_qs.filter(pk=case.pk).values(*_CASE_FIELDS).first()
    if first is None:
        return graph
    case_rows[case.pk] = first

    # Upwards: the case this one came from (through its source contact), and so on.
    parent_edges: list[tuple[int, int, dict]] = []
    current = first
    for level in range(1, hops + 1):
        parent_id = current["source_contact__case_id"]
        if parent_id is None or parent_id in case_rows:
            break
        parent = cases_qs.filter(pk=parent_id).values(*_CASE_FIELDS).first()
        if parent is None:
            break
        link = contacts_qs.filter(case_id=parent_id, became_case_id=current["pk"]).values(*_CONTACT_FIELDS).first()
        case_rows[parent_id] = parent
        hop_of[parent_id] = -level
        if link is not None:
            parent_edges.append((parent_id, current["pk"], link))
        current = parent

    # Downwards, one generation of cases per hop.
    frontier = [case.pk]
    contact_rows: list[dict] = []
    for level in range(1, hops + 1):
        if not frontier:
            break
        rows = list(contacts_qs.filter(case_id__in=frontier).values(*_CONTACT_FIELDS).order_by("case_id", "pk"))
        contact_rows.extend(rows)
        became = [r["became_case_id"] for r in rows if r["became_case_id"] and r["became_case_id"] not in case_rows]
        frontier = []
        if became:
            for row in cases_qs.filter(pk__in=became).values(*_CASE_FIELDS):
                case_rows[row["pk"]] = row
                hop_of[row["pk"]] = level
                frontier.append(row["pk"])

    status_label = dict(CaseStatus.choices)
    degree_label = dict(ContactDegree.choices)
    for pk, row in sorted(case_rows.items(), key=lambda item: (hop_of[item[0]], item[0])):
        graph.nodes.append(
            GraphNode(
                id=f"case-{pk}",
                kind="case",
                label=f"{row['number']} {row['person__name'] or row['external_name']}",
                detail=str(status_label.get(row["status"], row["status"])),
                status=row["status"],
                unit=row["unit__name"],
                hop=hop_of[pk],
                pk=pk,
            )
        )
    contact_node: dict[int, str] = {}
    for row in contact_rows:
        if row["became_case_id"] in case_rows:
            contact_node[row["pk"]] = f"case-{row['became_case_id']}"
            continue
        node_id = f"contact-{row['pk']}"
        contact_node[row["pk"]] = node_id
        graph.nodes.append(
            GraphNode(
                id=node_id,
                kind="contact",
                label=row["person__name"] or row["external_name"],
                detail=str(degree_label.get(row["degree"], row["degree"])),
                status=row["degree"],
                unit=row["unit__name"],
                hop=hop_of.get(row["case_id"], 0) + 1,
                pk=row["pk"],
            )
        )
    for row in contact_rows:
        # A secondary contact hangs from the close contact it came through, when that one is drawn.
        source = contact_node.get(row["via_id"]) if row["via_id"] else None
        graph.edges.append(
            GraphEdge(
                source=source or f"case-{row['case_id']}",
                target=contact_node[row["pk"]],
                degree=row["degree"],
                exposure=row["last_exposure_on"],
            )
        )
    for parent_id, child_id, link in parent_edges:
        graph.edges.append(
            GraphEdge(
                source=f"case-{parent_id}",
                target=f"case-{child_id}",
                degree=link["degree"],
                exposure=link["last_exposure_on"],
            )
        )
    return graph


# --- isolation and follow-ups -------------------------------------------------------------------


def isolation_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Isolation]:
    return Isolation.objects.restrict(viewer, action).select_related("person", "unit", "responsible", "case")


def isolation_filter(
    qs: QuerySet[Isolation], *, state: str = "", kind: str = "", unit: Unit | None = None
) -> QuerySet[Isolation]:
    today = timezone.localdate()
    if state == "active":
        qs = qs.filter(released_on__isnull=True)
    elif state == "released":
        qs = qs.filter(released_on__isnull=False)
    elif state == "overdue":
        qs = qs.filter(released_on__isnull=True, planned_end_on__lt=today)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


@dataclass
class SlotState:
    slot: int
    due: datetime.time
    followup: FollowUp | None
    missed: bool


@dataclass
class FollowUpRow:
    isolation: Isolation
    slots: list[SlotState]
    missed_earlier: list[Missed]

    @property
    def done(self) -> bool:
        return all(s.followup is not None for s in self.slots)


def followups_due(*, viewer, day: datetime.date | None = None, mine_only: bool = True) -> list[FollowUpRow]:
    """Each isolation the viewer follows up (or, ``mine_only=False``, every one they may see) that needs
    readings today, with today's slots (recorded or not) and the readings missed on earlier days."""
    now = timezone.localtime()
    day = day or now.date()
    qs = isolation_list(viewer=viewer).filter(pk__in=isolations_active_on(day).values("pk"))
    if mine_only:
        qs = qs.filter(responsible=viewer)
    isolations = list(qs.order_by("unit__path", "person__name"))
    per_day = GroupSettings.load().followups_per_day
    today_rows: dict[int, dict[int, FollowUp]] = defaultdict(dict)
    for f in FollowUp.objects.filter(isolation__in=isolations, date=day):
        today_rows[f.isolation_id][f.slot] = f
    missed = missed_slots(isolations, now=now)
    rows = []
    for iso in isolations:
        slots = [
            SlotState(
                slot=k,
                due=slot_due(k, per_day),
                followup=today_rows[iso.pk].get(k),
                missed=any(m.date == day and m.slot == k for m in missed.get(iso.pk, [])),
            )
            for k in range(1, per_day + 1)
        ]
        earlier = [m for m in missed.get(iso.pk, []) if m.date < day]
        rows.append(FollowUpRow(iso, slots, earlier))
    return rows


def isolation_followups(isolation: Isolation) -> list[tuple[datetime.date, list[FollowUp | None]]]:
    """Every day of the isolation so far with its readings by slot (None where missing), newest first."""
    per_day = GroupSettings.load().followups_per_day
    by_day: dict[datetime.date, dict[int, FollowUp]] = defaultdict(dict)
    for f in FollowUp.objects.filter(isolation=isolation).select_related("recorded_by"):
        by_day[f.date][f.slot] = f
    days = followup_days(isolation, timezone.localdate())
    return [(d, [by_day[d].get(k) for k in range(1, per_day + 1)]) for d in reversed(days)]


# --- care ---------------------------------------------------------------------------------------


def care_list(*, viewer, action: str = Action.VIEW) -> QuerySet[CareAssignment]:
    return CareAssignment.objects.restrict(viewer, action).select_related("person", "carer", "unit", "case")


def open_needs(*, viewer) -> QuerySet[CareContact]:
    """Needs not yet settled, oldest first: what the office and case managers must see to."""
    return (
        CareContact.objects.restrict(viewer, Action.VIEW)
        .filter(is_open=True)
        .select_related("assignment__person", "assignment__carer", "unit")
        .order_by("date", "pk")
    )


# --- cluster alerts -----------------------------------------------------------------------------


def alert_list(*, viewer, action: str = Action.VIEW) -> QuerySet[ClusterAlert]:
    return ClusterAlert.objects.restrict(viewer, action).select_related("unit", "handled_by")


# --- to-dos on the home page ------------------------------------------------------------------------


def followup_todos(user, day: datetime.date) -> list[Todo]:
    """The readings still to record today for the isolations the user follows up; urgent when one is
    already missed. The next one's due time is the to-do's deadline."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = followups_due(viewer=user, day=day)
    open_slots = [s for row in rows for s in row.slots if s.followup is None]
    if not open_slots:
        return []
    next_due = min(s.due for s in open_slots)
    return [
        Todo(
            key="cases.followups",
            title=ngettext(
                "%(count)d follow-up reading to record today",
                "%(count)d follow-up readings to record today",
                len(open_slots),
            )
            % {"count": len(open_slots)},
            url=reverse("cases:followups"),
            count=len(open_slots),
            due=timezone.make_aware(datetime.datetime.combine(day, next_due)),
            urgent=any(s.missed for s in open_slots) or any(row.missed_earlier for row in rows),
        )
    ]
