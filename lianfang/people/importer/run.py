"""Running a roster import: the job that is started, and the write phase, all or nothing.

:func:`roster_import_submit` checks the upload quickly and starts a job;
:func:`roster_import_run` (the job's runner, see ``people/tasks.py``) reads and checks the file
with :class:`RosterImporter` and writes it. The write happens only for a clean file, in one
transaction:

1. the people already on the roster are loaded by employee number (one indexed query per chunk),
   their ID numbers compared through the keyed digest, so nothing is decrypted;
2. masked ID numbers and phones (as exported to people who may not see them) that match the record
   keep the record's value; rows outside the actor's scope and rows that only the roster shows to be
   incomplete (a returned person without a date) become errors, and any error writes nothing;
3. new people are inserted and changed people updated in batches with the fast bulk writers of
   :mod:`lianfang.core.bulk`, each with its change-log row (:func:`lianfang.core.audit.record_changes`);
   unchanged people are not touched;
4. every written row is re-checked against the actor's scope inside the transaction, and the import
   is recorded as an audit event.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core import audit
from lianfang.core.audit import record_event, snapshot
from lianfang.core.bulk import chunks, fast_insert, fast_update
from lianfang.core.fields import blind_index
from lianfang.core.jobs import JobFailed, error, job_create, job_enqueue
from lianfang.core.masking import mask_id_number, mask_phone
from lianfang.core.models import AuditKind, ChangeAction, Job
from lianfang.core.scoping import Action
from lianfang.core.uploads import check_spreadsheet
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths, has_any
from lianfang.people.choices import Whereabouts
from lianfang.people.importer.format import CHOICE_DEFAULTS
from lianfang.people.importer.rows import KEEP, PERSON_LABEL, RosterReader, Row
from lianfang.people.models import Person, Tag
from lianfang.people.signals import roster_changed

logger = logging.getLogger(__name__)

ROSTER_IMPORT = "roster_import"
WRITE_BATCH = 2000

# --- submitting ----------------------------------------------------------------------------------


@transaction.atomic
def roster_import_submit(*, actor, file_name: str, data: bytes) -> Job:
    """Check the upload quickly (size, type, zip bomb) and start the import job.

    Raises ``PermissionDenied`` if the actor may import nowhere and ``ValidationError`` for a file
    that cannot be a roster. The job runs after the transaction commits.
    """
    if not has_any(actor, PERSON_LABEL, Action.IMPORT):
        raise PermissionDenied
    check_spreadsheet(file_name=file_name, data=data)
    job = job_create(
        actor=actor, kind=ROSTER_IMPORT, unit=_top_import_unit(actor), file_name=file_name, payload=bytes(data)
    )
    job_enqueue(job=job)
    return job


def example_unit_code(actor) -> str:
    """A unit code the actor may import into, for the template's example row."""
    unit = _top_import_unit(actor)
    if unit is None and actor.is_superuser:
        unit = Unit.objects.order_by("path").first()
    return unit.code if unit is not None else ""


def _top_import_unit(actor) -> Unit | None:
    """The unit a job is filed under, so the job list is scoped like the units; None for the group office."""
    if actor.is_superuser:
        return None
    paths = allowed_paths(actor, PERSON_LABEL, Action.IMPORT)
    if not paths:
        return None
    return Unit.objects.filter(path=min(paths, key=len)).first()


# --- running -------------------------------------------------------------------------------------


def roster_import_run(*, job: Job) -> dict[str, Any]:
    """Run an import job: read and check the whole file, then write it all or nothing.

    Returns the counts (``rows``, ``created``, ``updated``, ``unchanged``) and timings; raises
    :class:`~lianfang.core.jobs.JobFailed` with every error found, after recording the failed
    attempt in the audit log. Used as the job runner (see ``people/tasks.py``).
    """
    actor = job.created_by
    if actor is None or job.payload is None:
        raise JobFailed([error(_("The uploaded file is no longer available; upload it again."))])
    data = bytes(job.payload)
    importer = RosterImporter(actor=actor, job=job)
    try:
        kind = check_spreadsheet(file_name=job.file_name, data=data)
        rows = importer.read(kind=kind, data=data)
        result = importer.write(rows)
    except ValidationError as exc:  # the file itself (type, size, damage) is the problem
        failed = JobFailed([error(message) for message in exc.messages])
        _audit_failure(actor=actor, job=job, errors=failed.errors)
        raise failed from None
    except JobFailed as exc:
        _audit_failure(actor=actor, job=job, errors=exc.errors)
        raise
    return result


