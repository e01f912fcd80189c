"""Every write of the health app: check-ins (self, same as yesterday, proxy), the per-unit day
counts kept with them, and the office's extra questions.

The check-in upsert is race-free: one row per person per day is a unique constraint; the service
first tries ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL and SQLite alike): a row
back means a new check-in, no row means the day's check-in exists (or a concurrent first submission
just committed it), and the service then locks that row and continues as a correction. The per-unit
counts (``UnitDayStat``) move with ``col = col + n`` increments in the same transaction, so they
always equal a recount of the raw check-ins. The group settings and the questions come from a
per-process cache (:mod:`lianfang.health.cache`; how stale they may be: docs/checkin.md).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Value
from django.db.models.constants import OnConflict
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import WorkVerdict, checkin_written, collection_refusals, work_verdicts
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health import cache as config_cache
from lianfang.health import divisions
from lianfang.health.choices import ISOLATION_MODES, CheckInSource, QuestionKind, Symptom, WorkMode
from lianfang.health.models import TEMPERATURE_MAX, TEMPERATURE_MIN, CheckIn, Question, QuestionVersion, UnitDayStat
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people import counts
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

# The categories of personal data a check-in collects (lianfang.privacy.choices.CHECKIN_CATEGORIES):
# the body's readings and answers, and where the person is.
CHECKIN_DATA_CATEGORIES = ("health", "whereabouts")

# The reading a proxy check (晨检) enters for "all normal" when the checker types nothing.
DEFAULT_NORMAL_TEMPERATURE = Decimal("36.5")

# The service sets these itself; full_clean() would spend a query on each to check it exists.
_FK_FIELDS = ["person", "unit", "reported_by"]

_MODE_BUCKET: dict[str, str] = {
    WorkMode.ON_SITE: "on_site",
    WorkMode.REMOTE: "remote",
    WorkMode.ON_LEAVE: "on_leave",
    WorkMode.HOME_ISOLATION: "isolated",
    WorkMode.CENTRAL_ISOLATION: "isolated",
    WorkMode.HOSPITAL: "isolated",
}
_BUCKETS = ("on_site", "remote", "on_leave", "isolated")


# --- questions that apply to a person ---------------------------------------------------------


def applicable_versions(unit: Unit) -> list[QuestionVersion]:
    """Current versions of the active questions shown to people of ``unit`` (a question shown to a
    unit covers its subtree; no units means everyone), in the office's order.

    From the per-process cache (:mod:`lianfang.health.cache`): the versions are shared, read only.
    """
    return config_cache.versions_for(unit)


def _choice_values(version: QuestionVersion) -> list[str]:
    return [str(c.get("value")) for c in version.choices or []]


def clean_answer(version: QuestionVersion, raw: Any) -> Any:
    """One answer checked against its question's kind; returns the stored form, or None for no answer.

    Messages name the question, because they are shown above the form and in API errors.
    """
    label = version.label
    if raw is None or raw == "" or raw == []:
        return None
    kind = version.kind
    if kind == QuestionKind.YES_NO:
        if raw is True or str(raw).lower() in ("yes", "true", "1"):
            return "yes"
        if raw is False or str(raw).lower() in ("no", "false", "0"):
            return "no"
        raise ValidationError(_("“%(question)s”: answer yes or no.") % {"question": label})
    if kind == QuestionKind.SINGLE:
        if str(raw) not in _choice_values(version):
            raise ValidationError(_("“%(question)s”: choose one of the options given.") % {"question": label})
        return str(raw)
    if kind == QuestionKind.MULTIPLE:
        values = [str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]
        allowed = _choice_values(version)
        if any(v not in allowed for v in values):
            raise ValidationError(_("“%(question)s”: choose among the options given.") % {"question": label})
        return [v for v in allowed if v in values]  # the options' order, no duplicates
    if kind == QuestionKind.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(_("“%(question)s”: enter a number.") % {"question": label}) from None
        if not number.is_finite():
            raise ValidationError(_("“%(question)s”: enter a number.") % {"question": label})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == QuestionKind.DATE:
        try:
            value = raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValidationError(_("“%(question)s”: enter a date as YYYY-MM-DD.") % {"question": label}) from None
        return value.isoformat()
    text = str(raw).strip()
    if len(text) > 500:
        raise ValidationError(_("“%(question)s”: write at most 500 characters.") % {"question": label})
    return text or None


def clean_answers(
    versions: Sequence[QuestionVersion], answers: Mapping[str, Any], *, check_required: bool = True
) -> dict[str, Any]:
    """All answers of one check-in, keyed by question version id; every error at once."""
    by_id = {str(v.pk): v for v in versions}
    unknown = [key for key in answers if str(key) not in by_id]
    errors: list[str] = []
    if unknown and check_required:  # a proxy check cannot fix them: it keeps the still-current answers
        errors.append(_("Some answers are for questions that are no longer asked: reload the page and answer again."))
    cleaned: dict[str, Any] = {}
    for key, version in by_id.items():
        try:
            value = clean_answer(version, answers.get(key, answers.get(int(key))))  # type: ignore[call-overload]
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if value is None:
            if check_required and version.required:
                errors.append(_("“%(question)s”: this question needs an answer.") % {"question": version.label})
            continue
        cleaned[key] = value
    if errors:
        raise ValidationError({"answers": errors})
    return cleaned


# --- check-ins ---------------------------------------------------------------------------------


def parse_temperature(value: Any) -> Decimal:
    """A body temperature as typed on any phone: full-width digits and points (３６．５) and the
    ideographic full stop (36。5) of a Chinese keyboard, or a comma, are read as 36.5."""
    message = _("Enter a body temperature between %(min)s and %(max)s °C.") % {
        "min": TEMPERATURE_MIN,
        "max": TEMPERATURE_MAX,
    }
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for mark in ("。", "，", ",", "､", "｡"):
        text = text.replace(mark, ".")
    text = text.removesuffix("°C").removesuffix("℃").removesuffix("°").strip()
    try:
        temperature = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"temperature": message}) from None
    if not temperature.is_finite() or not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
        raise ValidationError({"temperature": message})
    return temperature.quantize(Decimal("0.1"))


def check_date(day: datetime.date, settings: GroupSettings | None = None) -> None:
    """Today in the group's time zone, or up to ``checkin_backdate_days`` back; never the future."""
    settings = settings or GroupSettings.load()
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            {"date": _("A check-in cannot be dated in the future (today is %(today)s).") % {"today": today}}
        )
    earliest = today - datetime.timedelta(days=settings.checkin_backdate_days)
    if day < earliest:
        raise ValidationError(
            {
                "date": _("Check-ins can be entered at most %(days)s days back, from %(earliest)s.")
                % {"days": settings.checkin_backdate_days, "earliest": earliest}
            }
        )


