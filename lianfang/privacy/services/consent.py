"""Every write of the privacy app: the notice and its versions, legal bases, emergency periods and
the consent register (a hash chain).

A consent record is appended under a lock on the chain's head row (``ConsentChainHead``, SELECT …
FOR UPDATE on PostgreSQL; SQLite serialises writers anyway), so two concurrent consents never link
to the same predecessor. Records are never changed or deleted.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import personal_data_categories
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.core.uploads import check_size
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person
from lianfang.privacy import gate
from lianfang.privacy.choices import Basis, Channel, ConsentAction
from lianfang.privacy.models import (
    ConsentChainHead,
    ConsentRecord,
    EmergencyPeriod,
    LegalBasis,
    PrivacyNotice,
    WithdrawalReview,
)
from lianfang.privacy.selectors import is_office

SCAN_TYPES = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff": "jpg"}


def _ensure_office(user, model=PrivacyNotice) -> None:
    if not is_office(user, model):
        raise PermissionDenied(_("Only the group office manages the privacy notice, legal bases and emergencies."))


# --- the notice ------------------------------------------------------------------------------------


@transaction.atomic
def notice_create(
    *, actor, title: str, title_en: str, body: str, body_en: str, substantive: bool = True
) -> PrivacyNotice:
    """A new draft version of the notice (the next version number)."""
    _ensure_office(actor)
    last = PrivacyNotice.objects.select_for_update().order_by("-version").first()
    notice = PrivacyNotice(
        version=(last.version + 1) if last else 1,
        title=title.strip(),
        title_en=title_en.strip(),
        body=body.strip(),
        body_en=body_en.strip(),
        substantive=substantive or last is None,  # the first notice always asks for consent
        created_by=actor,
    )
    notice.full_clean()
    notice.save()
    record_change(actor=actor, obj=notice, action=ChangeAction.CREATE)
    return notice


@transaction.atomic
def notice_update(*, actor, notice: PrivacyNotice, **fields: Any) -> PrivacyNotice:
    """Change a draft; a published notice never changes (people consented to its words)."""
    _ensure_office(actor)
    notice = PrivacyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.is_published:
        raise ValidationError(_("A published notice cannot be changed: write a new version."))
    before = snapshot(notice)
    for name in ("title", "title_en", "body", "body_en", "substantive"):
        if name in fields:
            setattr(notice, name, fields[name])
    if notice.version == 1:
        notice.substantive = True
    notice.full_clean()
    notice.save()
    record_change(actor=actor, obj=notice, action=ChangeAction.UPDATE, before=before)
    return notice


@transaction.atomic
def notice_publish(*, actor, notice: PrivacyNotice) -> PrivacyNotice:
    """Publish a draft: it becomes the current notice. A substantive version asks everyone whose
    basis is consent to consent again before their next check-in."""
    _ensure_office(actor)
    notice = PrivacyNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.is_published:
        raise ValidationError(_("This version is already published."))
    newer = PrivacyNotice.objects.filter(published_at__isnull=False, version__gt=notice.version).exists()
    if newer:
        raise ValidationError(_("A later version is already published: write a new version instead."))
    missing = [
        label
        for name, label in (
            ("title", _("title")),
            ("body", _("text")),
            ("title_en", _("English title")),
            ("body_en", _("English text")),
        )
        if not getattr(notice, name).strip()
    ]
    if missing:
        raise ValidationError(
            _("Fill in before publishing: %(fields)s.") % {"fields": "、".join(str(m) for m in missing)}
        )
    before = snapshot(notice)
    notice.published_at = timezone.now()
    notice.published_by = actor
    notice.save(update_fields=["published_at", "published_by"])
    record_change(actor=actor, obj=notice, action=ChangeAction.UPDATE, before=before)
    gate.invalidate_on_commit()
    return notice


def current_notice() -> PrivacyNotice | None:
    return PrivacyNotice.objects.filter(published_at__isnull=False).order_by("-version").first()


# --- emergencies and legal bases ----------------------------------------------------------------------


@transaction.atomic
def emergency_open(*, actor, name: str, declared_by: str, starts_on: datetime.date) -> EmergencyPeriod:
    _ensure_office(actor, EmergencyPeriod)
    if EmergencyPeriod.objects.select_for_update().filter(is_open=True).exists():
        raise ValidationError(_("An emergency period is already open: close it before opening another."))
    period = EmergencyPeriod(
        name=name.strip(), declared_by=declared_by.strip(), starts_on=starts_on, is_open=True, opened_by=actor
    )
    period.full_clean(validate_constraints=False)
    period.save()
    record_change(actor=actor, obj=period, action=ChangeAction.CREATE)
    gate.invalidate_on_commit()
    return period


@transaction.atomic
def emergency_close(*, actor, period: EmergencyPeriod, ends_on: datetime.date | None = None) -> EmergencyPeriod:
    """Close the period: from then on, categories that relied on it need consent again."""
    _ensure_office(actor, EmergencyPeriod)
    period = EmergencyPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_open:
        raise ValidationError(_("This emergency period is already closed."))
    ends_on = ends_on or timezone.localdate()
    if ends_on < period.starts_on:
        raise ValidationError(
            {"ends_on": _("The end cannot be before the start (%(date)s).") % {"date": period.starts_on}}
        )
    before = snapshot(period)
    period.is_open = False
    period.ends_on = ends_on
    period.closed_by = actor
    period.save()
    record_change(actor=actor, obj=period, action=ChangeAction.UPDATE, before=before)
    gate.invalidate_on_commit()
    return period


@transaction.atomic
def legal_basis_set(*, actor, category: str, basis: str, emergency: EmergencyPeriod | None = None) -> LegalBasis:
    """Record the basis the office relies on for a category. The emergency basis names an open period."""
    _ensure_office(actor, LegalBasis)
    declared = personal_data_categories.get(category)
    if declared is None:
        raise ValidationError(
            {"category": _("“%(value)s” is not a known category of personal data.") % {"value": category}}
        )
    if declared.fixed_basis is not None:
        raise ValidationError(
            {
                "basis": _("The basis for %(label)s is set by law (%(basis)s); there is nothing to choose.")
                % {"label": declared.label, "basis": declared.fixed_basis}
            }
        )
    if basis not in Basis.values:
        raise ValidationError({"basis": _("Choose separate consent or the public-health emergency.")})
    if basis == Basis.EMERGENCY:
        emergency = emergency or EmergencyPeriod.objects.filter(is_open=True).first()
        if emergency is None or not emergency.is_open:
            raise ValidationError(
                {"basis": _("The emergency basis needs an open emergency period declared by the authorities.")}
            )
    else:
        emergency = None
    row = LegalBasis.objects.select_for_update().filter(category=category).first()
    before = snapshot(row) if row else None
    if row is None:
        row = LegalBasis(category=category)
    row.basis, row.emergency, row.set_by = basis, emergency, actor
    row.full_clean()
    row.save()
    record_change(actor=actor, obj=row, action=ChangeAction.UPDATE if before else ChangeAction.CREATE, before=before)
    gate.invalidate_on_commit()
    return row


def effective_basis(category: str, day: datetime.date | None = None) -> str:
    return gate.load_state(day or timezone.localdate()).basis(category)


# --- the consent register -------------------------------------------------------------------------------


def _append(record: ConsentRecord, actor=None) -> ConsentRecord:
    """Link the record to the chain and insert it, under the head row's lock (inside a transaction)."""
    ConsentChainHead.objects.get_or_create(pk=1)
    head = ConsentChainHead.objects.select_for_update().get(pk=1)
    record.prev_hash = head.last_hash
    record.hash = record.compute_hash()
    record.save()
    ConsentChainHead.objects.filter(pk=1).update(last_hash=record.hash, count=head.count + 1)
    record_change(actor=actor or record.recorded_by, obj=record, action=ChangeAction.CREATE)
    return record