def _audit_failure(*, actor, job: Job, errors: list[dict]) -> None:
    record_event(
        kind=AuditKind.IMPORT,
        actor=actor,
        unit=job.unit,
        object_repr=job.file_name,
        job=job.pk,
        outcome="failed",
        errors=len(errors),
    )


# The Person fields an import sets, in the order the existing values are loaded and compared.
_VALUE_FIELDS = (
    "name",
    "gender",
    "id_number",
    "phone",
    "unit",
    "category",
    "employment_status",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
)
_VALUE_INDEX = {field: index for index, field in enumerate(_VALUE_FIELDS)}
_UPDATE_FIELDS = [
    "name",
    "gender",
    "id_number",
    "id_number_digest",
    "phone",
    "unit",
    "category",
    "employment_status",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
    "updated",
]


@dataclass(slots=True)
class _Existing:
    """A person already on the roster, as much of them as the comparison with a row needs."""

    pk: int
    unit_path: str
    values: tuple  # in _VALUE_FIELDS order, with the ID number as its digest (no decryption needed)
    tags: frozenset[int] | None = None

    def get(self, field: str) -> Any:
        return self.values[_VALUE_INDEX[field]]


class RosterImporter(RosterReader):
    """Reads, checks and writes one roster file for one actor. Used once, by :func:`roster_import_run`."""

    def __init__(self, *, actor, job: Job | None = None):
        super().__init__(actor=actor, job=job)
        self.stamp = timezone.now()  # set again when the write starts

    # --- writing ----------------------------------------------------------------------------------

    def write(self, rows: list[Row]) -> dict[str, Any]:
        """Upsert the checked rows in one transaction; raises JobFailed (and writes nothing) on errors."""
        self._write_started = time.perf_counter()
        try:
            with transaction.atomic():
                counts = self._write(rows)
        except PermissionDenied:
            raise JobFailed(
                [error(_("Some rows would put people into units you may not import into, so nothing was written."))]
            ) from None
        except OperationalError as exc:
            if "locked" not in str(exc).lower():
                raise
            # SQLite: another import (or a long write) held the database past the lock timeout.
            raise JobFailed(
                [error(_("The roster is busy with another import, so nothing was written. Import the file again."))]
            ) from None
        except IntegrityError:
            # Another writer created one of the employee numbers between our read and our insert
            # (PostgreSQL; SQLite serialises writers). The transaction is gone, so nothing was written.
            logger.warning("Roster import %s hit an integrity error", self.job.pk if self.job else "-", exc_info=True)
            raise JobFailed(
                [
                    error(
                        _(
                            "Someone changed the roster while this file was being imported, so nothing was "
                            "written. Import the file again."
                        )
                    )
                ]
            ) from None
        self.timings["write"] = time.perf_counter() - self._write_started
        return {
            "rows": len(rows),
            **counts,
            # Which worksheet was read (the first visible one with data), so a surprise is visible.
            "sheet": self.sheet_name,
            "seconds": {k: round(v, 2) for k, v in self.timings.items()},
        }

    def _write(self, rows: list[Row]) -> dict[str, int]:
        total = len(rows)
        self._progress(0, total, gettext_lazy("Checking against the roster"))
        existing = self._load_existing([r.employee_no for r in rows], with_tags="tags" in self.fields_in_file)
        self._resolve_masked(rows, existing)
        creates: list[Row] = []
        updates: list[tuple[Row, _Existing]] = []
        unchanged = 0
        for row in rows:
            current = existing.get(row.employee_no)
            if current is None:
                self._check_new(row)
                creates.append(row)
                continue
            if not self._in_scope(current.unit_path):
                self._add_error(
                    _(
                        "A person with this employee number exists in a unit you may not import into. Check the "
                        "number; if it is right, ask the group office to move the person to your unit first."
                    ),
                    row=row.number,
                    column="工号",
                    value=row.employee_no,
                )
                continue
            if self._differs(row, current):
                self._check_merged(row, current)
                updates.append((row, current))
            else:
                unchanged += 1
        self._fail_if_errors()
        checked = time.perf_counter()
        self.timings["validate"] += checked - self._write_started
        self._write_started = checked

        done = 0
        phase = gettext_lazy("Writing")
        # One time stamp for every row the import writes: it identifies them for the re-check.
        self.stamp = timezone.now()
        written = 0
        for batch in chunks(creates, WRITE_BATCH):
            written += len(self._create(batch))
            done += len(batch)
            self._progress(done, len(creates) + len(updates), phase)
        for batch in chunks(updates, WRITE_BATCH):
            written += len(self._update(batch))
            done += len(batch)
            self._progress(done, len(creates) + len(updates), phase)
        self._fail_if_errors()  # a row found out of scope once locked
        self._recheck_scope(written)
        if creates or updates:
            # Headcounts of many units may have moved; listeners refresh them all at once after commit.
            transaction.on_commit(
                lambda: roster_changed.send(
                    sender=Person, unit_ids=list(Unit.objects.filter(is_active=True).values_list("pk", flat=True))
                )
            )
        counts = {"created": len(creates), "updated": len(updates), "unchanged": unchanged}
        record_event(
            kind=AuditKind.IMPORT,
            actor=self.actor,
            unit=self.job.unit if self.job else None,
            object_repr=self.job.file_name if self.job else "",
            job=self.job.pk if self.job else None,
            outcome="succeeded",
            rows=total,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
        )
        return counts

    def _chunk_size(self) -> int:
        # SQLite allows 999 parameters per statement in Django's eyes; PostgreSQL many more.
        limit = connection.features.max_query_params or 10_000
        return max(100, min(5000, limit - 50))

    def _load_existing(self, employee_nos: list[str], *, with_tags: bool) -> dict[str, _Existing]:
        existing: dict[str, _Existing] = {}
        columns = {"id_number": "id_number_digest", "unit": "unit_id"}
        fields = ["pk", "employee_no", "unit__path", *(columns.get(f, f) for f in _VALUE_FIELDS)]
        for chunk in chunks(employee_nos, self._chunk_size()):
            for pk, employee_no, path, *values in (
                Person.objects.filter(employee_no__in=chunk).order_by().values_list(*fields)
            ):
                existing[employee_no] = _Existing(pk=pk, unit_path=path, values=tuple(values))
        if with_tags and existing:
            by_pk = {e.pk: e for e in existing.values()}
            tags: dict[int, set[int]] = {pk: set() for pk in by_pk}
            through = Person.tags.through
            for chunk in chunks(list(by_pk), self._chunk_size()):
                for person_id, tag_id in through.objects.filter(person_id__in=chunk).values_list("person_id", "tag_id"):
                    tags[person_id].add(tag_id)
            for pk, ids in tags.items():
                by_pk[pk].tags = frozenset(ids)
        return existing

    def _resolve_masked(self, rows: list[Row], existing: dict[str, _Existing]) -> None:
        """A masked ID number or phone (as exported to people who may not see it) that matches the
        record keeps the record's value; anything else masked is an error, since it cannot be stored."""
        masked_ids = [r for r in rows if isinstance(r.id_number, str) and "*" in r.id_number]
        plain: dict[int, str] = {}
        pks = [existing[r.employee_no].pk for r in masked_ids if r.employee_no in existing]
        for chunk in chunks(pks, self._chunk_size()):
            plain.update(Person.objects.filter(pk__in=chunk).values_list("pk", "id_number"))
        phones = {e.pk: e.get("phone") for e in existing.values()}
        for row in rows:
            current = existing.get(row.employee_no)
            if isinstance(row.id_number, str) and "*" in row.id_number:
                if current is not None and mask_id_number(plain.get(current.pk, "")) == row.id_number:
                    row.id_number = KEEP
                else:
                    message = self._masked_message(current)
                    self._add_error(message, row=row.number, column="身份证号", value=row.id_number)
            if isinstance(row.phone, str) and "*" in row.phone:
                if current is not None and mask_phone(phones.get(current.pk, "")) == row.phone:
                    row.phone = KEEP
                else:
                    self._add_error(self._masked_message(current), row=row.number, column="手机号", value=row.phone)

    @staticmethod
    def _masked_message(current: _Existing | None) -> str:
        if current is None:
            return _("This value is masked (it contains *); enter it in full.")
        return _("This value is masked (it contains *) and does not match the one on record; enter it in full.")

    def _differs(self, row: Row, current: _Existing) -> bool:
        for field in _VALUE_FIELDS:
            value = getattr(row, field)
            if value is KEEP:
                continue
            if field == "id_number":
                value = blind_index(value) if value else ""
            if value != current.get(field):
                return True
        return row.tags is not KEEP and frozenset(row.tags) != current.tags

    def _check_new(self, row: Row) -> None:
        if row.whereabouts is KEEP or row.returned_on is KEEP:  # else checked while reading
            whereabouts = Whereabouts.STAYED if row.whereabouts is KEEP else row.whereabouts
            returned_on = None if row.returned_on is KEEP else row.returned_on
            self._check_returned(row.number, whereabouts, returned_on)

    def _check_merged(self, row: Row, current: _Existing) -> None:
        if row.whereabouts is KEEP or row.returned_on is KEEP:  # else checked while reading
            whereabouts = current.get("whereabouts") if row.whereabouts is KEEP else row.whereabouts
            returned_on = current.get("returned_on") if row.returned_on is KEEP else row.returned_on
            self._check_returned(row.number, whereabouts, returned_on)

    def _tag_cache(self, ids: Iterable[int]) -> list[Tag]:
        return [self._tag_objects[pk] for pk in ids]

    def _create(self, batch: Sequence[Row]) -> list[int]:
        now = self.stamp
        people = []
        for row in batch:
            values = {f: getattr(row, f) for f in _VALUE_FIELDS if getattr(row, f) is not KEEP}
            values["unit_id"] = values.pop("unit")
            for field, default in CHOICE_DEFAULTS.items():
                values.setdefault(field, default)
            person = Person(employee_no=row.employee_no, created=now, updated=now, **values)
            # The fast insert skips Person.save(), which keeps the search digest of the ID number.
            person.id_number_digest = blind_index(person.id_number) if person.id_number else ""
            people.append(person)
        fast_insert(Person, people)
        pks: dict[str, int] = {}
        for chunk in chunks([p.employee_no for p in people], self._chunk_size()):
            pks.update(Person.objects.filter(employee_no__in=chunk).values_list("employee_no", "pk"))
        links: list[models.Model] = []
        through = Person.tags.through
        for person, row in zip(people, batch, strict=True):
            person.pk = pks[person.employee_no]
            person._state.adding = False
            tag_ids = () if row.tags is KEEP else row.tags
            links.extend(through(person_id=person.pk, tag_id=tag_id) for tag_id in tag_ids)
            # The change log's snapshot reads tags from the prefetch cache instead of one query each.
            person._prefetched_objects_cache = {"tags": self._tag_cache(tag_ids)}  # type: ignore[attr-defined]
        fast_insert(through, links)
        audit.record_changes(actor=self.actor, items=[(p, ChangeAction.CREATE, None) for p in people])
        return [p.pk for p in people]

    def _update(self, batch: Sequence[tuple[Row, _Existing]]) -> list[int]:
        by_pk = {current.pk: row for row, current in batch}
        # Locked in primary-key order (no deadlock between two imports), re-read for the change
        # log's "before", and checked against the scope again: the unlocked read may be stale.
        locked = list(
            Person.objects.select_for_update(of=("self",))
            .filter(pk__in=list(by_pk))
            .order_by("pk")
            .prefetch_related("tags")
        )
        now = self.stamp
        items = []
        retag: dict[int, tuple[int, ...]] = {}
        for person in locked:
            row = by_pk[person.pk]
            if not self._in_scope_unit(person.unit_id):
                self._add_error(
                    _("A person with this employee number exists in a unit you may not import into."),
                    row=row.number,
                    column="工号",
                    value=row.employee_no,
                )
                continue
            before = snapshot(person)
            for field in _VALUE_FIELDS:
                value = getattr(row, field)
                if value is not KEEP:
                    setattr(person, "unit_id" if field == "unit" else field, value)
            person.id_number_digest = blind_index(person.id_number) if person.id_number else ""
            person.updated = now
            if row.tags is not KEEP and set(row.tags) != {t.pk for t in person.tags.all()}:
                retag[person.pk] = row.tags
                person._prefetched_objects_cache = {"tags": self._tag_cache(row.tags)}  # type: ignore[attr-defined]
            items.append((person, ChangeAction.UPDATE, before))
        people = [item[0] for item in items]
        fast_update(Person, people, _UPDATE_FIELDS)
        if retag:
            through = Person.tags.through
            for chunk in chunks(list(retag), self._chunk_size()):
                through.objects.filter(person_id__in=chunk).delete()
            fast_insert(through, [through(person_id=pk, tag_id=tag_id) for pk, ids in retag.items() for tag_id in ids])
        audit.record_changes(actor=self.actor, items=items)
        return [p.pk for p in people]

    def _in_scope_unit(self, unit_id: int) -> bool:
        if self.actor.is_superuser:
            return True
        if not hasattr(self, "_unit_paths"):
            self._unit_paths = dict(Unit.objects.values_list("pk", "path"))
        return self._in_scope(self._unit_paths.get(unit_id, ""))

    def _recheck_scope(self, written: int) -> None:
        """Every written person must now be inside the actor's import scope, or nothing is written.

        The written rows are those carrying this import's time stamp (microseconds, inside our
        transaction); two counts compare them with the same rows seen through ``restrict``.
        """
        stamped = Person.objects.filter(updated=self.stamp)
        if stamped.count() != written or stamped.restrict(self.actor, Action.IMPORT).count() != written:
            raise PermissionDenied
