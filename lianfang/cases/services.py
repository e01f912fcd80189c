"""Writes of the cases app: cases, close contacts and cluster alerts (isolation and follow-ups are in
``isolation_services``, one-on-one care in ``care_services``).

Every write is ``<entity>_<verb>(*, actor, ...)``, atomic, checks the actor's scope before and after,
and writes the change log. Writes that change a fact of the status rules (a case, a contact, an
isolation, a follow-up) ask :func:`lianfang.status.engine.recompute` for the people concerned once
the transaction has committed.

Messages to the office name the case number and the unit, never the person: an inbox is read on
shared screens, and the name is a click (and an audited read) away for those allowed to see it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import (
    AlertStatus,
    CaseStatus,
    ContactDegree,
    ExposureSetting,
    PersonKind,
    Treatment,
)
from lianfang.cases.models import Case, CaseNumberCounter, ClusterAlert, Contact
from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Action, Role
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person

CASE_NUMBER_PREFIX = "BL"  # 病例
# Statuses a case may be registered with; the others are reached by a transition.
INITIAL_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)
ACTIVE_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)
# Where a case may go from each status (疑似 → 确诊 / 无症状 / 排除, 无症状 → 确诊 / 治愈, 确诊 → 治愈 / 死亡).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.SUSPECTED: (CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC, CaseStatus.EXCLUDED),
    CaseStatus.ASYMPTOMATIC: (CaseStatus.CONFIRMED, CaseStatus.RECOVERED),
    CaseStatus.CONFIRMED: (CaseStatus.RECOVERED, CaseStatus.DECEASED),
    CaseStatus.EXCLUDED: (),
    CaseStatus.RECOVERED: (),
    CaseStatus.DECEASED: (),
}
STATUS_DATE_FIELD: dict[str, str] = {
    CaseStatus.SUSPECTED: "suspected_on",
    CaseStatus.CONFIRMED: "confirmed_on",
    CaseStatus.ASYMPTOMATIC: "asymptomatic_on",
    CaseStatus.EXCLUDED: "excluded_on",
    CaseStatus.RECOVERED: "recovered_on",
    CaseStatus.DECEASED: "deceased_on",
}
# Statuses whose new cases alert the group office at once.
ALERTING_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED)


# --- shared helpers -----------------------------------------------------------------------------


def recompute_on_commit(person_ids: Iterable[int | None]) -> None:
    """Recompute these roster people's health status once the transaction has committed.

    The status engine belongs to the health app; it reads the committed records, so it runs after
    the commit (and not at all when the write is rolled back).
    """
    ids = sorted({pid for pid in person_ids if pid})
    if not ids:
        return

    def run() -> None:
        from lianfang.status import engine as status

        status.recompute(ids)

    transaction.on_commit(run)


def ancestor_paths(unit: Unit) -> list[str]:
    """The paths of the unit and all its ancestors."""
    steplen = Unit.steplen
    return [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]


def role_holder_ids(unit: Unit, roles: Sequence[str]) -> list[int]:
    """Users holding one of ``roles`` on the unit or one of its ancestors (their scope covers it)."""
    return list(
        RoleAssignment.objects.filter(role__in=list(roles), unit__path__in=ancestor_paths(unit), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def office_user_ids() -> list[int]:
    """The group office: users holding group_admin on a root unit."""
    return list(
        RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, unit__depth=1, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def _send(recipients: Iterable[int], kind: str, title: str, body: str, url: str = "") -> int:
    return message_send(recipients=list(recipients), kind=kind, title=title, body=body, url=url)


def _ensure(actor, action: str, model: type[Model], unit: Unit, message: str) -> None:
    """Refuse with a message that says who may do it (403 in the pages and the API)."""
    if not can(actor, action, model, unit):
        raise PermissionDenied(message)


def _ensure_visible_person(actor, person: Person) -> None:
    """A roster person named in a write must be one the actor may see (others do not exist for them)."""
    if not Person.objects.restrict(actor, Action.VIEW).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose a person on the roster of your units.")})


def _today() -> datetime.date:
    return timezone.localdate()


def audit_sensitive_read(*, viewer, obj: Case | Contact | Any, what: str, unit: Unit | None = None, **detail) -> None:
    """Record that the viewer read case or contact details (the detail page, the API, the graph)."""
    record_event(
        kind=AuditKind.SENSITIVE_READ,
        actor=viewer,
        unit=unit if unit is not None else getattr(obj, "unit", None),
        object_repr=str(obj),
        what=what,
        model=obj._meta.label_lower,
        pk=obj.pk,
        **detail,
    )


def audit_list_read(*, viewer, what: str, count: int) -> None:
    """Record that the viewer read a list of cases or contacts (names included); an empty list is no read."""
    if count:
        record_event(kind=AuditKind.SENSITIVE_READ, actor=viewer, object_repr=what, what=what, count=count)


def case_reveal_phone(*, actor, case: Case) -> str:
    """The external person's full phone, for a viewer allowed to unmask; audited."""
    if not can(actor, Action.UNMASK, Case, case.unit):
        raise PermissionDenied(_("Only case managers and the group office may see the full phone number."))
    record_event(kind=AuditKind.UNMASK, actor=actor, unit=case.unit, object_repr=str(case), field="external_phone")
    return case.external_phone