def _categories(categories: Sequence[str] | None) -> list[str]:
    from lianfang.privacy.choices import CHECKIN_CATEGORIES

    chosen = list(dict.fromkeys(categories or CHECKIN_CATEGORIES))
    unknown = [c for c in chosen if personal_data_categories.get(c) is None]
    if unknown or not chosen:
        raise ValidationError({"categories": _("Choose the categories of data from the list.")})
    return chosen


def _is_self(actor, person: Person) -> bool:
    return person.user_id is not None and person.user_id == getattr(actor, "pk", None)


def _notice_or_current(notice: PrivacyNotice | None) -> PrivacyNotice:
    current = current_notice()
    notice = notice or current
    if notice is None or not notice.is_published:
        raise ValidationError(_("No privacy notice is published yet: the office publishes one first."))
    if current is not None and notice.pk != current.pk:
        raise ValidationError(_("This is not the current notice: read the current one and consent to it."))
    return notice


@dataclass
class _Entry:
    category: str
    basis: str


def _entries(categories: Sequence[str], day: datetime.date) -> list[_Entry]:
    state = gate.load_state(day)
    return [_Entry(c, state.basis(c)) for c in categories]


@transaction.atomic
def consent_give(
    *,
    actor,
    person: Person,
    notice: PrivacyNotice | None = None,
    categories: Sequence[str] | None = None,
    channel: str = Channel.SELF,
) -> list[ConsentRecord]:
    """The person's own consent, on phone or web, one record per category ticked (separate consent)."""
    if not _is_self(actor, person):
        raise PermissionDenied(_("Only the person themselves gives consent here; a liaison records paper consent."))
    notice = _notice_or_current(notice)
    now = timezone.now()
    records: list[ConsentRecord] = []
    for entry in _entries(_categories(categories), timezone.localdate()):
        record = ConsentRecord(
            person=person,
            category=entry.category,
            notice=notice,
            notice_version=notice.version,
            action=ConsentAction.CONSENT,
            basis=entry.basis,
            channel=Channel.SELF,
            given_at=now,
            recorded_by=actor,
        )
        records.append(_append(record))
    return records


