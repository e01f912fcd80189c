"""Extension points: where a lower app asks something of the apps above it.

An app may import only the apps below it (docs/architecture.md, checked by import-linter). When a
lower app needs an answer that only higher apps have — may this person come to work today? how many
new cases does this unit have? what must this user do today? — it asks one of the registries below,
and each higher app registers its providers in its ``AppConfig.ready()``. Providers run in the
order of ``INSTALLED_APPS`` (the dependency order), so a registry's answer never depends on import
order. Every registry names who asks and who answers; a new domain app plugs into each one that
concerns it.

The types here know no model: people, units and cases are passed as ids, dates or the objects
themselves (``Any``), so that ``core`` stays the bottom of the dependency order.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Providers by key, in the order they were registered. Registering a key again replaces its
    provider in place (tests swap one out; a reloaded module does not add a second copy)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._providers: dict[str, T] = {}

    def register(self, key: str, provider: T) -> T:
        self._providers[key] = provider
        return provider

    def unregister(self, key: str) -> None:
        self._providers.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._providers.get(key)

    def items(self) -> list[tuple[str, T]]:
        return list(self._providers.items())

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._providers.values()))

    def __len__(self) -> int:
        return len(self._providers)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(self._providers) or 'empty'}>"


# --- check-in guards: may this person come to work today? ------------------------------------------
#
# Asked by the check-in (the person's own, "same as yesterday", the morning check, the API), and by
# every app that puts people somewhere (duty rosters, deployments). Answered by the status engine
# (colour, isolation) and, later, the privacy gate (no consent: no health data at all).


@dataclass(frozen=True)
class WorkVerdict:
    """One guard's answer for one person on one day.

    ``label`` is what anyone who sees the person may read ("居家隔离中 至 12-13，不得到岗");
    ``reason`` is the medical reason (a case, a contact), shown only to those who may read reasons.
    ``mode`` is the work mode the check-in defaults to, and with ``held`` the only one it may record
    (an isolation order, a hospital stay); ``None``: the person chooses among the modes left.
    """

    may_work: bool = True
    may_check_in: bool = True
    mode: str | None = None
    held: bool = False
    colour: str = ""
    label: str = ""
    reason: str = ""
    until: datetime.date | None = None
    source: str = ""


CheckinGuard = Callable[[Sequence[int], datetime.date], Mapping[int, WorkVerdict]]
checkin_guards: Registry[CheckinGuard] = Registry("check-in guards")


def work_verdicts(person_ids: Iterable[int], day: datetime.date) -> dict[int, WorkVerdict]:
    """Every guard's verdict combined per person: the first guard that closes the check-in wins,
    then the first that keeps the person from work, then the first that says anything. People no
    guard speaks of are free (no entry)."""
    ids = list(dict.fromkeys(person_ids))
    combined: dict[int, WorkVerdict] = {}
    if not ids:
        return combined
    for guard in checkin_guards:
        for person_id, verdict in guard(ids, day).items():
            current = combined.get(person_id)
            if current is None or _stricter(verdict, current):
                combined[person_id] = verdict
    return combined


def _stricter(new: WorkVerdict, old: WorkVerdict) -> bool:
    return (not new.may_check_in, not new.may_work) > (not old.may_check_in, not old.may_work)


# --- report feeds: counts of one unit's subtree on one day ---------------------------------------
#
# Asked by the unit daily report (its prefilled lines), the bulletin, the dashboard and the zero
# report's check. Answered by people (headcounts), health (check-ins), cases (cases, contacts,
# isolation) and every later app that has something to count.


@dataclass(frozen=True)
class Feed:
    """A count the unit report can be prefilled with: ``count(unit, day)`` over the unit's whole
    subtree, or ``None`` when the records cannot tell (the liaison types the number).
    ``blocks_zero_report``: a zero report (零报告) is refused while this count is above zero."""

    key: str
    label: Any  # a lazy translation
    count: Callable[[Any, datetime.date], int | None]
    blocks_zero_report: bool = False


report_feeds: Registry[Feed] = Registry("report feeds")


def register_feed(key: str, label: Any, *, blocks_zero_report: bool = False):
    """``@register_feed("cases.new_confirmed", _("New confirmed cases"))`` above a counting function."""

    def decorator(count: Callable[[Any, datetime.date], int | None]):
        report_feeds.register(key, Feed(key, label, count, blocks_zero_report))
        return count

    return decorator


def feed_counts(unit: Any, day: datetime.date, keys: Iterable[str]) -> dict[str, int | None]:
    """The asked feeds' counts for the unit's subtree on ``day``; an unknown key is ``None``."""
    result: dict[str, int | None] = {}
    for key in dict.fromkeys(keys):
        feed = report_feeds.get(key)
        result[key] = feed.count(unit, day) if feed else None
    return result


def zero_report_keys() -> list[str]:
    """The feeds that must be zero for a zero report (零报告): something new happened if one is above."""
    return [feed.key for feed in report_feeds if feed.blocks_zero_report]


def feed_choices() -> list[tuple[str, str]]:
    """(key, label) of every feed, for the report template editor."""
    return [(f.key, f"{f.label} · {f.key}") for f in sorted(report_feeds, key=lambda f: f.key)]


# --- bulletin sections: what else the group did today ----------------------------------------------
#
# Asked by the daily bulletin when it builds its figures (kept as a snapshot in the bulletin) and when
# it shows them (page, print view, PDF, .xlsx). Answered by duty (duty logs, handovers, uncovered
# hours) and command (urgent matters by level, overdue clocks), and by every later app with a line
# for the leaders' morning read.


@dataclass(frozen=True)
class BulletinSection:
    """One card of the bulletin. ``build(root, day)`` returns JSON-ready figures for the whole group
    (codes, not labels: the snapshot is read later in either language); ``present(figures)`` adds
    the labels in the reader's language; ``template`` shows the result (as ``section``); ``rows``
    gives the (label, value) lines of the .xlsx summary from the stored figures."""

    key: str
    title: Any  # a lazy translation
    build: Callable[[Any, datetime.date], dict[str, Any]]
    template: str
    rows: Callable[[dict[str, Any]], list[list[Any]]]
    present: Callable[[dict[str, Any]], dict[str, Any]] = dict


bulletin_sections: Registry[BulletinSection] = Registry("bulletin sections")


# --- home-page to-dos: what must this user do today? ------------------------------------------------
#
# Asked by the home page of every role. Answered by each app for its own work: check in, report,
# follow-ups, transfers to ship, requests to approve…


@dataclass(frozen=True)
class Todo:
    """One thing to do, with one tap to do it. ``count`` is how many (None: one thing);
    ``due`` the time it is due by, if any; ``urgent`` sorts it first."""

    key: str
    title: str
    url: str
    count: int | None = None
    due: datetime.datetime | None = None
    urgent: bool = False
    detail: str = ""


TodoProvider = Callable[[Any, datetime.date], Iterable[Todo]]
todo_providers: Registry[TodoProvider] = Registry("home-page to-dos")


def todos_for(user: Any, day: datetime.date) -> list[Todo]:
    """Every provider's to-dos for the user: urgent first, then by due time, then in app order."""
    found = [todo for provider in todo_providers for todo in provider(user, day)]
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return sorted(found, key=lambda t: (not t.urgent, t.due or never))


