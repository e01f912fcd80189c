"""Reads of the sites app: plans, the rounds of a site's day with where each stands, the overview of
the sites in scope, the counts the unit report and the bulletin share, and the home page's to-dos."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.extensions import ContactEvidence, ContactQuery, Todo
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths, can, has_any, units_where
from lianfang.people.models import Person
from lianfang.sites.choices import Decision, DenyReason, Direction, RoundKind, RoundStatus, VisitStatus
from lianfang.sites.models import (
    VENTILATION_MINUTES,
    Checkpoint,
    Disinfectant,
    DisinfectionLog,
    DisinfectionPlan,
    DisinfectionSlot,
    Entry,
    Visitor,
)

SLOT = "sites.disinfectionslot"
VISITOR = "sites.visitor"


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def as_of(day: datetime.date, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment a day's figures are taken at: its end, or now while it lasts."""
    return min(now or timezone.now(), day_bounds(day)[1])


# --- the catalogue and plans ------------------------------------------------------------------------


def disinfectants(*, viewer, include_inactive: bool = False) -> QuerySet[Disinfectant]:
    """The catalogue, for whoever may see disinfection anywhere; nobody else."""
    if not has_any(viewer, "sites.disinfectant", Action.VIEW):
        return Disinfectant.objects.none()
    qs = Disinfectant.objects.all()
    return qs if include_inactive else qs.filter(is_active=True)


def plan_list(*, viewer, action: str = Action.VIEW) -> QuerySet[DisinfectionPlan]:
    return DisinfectionPlan.objects.restrict(viewer, action).select_related("site", "agent")


def plan_get(*, viewer, pk: int) -> DisinfectionPlan:
    plan = plan_list(viewer=viewer).filter(pk=pk).first()
    if plan is None:
        raise Http404(_("No such disinfection plan."))
    return plan


def plan_sites(*, viewer) -> QuerySet[Unit]:
    """The units a viewer may plan for: the choices of a plan's site."""
    return units_where(viewer, DisinfectionPlan, Action.ADD).filter(is_active=True).order_by("path")


def site_get(*, viewer, pk: int) -> Unit:
    """A unit whose disinfection the viewer may see (any unit can be a site); else 404."""
    site = Unit.objects.filter(pk=pk).select_related("kind").first()
    if site is None or not can(viewer, Action.VIEW, SLOT, site):
        raise Http404(_("No such site."))
    return site


# --- rounds and where they stand ----------------------------------------------------------------------


def finished_by(at: datetime.datetime) -> Exists:
    """The round has a log finished by ``at``."""
    return Exists(DisinfectionLog.objects.filter(slot=OuterRef("pk"), ended_at__isnull=False, ended_at__lte=at))


def status_of(slot: DisinfectionSlot, log: DisinfectionLog | None, now: datetime.datetime) -> str:
    if log is not None and log.ended_at is not None:
        return RoundStatus.DONE if log.ended_at <= slot.due_at else RoundStatus.LATE
    if slot.due_at < now:
        return RoundStatus.OVERDUE
    return RoundStatus.IN_PROGRESS if log is not None else RoundStatus.PENDING


@dataclass(frozen=True)
class RoundRow:
    """A round as a page shows it: its log (if any), where it stands, and how long it must last."""

    slot: DisinfectionSlot
    log: DisinfectionLog | None
    status: str
    minimum: int | None  # minutes, for the planned disinfectant or ventilation; None: chosen when logged

    @property
    def status_label(self) -> str:
        return str(RoundStatus(self.status).label)

    @property
    def is_open(self) -> bool:
        return self.status in (RoundStatus.PENDING, RoundStatus.IN_PROGRESS, RoundStatus.OVERDUE)


def _minimum(slot: DisinfectionSlot) -> int | None:
    if slot.kind == RoundKind.VENTILATION:
        return slot.min_minutes or VENTILATION_MINUTES
    return slot.agent.contact_minutes if slot.agent is not None else None


def rows_of(slots: Iterable[DisinfectionSlot], now: datetime.datetime | None = None) -> list[RoundRow]:
    now = now or timezone.now()
    rows = []
    for slot in slots:
        log = getattr(slot, "log", None)
        rows.append(RoundRow(slot, log, status_of(slot, log, now), _minimum(slot)))
    return rows


