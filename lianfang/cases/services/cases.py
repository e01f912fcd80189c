"""Writes of cases: register (roster person or external, race-free BL-YYYY-NNNN numbers), move
through suspected → confirmed / asymptomatic / excluded → recovered / deceased with date checks,
change the details, reveal an external person's phone (audited). A new suspected or confirmed case
alerts the office at once, by number and unit, never by name."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import (
    ACTIVE_STATUSES,
    ALERTING_STATUSES,
    INITIAL_STATUSES,
    STATUS_DATE_FIELD,
    TRANSITIONS,
    CaseStatus,
    PersonKind,
    Treatment,
)
from lianfang.cases.models import Case, CaseNumberCounter, Contact
from lianfang.cases.services.base import (
    _ensure,
    _ensure_visible_person,
    _send,
    _today,
    office_user_ids,
    recompute_on_commit,
)
from lianfang.cases.services.clusters import _drop_from_open_alerts, cluster_check
from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.extensions import case_status_changed
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import MessageKind
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person

CASE_NUMBER_PREFIX = "BL"  # 病例


def case_reveal_phone(*, actor, case: Case) -> str:
    """The external person's full phone, for a viewer allowed to unmask; audited."""
    if not can(actor, Action.UNMASK, Case, case.unit):
        raise PermissionDenied(_("Only case managers and the group office may see the full phone number."))
    record_event(kind=AuditKind.UNMASK, actor=actor, unit=case.unit, object_repr=str(case), field="external_phone")
    return case.external_phone


def _next_case_number(year: int) -> str:
    """BL-<year>-<nnnn>, the next of the year. The UPDATE locks the year's counter row until commit,
    so concurrent registrations are served one after the other; the first of a year creates the row
    (a concurrent second creator gets the IntegrityError and increments the row the first made)."""
    while True:
        if not CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    CaseNumberCounter.objects.create(year=year, last=1)
            except IntegrityError:
                CaseNumberCounter.objects.filter(year=year).update(last=F("last") + 1)
        last = CaseNumberCounter.objects.filter(year=year).values_list("last", flat=True).get()
        number = f"{CASE_NUMBER_PREFIX}-{year}-{last:04d}"
        # Numbers typed in before the counter existed (an import) are skipped, not reused.
        if not Case.objects.filter(number=number).exists():
            return number


def _who_may_cases() -> str:
    return _("Only case managers of the unit and the group office may register and change cases.")


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label)


def _alert_office_of_case(case: Case, status: str) -> None:
    if status not in ALERTING_STATUSES:
        return
    with translation.override(django_settings.LANGUAGE_CODE):
        if status == CaseStatus.SUSPECTED:
            title = _("New suspected case %(number)s in %(unit)s") % {"number": case.number, "unit": case.unit.name}
        else:
            title = _("New confirmed case %(number)s in %(unit)s") % {"number": case.number, "unit": case.unit.name}
        body = _(
            "Case %(number)s (%(status)s) in %(unit)s, reported on %(date)s. Open the case to see who it is and "
            "to list the close contacts."
        ) % {"number": case.number, "status": _status_label(status), "unit": case.unit.name, "date": case.reported_on}
    _send(office_user_ids(), MessageKind.CASE_ALERT, title, body, reverse("cases:detail", args=[case.pk]))