# --- contact-suggestion sources: who was with this case? -----------------------------------------
#
# Asked by the cases app when it suggests close contacts. Answered by check-ins (on site in the same
# unit the same days) and, later, duty rosters and checkpoint entries.


@dataclass(frozen=True)
class ContactQuery:
    """Where and when the case was: ``places`` maps each day of the infectious window to the units
    the case was at; ``candidates`` is a queryset of the person ids a source may return (people the
    asker may see, not the case, not listed yet)."""

    case_person_id: int | None
    places: Mapping[datetime.date, frozenset[int]]
    candidates: Any


@dataclass(frozen=True)
class ContactEvidence:
    """A person who shared a place with the case on these days, and how (for the suggestion list)."""

    person_id: int
    days: frozenset[datetime.date]
    how: str = ""


ContactSource = Callable[[ContactQuery], Iterable[ContactEvidence]]
contact_sources: Registry[ContactSource] = Registry("contact-suggestion sources")


# --- facts changed: whose health status may have changed? ------------------------------------------
#
# Told by every write that changes a fact of the status rules (a check-in, a trip, a risk area, a
# case, a contact, an isolation, a follow-up). Listened to by the status engine, which recomputes
# the people after the commit.

FactsListener = Callable[[Iterable[int], str], None]
facts_listeners: Registry[FactsListener] = Registry("facts changed")


def facts_changed(person_ids: Iterable[int | None], what: str) -> None:
    """Tell the listeners that these people's facts changed (``what``: "trip", "case", "risk_area"…).
    Called inside the writing transaction; listeners act once it commits."""
    ids = [pk for pk in dict.fromkeys(person_ids) if pk is not None]
    for listener in facts_listeners:
        listener(ids, what)


