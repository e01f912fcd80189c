"""Writes of one-on-one care (一对一关怀): who looks after a case or isolated person, and each contact
(need, action, outcome) until the need is settled.

Case managers and the office assign carers; a carer records their own contacts (``scope_self``).
An open need that is recorded notifies the case managers of the unit, who see all open needs.
"""

from __future__ import annotations

import datetime

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import CareNeed
from lianfang.cases.models import CareAssignment, CareContact, Case, Isolation
from lianfang.cases.services.base import _ensure, _ensure_visible_person, role_holder_ids
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person


def _who_may_assign() -> str:
    return _("Only case managers of the person's unit and the group office may assign carers.")


@transaction.atomic
def care_assign(
    *,
    actor,
    person: Person,
    carer: Person,
    case: Case | None = None,
    isolation: Isolation | None = None,
    started_on: datetime.date | None = None,
) -> CareAssignment:
    """Name a carer (a roster person) for a case or an isolated person."""
    _ensure_visible_person(actor, person)
    _ensure(actor, Action.ADD, CareAssignment, person.unit, _who_may_assign())
    if not Person.objects.restrict(actor, Action.VIEW).filter(pk=carer.pk).exists():
        raise ValidationError({"carer": _("Choose a carer on the roster of your units.")})
    if carer.pk == person.pk:
        raise ValidationError({"carer": _("A person cannot be their own carer; choose a colleague.")})
    if case is not None and case.person_id != person.pk:
        raise ValidationError({"case": _("This case is another person's.")})
    if isolation is not None and isolation.person_id != person.pk:
        raise ValidationError({"isolation": _("This isolation is another person's.")})
    today = timezone.localdate()
    started_on = started_on or today
    if started_on > today:
        raise ValidationError({"started_on": _("Care cannot start in the future; enter today or an earlier day.")})
    if CareAssignment.objects.filter(person=person, carer=carer, ended_on__isnull=True).exists():
        raise ValidationError(
            {"carer": _("%(carer)s already looks after %(name)s.") % {"carer": carer.name, "name": person.name}}
        )
    assignment = CareAssignment(
        person=person,
        unit=person.unit,
        carer=carer,
        case=case,
        isolation=isolation,
        started_on=started_on,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    assignment.save()
    record_change(actor=actor, obj=assignment, action=ChangeAction.CREATE)
    ensure_in_scope(actor, assignment, Action.VIEW)
    if carer.user_id:
        with translation.override(django_settings.LANGUAGE_CODE):
            message_send(
                recipients=[carer.user_id],
                kind=MessageKind.CARE_NEED,
                title=_("You look after %(name)s") % {"name": person.name},
                body=_("Call %(name)s regularly, ask what they need and record each contact.") % {"name": person.name},
                url=reverse("cases:care-detail", args=[assignment.pk]),
            )
    return assignment


@transaction.atomic
def care_end(*, actor, assignment: CareAssignment, ended_on: datetime.date | None = None) -> CareAssignment:
    assignment = CareAssignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=assignment.pk)
    _ensure(actor, Action.CHANGE, CareAssignment, assignment.unit, _who_may_assign())
    if assignment.ended_on is not None:
        raise ValidationError({"ended_on": _("This care already ended.")})
    ended_on = ended_on or timezone.localdate()
    if ended_on < assignment.started_on or ended_on > timezone.localdate():
        raise ValidationError({"ended_on": _("Enter a day between the start of the care and today.")})
    before = snapshot(assignment)
    assignment.ended_on = ended_on
    assignment.save()
    record_change(actor=actor, obj=assignment, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, assignment, Action.CHANGE)
    return assignment


def may_record_care(actor, assignment: CareAssignment) -> bool:
    """The carer themselves, or someone allowed to add care contacts in the person's unit."""
    carer_user = Person.objects.filter(pk=assignment.carer_id).values_list("user_id", flat=True).first()
    if carer_user is not None and carer_user == getattr(actor, "pk", None) and actor.is_active:
        return True
    return can(actor, Action.ADD, CareContact, assignment.unit)


@transaction.atomic
def care_contact_record(
    *,
    actor,
    assignment: CareAssignment,
    need: str,
    date: datetime.date | None = None,
    need_note: str = "",
    action: str = "",
    outcome: str = "",
    settled: bool = False,
) -> CareContact:
    """Record one contact with the person: the need, what was done, the outcome; open until settled."""
    assignment = CareAssignment.objects.select_related("person", "unit").get(pk=assignment.pk)
    if not may_record_care(actor, assignment):
        raise PermissionDenied(_("Only the carer and the case managers may record care contacts."))
    if need not in CareNeed.values:
        raise ValidationError(
            {"need": _("Choose the kind of need: medical, psychological, supplies, financial or other.")}
        )
    today = timezone.localdate()
    date = date or today
    if date > today or date < assignment.started_on:
        raise ValidationError({"date": _("Enter a day between the start of the care and today.")})
    if settled and not outcome.strip():
        raise ValidationError({"outcome": _("Say how the need was settled.")})
    contact = CareContact(
        assignment=assignment,
        unit=assignment.unit,
        date=date,
        need=need,
        need_note=need_note.strip()[:200],
        action=action.strip()[:200],
        outcome=outcome.strip()[:200],
        is_open=not settled,
        closed_on=date if settled else None,
        recorded_by=actor,
    )
    contact.save()
    record_change(actor=actor, obj=contact, action=ChangeAction.CREATE)
    if contact.is_open:
        managers = [uid for uid in role_holder_ids(assignment.unit, [Role.CASE_MANAGER]) if uid != actor.pk]
        with translation.override(django_settings.LANGUAGE_CODE):
            message_send(
                recipients=managers,
                kind=MessageKind.CARE_NEED,
                title=_("Open care need: %(need)s (%(unit)s)")
                % {"need": contact.get_need_display(), "unit": assignment.unit.name},
                body=contact.need_note or contact.get_need_display(),
                url=reverse("cases:care-detail", args=[assignment.pk]),
            )
    ensure_in_scope(actor, contact, Action.ADD)  # the carer's own rows are in scope through scope_self
    return contact


@transaction.atomic
def care_contact_settle(
    *, actor, care_contact: CareContact, outcome: str, closed_on: datetime.date | None = None
) -> CareContact:
    """Mark a need settled, with how."""
    care_contact = (
        CareContact.objects.select_for_update(of=("self",)).select_related("assignment", "unit").get(pk=care_contact.pk)
    )
    if not may_record_care(actor, care_contact.assignment):
        raise PermissionDenied(_("Only the carer and the case managers may settle care needs."))
    if not care_contact.is_open:
        raise ValidationError({"outcome": _("This need is already settled.")})
    if not outcome.strip():
        raise ValidationError({"outcome": _("Say how the need was settled.")})
    today = timezone.localdate()
    closed_on = closed_on or today
    if closed_on < care_contact.date or closed_on > today:
        raise ValidationError({"closed_on": _("Enter a day between the contact and today.")})
    before = snapshot(care_contact)
    care_contact.outcome = outcome.strip()[:200]
    care_contact.is_open = False
    care_contact.closed_on = closed_on
    care_contact.save()
    record_change(actor=actor, obj=care_contact, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, care_contact, Action.CHANGE)
    return care_contact