def _slots() -> QuerySet[DisinfectionSlot]:
    return DisinfectionSlot.objects.select_related("site", "agent", "case", "log", "log__agent").order_by(
        "due_at", "area", "pk"
    )


def site_day(*, site: Unit, day: datetime.date, now: datetime.datetime | None = None) -> list[RoundRow]:
    """The rounds of a site's day, and any terminal disinfection still open there (opened earlier)."""
    now = now or timezone.now()
    open_terminal = Q(kind=RoundKind.TERMINAL, day__lt=day) & ~Q(log__ended_at__isnull=False)
    slots = _slots().filter(site=site).filter(Q(day=day) | open_terminal)
    return rows_of(slots, now)


def slot_list(*, viewer, action: str = Action.VIEW) -> QuerySet[DisinfectionSlot]:
    return DisinfectionSlot.objects.restrict(viewer, action).select_related("site", "agent", "case", "log")


def slot_get(*, viewer, pk: int) -> DisinfectionSlot:
    slot = slot_list(viewer=viewer).filter(pk=pk).first()
    if slot is None:
        raise Http404(_("No such disinfection round."))
    return slot


def log_list(*, viewer, action: str = Action.VIEW) -> QuerySet[DisinfectionLog]:
    return DisinfectionLog.objects.restrict(viewer, action).select_related("slot", "site", "agent", "recorded_by")


def log_get(*, viewer, pk: int) -> DisinfectionLog:
    log = log_list(viewer=viewer).filter(pk=pk).first()
    if log is None:
        raise Http404(_("No such disinfection record."))
    return log


# --- counts: the unit report, the bulletin, the overview -----------------------------------------------


@dataclass(frozen=True)
class DayCounts:
    due: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return max(self.due - self.done - self.overdue, 0)

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.done / self.due, 1) if self.due else None


def count_day(slots: QuerySet[DisinfectionSlot], day: datetime.date, now: datetime.datetime | None = None) -> DayCounts:
    """Rounds due on ``day``, finished by its end (now, for today), and past their deadline unfinished
    by then. Three counts in one query."""
    at = as_of(day, now)
    finished = finished_by(at)
    row = (
        slots.filter(day=day)
        .annotate(finished=finished)
        .aggregate(
            due=Count("pk"),
            done=Count("pk", filter=Q(finished=True)),
            overdue=Count("pk", filter=Q(finished=False, due_at__lt=at)),
        )
    )
    return DayCounts(row["due"] or 0, row["done"] or 0, row["overdue"] or 0)


def terminal_open_q(at: datetime.datetime) -> Q:
    """Terminal disinfections opened by ``at`` and not finished by then."""
    return Q(kind=RoundKind.TERMINAL, created__lte=at) & ~Q(
        pk__in=DisinfectionLog.objects.filter(ended_at__isnull=False, ended_at__lte=at).values("slot_id")
    )


@dataclass(frozen=True)
class SiteRow:
    site: Unit
    counts: DayCounts
    terminal: int


def overview(*, viewer, day: datetime.date, now: datetime.datetime | None = None) -> list[SiteRow]:
    """The sites in scope with rounds that day (or an open terminal disinfection): how many are due,
    done and overdue; overdue first, then by the tree. One grouped query."""
    at = as_of(day, now)
    slots = DisinfectionSlot.objects.restrict(viewer, Action.VIEW)
    per_site = (
        slots.filter(day=day)
        .annotate(finished=finished_by(at))
        .values("site_id")
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(finished=True)),
            overdue=Count("pk", filter=Q(finished=False, due_at__lt=at)),
        )
        .order_by()
    )
    counts = {r["site_id"]: DayCounts(r["due"], r["done"], r["overdue"]) for r in per_site}
    terminal = dict(
        slots.filter(terminal_open_q(at)).values("site_id").annotate(n=Count("pk")).values_list("site_id", "n")
    )
    sites = Unit.objects.filter(pk__in=set(counts) | set(terminal)).select_related("kind")
    rows = [SiteRow(s, counts.get(s.pk, DayCounts()), terminal.get(s.pk, 0)) for s in sites]
    rows.sort(key=lambda r: (-(r.counts.overdue + r.terminal), r.site.path))
    return rows


def terminal_open_list(*, viewer, now: datetime.datetime | None = None) -> list[RoundRow]:
    at = now or timezone.now()
    slots = _slots().filter(pk__in=DisinfectionSlot.objects.restrict(viewer, Action.VIEW).values("pk"))
    return rows_of(slots.filter(terminal_open_q(at)), at)