# --- case status changed: what follows from a case's new status? ------------------------------------
#
# Told by the cases app when a case is registered or changes status (suspected, confirmed, asymptomatic,
# excluded…). Listened to by sites: a confirmed case (or an asymptomatic infection) opens a terminal
# disinfection (终末消毒) where the case's unit is.

CaseListener = Callable[[Any, str], None]
case_listeners: Registry[CaseListener] = Registry("case status changed")


def case_status_changed(case: Any, before: str) -> None:
    """Tell the listeners that ``case`` has a new status (``before``: the previous one, "" for a new
    case). Called inside the writing transaction; a listener that writes does so once it commits, so
    that its failure never undoes the case."""
    for listener in case_listeners:
        listener(case, before)


RiskAreasListener = Callable[[Iterable[str]], None]
risk_area_listeners: Registry[RiskAreasListener] = Registry("risk areas changed")


def risk_areas_changed(division_codes: Iterable[str]) -> None:
    """Tell the listeners that the risk areas with these division codes changed (published, corrected,
    lifted); they find the people concerned. Called inside the writing transaction."""
    codes = [c for c in dict.fromkeys(division_codes) if c]
    for listener in risk_area_listeners:
        listener(codes)


CheckinHook = Callable[[Any, Any], None]
checkin_hooks: Registry[CheckinHook] = Registry("check-in written")


def checkin_written(checkin: Any, before: Any | None) -> None:
    """Called inside the check-in's transaction with the check-in and its previous values (None for
    a new one); a hook decides, without a query where it can, whether the check-in matters to it."""
    for hook in checkin_hooks:
        hook(checkin, before)


# --- reminder rounds: what is chased, and when? -----------------------------------------------------
#
# Run by notify's scheduler every minute. Registered by the apps that know what is late: health
# (check-in reminders), reporting (the report deadline).


@dataclass(frozen=True)
class ReminderRound:
    """A round of reminders: ``times(settings)`` gives the day's times, ``send(day=, at=)`` sends
    the round once (it returns None when the round already ran)."""

    kind: str
    times: Callable[[Any], Sequence[datetime.time]]
    send: Callable[..., Any]


reminder_rounds: Registry[ReminderRound] = Registry("reminder rounds")


# --- the unit page and its headcounts ----------------------------------------------------------------
#
# Asked by org's unit pages (the tree and one unit). Answered by people: who counts as "at work"
# on the roster is decided there, once.


@dataclass(frozen=True)
class Headcounts:
    """Active people per unit path, counted among the people the viewer may see."""

    by_path: Mapping[str, int] = field(default_factory=dict)

    def subtree(self, path: str) -> int:
        return sum(n for p, n in self.by_path.items() if p.startswith(path))


HeadcountProvider = Callable[[Any, str], Headcounts]
headcount_providers: Registry[HeadcountProvider] = Registry("headcounts")


def headcounts(viewer: Any, path: str) -> Headcounts:
    """Active people in the subtree at ``path`` that the viewer may see, by unit path."""
    provider = next(iter(headcount_providers), None)
    return provider(viewer, path) if provider else Headcounts()


# --- personal data: categories, the collection gate, the person's own data (PIPL) -------------------
#
# Categories are declared by the apps that hold the data (privacy declares the check-in's and the
# cases'; later apps add gate entries, duty, visitors…): the office sets a legal basis per category,
# and later a retention. The collection gate is asked by every path that writes health data for a
# person (the check-in, "same as last time", the morning check, the API) and answered by privacy
# (no valid consent where consent is the basis: nothing is collected). The personal-data sources
# answer the Art. 45 page "My data": every app returns the rows it holds about one person.


@dataclass(frozen=True)
class DataCategory:
    """A category of personal data: ``key`` a slug stored in the database, ``label`` a lazy translation.

    Retention (PIPL Art. 19: no longer than necessary): ``retention_days`` is the default the purge
    keeps its rows, ``retention_floor`` and ``retention_ceiling`` the least and most the office may set
    (a floor covers what the law or the epidemiological look-back needs; a ceiling what is necessary).
    """

    key: str
    label: Any
    retention_days: int = 180
    retention_floor: int = 14
    retention_ceiling: int = 3 * 365
    # Where the law itself gives the basis (duty rosters: human-resources management, PIPL Art.
    # 13(1)(2)), its words; the office then chooses no basis, consent is never asked, and a
    # stand-down's purge leaves the category to its retention (it was not collected for the emergency).
    fixed_basis: Any = None


