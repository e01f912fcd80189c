"""Writes of close and secondary contacts: added one by one or from the suggestions, told to isolate
(with their liaisons), becoming a case (the chain is kept), deleted while nothing hangs on them."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import (
    CaseStatus,
    ContactDegree,
    ExposureSetting,
    PersonKind,
)
from lianfang.cases.models import Case, Contact
from lianfang.cases.services.base import (
    _ensure,
    _ensure_visible_person,
    _send,
    _today,
    recompute_on_commit,
    role_holder_ids,
)
from lianfang.cases.services.cases import case_register
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import MessageKind
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.scoping import ensure_in_scope
from lianfang.people.models import Person


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