def flag_reasons_for(
    *,
    temperature: Decimal,
    symptoms: Iterable[str],
    answers: Mapping[str, Any],
    versions: Iterable[QuestionVersion],
    fever_threshold: Decimal,
) -> tuple[bool, list[str]]:
    """(fever?, reasons): ``fever``, ``symptom:<code>``, ``answer:<question code>``."""
    is_fever = temperature >= fever_threshold
    reasons = ["fever"] if is_fever else []
    reasons += [f"symptom:{s}" for s in symptoms]
    for version in versions:
        answer = answers.get(str(version.pk))
        flagged = {str(v) for v in version.flag_values or []}
        if answer is None or not flagged:
            continue
        given = set(answer) if isinstance(answer, list) else {str(answer)}
        if given & flagged:
            reasons.append(f"answer:{version.question.code}")
    return is_fever, reasons


def _may_enter_for(actor, person: Person, action: str) -> bool:
    if person.user_id is not None and person.user_id == getattr(actor, "pk", None):
        return True
    return can(actor, action, CheckIn, person.unit)


_insert_sql: dict[str, tuple[str, list]] = {}


def _insert_statement(connection) -> tuple[str, list]:
    """The check-in's ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` and its fields, written once
    per database vendor with the backend's own pieces (what the ORM's insert compiler writes, which
    cost a sixth of a millisecond to compile on every check-in)."""
    found = _insert_sql.get(connection.vendor)
    if found is None:
        opts = CheckIn._meta
        qn = connection.ops.quote_name
        fields = [f for f in opts.concrete_fields if not f.primary_key]
        unique = [opts.get_field("person"), opts.get_field("date")]
        columns = ", ".join(qn(f.column) for f in fields)
        suffix = connection.ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, unique)
        sql = (
            f"{connection.ops.insert_statement(on_conflict=OnConflict.IGNORE)} {qn(opts.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) {suffix} RETURNING {qn(opts.pk.column)}"
        )
        found = _insert_sql[connection.vendor] = (sql, fields)
    return found