def sheet_rows(*, site: Unit, day: datetime.date, now: datetime.datetime | None = None) -> list[RoundRow]:
    """The rounds due at a site on ``day``, for its record sheet (消毒记录表)."""
    return rows_of(_slots().filter(site=site, day=day), now)


# --- home-page to-dos -----------------------------------------------------------------------------------


def _work_scope(user) -> Q | None:
    """The units whose rounds are the user's work: where they may log rounds, by a role held below the
    group itself (the office follows the figures on the dashboard, not a to-do per round)."""
    paths = [p for p in allowed_paths(user, "sites.disinfectionlog", Action.ADD) if len(p) > Unit.steplen]
    if not paths:
        return None
    condition = Q()
    for path in paths:
        condition |= Q(site__path__startswith=path)
    return condition


def todos_for(user, day: datetime.date) -> list[Todo]:
    """Terminal disinfections to do, today's overdue rounds, and the rounds still to do today."""
    if not getattr(user, "is_authenticated", False):
        return []
    scope = _work_scope(user)
    if scope is None:
        return []
    now = timezone.now()
    slots = DisinfectionSlot.objects.filter(scope)
    found: list[Todo] = []

    terminal = list(slots.filter(terminal_open_q(now)).select_related("site").order_by("due_at"))
    if terminal:
        first = terminal[0]
        if len(terminal) == 1:
            title = _("Terminal disinfection at %(site)s") % {"site": first.site.name}
        else:
            title = ngettext(
                "%(count)d terminal disinfection to do",
                "%(count)d terminal disinfections to do",
                len(terminal),
            ) % {"count": len(terminal)}
        late = first.due_at < now  # the home page shows the time only: say the day it was due by
        found.append(
            Todo(
                key="sites.terminal",
                title=title,
                url=_site_url(first.site_id, first.day),
                count=len(terminal),
                due=first.due_at,
                urgent=True,
                detail=_("overdue since %(at)s") % {"at": f"{timezone.localtime(first.due_at):%m-%d %H:%M}"}
                if late
                else "",
            )
        )

    unfinished = slots.filter(day=day).exclude(kind=RoundKind.TERMINAL).annotate(finished=finished_by(now))
    overdue = list(unfinished.filter(finished=False, due_at__lt=now).values_list("site_id", "due_at"))
    if overdue:
        site_ids = {sid for sid, _due in overdue}
        found.append(
            Todo(
                key="sites.overdue",
                title=ngettext(
                    "%(count)d disinfection round overdue",
                    "%(count)d disinfection rounds overdue",
                    len(overdue),
                )
                % {"count": len(overdue)},
                url=_site_url(next(iter(site_ids)), day) if len(site_ids) == 1 else reverse("sites:disinfection"),
                count=len(overdue),
                due=min(due for _sid, due in overdue),
                urgent=True,
                detail=ngettext("at %(sites)d site", "at %(sites)d sites", len(site_ids)) % {"sites": len(site_ids)},
            )
        )
    coming = list(unfinished.filter(finished=False, due_at__gte=now).values_list("site_id", "due_at"))
    if coming:
        site_ids = {sid for sid, _due in coming}
        nxt = min(due for _sid, due in coming)
        found.append(
            Todo(
                key="sites.rounds",
                title=ngettext(
                    "%(count)d disinfection round still to do today",
                    "%(count)d disinfection rounds still to do today",
                    len(coming),
                )
                % {"count": len(coming)},
                url=_site_url(next(iter(site_ids)), day) if len(site_ids) == 1 else reverse("sites:disinfection"),
                count=len(coming),
                due=nxt,  # the home page shows it: the next one is due by then
            )
        )
    return found


def _site_url(site_id: int, day: datetime.date) -> str:
    return f"{reverse('sites:site-day', args=[site_id])}?date={day:%Y-%m-%d}"


# --- checkpoints and entries ------------------------------------------------------------------------


def checkpoint_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.restrict(viewer, action).select_related("site")


def checkpoint_get(*, viewer, pk: int, action: str = Action.VIEW) -> Checkpoint:
    """A checkpoint the viewer may see (404 otherwise, whether it exists or not)."""
    checkpoint = checkpoint_list(viewer=viewer, action=action).filter(pk=pk).first()
    if checkpoint is None:
        raise Http404
    return checkpoint