personal_data_categories: Registry[DataCategory] = Registry("personal data categories")


def category_choices() -> list[tuple[str, str]]:
    """(key, label) of every registered category, in registration order."""
    return [(c.key, str(c.label)) for c in personal_data_categories]


@dataclass(frozen=True)
class CollectionRefusal:
    """Why no health data may be collected for a person today: ``message`` is shown to whoever
    enters it (the person, or a liaison at the morning check); ``action_url`` is where the person
    can put it right (the notice and consent step)."""

    message: str
    categories: tuple[str, ...] = ()
    action_url: str = ""
    source: str = ""


CollectionGate = Callable[[Sequence[int], datetime.date, Sequence[str]], Mapping[int, CollectionRefusal]]
collection_gates: Registry[CollectionGate] = Registry("collection gates")


def collection_refusals(
    person_ids: Iterable[int], day: datetime.date, categories: Sequence[str]
) -> dict[int, CollectionRefusal]:
    """The people among ``person_ids`` whose data of ``categories`` may not be collected on ``day``,
    with the first gate's reason; people no gate refuses are absent."""
    ids = list(dict.fromkeys(person_ids))
    refused: dict[int, CollectionRefusal] = {}
    if not ids:
        return refused
    for gate in collection_gates:
        for person_id, refusal in gate(ids, day, categories).items():
            refused.setdefault(person_id, refusal)
    return refused


# --- retention: how each category's rows are purged ------------------------------------------------
#
# Asked by privacy's purge engine (the nightly job, ``lianfang purge``, the stand-down's purge), which
# may import none of the apps that hold the data. Answered by health (check-ins and answers, trips),
# cases (cases with contacts and isolation; follow-ups and care) and every later app with personal
# data: each registers one ``PurgeProvider`` per model it purges, under its category.


@dataclass(frozen=True)
class PurgeTarget:
    """Rows of one model whose retention date lies in ``month`` (its first day) and before ``before``.

    ``whole_month`` is True when every day of the month is past retention: a provider may then take a
    fast path (on PostgreSQL with the table partitioned by month, drop the month's partition after the
    change log of its rows is redacted). ``batch`` is the most rows one transaction may delete, so that
    the check-ins of the day are never held up for long.
    """

    month: datetime.date
    before: datetime.date
    whole_month: bool
    batch: int = 2000
    since: datetime.date | None = None  # a stand-down's purge: only rows dated from the period's start


@dataclass(frozen=True)
class PurgeProvider:
    """How one model's personal data is purged, registered by the app that owns the model.

    ``model`` is the model class (its change-log rows and audit events are redacted by the engine);
    ``months(before, since)`` lists the first days of the months that hold rows to purge (dated before
    ``before``, and from ``since`` when given); ``batches(target)`` yields lists of primary keys, each
    deleted in its own short transaction by ``delete(pks)`` (which deletes dependants in a safe order
    and returns the number of rows deleted per model label). ``related(pks)`` names the dependants
    ``delete`` takes along (model → primary keys), so that their change log is redacted too;
    ``oldest()`` the oldest date still held. ``order``: lower runs first.
    """

    key: str
    category: str
    model: Any
    months: Callable[[datetime.date, datetime.date | None], Iterable[datetime.date]]
    batches: Callable[[PurgeTarget], Iterable[Sequence[int]]]
    delete: Callable[[Sequence[int]], Mapping[str, int]]
    related: Callable[[Sequence[int]], Mapping[Any, Sequence[int]]] | None = None
    oldest: Callable[[], datetime.date | None] | None = None
    order: int = 100
    # The whole-month fast path: ``partitioned(target)`` says whether the month's rows are a partition of
    # their own; then the engine redacts their change log batch by batch and calls ``drop_month(target)``
    # (drop the partition, returning the rows per model label) instead of deleting the rows in batches.
    partitioned: Callable[[PurgeTarget], bool] | None = None
    drop_month: Callable[[PurgeTarget], Mapping[str, int]] | None = None


retention_providers: Registry[PurgeProvider] = Registry("purge providers")


# Collection stopped for everyone (a stand-down, 应急结束): asked by what chases people to check in (the
# reminder round, the home page's to-do), so that nobody is asked for data no path would accept.
CollectionStop = Callable[[datetime.date], CollectionRefusal | None]
collection_stops: Registry[CollectionStop] = Registry("collection stopped")