@transaction.atomic
def notice_acknowledge(*, actor, person: Person, categories: Sequence[str] | None = None) -> list[ConsentRecord]:
    """Under the emergency basis: record that the person was shown the current notice (no consent asked)."""
    if not _is_self(actor, person):
        raise PermissionDenied
    notice = _notice_or_current(None)
    now = timezone.now()
    return [
        _append(
            ConsentRecord(
                person=person,
                category=entry.category,
                notice=notice,
                notice_version=notice.version,
                action=ConsentAction.NOTICE_SHOWN,
                basis=entry.basis,
                channel=Channel.SELF,
                given_at=now,
                recorded_by=actor,
            )
        )
        for entry in _entries(_categories(categories), timezone.localdate())
    ]


def check_scan(scan: UploadedFile) -> None:
    check_size(scan.size or 0)
    head = scan.read(8)
    scan.seek(0)
    if not any(head.startswith(magic) for magic in SCAN_TYPES):
        raise ValidationError({"scan": _("Upload the scan as a PDF, PNG or JPEG file.")})


@transaction.atomic
def consent_attest_paper(
    *,
    actor,
    person: Person,
    signed_on: datetime.date,
    notice: PrivacyNotice | None = None,
    categories: Sequence[str] | None = None,
    scan: UploadedFile | None = None,
) -> list[ConsentRecord]:
    """Consent given on paper by someone without a phone, attested by the liaison who saw it signed."""
    if not can(actor, Action.ADD, ConsentRecord, person.unit):
        raise PermissionDenied(_("Paper consent is recorded by a liaison of the person's unit."))
    notice = _notice_or_current(notice)
    today = timezone.localdate()
    if signed_on > today:
        raise ValidationError({"signed_on": _("The date of signing cannot be in the future.")})
    if notice.published_at and signed_on < timezone.localdate(notice.published_at):
        raise ValidationError(
            {"signed_on": _("The paper was signed before this notice was published: have the current notice signed.")}
        )
    if scan is not None:
        check_scan(scan)
    now = timezone.now()
    records: list[ConsentRecord] = []
    for index, entry in enumerate(_entries(_categories(categories), today)):
        record = ConsentRecord(
            person=person,
            category=entry.category,
            notice=notice,
            notice_version=notice.version,
            action=ConsentAction.CONSENT,
            basis=entry.basis,
            channel=Channel.PAPER,
            given_at=now,
            recorded_by=actor,
            attested_by=actor,
            attested_on=signed_on,
        )
        if scan is not None:
            if index == 0:
                record.scan.save(scan.name or "scan", scan, save=False)
            else:
                record.scan.name = records[0].scan.name
        records.append(_append(record))
        ensure_in_scope(actor, record, Action.VIEW)
    return records


def liaison_user_ids(unit: Unit) -> list[int]:
    """Users holding unit_admin on the unit or one of its ancestors."""
    steplen = Unit.steplen
    prefixes = [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]
    return list(
        RoleAssignment.objects.filter(role=Role.UNIT_ADMIN, unit__path__in=prefixes)
        .values_list("user_id", flat=True)
        .distinct()
    )