def checkpoint_sites(*, viewer) -> QuerySet[Unit]:
    """Where the viewer may set up a checkpoint."""
    return units_where(viewer, Checkpoint, Action.ADD).filter(is_active=True).order_by("path")


@dataclass
class GateCounts:
    """A checkpoint's (or a unit's) passages in a day: allowed in, allowed out, denied."""

    came_in: int = 0
    went_out: int = 0
    denied: int = 0

    @property
    def total(self) -> int:
        return self.came_in + self.went_out + self.denied


def gate_counts(entries: QuerySet[Entry], day: datetime.date) -> dict[int, GateCounts]:
    """Counts per checkpoint for the day (one query)."""
    start, end = day_bounds(day)
    rows = (
        entries.filter(at__gte=start, at__lt=end)
        .values("checkpoint_id")
        .annotate(
            came_in=Count("pk", filter=Q(decision=Decision.ALLOW, direction=Direction.IN)),
            went_out=Count("pk", filter=Q(decision=Decision.ALLOW, direction=Direction.OUT)),
            denied=Count("pk", filter=Q(decision=Decision.DENY)),
        )
        .order_by()
    )
    return {r["checkpoint_id"]: GateCounts(r["came_in"], r["went_out"], r["denied"]) for r in rows}


def denials_by_reason(entries: QuerySet[Entry], day: datetime.date) -> list[tuple[str, str, int]]:
    """(code, label, count) of the day's denials, most frequent first."""
    start, end = day_bounds(day)
    rows = (
        entries.filter(at__gte=start, at__lt=end, decision=Decision.DENY)
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")
    )
    return [(r["reason"], str(DenyReason(r["reason"]).label), r["n"]) for r in rows if r["reason"] in DenyReason.values]


def entry_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Entry]:
    return Entry.objects.restrict(viewer, action).select_related("checkpoint", "site", "person__unit", "visitor")


def own_entries(*, person) -> QuerySet[Entry]:
    """A person's own passages (My data)."""
    return Entry.objects.filter(person=person).select_related("checkpoint", "site").order_by("-at")


def entry_contacts(query: ContactQuery) -> Iterator[ContactEvidence]:
    """The checkpoints' source of contact suggestions: people let in at a site on a day the case was
    there — a site of the case's own check-in that day, or one where the case itself passed a gate."""
    if not query.places:
        return
    first, last = min(query.places), max(query.places)
    sites: dict[datetime.date, set[int]] = {day: set(units) for day, units in query.places.items()}
    if query.case_person_id:
        own = Entry.objects.filter(
            person_id=query.case_person_id,
            decision=Decision.ALLOW,
            at__gte=day_bounds(first)[0],
            at__lt=day_bounds(last)[1],
        ).values_list("at", "site_id")
        for at, site_id in own:
            sites.setdefault(timezone.localdate(at), set()).add(site_id)
    same_place = Q(pk__in=[])
    for day, site_ids in sites.items():
        if site_ids:
            start, end = day_bounds(day)
            same_place |= Q(site_id__in=sorted(site_ids), at__gte=start, at__lt=end)
    found: dict[int, set[datetime.date]] = {}
    rows = Entry.objects.filter(same_place, decision=Decision.ALLOW, person__in=query.candidates).values_list(
        "person_id", "at"
    )
    for person_id, at in rows:
        found.setdefault(person_id, set()).add(timezone.localdate(at))
    for person_id, days in found.items():
        yield ContactEvidence(person_id=person_id, days=frozenset(days), how="gate")


# --- visitors -------------------------------------------------------------------------------------------


def organisation_of(unit: Unit) -> Unit:
    """The organisation a unit belongs to: its subsidiary (the unit just under the group), or the group
    for a unit of the group's own. (The gate's ``company_of`` answers the same for a checkpoint's site.)"""
    depth = min(unit.depth, 2)
    if depth == unit.depth:
        return unit
    return Unit.objects.get(path=unit.path[: depth * Unit.steplen])


def visitor_sites() -> QuerySet[Unit]:
    """Sites where visitors may come in: those with an active checkpoint that lets visitors in."""
    site_ids = Checkpoint.objects.filter(is_active=True, visitors_allowed=True).values("site_id")
    return Unit.objects.filter(pk__in=site_ids, is_active=True)


def own_person(*, viewer) -> Person | None:
    if not getattr(viewer, "is_authenticated", False):
        return None
    return Person.objects.filter(user=viewer, employment_status="active").select_related("unit").first()