def _insert_if_absent(checkin: CheckIn) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (SQLite: ``INSERT OR IGNORE … RETURNING``).

    One statement, no savepoint and no lock probe: True (and ``checkin.pk`` set) when the row is
    new; False when the person already has a check-in that day, committed or being committed by a
    concurrent transaction (PostgreSQL waits for it to end before it decides).
    """
    using = router.db_for_write(CheckIn)
    connection = connections[using]
    sql, fields = _insert_statement(connection)
    # As the insert compiler prepares them: pre_save (auto_now stamps) then get_db_prep_save.
    params = [f.get_db_prep_save(f.pre_save(checkin, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    checkin.pk = row[0]
    checkin._state.adding = False
    checkin._state.db = using
    return True


def _stat_values(checkin: CheckIn) -> dict[str, int]:
    values = {"reported": 1, "fever": int(checkin.is_fever), "flagged": int(checkin.is_flagged)}
    values.update(dict.fromkeys(_BUCKETS, 0))
    values[_MODE_BUCKET[checkin.work_mode]] = 1
    return values


_STAT_COLUMNS = ("reported", "fever", "flagged", *_BUCKETS)
_stat_sql: dict[str, str] = {}


def _stat_update_sql(connection) -> str:
    """``UPDATE … SET reported = reported + %s, … WHERE unit_id = %s AND date = %s``, every bucket
    at once. Written out (once per database vendor) because compiling the ORM's F() update took a
    third of the service's CPU; the SQL is the same on PostgreSQL and SQLite."""
    sql = _stat_sql.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        opts = UnitDayStat._meta
        col = {f.name: qn(f.column) for f in opts.concrete_fields}
        sets = ", ".join(f"{col[c]} = {col[c]} + %s" for c in _STAT_COLUMNS)
        where = f"{col['unit']} = %s AND {col['date']} = %s"
        # Identifiers from the model, quoted; every value is a parameter.
        sql = _stat_sql[connection.vendor] = f"UPDATE {qn(opts.db_table)} SET {sets} WHERE {where}"  # noqa: S608
    return sql