def collection_stopped(day: datetime.date) -> CollectionRefusal | None:
    """Why no health data is collected from anyone on ``day`` (the first stop that says so), or None."""
    for stop in collection_stops:
        refusal = stop(day)
        if refusal is not None:
            return refusal
    return None


@dataclass(frozen=True)
class DataSection:
    """One titled table of what Lianfang holds about a person: ``headers`` and ``rows`` of plain
    values (strings, numbers, dates), ready for a page, a JSON download or a worksheet."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


PersonalDataSource = Callable[[Any], Iterable[DataSection]]
personal_data_sources: Registry[PersonalDataSource] = Registry("personal data sources")


def personal_data_for(person: Any) -> list[DataSection]:
    """Every source's sections about ``person``, in the order of the apps."""
    return [section for source in personal_data_sources for section in source(person)]


def join_words(items: Iterable[Any]) -> str:
    """Items as one phrase: 发热、咳嗽 in Chinese, "Fever, Cough" in English."""
    from django.utils.translation import get_language

    separator = ", " if (get_language() or "").startswith("en") else "、"
    return separator.join(str(item) for item in items)


def section_from(
    key: str,
    title: Any,
    queryset: Any,
    fields: Sequence[str],
    formatters: Mapping[str, Callable[[Any], Any]] | None = None,
) -> DataSection:
    """A section of "My data" from a queryset: one column per field, headed by its verbose name,
    choices in words, related objects by their name, lists as a phrase. ``formatters`` turn a
    field's stored value into words where the model has no choices for it (a list of codes)."""
    import json

    model = queryset.model
    meta_fields = [model._meta.get_field(name) for name in fields]
    formatters = formatters or {}
    rows = []
    for obj in queryset:
        row = []
        for f in meta_fields:
            if f.name in formatters:
                value: Any = formatters[f.name](getattr(obj, f.attname))
            elif getattr(f, "choices", None):
                value = getattr(obj, f"get_{f.name}_display")()
            elif f.is_relation:
                related = getattr(obj, f.name)
                value = str(related) if related is not None else ""
            else:
                value = getattr(obj, f.attname)
                if isinstance(value, list):
                    value = join_words(value)
                elif isinstance(value, dict):
                    value = json.dumps(value, ensure_ascii=False)
            row.append(value)
        rows.append(row)
    return DataSection(key=key, title=str(title), headers=[str(f.verbose_name) for f in meta_fields], rows=rows)


def _is_datetime(queryset: Any, field: str) -> bool:
    from django.db import models

    return isinstance(queryset.model._meta.get_field(field), models.DateTimeField)


def _day_start(day: datetime.date) -> datetime.datetime:
    """The start of ``day`` in the group's time zone: a date-time field's rows are dated by local day."""
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def purge_months(queryset: Any, date_field: str, before: datetime.date, since: datetime.date | None = None) -> list:
    """The first days of the months holding rows of ``queryset`` dated before ``before`` (and from
    ``since``): a provider's ``months``. A date-time field dates a row by its local day."""
    if _is_datetime(queryset, date_field):
        qs = queryset.filter(**{f"{date_field}__lt": _day_start(before)})
        if since is not None:
            qs = qs.filter(**{f"{date_field}__gte": _day_start(since)})
        return sorted({m.date() for m in qs.datetimes(date_field, "month")})
    qs = queryset.filter(**{f"{date_field}__lt": before})
    if since is not None:
        qs = qs.filter(**{f"{date_field}__gte": since})
    return list(qs.dates(date_field, "month"))


def purge_batches(queryset: Any, date_field: str, target: PurgeTarget) -> Iterator[list[int]]:
    """A provider's ``batches``: the month's rows day by day (each day one indexed query: a date-time
    field by the day's local bounds), in lists of at most ``target.batch`` primary keys, read before
    any of them is deleted."""
    start = max(target.month, target.since) if target.since else target.month
    next_month = (target.month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    end = min(next_month, target.before)
    timed = _is_datetime(queryset, date_field)
    day = start
    while day < end:
        if timed:
            bounds = (_day_start(day), _day_start(day + datetime.timedelta(days=1)))
            rows = queryset.filter(**{f"{date_field}__gte": bounds[0], f"{date_field}__lt": bounds[1]})
        else:
            rows = queryset.filter(**{date_field: day})
        pks = list(rows.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(pks), target.batch):
            yield pks[i : i + target.batch]
        day += datetime.timedelta(days=1)