def register_sites(*, viewer) -> QuerySet[Unit]:
    """Where the viewer may register a visitor: the sites of their own organisation (as a host), and
    the sites where they are staff or liaison; only sites with a gate that lets visitors in."""
    condition = Q(pk__in=units_where(viewer, Visitor, Action.ADD).values("pk"))
    person = own_person(viewer=viewer)
    if person is not None:
        condition |= Q(path__startswith=organisation_of(person.unit).path)
    return visitor_sites().filter(condition).order_by("path")


def came_in() -> Exists:
    """The visit has an allowed entry in (the gate let it in), whether or not its status says so yet."""
    return Exists(Entry.objects.filter(visitor=OuterRef("pk"), decision=Decision.ALLOW, direction=Direction.IN))


def my_visits(*, viewer, since: datetime.date) -> QuerySet[Visitor]:
    """The visits the viewer hosts or registered, from ``since`` on (latest first)."""
    if not getattr(viewer, "is_authenticated", False):
        return Visitor.objects.none()
    return (
        Visitor.objects.filter(Q(host__user=viewer) | Q(created_by=viewer), day__gte=since)
        .select_related("site", "host")
        .annotate(came_in=came_in())
        .order_by("-day", "-pk")
    )


def visitor_site_get(*, viewer, pk: int) -> Unit:
    """A site whose visitors the viewer may see (staff, liaison, office); else 404."""
    site = Unit.objects.filter(pk=pk).first()
    if site is None or not can(viewer, Action.VIEW, VISITOR, site):
        raise Http404(_("No such site."))
    return site


def site_visits(*, viewer, site: Unit, day: datetime.date) -> QuerySet[Visitor]:
    """The site's visits of the day, for its staff and liaison."""
    return (
        Visitor.objects.restrict(viewer, Action.VIEW)
        .filter(site=site, day=day)
        .select_related("host")
        .annotate(came_in=came_in())
        .order_by("name", "pk")
    )


def visit_get(*, viewer, pk: int, action: str = Action.VIEW) -> Visitor:
    """A visit the viewer may see: theirs as host, or one of a site in their scope; else 404."""
    visit = (
        Visitor.objects.restrict(viewer, action).filter(pk=pk).select_related("site", "host").first()
        or my_visits(viewer=viewer, since=datetime.date.min).filter(pk=pk).first()
    )
    if visit is None:
        raise Http404(_("No such visit."))
    return visit


def visit_by_slug(slug: str) -> Visitor:
    """The visit a visitor's link names (public: the link is the visitor's key); else 404."""
    visit = Visitor.objects.filter(slug=slug).select_related("site", "host").first()
    if visit is None:
        raise Http404(_("No such visit."))
    return visit


def visitor_checkpoints(*, site: Unit) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(site=site, is_active=True, visitors_allowed=True).order_by("name")


def walk_in_checkpoint_get(*, viewer, pk: int) -> Checkpoint:
    """A checkpoint where the viewer may see visitors (to register a walk-in); else 404."""
    checkpoint = Checkpoint.objects.filter(pk=pk).select_related("site").first()
    if checkpoint is None or not can(viewer, Action.VIEW, VISITOR, checkpoint.site):
        raise Http404(_("No such checkpoint."))
    return checkpoint


@dataclass
class VisitorSiteRow:
    site: Unit
    expected: int
    came_in: int


def visitor_site_counts(*, viewer, day: datetime.date) -> list[VisitorSiteRow]:
    """The sites taking visitors where the viewer sees visitors, with the day's visits expected (not
    cancelled) and come in: the staff's way to each site's list."""
    if not has_any(viewer, VISITOR, Action.VIEW):
        return []
    sites = list(visitor_sites().filter(pk__in=units_where(viewer, Visitor, Action.VIEW).values("pk")).order_by("path"))
    counts: dict[int, tuple[int, int]] = {
        r["site_id"]: (r["expected"], r["came_in"])
        for r in Visitor.objects.filter(site__in=sites, day=day)
        .exclude(status=VisitStatus.CANCELLED)
        .values("site_id")
        .annotate(expected=Count("pk"), came_in=Count("pk", filter=Q(status=VisitStatus.ENTERED)))
        .order_by()
    }
    return [VisitorSiteRow(site, *counts.get(site.pk, (0, 0))) for site in sites]