def _bump_stats(unit_id: int, day: datetime.date, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` to a unit's day counts in one UPDATE (``col = col + n``, atomic in the database);
    creates the row race-free first when the day has none yet."""
    if not any(deltas.values()):
        return
    using = router.db_for_write(UnitDayStat)
    connection = connections[using]
    params = [deltas.get(c, 0) for c in _STAT_COLUMNS]
    date_param = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(_stat_update_sql(connection), [*params, unit_id, date_param])
        if cursor.rowcount:
            return
    # No row yet (a back-dated check-in, or before the day's opening job): create it with the
    # unit's headcount; a concurrent creator wins silently and we increment its row.
    expected = Person.objects.filter(counts.expected(), unit_id=unit_id).count()
    UnitDayStat.objects.bulk_create([UnitDayStat(unit_id=unit_id, date=day, expected=expected)], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(_stat_update_sql(connection), [*params, unit_id, date_param])


def _move_stats(before: CheckIn | None, after: CheckIn) -> None:
    new = _stat_values(after)
    if before is None:
        _bump_stats(after.unit_id, after.date, new)
        return
    old = _stat_values(before)
    if before.unit_id == after.unit_id:
        _bump_stats(after.unit_id, after.date, {k: new[k] - old[k] for k in new})
    else:  # counted where it was, now where it is
        _bump_stats(before.unit_id, before.date, {k: -v for k, v in old.items()})
        _bump_stats(after.unit_id, after.date, new)


def liaison_user_ids(unit: Unit) -> list[int]:
    """Users holding unit_admin on the unit or one of its ancestors."""
    steplen = Unit.steplen
    prefixes = [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]
    return list(
        RoleAssignment.objects.filter(role=Role.UNIT_ADMIN, unit__path__in=prefixes)
        .values_list("user_id", flat=True)
        .distinct()
    )


def reason_labels(reasons: Iterable[str]) -> list[str]:
    """The flag reasons in words, each named once (a fever measured and "fever" ticked as a symptom
    are one reason)."""
    return list(dict.fromkeys(reason_label(r) for r in reasons))


def reason_label(reason: str) -> str:
    """A flag reason key in words."""
    kind, _sep, code = reason.partition(":")
    if kind == "fever":
        return _("Fever")
    if kind == "symptom":
        if code == Symptom.FEVER:
            return _("Fever")
        return str(Symptom(code).label) if code in Symptom.values else code
    if kind == "answer":
        question = Question.objects.filter(code=code).select_related("current").first()
        return question.current.label if question and question.current else code
    return reason


def _notify_flag(checkin: CheckIn, person: Person) -> None:
    from lianfang.notify.models import Message  # the inbox belongs to notify; we only drop messages in it

    recipients = liaison_user_ids(checkin.unit)
    if not recipients:
        return
    reasons = ", ".join(reason_labels(checkin.flag_reasons))
    title = _("Check-in flagged: %(name)s (%(unit)s)") % {"name": person.name, "unit": checkin.unit.name}
    body = _("%(name)s, %(date)s, %(temperature)s °C. Why: %(reasons)s.") % {
        "name": person.name,
        "date": checkin.date,
        "temperature": checkin.temperature,
        "reasons": reasons,
    }
    url = reverse("health:checkin-detail", args=[checkin.pk])
    Message.objects.bulk_create(
        [Message(recipient_id=uid, kind="checkin_flag", title=title[:200], body=body, url=url) for uid in recipients]
    )


@dataclass
class CheckInData:
    """What a person reports, before checking."""

    temperature: Any
    work_mode: str = WorkMode.ON_SITE
    symptoms: Sequence[str] = ()
    symptom_note: str = ""
    location_code: str = ""
    answers: Mapping[str, Any] | None = None


def _clean_checkin(data: CheckInData, *, versions: Sequence[QuestionVersion], check_required: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    try:
        cleaned["temperature"] = parse_temperature(data.temperature)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    symptoms = [str(s) for s in data.symptoms or ()]
    note = (data.symptom_note or "").strip()
    if note and Symptom.OTHER not in symptoms:
        symptoms.append(Symptom.OTHER)
    if any(s not in Symptom.values for s in symptoms):
        errors["symptoms"] = [_("Choose symptoms from the list; describe anything else under “Other”.")]
    elif Symptom.OTHER in symptoms and not note:
        errors["symptom_note"] = [_("Describe the other symptom.")]
    elif len(note) > 200:
        errors["symptom_note"] = [_("Write at most 200 characters.")]
    cleaned["symptoms"] = [s for s in Symptom.values if s in symptoms]
    cleaned["symptom_note"] = note
    code = (data.location_code or "").strip()
    if code and not divisions.is_valid(code):
        errors["location_code"] = [_("Choose your location from the list of provinces, cities and districts.")]
    cleaned["location_code"] = code
    cleaned["location_name"] = divisions.full_name(code) if code and not errors.get("location_code") else ""
    if data.work_mode not in WorkMode.values:
        errors["work_mode"] = [_("Choose on site, working remotely or on leave.")]
    cleaned["work_mode"] = data.work_mode
    try:
        cleaned["answers"] = clean_answers(versions, data.answers or {}, check_required=check_required)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def work_mode_refusal(verdict: WorkVerdict | None, mode: str) -> str | None:
    """Why ``mode`` may not be recorded for a person with this verdict (None: it may). One rule for
    the check-in, "same as last time", the morning check and the API (the check-in guards of
    lianfang.core.extensions decide who may come to work)."""
    if verdict is not None and verdict.held and verdict.mode and mode != verdict.mode:
        return _("%(label)s. Today's check-in records “%(mode)s”.") % {
            "label": verdict.label,
            "mode": WorkMode(verdict.mode).label,
        }
    if verdict is not None and not verdict.may_work and mode == WorkMode.ON_SITE:
        return _("%(label)s. Record working remotely or on leave.") % {"label": verdict.label}
    if mode in ISOLATION_MODES and (verdict is None or verdict.mode != mode):
        return _(
            "Isolation and hospital stays are recorded from the isolation order: ask the case manager or "
            "your liaison to record it."
        )
    return None


def work_verdict(person: Person, day: datetime.date) -> WorkVerdict | None:
    """What the check-in guards say of this person on ``day`` (None: free to come to work)."""
    return work_verdicts([person.pk], day).get(person.pk)


@transaction.atomic
def checkin_submit(
    *,
    actor,
    person: Person,
    data: CheckInData,
    date: datetime.date | None = None,
    source: str = CheckInSource.SELF,
) -> tuple[CheckIn, bool]:
    """Record a person's check-in for a day, or correct the one already there.

    Returns ``(checkin, created)``. The person themselves, or someone allowed ``add`` (new) /
    ``change`` (correction) on check-ins of the person's unit. Proxy entries (``source=PROXY``)
    need not answer required questions: the checker only sees the person at the door.
    """
    settings = config_cache.group_settings()
    day = date or timezone.localdate()
    check_date(day, settings)
    if not _may_enter_for(actor, person, Action.ADD):
        raise PermissionDenied
    versions = applicable_versions(person.unit)
    cleaned = _clean_checkin(data, versions=versions, check_required=source != CheckInSource.PROXY)
    is_fever, reasons = flag_reasons_for(
        temperature=cleaned["temperature"],
        symptoms=cleaned["symptoms"],
        answers=cleaned["answers"],
        versions=versions,
        fever_threshold=settings.fever_threshold,
    )
    values = {
        **cleaned,
        "is_fever": is_fever,
        "is_flagged": bool(reasons),
        "flag_reasons": reasons,
        "source": source,
        "reported_by": actor if getattr(actor, "is_authenticated", False) else None,
    }

    # The consent gate (lianfang.privacy): no health data without a legal basis for collecting it.
    refusal = collection_refusals([person.pk], day, CHECKIN_DATA_CATEGORIES).get(person.pk)
    if refusal is not None:
        raise ValidationError({"consent": [refusal.message]})
    verdict = work_verdict(person, day)
    if verdict is not None and not verdict.may_check_in:
        raise ValidationError({"work_mode": [verdict.label]})

    checkin = CheckIn(person=person, unit=person.unit, date=day, **values)
    checkin.full_clean(exclude=_FK_FIELDS, validate_unique=False, validate_constraints=False)
    created = _insert_if_absent(checkin)
    if created:
        mode_refusal = work_mode_refusal(verdict, checkin.work_mode)
        if mode_refusal:
            raise ValidationError({"work_mode": [mode_refusal]})  # rolls the insert back
        _move_stats(None, checkin)
        record_change(actor=actor, obj=checkin, action=ChangeAction.CREATE)
        action = Action.ADD
        was_flagged_for: set[str] = set()
        before_row: CheckIn | None = None
    else:
        # The day's check-in exists (perhaps committed a moment ago by a concurrent submission):
        # lock it and correct it.
        existing = CheckIn.objects.select_for_update().filter(person=person, date=day).first()
        if existing is None:  # not a conflict on (person, date): SQLite's OR IGNORE skipped another error
            raise IntegrityError("check-in not inserted and not found")
        existing.person = person  # the same row: spares a query when the response names the person
        if not _may_enter_for(actor, person, Action.CHANGE):
            raise PermissionDenied
        before_row = CheckIn(**{f.attname: getattr(existing, f.attname) for f in CheckIn._meta.concrete_fields})
        # A correction that keeps the day's mode is not judged again: the status may come from this
        # very check-in (a mistyped fever), and the correction is what clears it.
        if values["work_mode"] != existing.work_mode:
            mode_refusal = work_mode_refusal(verdict, values["work_mode"])
            if mode_refusal:
                raise ValidationError({"work_mode": [mode_refusal]})
        before = snapshot(existing)
        was_flagged_for = set(existing.flag_reasons) if existing.is_flagged else set()
        checkin = existing
        for key, value in values.items():
            setattr(checkin, key, value)
        checkin.full_clean(exclude=_FK_FIELDS, validate_unique=False, validate_constraints=False)
        checkin.save()
        _move_stats(before_row, checkin)
        # The correction, with the values before and after, is the audit trail (ADR 0004); an
        # unchanged resubmission writes no change-log row (record_change compares the snapshots).
        record_change(actor=actor, obj=checkin, action=ChangeAction.UPDATE, before=before)
        action = Action.CHANGE
    if checkin.is_flagged and set(checkin.flag_reasons) - was_flagged_for:
        _notify_flag(checkin, person)
    # The person's health status, after the commit, if this check-in can change it (no query here).
    checkin_written(checkin, before_row)
    if not (person.user_id is not None and person.user_id == getattr(actor, "pk", None)):
        # Someone else's check-in: re-check the scope. Your own is in scope by CheckIn.scope_self
        # (person__user = you), which this write cannot change, so the two queries are saved.
        ensure_in_scope(actor, checkin, action)
    return checkin, created


def last_checkin(person: Person, before: datetime.date) -> CheckIn | None:
    """The person's latest check-in before ``before`` (the one "same as last time" copies)."""
    return CheckIn.objects.filter(person=person, date__lt=before).order_by("-date").first()


def checkin_same_as_yesterday(*, actor, person: Person, date: datetime.date | None = None) -> tuple[CheckIn, bool]:
    """Copy the person's last check-in (temperature, location, mode, answers) to ``date``: the day
    before, or the last day they checked in if they skipped some.

    Answers follow their question: when the office changed a question since, the old answer is
    kept if it is still a valid answer to the new wording. A required question with no valid
    answer to copy makes this fail with a message asking to fill in the form. The mode follows the
    check-in guards: held at the isolation mode of an order in force, and never "on site" for a
    person who may not come to work (then the form must be filled in).
    """
    day = date or timezone.localdate()
    previous = last_checkin(person, day)
    if previous is None:
        raise ValidationError({"date": _("There is no earlier check-in to copy: fill in the form.")})
    versions = applicable_versions(person.unit)
    old_versions = {
        str(v.pk): v.question_id for v in QuestionVersion.objects.filter(pk__in=[int(k) for k in previous.answers])
    }
    by_question = {old_versions.get(k): value for k, value in previous.answers.items()}
    answers: dict[str, Any] = {}
    for version in versions:
        value = by_question.get(version.question_id)
        if value is None:
            continue
        try:
            if clean_answer(version, value) is not None:
                answers[str(version.pk)] = value
        except ValidationError:
            continue
    mode = previous.work_mode
    verdict = work_verdict(person, day)
    if verdict is not None and verdict.held:
        mode = verdict.mode or mode
    elif work_mode_refusal(verdict, mode):
        raise ValidationError(
            {"work_mode": [_("%(label)s. Fill in the form to say where you are today.") % {"label": verdict.label}]}
            if verdict is not None
            else [_("Fill in the form to say where you are today.")]
        )
    data = CheckInData(
        temperature=previous.temperature,
        work_mode=mode,
        symptoms=previous.symptoms,
        symptom_note=previous.symptom_note,
        location_code=previous.location_code,
        answers=answers,
    )
    try:
        return checkin_submit(actor=actor, person=person, data=data, date=day, source=CheckInSource.SAME_AS_YESTERDAY)
    except ValidationError as exc:
        if "answers" in getattr(exc, "error_dict", {}):
            raise ValidationError(
                {"answers": [_("The questions have changed since your last check-in: fill in the form once more.")]}
            ) from exc
        raise


@dataclass
class ProxyEntry:
    person: Person
    temperature: Any
    work_mode: str = WorkMode.ON_SITE


@transaction.atomic
def checkin_proxy_submit(*, actor, entries: Sequence[ProxyEntry], date: datetime.date | None = None) -> list[CheckIn]:
    """A morning check (晨检): many people at once, all or nothing.

    Errors are collected for every row first and raised together keyed by person id, so the page
    can show each next to its row.
    """
    errors: dict[str, list[str]] = {}
    day = date or timezone.localdate()
    existing = {c.person_id: c for c in CheckIn.objects.filter(person__in=[e.person for e in entries], date=day)}
    verdicts = work_verdicts([e.person.pk for e in entries], day)
    refused = collection_refusals([e.person.pk for e in entries], day, CHECKIN_DATA_CATEGORIES)
    for entry in entries:
        if not can(actor, Action.ADD, CheckIn, entry.person.unit):
            raise PermissionDenied
        if entry.person.pk in refused:
            errors[str(entry.person.pk)] = [refused[entry.person.pk].message]
            continue
        try:
            parse_temperature(entry.temperature)
        except ValidationError as exc:
            errors[str(entry.person.pk)] = exc.messages
            continue
        current = existing.get(entry.person.pk)
        if current is None or current.work_mode != entry.work_mode:
            refusal = work_mode_refusal(verdicts.get(entry.person.pk), entry.work_mode)
            if refusal:
                errors[str(entry.person.pk)] = [refusal]
    if errors:
        raise ValidationError(errors)
    out = []
    for entry in entries:
        current = existing.get(entry.person.pk)
        if current is None:
            data = CheckInData(temperature=entry.temperature, work_mode=entry.work_mode)
        elif parse_temperature(entry.temperature) == current.temperature and entry.work_mode == current.work_mode:
            out.append(current)  # unchanged: keep who entered it and how
            continue
        else:
            data = proxy_data_for_existing(current, entry.temperature, entry.work_mode)
        checkin, _created = checkin_submit(
            actor=actor, person=entry.person, data=data, date=day, source=CheckInSource.PROXY
        )
        out.append(checkin)
    return out


def proxy_data_for_existing(checkin: CheckIn, temperature: Any, work_mode: str) -> CheckInData:
    """A proxy correction keeps what the person reported themselves (symptoms, location, answers)."""
    return CheckInData(
        temperature=temperature,
        work_mode=work_mode,
        symptoms=checkin.symptoms,
        symptom_note=checkin.symptom_note,
        location_code=checkin.location_code,
        answers=checkin.answers,
    )


# --- per-unit day counts -----------------------------------------------------------------------


def unit_day_recount(*, keys: Iterable[tuple[int, datetime.date]]) -> int:
    """Recount the check-in counts of these (unit, date) days from the raw check-ins (a repair, and
    the demo's after it rewrites modes); the expected headcount is left as it is. Returns the rows
    updated."""
    keys = set(keys)
    if not keys:
        return 0
    stats = {(s.unit_id, s.date): s for s in UnitDayStat.objects.filter(_keys_q(keys))}
    counted: dict[tuple[int, datetime.date], dict[str, int]] = {}
    for checkin in CheckIn.objects.filter(_keys_q(keys)).only("unit_id", "date", "work_mode", "is_fever", "is_flagged"):
        totals = counted.setdefault((checkin.unit_id, checkin.date), dict.fromkeys(_STAT_COLUMNS, 0))
        for column, value in _stat_values(checkin).items():
            totals[column] += value
    for key, stat in stats.items():
        for column, value in counted.get(key, dict.fromkeys(_STAT_COLUMNS, 0)).items():
            setattr(stat, column, value)
    UnitDayStat.objects.bulk_update(list(stats.values()), list(_STAT_COLUMNS), batch_size=500)
    return len(stats)


def _keys_q(keys: set[tuple[int, datetime.date]]) -> Q:
    condition = Q(pk__in=[])
    for unit_id, day in keys:
        condition |= Q(unit_id=unit_id, date=day)
    return condition


def unit_day_refresh_expected(*, unit_ids: Iterable[int], date: datetime.date) -> int:
    """Make sure the units have a row for ``date`` and set ``expected`` to their active headcount.

    Called by the opening job for every active unit, and by the people services when a roster
    changes (a person added, moved, or leaving). Idempotent; returns the number of rows updated.
    """
    ids = sorted(set(unit_ids))
    if not ids:
        return 0
    UnitDayStat.objects.bulk_create(
        [UnitDayStat(unit_id=uid, date=date) for uid in ids], ignore_conflicts=True, batch_size=2000
    )
    headcount = (
        Person.objects.filter(counts.expected(), unit_id=OuterRef("unit_id"))
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    updated = 0
    for start in range(0, len(ids), 2000):
        updated += UnitDayStat.objects.filter(date=date, unit_id__in=ids[start : start + 2000]).update(
            expected=Coalesce(Subquery(headcount), Value(0))
        )
    return updated


def unit_day_open(*, date: datetime.date | None = None) -> int:
    """The day's rows for every active unit (and any unit with active people), with headcounts."""
    day = date or timezone.localdate()
    ids = set(Unit.objects.filter(is_active=True).values_list("pk", flat=True))
    ids |= set(
        Person.objects.filter(employment_status=EmploymentStatus.ACTIVE)
        .order_by()
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return unit_day_refresh_expected(unit_ids=ids, date=day)