# --- case numbers -------------------------------------------------------------------------------


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


# --- cases --------------------------------------------------------------------------------------


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


# --- contacts -----------------------------------------------------------------------------------


def _who_may_contacts() -> str:
    return _("Only case managers of the contact's unit and the group office may list close contacts.")


def _notify_contact(contact: Contact) -> None:
    """Tell the contact (if they have an account) and their unit's liaisons to isolate."""
    person = contact.person
    with translation.override(django_settings.LANGUAGE_CODE):
        if person is not None and person.user_id:
            _send(
                [person.user_id],
                MessageKind.CONTACT_NOTICE,
                _("You are a close contact: please isolate"),
                _(
                    "You were in close contact with a case (last exposure on %(date)s). Stay at home, avoid "
                    "contact with others, report your temperature every day and wait for your unit's instructions "
                    "on isolation."
                )
                % {"date": contact.last_exposure_on.isoformat()},
            )
        liaisons = role_holder_ids(contact.unit, [Role.UNIT_ADMIN])
        if liaisons:
            _send(
                liaisons,
                MessageKind.CONTACT_NOTICE,
                _("Close contact in %(unit)s: arrange isolation for %(name)s")
                % {"unit": contact.unit.name, "name": contact.display_name},
                _(
                    "%(name)s (%(unit)s) is a %(degree)s of a case, last exposed on %(date)s. Tell them to isolate "
                    "now; the case managers will order the isolation."
                )
                % {
                    "name": contact.display_name,
                    "unit": contact.unit.name,
                    "degree": contact.get_degree_display().lower(),
                    "date": contact.last_exposure_on.isoformat(),
                },
            )
    contact.notified_at = timezone.now()
    Contact.objects.filter(pk=contact.pk).update(notified_at=contact.notified_at)


def _check_contact(
    *,
    case: Case,
    person: Person | None,
    external_name: str,
    external_phone: str,
    degree: str,
    via: Contact | None,
    last_exposure_on: datetime.date,
) -> None:
    if person is None and not external_name:
        raise ValidationError({"person": _("Choose a person on the roster, or give the name of the external person.")})
    if person is not None and person.pk == case.person_id:
        raise ValidationError(
            {
                "person": _("%(name)s is the case itself and cannot be their own contact; choose someone else.")
                % {"name": person.name}
            }
        )
    if person is not None:
        existing = case.contacts.filter(person=person).first()
        if existing is not None:
            raise ValidationError(
                {
                    "person": _("%(name)s is already a %(degree)s of case %(number)s.")
                    % {"name": person.name, "degree": existing.get_degree_display().lower(), "number": case.number}
                }
            )
    else:
        same = case.contacts.filter(person__isnull=True, external_name=external_name)
        if any(c.external_phone == external_phone for c in same):
            raise ValidationError(
                {
                    "external_name": _("%(name)s is already a contact of case %(number)s.")
                    % {"name": external_name, "number": case.number}
                }
            )
    if last_exposure_on > _today():
        raise ValidationError(
            {"last_exposure_on": _("The last exposure cannot be in the future; enter the day they last met.")}
        )
    if case.isolated_on is not None and last_exposure_on > case.isolated_on:
        raise ValidationError(
            {
                "last_exposure_on": _(
                    "The case was isolated on %(date)s, so the last exposure cannot be later; enter %(date)s or an "
                    "earlier day."
                )
                % {"date": case.isolated_on.isoformat()}
            }
        )
    if degree == ContactDegree.SECONDARY:
        if via is None:
            raise ValidationError(
                {"via": _("Choose the close contact through whom this secondary contact met the case.")}
            )
        if via.case_id != case.pk or via.degree != ContactDegree.CLOSE:
            raise ValidationError({"via": _("Choose a close contact of this same case.")})
        if person is not None and via.person_id == person.pk:
            raise ValidationError({"via": _("A person cannot be a secondary contact through themselves.")})
    elif via is not None:
        raise ValidationError({"via": _("Only a secondary contact comes through a close contact; leave this empty.")})