def _check_case_dates(
    *, reported_on: datetime.date, onset_on: datetime.date | None, isolated_on: datetime.date | None
) -> None:
    errors: dict[str, str] = {}
    today = _today()
    if reported_on > today:
        errors["reported_on"] = _("The report date cannot be in the future; enter today or an earlier date.")
    if onset_on is not None and onset_on > reported_on:
        errors["onset_on"] = _("Symptom onset cannot be after the report date; check both dates.")
    if isolated_on is not None and isolated_on > today:
        errors["isolated_on"] = _("The isolation date cannot be in the future; enter it once the case is isolated.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_register(
    *,
    actor,
    person: Person | None = None,
    external_name: str = "",
    external_phone: str = "",
    unit: Unit | None = None,
    status: str = CaseStatus.SUSPECTED,
    reported_on: datetime.date | None = None,
    onset_on: datetime.date | None = None,
    isolated_on: datetime.date | None = None,
    treatment: str = Treatment.NONE,
    treatment_place: str = "",
    note: str = "",
    source_contact: Contact | None = None,
) -> Case:
    """Register a case: a roster person (employee or family member), or an external person by name.

    The unit defaults to the person's unit (an external person's unit must be given). New suspected
    and confirmed cases alert the group office at once; the cluster rule is checked.
    """
    external_name = external_name.strip()
    external_phone = external_phone.strip()
    if person is None and not external_name:
        raise ValidationError({"person": _("Choose a person on the roster, or give the name of the external person.")})
    if person is not None and external_name:
        raise ValidationError(
            {"external_name": _("Give either a person on the roster or an external person's name, not both.")}
        )
    if status not in INITIAL_STATUSES:
        raise ValidationError(
            {"status": _("Register a case as suspected, confirmed or asymptomatic; other statuses come later.")}
        )
    if person is not None:
        _ensure_visible_person(actor, person)
        unit = unit or person.unit
    if unit is None:
        raise ValidationError({"unit": _("Choose the unit responsible for the external person.")})
    _ensure(actor, Action.ADD, Case, unit, _who_may_cases())
    reported_on = reported_on or _today()
    _check_case_dates(reported_on=reported_on, onset_on=onset_on, isolated_on=isolated_on)
    if person is not None:
        existing = Case.objects.filter(person=person, status__in=ACTIVE_STATUSES).first()
        if existing is not None:
            raise ValidationError(
                {
                    "person": _(
                        "%(name)s already has an active case, %(number)s (%(status)s): open it and change its status."
                    )
                    % {"name": person.name, "number": existing.number, "status": existing.get_status_display()}
                }
            )
    case = Case(
        number=_next_case_number(reported_on.year),
        person_kind=PersonKind.ROSTER if person is not None else PersonKind.EXTERNAL,
        person=person,
        external_name=external_name,
        external_phone=external_phone,
        unit=unit,
        status=status,
        onset_on=onset_on,
        reported_on=reported_on,
        isolated_on=isolated_on,
        treatment=treatment,
        treatment_place=treatment_place.strip(),
        note=note.strip(),
        source_contact=source_contact,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    setattr(case, STATUS_DATE_FIELD[status], reported_on)
    case.full_clean(exclude=["person", "unit", "source_contact", "created_by"], validate_constraints=False)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:  # a concurrent registration of the same person won the race
        raise ValidationError(
            {"person": _("This person already has an active case: open it and change its status.")}
        ) from None
    record_change(actor=actor, obj=case, action=ChangeAction.CREATE)
    ensure_in_scope(actor, case, Action.VIEW)
    _alert_office_of_case(case, status)
    cluster_check(case=case)
    recompute_on_commit([case.person_id])
    case_status_changed(case, "")
    return case


def allowed_transitions(case: Case) -> tuple[str, ...]:
    return TRANSITIONS.get(case.status, ())


def _transition_refusal(case: Case, to_status: str) -> str:
    allowed = allowed_transitions(case)
    current = case.get_status_display().lower()
    if not allowed:
        return _("A case that is %(status)s is closed: its status cannot change any more.") % {"status": current}
    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    names = separator.join(_status_label(s).lower() for s in allowed)
    return _("A case that is %(status)s can only become: %(allowed)s.") % {"status": current, "allowed": names}


@transaction.atomic
def case_transition(
    *,
    actor,
    case: Case,
    to_status: str,
    on: datetime.date | None = None,
    treatment: str | None = None,
    treatment_place: str | None = None,
    note: str = "",
) -> Case:
    """Move a case to its next status on a date (confirmed, asymptomatic, excluded, recovered, deceased).

    Allowed moves are :data:`TRANSITIONS`; the date must not be before the current status's date nor
    in the future. A newly confirmed case alerts the office; the status of the person is recomputed.
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("unit", "person").get(pk=case.pk)
    _ensure(actor, Action.CHANGE, Case, case.unit, _who_may_cases())
    if to_status not in CaseStatus.values or to_status not in allowed_transitions(case):
        raise ValidationError({"status": _transition_refusal(case, to_status)})
    on = on or _today()
    if on > _today():
        raise ValidationError({"on": _("The date cannot be in the future; enter today or an earlier date.")})
    since = getattr(case, STATUS_DATE_FIELD[case.status]) or case.reported_on
    if on < since:
        raise ValidationError(
            {
                "on": _("The date cannot be before %(date)s, when the case became %(status)s; enter a later date.")
                % {"date": since.isoformat(), "status": case.get_status_display()}
            }
        )
    before = snapshot(case)
    from_status = case.status
    case.status = to_status
    setattr(case, STATUS_DATE_FIELD[to_status], on)
    if treatment is not None:
        case.treatment = treatment
    if treatment_place is not None:
        case.treatment_place = treatment_place.strip()
    if note.strip():
        case.note = (case.note + "\n" if case.note else "") + f"{on.isoformat()} {note.strip()}"
    case.full_clean(exclude=["person", "unit", "source_contact", "created_by"], validate_constraints=False)
    case.save()
    record_change(actor=actor, obj=case, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, case, Action.CHANGE)
    _alert_office_of_case(case, to_status)
    if to_status == CaseStatus.EXCLUDED:
        _drop_from_open_alerts(case)
    else:
        cluster_check(case=case)
    recompute_on_commit([case.person_id])
    case_status_changed(case, from_status)
    return case


@transaction.atomic
def case_update(
    *,
    actor,
    case: Case,
    onset_on: datetime.date | None = None,
    isolated_on: datetime.date | None = None,
    treatment: str | None = None,
    treatment_place: str | None = None,
    external_phone: str | None = None,
    note: str | None = None,
    fields: Sequence[str] = (),
) -> Case:
    """Change a case's details (onset, isolation date, where treated, phone, note).

    ``fields`` names the ones to change (so a date can be cleared). The isolation date cannot move
    before the last exposure of a contact already listed: exposures happen before isolation.
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("unit", "person").get(pk=case.pk)
    _ensure(actor, Action.CHANGE, Case, case.unit, _who_may_cases())
    before = snapshot(case)
    values = {
        "onset_on": onset_on,
        "isolated_on": isolated_on,
        "treatment": treatment,
        "treatment_place": (treatment_place or "").strip(),
        "external_phone": (external_phone or "").strip(),
        "note": (note or "").strip(),
    }
    for name in fields:
        if name not in values:
            raise ValidationError({name: _("This field cannot be changed here.")})
        if name == "external_phone" and case.person_kind != PersonKind.EXTERNAL:
            raise ValidationError({name: _("Only an external person's phone is kept on the case; change the roster.")})
        if name == "treatment" and values[name] is None:
            continue
        setattr(case, name, values[name])
    _check_case_dates(reported_on=case.reported_on, onset_on=case.onset_on, isolated_on=case.isolated_on)
    if case.isolated_on is not None:
        late = case.contacts.filter(last_exposure_on__gt=case.isolated_on).select_related("person").first()
        if late is not None:
            raise ValidationError(
                {
                    "isolated_on": _(
                        "%(name)s was last exposed on %(date)s, after this isolation date; correct the date or "
                        "that contact first."
                    )
                    % {"name": late.display_name, "date": late.last_exposure_on.isoformat()}
                }
            )
    case.full_clean(exclude=["person", "unit", "source_contact", "created_by"], validate_constraints=False)
    case.save()
    record_change(actor=actor, obj=case, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, case, Action.CHANGE)
    recompute_on_commit([case.person_id])
    return case