@transaction.atomic
def consent_withdraw(
    *, actor, person: Person, categories: Sequence[str] | None = None, channel: str = Channel.SELF
) -> list[ConsentRecord]:
    """Withdraw consent (the person, or a liaison recording a withdrawal on paper).

    Where consent is the basis, no new health data of those categories is collected for the person
    from now on, and their liaisons are told in their inbox. Under the emergency basis the
    withdrawal is recorded and the office reviews it (a to-do on its home page).
    """
    if _is_self(actor, person):
        channel = Channel.SELF
    elif can(actor, Action.ADD, ConsentRecord, person.unit):
        channel = Channel.PAPER
    else:
        raise PermissionDenied
    notice = current_notice()
    if notice is None:
        raise ValidationError(_("No privacy notice is published yet: there is no consent to withdraw."))
    now = timezone.now()
    records: list[ConsentRecord] = []
    for entry in _entries(_categories(categories), timezone.localdate()):
        record = ConsentRecord(
            person=person,
            category=entry.category,
            notice=notice,
            notice_version=notice.version,
            action=ConsentAction.WITHDRAW,
            basis=entry.basis,
            channel=channel,
            given_at=now,
            recorded_by=actor,
            attested_by=actor if channel == Channel.PAPER else None,
            attested_on=timezone.localdate() if channel == Channel.PAPER else None,
        )
        records.append(_append(record))
    _tell_liaisons(person, records)
    return records


def _tell_liaisons(person: Person, records: list[ConsentRecord]) -> None:
    from lianfang.notify.models import Message  # the inbox belongs to notify; we only drop messages in it

    recipients = [uid for uid in liaison_user_ids(person.unit) if uid != person.user_id]
    if not recipients:
        return
    what = "、".join(gate.category_label(r.category) for r in records)
    emergency = any(r.basis == Basis.EMERGENCY for r in records)
    title = _("Consent withdrawn: %(name)s (%(unit)s)") % {"name": person.name, "unit": person.unit.name}
    if emergency:
        body = _(
            "%(name)s withdrew consent to the processing of %(what)s. The office relies on the public-health "
            "emergency basis for it: the withdrawal is recorded and the office reviews it."
        ) % {"name": person.name, "what": what}
    else:
        body = _(
            "%(name)s withdrew consent to the processing of %(what)s. No health data can be recorded for them "
            "until they consent again; the morning check refuses their readings."
        ) % {"name": person.name, "what": what}
    url = reverse("privacy:register") + f"?person={person.pk}"
    Message.objects.bulk_create(
        [
            Message(recipient_id=uid, kind="consent_withdrawn", title=title[:200], body=body, url=url)
            for uid in recipients
        ]
    )


@transaction.atomic
def withdrawal_review(*, actor, record: ConsentRecord, note: str = "") -> WithdrawalReview:
    """The office reviewed a withdrawal made under the emergency basis."""
    _ensure_office(actor, ConsentRecord)
    if record.action != ConsentAction.WITHDRAW or record.basis != Basis.EMERGENCY:
        raise ValidationError(_("Only withdrawals under the emergency basis are reviewed."))
    if WithdrawalReview.objects.filter(record=record).exists():
        raise ValidationError(_("This withdrawal has been reviewed already."))
    review = WithdrawalReview.objects.create(record=record, reviewed_by=actor, note=note.strip())
    record_change(actor=actor, obj=review, action=ChangeAction.CREATE)
    return review


# --- verifying the chain ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainResult:
    checked: int
    broken: ConsentRecord | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.reason


def consent_chain_verify() -> ChainResult:
    """Recompute every record's hash in order; the first record whose hash or link does not match
    is returned (an edited record, or one deleted before it). The head's hash must be the last one's."""
    previous = ""
    checked = 0
    last: ConsentRecord | None = None
    for record in ConsentRecord.objects.order_by("id").iterator(chunk_size=2000):
        if record.prev_hash != previous:
            return ChainResult(checked, record, _("The link to the previous record is broken (a record was removed)."))
        if record.compute_hash() != record.hash:
            return ChainResult(checked, record, _("The record does not match its hash (it was changed)."))
        previous = record.hash
        checked += 1
        last = record
    head = ConsentChainHead.objects.filter(pk=1).first()
    head_hash = head.last_hash if head else ""
    if head_hash != previous:
        return ChainResult(checked, last, _("The chain ends before its last recorded hash (records were removed)."))
    return ChainResult(checked)