@transaction.atomic
def contact_add(
    *,
    actor,
    case: Case,
    last_exposure_on: datetime.date,
    person: Person | None = None,
    external_name: str = "",
    external_phone: str = "",
    unit: Unit | None = None,
    degree: str = ContactDegree.CLOSE,
    via: Contact | None = None,
    setting: str = ExposureSetting.WORKPLACE,
    setting_note: str = "",
    notify: bool = True,
) -> Contact:
    """List a close (or secondary) contact of a case and notify them and their liaisons to isolate.

    Refused: the case's own person, an exposure in the future or after the case was isolated, and a
    second record of the same person for the case. The contact's unit is the person's (an external
    contact's defaults to the case's unit).
    """
    case = Case.objects.select_for_update(of=("self",)).select_related("unit").get(pk=case.pk)
    _ensure(actor, Action.VIEW, Case, case.unit, _who_may_contacts())
    external_name, external_phone = external_name.strip(), external_phone.strip()
    if person is not None:
        if external_name:
            raise ValidationError(
                {"external_name": _("Give either a person on the roster or an external person's name, not both.")}
            )
        _ensure_visible_person(actor, person)
        unit = person.unit
    unit = unit or case.unit
    _ensure(actor, Action.ADD, Contact, unit, _who_may_contacts())
    _check_contact(
        case=case,
        person=person,
        external_name=external_name,
        external_phone=external_phone,
        degree=degree,
        via=via,
        last_exposure_on=last_exposure_on,
    )
    contact = Contact(
        case=case,
        degree=degree,
        via=via,
        person_kind=PersonKind.ROSTER if person is not None else PersonKind.EXTERNAL,
        person=person,
        external_name=external_name,
        external_phone=external_phone,
        unit=unit,
        last_exposure_on=last_exposure_on,
        setting=setting,
        setting_note=setting_note.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    contact.full_clean(
        exclude=["case", "person", "unit", "via", "became_case", "created_by"], validate_constraints=False
    )
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        raise ValidationError({"person": _("This person is already a contact of this case.")}) from None
    record_change(actor=actor, obj=contact, action=ChangeAction.CREATE)
    ensure_in_scope(actor, contact, Action.VIEW)
    if notify:
        _notify_contact(contact)
    recompute_on_commit([contact.person_id])
    return contact


@transaction.atomic
def contacts_add_suggested(
    *,
    actor,
    case: Case,
    person_ids: Sequence[int],
    setting: str = ExposureSetting.WORKPLACE,
) -> list[Contact]:
    """Add the chosen suggestions (colleagues on site on the same days) as close contacts, all or none.

    Each contact's last exposure is the last day they were on site with the case (never after the
    case was isolated).
    """
    from lianfang.cases.selectors import contact_suggestions

    if not person_ids:
        raise ValidationError({"people": _("Tick at least one suggested person to add.")})
    suggestions = {s.person.pk: s for s in contact_suggestions(viewer=actor, case=case, limit=None)}
    missing = [pid for pid in person_ids if pid not in suggestions]
    if missing:
        raise ValidationError(
            {"people": _("Some ticked people are no longer suggestions (already listed or out of reach); reload.")}
        )
    added = []
    for pid in dict.fromkeys(person_ids):
        suggestion = suggestions[pid]
        last = suggestion.last_day
        if case.isolated_on is not None and last > case.isolated_on:
            last = case.isolated_on
        added.append(
            contact_add(
                actor=actor,
                case=case,
                person=suggestion.person,
                last_exposure_on=last,
                setting=setting,
                setting_note=_("On site on the same days (%(days)d)") % {"days": suggestion.shared_days},
            )
        )
    return added


@transaction.atomic
def contact_become_case(
    *,
    actor,
    contact: Contact,
    status: str = CaseStatus.SUSPECTED,
    reported_on: datetime.date | None = None,
    onset_on: datetime.date | None = None,
    note: str = "",
) -> Case:
    """The contact fell ill: register their case (linked to this contact, which draws the chain)."""
    contact = (
        Contact.objects.select_for_update(of=("self",)).select_related("unit", "person", "case").get(pk=contact.pk)
    )
    _ensure(actor, Action.CHANGE, Contact, contact.unit, _who_may_contacts())
    if contact.became_case_id is not None:
        number = Case.objects.filter(pk=contact.became_case_id).values_list("number", flat=True).first()
        raise ValidationError({"status": _("This contact already became case %(number)s.") % {"number": number}})
    before = snapshot(contact)
    case = case_register(
        actor=actor,
        person=contact.person,
        external_name=contact.external_name if contact.person_id is None else "",
        external_phone=contact.external_phone if contact.person_id is None else "",
        unit=contact.unit,
        status=status,
        reported_on=reported_on,
        onset_on=onset_on,
        note=note,
        source_contact=contact,
    )
    contact.became_case = case
    contact.save(update_fields=["became_case"])
    record_change(actor=actor, obj=contact, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, contact, Action.CHANGE)
    return case


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> None:
    """Remove a contact listed by mistake (not one that became a case or has secondary contacts)."""
    contact = Contact.objects.select_for_update(of=("self",)).select_related("unit").get(pk=contact.pk)
    _ensure(actor, Action.DELETE, Contact, contact.unit, _who_may_contacts())
    if contact.became_case_id is not None:
        raise ValidationError(_("This contact became a case; it stays on the record as the link of the chain."))
    if contact.secondary.exists():
        raise ValidationError(_("Remove the secondary contacts listed through this contact first."))
    person_id = contact.person_id
    record_change(actor=actor, obj=contact, action=ChangeAction.DELETE, before=snapshot(contact))
    contact.delete()
    recompute_on_commit([person_id])


# --- cluster alerts -----------------------------------------------------------------------------


def _cluster_cases(unit: Unit, since: datetime.date, until: datetime.date):
    return Case.objects.filter(
        unit__path__startswith=unit.path, reported_on__gte=since, reported_on__lte=until
    ).exclude(status=CaseStatus.EXCLUDED)


def cluster_check(*, case: Case, today: datetime.date | None = None) -> ClusterAlert | None:
    """Open (or extend) a cluster alert when the case makes N or more cases in one unit within D days.

    The window is the D days up to today (by report date); excluded cases do not count. The unit is
    the lowest one, from the case's unit upwards, whose subtree holds N cases: a cluster in one
    heat station is reported there, not diluted to the whole company; cases already in an open
    alert of a sub-unit do not count again for the units above it (so a cluster in one department
    does not raise the company and the group as well). If an alert is already open on that unit or
    one of its ancestors, the case is added to the lowest such alert instead of opening a second
    one; otherwise a new alert opens and the office is told at once.
    """
    settings = GroupSettings.load()
    today = today or _today()
    since = today - datetime.timedelta(days=settings.cluster_days - 1)
    if not (since <= case.reported_on <= today) or case.status == CaseStatus.EXCLUDED:
        return None
    unit = case.unit
    chain = list(Unit.objects.filter(path__in=ancestor_paths(unit)).order_by("-depth"))  # lowest first
    target = None
    for candidate in chain:
        # Cases already in an open alert of a sub-unit do not count again for the unit above it.
        open_below = (
            ClusterAlert.objects.filter(unit__path__startswith=candidate.path)
            .exclude(unit=candidate)
            .exclude(status=AlertStatus.CLOSED)
        )
        alerted = ClusterAlert.cases.through.objects.filter(clusteralert__in=open_below).values("case_id")
        if _cluster_cases(candidate, since, today).exclude(pk__in=alerted).count() >= settings.cluster_cases:
            target = candidate
            break
    if target is None:
        return None
    paths = ancestor_paths(target)
    alert = (
        ClusterAlert.objects.select_for_update()
        .filter(unit__path__in=paths)
        .exclude(status=AlertStatus.CLOSED)
        .order_by("-unit__depth")
        .first()
    )
    if alert is not None:
        cases = list(_cluster_cases(alert.unit, min(alert.window_from, since), today))
        alert.cases.add(*cases)
        alert.window_to = max(alert.window_to, today)
        alert.case_count = alert.cases.count()
        alert.save(update_fields=["window_to", "case_count"])
        return alert
    cases = list(_cluster_cases(target, since, today))
    try:
        with transaction.atomic():
            alert = ClusterAlert.objects.create(unit=target, window_from=since, window_to=today, case_count=len(cases))
    except IntegrityError:  # opened a moment ago by a concurrent registration
        return ClusterAlert.objects.filter(unit=target).exclude(status=AlertStatus.CLOSED).first()
    alert.cases.add(*cases)
    record_change(actor=None, obj=alert, action=ChangeAction.CREATE)
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Cluster alert: %(count)d cases in %(unit)s") % {"count": len(cases), "unit": target.name}
        body = _(
            "%(count)d cases (%(numbers)s) were reported in %(unit)s between %(since)s and %(until)s. Check the "
            "contacts, the shared places and the disinfection of the unit."
        ) % {
            "count": len(cases),
            "numbers": ", ".join(c.number for c in cases),
            "unit": target.name,
            "since": since.isoformat(),
            "until": today.isoformat(),
        }
    _send(office_user_ids(), MessageKind.CLUSTER_ALERT, title, body, reverse("cases:alert-detail", args=[alert.pk]))
    return alert


def _drop_from_open_alerts(case: Case) -> None:
    """An excluded case no longer counts: take it out of open alerts (the office closes them)."""
    for alert in ClusterAlert.objects.filter(cases=case).exclude(status=AlertStatus.CLOSED):
        alert.cases.remove(case)
        alert.case_count = alert.cases.count()
        alert.save(update_fields=["case_count"])


@transaction.atomic
def cluster_alert_handle(*, actor, alert: ClusterAlert, status: str, note: str = "") -> ClusterAlert:
    """The office acknowledges (being handled) or closes a cluster alert, with a note."""
    alert = ClusterAlert.objects.select_for_update(of=("self",)).select_related("unit").get(pk=alert.pk)
    _ensure(actor, Action.CHANGE, ClusterAlert, alert.unit, _("Only the group office may handle cluster alerts."))
    if status not in (AlertStatus.ACKNOWLEDGED, AlertStatus.CLOSED):
        raise ValidationError({"status": _("Choose “being handled” or “closed”.")})
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("This alert is closed; a new cluster opens a new alert.")})
    if status == AlertStatus.CLOSED and not note.strip() and not alert.note.strip():
        raise ValidationError({"note": _("Say how the cluster was handled before closing the alert.")})
    before = snapshot(alert)
    alert.status = status
    if note.strip():
        alert.note = (alert.note + "\n" if alert.note else "") + note.strip()
    alert.handled_by = actor
    if status == AlertStatus.CLOSED:
        alert.closed = timezone.now()
    alert.save()
    record_change(actor=actor, obj=alert, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, alert, Action.CHANGE)
    return alert


def unit_filter_q(unit: Unit, field: str = "unit") -> Q:
    """Rows whose ``field`` lies in the unit's subtree."""
    return Q(**{f"{field}__path__startswith": unit.path})
