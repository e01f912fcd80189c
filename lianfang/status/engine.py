"""The personal health status engine (健康码式: green / yellow / red).

How a status is decided
-----------------------

The group office keeps an ordered list of rules (:class:`~lianfang.status.models.StatusRule`). Each
rule names a *fact* from :data:`FACTS` (``{"fact": "fever", "within_days": 3}``), a colour, a reason
and ``hold_days``. For each person the first active rule whose fact holds wins; nobody matched is
green, "无异常". A fact gives, per person, the last day it holds (``end``; ``None`` when it holds
with no end in sight, an active case for instance). A rule holds while ``end + hold_days >= today``,
and the status shows ``until = end + hold_days`` ("红: 集中隔离中, 至 11月27日").

Facts are computed in bulk: each is a handful of set-based queries over everyone asked about (or
over everyone at once, for the nightly run), never a query per person. The nightly recompute of
100,000 people takes a few seconds on PostgreSQL (bench/bench_status.py).

Writes
------

:func:`recompute` compares what the rules give with each person's current
:class:`~lianfang.status.models.PersonStatus` and writes only differences: new rows and changed rows
in bulk, and a :class:`~lianfang.status.models.StatusChange` history row whenever the colour, the
reason or the end date changed. Facts are read without locks; the write phase takes one lock (a
PostgreSQL advisory lock; SQLite has a single writer anyway) and skips people whose row was written
by a computation that started later (``PersonStatus.computed`` is the moment the facts were read),
so two recomputes racing never leave the older answer in place.

Triggers
--------

* check-ins: :func:`after_checkin`, called by the check-in service, decides with in-memory data
  (no query) whether the check-in can change a fact, and recomputes that person after the commit;
* trips, risk areas, rules and the case records (cases, contacts, isolation, follow-ups) call
  :func:`recompute_on_commit` (or :func:`recompute` on commit, as the cases services do);
* a nightly periodic task (``health/tasks.py``) recomputes everyone, so statuses whose end date has
  passed turn back, and anything missed is caught within a day.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lianfang.cases.models import Isolation
from lianfang.core.bulk import fast_insert, fast_update
from lianfang.core.jobs import defer
from lianfang.health.models import CheckIn, Trip
from lianfang.health.risk_index import RiskIndex
from lianfang.health.selectors import people_in_area
from lianfang.org.models import GroupSettings
from lianfang.status.choices import Colour, StatusCause
from lianfang.status.models import PersonStatus, StatusChange, StatusRule

logger = logging.getLogger(__name__)

GREEN_REASON = "无异常"
GREEN_REASON_EN = "No concerns"
# Longest look-back a rule may ask for (within_days, hold_days): the validation refuses more.
MAX_DAYS = 90
# People per computation when a set is recomputed (the IN lists stay well under SQLite's limits).
CHUNK = 2000
# Above this many people an event's recompute goes to the job queue instead of the request.
INLINE_LIMIT = 200
# An arbitrary constant: the key of the advisory lock that serialises the write phase.
_LOCK_KEY = 0x4C46_5354  # "LFST"

ACTIVE_CASE_STATUSES = ("suspected", "confirmed", "asymptomatic")

# {person id: last day the fact holds (None: no end)}
Hits = dict[int, datetime.date | None]


# --- facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    """What every fact is computed against: the day, the settings, and whom (None: everyone)."""

    today: datetime.date
    settings: GroupSettings
    person_ids: Sequence[int] | None


@dataclass(frozen=True)
class Fact:
    """One fact rules can name. ``takes_days``: the condition may give ``within_days`` (how far
    back an event counts, or how long an observation lasts); ``default_days`` when it does not."""

    key: str
    label: Promise
    help: Promise
    takes_days: bool
    default_days: Callable[[GroupSettings], int] | None
    compute: Callable[[Ctx, int, datetime.date], Hits]

    def days(self, condition: dict[str, Any], settings: GroupSettings) -> int:
        if not self.takes_days:
            return 0
        value = condition.get("within_days")
        if value is None and self.default_days is not None:
            return self.default_days(settings)
        return int(value or 0)


FACTS: dict[str, Fact] = {}


def _fact(
    key: str,
    label: Promise,
    help_text: Promise,
    *,
    takes_days: bool = False,
    default_days: Callable[[GroupSettings], int] | None = None,
):
    def register(fn: Callable[[Ctx, int, datetime.date], Hits]):
        FACTS[key] = Fact(key, label, help_text, takes_days, default_days, fn)
        return fn

    return register


def _for(qs, field: str, ctx: Ctx):
    return qs if ctx.person_ids is None else qs.filter(**{f"{field}__in": ctx.person_ids})


def _later(hits: Hits, pid: int, end: datetime.date | None) -> None:
    """Keep the later end (None, no end, beats any date)."""
    if pid in hits:
        current = hits[pid]
        if current is None or (end is not None and end <= current):
            return
    hits[pid] = end


_DAY = datetime.timedelta(days=1)


@_fact(
    "case_active",
    _("Is a case"),
    _("A suspected or confirmed case, or an asymptomatic infection, not yet excluded or recovered."),
)
def _case_active(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    from lianfang.cases.models import Case

    hits: Hits = {}
    cases = _for(Case.objects.filter(person__isnull=False), "person_id", ctx)
    for pid in cases.filter(status__in=ACTIVE_CASE_STATUSES).values_list("person_id", flat=True):
        hits[pid] = None
    if since < ctx.today:  # the rule holds on for a while after the case was closed
        closed = cases.filter(Q(excluded_on__gte=since + _DAY) | Q(recovered_on__gte=since + _DAY)).exclude(
            status__in=ACTIVE_CASE_STATUSES
        )
        for pid, excluded, recovered in closed.values_list("person_id", "excluded_on", "recovered_on"):
            closed_on = max(d for d in (excluded, recovered) if d is not None)
            _later(hits, pid, closed_on - _DAY)
    return hits


@_fact(
    "isolated",
    _("In isolation"),
    _("An isolation order that has started and is not released; it holds until its planned end."),
)
def _isolated(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    from lianfang.cases.models import Isolation

    today = ctx.today
    hits: Hits = {}
    orders = _for(Isolation.objects.filter(start_on__lte=today), "person_id", ctx).filter(
        Q(released_on__isnull=True) | Q(released_on__gt=since)
    )
    for pid, planned, released in orders.values_list("person_id", "planned_end_on", "released_on"):
        # Not released (even if overdue): isolated today at least. Released: until the day before.
        _later(hits, pid, max(planned, today) if released is None or released > today else released - _DAY)
    return hits


@_fact(
    "home_monitoring",
    _("Home health monitoring"),
    _("Released from isolation and still within the home health monitoring that follows it."),
)
def _home_monitoring(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    from lianfang.cases.models import Isolation

    hits: Hits = {}
    orders = _for(Isolation.objects.filter(released_on__lte=ctx.today, monitoring_end_on__gte=since), "person_id", ctx)
    for pid, end in orders.values_list("person_id", "monitoring_end_on"):
        _later(hits, pid, end)
    return hits


@_fact(
    "contact_observation",
    _("Close contact under observation"),
    _(
        "A contact of a case within the observation period after the last exposure (within_days, 14 if not "
        "given) who has not been isolated since: the follow-up is unfinished."
    ),
    takes_days=True,
    default_days=lambda settings: 14,
)
def _contact_observation(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    from lianfang.cases.models import Contact, Isolation

    contacts = list(
        _for(Contact.objects.filter(person__isnull=False, became_case__isnull=True), "person_id", ctx)
        .filter(last_exposure_on__gte=since - datetime.timedelta(days=days), last_exposure_on__lte=ctx.today)
        .values_list("pk", "person_id", "last_exposure_on")
    )
    if not contacts:
        return {}
    isolations: dict[int, list[tuple[int | None, datetime.date]]] = {}
    for pid, contact_id, start in Isolation.objects.filter(person_id__in={c[1] for c in contacts}).values_list(
        "person_id", "contact_id", "start_on"
    ):
        isolations.setdefault(pid, []).append((contact_id, start))
    hits: Hits = {}
    for contact_id, pid, exposed in contacts:
        # Isolated for this contact, or since the exposure: the isolation rules speak for them.
        if any(c == contact_id or start >= exposed for c, start in isolations.get(pid, ())):
            continue
        _later(hits, pid, exposed + datetime.timedelta(days=days))
    return hits


def _last_event_days(rows: Iterable[tuple[int, datetime.date]], days: int) -> Hits:
    hits: Hits = {}
    offset = datetime.timedelta(days=days)
    for pid, last in rows:
        _later(hits, pid, last + offset)
    return hits


@_fact(
    "fever",
    _("Fever"),
    _(
        "A check-in with fever, or a follow-up reading at or above the fever threshold, within the last "
        "within_days days (3 if not given)."
    ),
    takes_days=True,
    default_days=lambda settings: 3,
)
def _fever(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    from lianfang.cases.models import FollowUp

    start = since - datetime.timedelta(days=days)
    checkins = (
        _for(CheckIn.objects.filter(is_fever=True, date__gte=start, date__lte=ctx.today), "person_id", ctx)
        .order_by()
        .values("person_id")
        .annotate(last=Max("date"))
        .values_list("person_id", "last")
    )
    readings = (
        _for(
            FollowUp.objects.filter(
                date__gte=start, date__lte=ctx.today, temperature__gte=ctx.settings.fever_threshold
            ),
            "isolation__person_id",
            ctx,
        )
        .order_by()
        .values("isolation__person_id")
        .annotate(last=Max("date"))
        .values_list("isolation__person_id", "last")
    )
    return _last_event_days([*checkins, *readings], days)


@_fact(
    "flagged_answer",
    _("Flagged check-in"),
    _(
        "A check-in flagged for its answers or symptoms (as the liaison is told) within the last within_days "
        "days (1 if not given)."
    ),
    takes_days=True,
    default_days=lambda settings: 1,
)
def _flagged(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    start = since - datetime.timedelta(days=days)
    rows = (
        _for(CheckIn.objects.filter(is_flagged=True, date__gte=start, date__lte=ctx.today), "person_id", ctx)
        .order_by()
        .values("person_id")
        .annotate(last=Max("date"))
        .values_list("person_id", "last")
    )
    return _last_event_days(rows, days)


# --- risk areas in force on a date -----------------------------------------------------------------


@_fact(
    "risk_travel",
    _("Risk-area travel"),
    _(
        "A trip, or a check-in location, in a risk area in force on that day, within the last within_days days "
        "(the group's look-back window if not given)."
    ),
    takes_days=True,
    default_days=lambda settings: settings.lookback_days,
)
def _risk_travel(ctx: Ctx, days: int, since: datetime.date) -> Hits:
    start = since - datetime.timedelta(days=days)
    today = ctx.today
    index = RiskIndex.load(first=start, last=today)
    if not index.by_code:
        return {}
    annotations, condition = index.place_filter("location_code")
    hits: Hits = {}
    offset = datetime.timedelta(days=days)
    checkins = (
        _for(CheckIn.objects.filter(date__gte=start, date__lte=today).exclude(location_code=""), "person_id", ctx)
        .order_by()
        .annotate(**annotations)
        .filter(condition)
        .values_list("person_id", "location_code", "date")
    )
    for pid, place, day in checkins.iterator(chunk_size=10000):
        if index.covers(place, day):
            _later(hits, pid, day + offset)
    annotations, condition = index.place_filter("place_code")
    trips = (
        _for(Trip.objects.filter(date_to__gte=start, date_from__lte=today).exclude(place_code=""), "person_id", ctx)
        .order_by()
        .annotate(**annotations)
        .filter(condition)
        .values_list("person_id", "place_code", "date_from", "date_to")
    )
    for pid, place, first, last in trips:
        day = index.last_day_in(place, max(first, start), min(last, today))
        if day is not None:
            _later(hits, pid, day + offset)
    return hits


# --- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    colour: str
    reason: str
    reason_en: str
    until: datetime.date | None
    rule_id: int | None


GREEN = Outcome(Colour.GREEN, GREEN_REASON, GREEN_REASON_EN, None, None)


def active_rules() -> list[StatusRule]:
    return list(StatusRule.objects.filter(is_active=True).order_by("sort", "pk"))


def evaluate(
    *,
    person_ids: Sequence[int] | None,
    today: datetime.date | None = None,
    rules: Sequence[StatusRule] | None = None,
    settings: GroupSettings | None = None,
) -> dict[int, Outcome]:
    """What the rules give for these people (``None``: everyone), by person id. Only people for
    whom a rule holds are in the answer; everyone else is :data:`GREEN`."""
    ctx = Ctx(today or timezone.localdate(), settings or GroupSettings.load(), person_ids)
    rules = active_rules() if rules is None else rules
    computed: dict[tuple[str, int, datetime.date], Hits] = {}
    outcomes: dict[int, Outcome] = {}
    for rule in rules:
        condition = rule.condition if isinstance(rule.condition, dict) else {}
        fact = FACTS.get(str(condition.get("fact")))
        if fact is None:  # refused on save; a row edited by hand is skipped rather than fatal
            logger.warning("Status rule %s names an unknown fact %r; skipped", rule.pk, condition.get("fact"))
            continue
        days = fact.days(condition, ctx.settings)
        since = ctx.today - datetime.timedelta(days=rule.hold_days)
        key = (fact.key, days, since)
        if key not in computed:
            computed[key] = fact.compute(ctx, days, since)
        hold = datetime.timedelta(days=rule.hold_days)
        for pid, end in computed[key].items():
            if pid in outcomes:
                continue  # an earlier rule won
            if end is not None and end + hold < ctx.today:
                continue
            until = None if end is None else end + hold
            outcomes[pid] = Outcome(rule.colour, rule.reason, rule.reason_en, until, rule.pk)
    return outcomes


# --- writing --------------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _people(person_ids: Sequence[int] | None) -> dict[int, int]:
    """Person id → unit id of everyone whose status is kept (everyone on the roster)."""
    from lianfang.people.models import Person

    qs = Person.objects.order_by()
    if person_ids is not None:
        qs = qs.filter(pk__in=person_ids)
    return dict(qs.values_list("pk", "unit_id"))


_STATUS_FIELDS = ("unit_id", "colour", "reason", "reason_en", "until", "rule_id", "since", "computed")


def _write(
    *,
    people: dict[int, int],
    outcomes: dict[int, Outcome],
    person_ids: Sequence[int] | None,
    started: datetime.datetime,
    cause: str,
) -> int:
    now = timezone.now()
    current_qs = PersonStatus.objects.order_by()
    if person_ids is not None:
        current_qs = current_qs.filter(person_id__in=person_ids)
    current = {row[1]: row for row in current_qs.values_list("pk", "person_id", *_STATUS_FIELDS)}
    creates: list[PersonStatus] = []
    updates: list[PersonStatus] = []
    changes: list[StatusChange] = []
    for pid, unit_id in people.items():
        out = outcomes.get(pid, GREEN)
        row = current.get(pid)
        if row is None:
            creates.append(
                PersonStatus(
                    person_id=pid,
                    unit_id=unit_id,
                    colour=out.colour,
                    reason=out.reason,
                    reason_en=out.reason_en,
                    until=out.until,
                    rule_id=out.rule_id,
                    since=now,
                    computed=started,
                )
            )
            before = GREEN  # no row yet reads as green: only a non-green start is history
        else:
            pk, _pid, old_unit, colour, reason, reason_en, until, rule_id, since, computed = row
            if computed is not None and computed > started:
                continue  # a computation that read the facts later has written already
            before = Outcome(colour, reason, reason_en, until, rule_id)
            changed = (before.colour, before.reason, before.until) != (out.colour, out.reason, out.until)
            if not changed and old_unit == unit_id and rule_id == out.rule_id and reason_en == out.reason_en:
                continue
            updates.append(
                PersonStatus(
                    pk=pk,
                    person_id=pid,
                    unit_id=unit_id,
                    colour=out.colour,
                    reason=out.reason,
                    reason_en=out.reason_en,
                    until=out.until,
                    rule_id=out.rule_id,
                    since=now if changed else since,
                    computed=started,
                )
            )
        if (before.colour, before.reason, before.until) != (out.colour, out.reason, out.until):
            changes.append(
                StatusChange(
                    person_id=pid,
                    unit_id=unit_id,
                    colour_before=before.colour if row is not None else "",
                    colour=out.colour,
                    reason=out.reason,
                    reason_en=out.reason_en,
                    until=out.until,
                    rule_id=out.rule_id,
                    cause=cause,
                    changed=now,
                )
            )
    fast_insert(PersonStatus, creates)
    fast_update(PersonStatus, updates, list(_STATUS_FIELDS))
    fast_insert(StatusChange, changes)
    # Unchanged rows: mark them as computed now, so an older computation still running cannot
    # overwrite them afterwards (one UPDATE, not one per person).
    stale = PersonStatus.objects.filter(computed__lt=started)
    if person_ids is not None:
        stale = stale.filter(person_id__in=person_ids)
    stale.update(computed=started)
    return len(changes)


def _recompute_chunk(person_ids: Sequence[int] | None, cause: str, today: datetime.date | None) -> int:
    started = timezone.now()
    settings = GroupSettings.load()
    people = _people(person_ids)
    outcomes = evaluate(person_ids=person_ids, today=today, settings=settings)
    with transaction.atomic():
        _lock()
        changed = _write(people=people, outcomes=outcomes, person_ids=person_ids, started=started, cause=cause)
    if changed:
        invalidate_hot()
    return changed


def recompute(person_ids: Iterable[int], *, cause: str = StatusCause.EVENT, today: datetime.date | None = None) -> int:
    """Recompute the status of these people now; answer how many changed. Called on commit by the
    services whose records are facts of the rules (cases, contacts, isolation, follow-ups, trips,
    check-ins, risk areas) and nightly for everyone."""
    ids = sorted({int(pid) for pid in person_ids if pid is not None})
    changed = 0
    for start in range(0, len(ids), CHUNK):
        changed += _recompute_chunk(ids[start : start + CHUNK], cause, today)
    return changed


def recompute_all(*, cause: str = StatusCause.NIGHTLY, today: datetime.date | None = None) -> int:
    """Recompute everyone's status (nightly, after the rules change, or by hand); idempotent: a run
    over unchanged facts writes no history. Answers how many statuses changed."""
    return _recompute_chunk(None, cause, today)


def recompute_on_commit(person_ids: Iterable[int], *, cause: str = StatusCause.EVENT) -> None:
    """Recompute these people once the surrounding transaction commits: at once for a few people,
    through the job queue for many (a risk area covering a city)."""
    ids = sorted({int(pid) for pid in person_ids if pid is not None})
    if not ids:
        return
    if len(ids) <= INLINE_LIMIT:
        transaction.on_commit(lambda: recompute(ids, cause=cause))
        return
    defer("lianfang.status.tasks.recompute_people", ids, cause=cause)


def recompute_all_on_commit(*, cause: str = StatusCause.RULES) -> None:
    """Recompute everyone in the background once the surrounding transaction commits."""
    defer("lianfang.status.tasks.recompute_everyone", cause=cause)


# --- the check-in hook ----------------------------------------------------------------------------
#
# The check-in service calls after_checkin() on every check-in (≥ 500 a second): the decision must
# cost no query. It uses a per-process copy of the risk areas and of who is not green, at most
# HOT_SECONDS old (reloaded after a commit, never inside the check-in's transaction). When the copy
# is missing or stale, the decision itself waits until after the commit.

HOT_SECONDS = 5.0


@dataclass(frozen=True)
class _Hot:
    risk: RiskIndex
    not_green: frozenset[int]
    loaded: float
    day: datetime.date
    # Not green, or under an isolation order in force: the only people a check-in guard may stop.
    restricted: frozenset[int] = frozenset()


_hot_lock = threading.Lock()
_hot: _Hot | None = None


def _load_hot() -> _Hot:
    today = timezone.localdate()
    risk = RiskIndex.load(first=today - datetime.timedelta(days=MAX_DAYS), last=today)
    not_green = frozenset(PersonStatus.objects.exclude(colour=Colour.GREEN).values_list("person_id", flat=True))
    isolated = frozenset(
        Isolation.objects.filter(start_on__lte=today)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=today))
        .values_list("person_id", flat=True)
    )
    return _Hot(risk=risk, not_green=not_green, loaded=time.monotonic(), day=today, restricted=not_green | isolated)


def restricted_on(day: datetime.date) -> frozenset[int] | None:
    """The people a check-in guard may stop on ``day`` (not green, or isolated), from this process's
    copy when it is fresh (at most HOT_SECONDS old; a status written here clears it at once); None
    when there is no fresh copy for that day and the caller must ask the database."""
    hot = _fresh_hot()
    if hot is None or hot.day != day:
        return None
    return hot.restricted


def _fresh_hot() -> _Hot | None:
    from lianfang.health import cache as config_cache

    hot = _hot
    if hot is None or not config_cache.enabled() or time.monotonic() - hot.loaded > HOT_SECONDS:
        return None
    return hot


def _reload_hot() -> _Hot:
    global _hot
    hot = _load_hot()
    with _hot_lock:
        _hot = hot
    return hot


def invalidate_hot() -> None:
    """Forget this process's copy (risk areas or statuses changed here); other processes' copies
    age out within HOT_SECONDS."""
    global _hot
    with _hot_lock:
        _hot = None


def after_risk_areas_changed(codes: Iterable[str]) -> None:
    """Risk areas with these codes were published, corrected or lifted: forget the cached list after
    the commit and recompute everyone who checked in or travelled there within the longest look-back
    a rule can use."""
    transaction.on_commit(invalidate_hot)
    since = timezone.localdate() - datetime.timedelta(days=2 * MAX_DAYS)
    recompute_on_commit(people_in_area(codes, since=since))


def _may_matter(hot: _Hot, person_id: int, place: str, day: datetime.date, before_place: str) -> bool:
    return (
        person_id in hot.not_green
        or hot.risk.covers(place, day)
        or (before_place != place and hot.risk.covers(before_place, day))
    )


def after_checkin(checkin: CheckIn, before: CheckIn | None) -> None:
    """Recompute the person after the commit if this check-in can change a fact of the rules: a
    fever or a flag (now or before a correction), a place in a risk area, or a person who is not
    green (whose status may end). Called inside the check-in's transaction; sends no query."""
    person_id, place, day = checkin.person_id, checkin.location_code, checkin.date
    before_place = before.location_code if before is not None else place
    if checkin.is_fever or checkin.is_flagged or (before is not None and (before.is_fever or before.is_flagged)):
        transaction.on_commit(lambda: recompute([person_id]))
        return
    hot = _fresh_hot()
    if hot is not None:
        if _may_matter(hot, person_id, place, day, before_place):
            transaction.on_commit(lambda: recompute([person_id]))
        return

    def decide_after_commit() -> None:
        if _may_matter(_reload_hot(), person_id, place, day, before_place):
            recompute([person_id])

    transaction.on_commit(decide_after_commit)


# --- reading --------------------------------------------------------------------------------------


def fact_choices() -> list[tuple[str, str]]:
    return [(key, str(fact.label)) for key, fact in FACTS.items()]
