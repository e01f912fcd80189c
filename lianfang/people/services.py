"""Every write to the roster, and the audited reveal of masked values."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can, ensure_can, ensure_in_scope
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person, Tag
from lianfang.people.signals import roster_changed
from lianfang.people.validators import (
    normalize_id_number,
    normalize_person_name,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

PERSON_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "gender",
        "employee_no",
        "id_number",
        "phone",
        "unit",
        "category",
        "employment_status",
        "whereabouts",
        "returned_from",
        "returned_on",
        "expected_return_on",
    }
)


def _clean_person_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - PERSON_EDITABLE_FIELDS - {"tags"}
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    cleaned = dict(fields)
    errors: dict[str, list] = {}
    for key in ("name", "employee_no", "returned_from"):
        if isinstance(cleaned.get(key), str):
            cleaned[key] = cleaned[key].strip()
    if isinstance(cleaned.get("name"), str):
        cleaned["name"] = normalize_person_name(cleaned["name"])
    if cleaned.get("id_number"):
        cleaned["id_number"] = normalize_id_number(cleaned["id_number"])
        try:
            validate_id_number(cleaned["id_number"])
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    if cleaned.get("phone"):
        cleaned["phone"] = normalize_phone(cleaned["phone"])
        try:
            validate_phone(cleaned["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _set_tags(person: Person, tags) -> None:
    if tags is not None:
        person.tags.set(list(tags))


@transaction.atomic
def person_create(*, actor, unit: Unit, name: str, employee_no: str, tags: list[Tag] | None = None, **fields) -> Person:
    ensure_can(actor, Action.ADD, Person, unit)
    cleaned = _clean_person_fields({"name": name, "employee_no": employee_no, **fields})
    person = Person(unit=unit, **cleaned)
    person.full_clean(exclude=["user"])
    person.save()
    _set_tags(person, tags)
    record_change(actor=actor, obj=person, action=ChangeAction.CREATE)
    ensure_in_scope(actor, person, Action.VIEW)
    _roster_changed({person.unit_id})
    return person


@transaction.atomic
def person_update(*, actor, person: Person, tags: list[Tag] | None = None, **fields) -> Person:
    """Change a person; moving them to another unit needs ``add`` rights on that unit too."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    ensure_can(actor, Action.CHANGE, Person, person.unit)
    cleaned = _clean_person_fields(fields)
    new_unit = cleaned.get("unit")
    if new_unit is not None and new_unit.pk != person.unit_id:
        ensure_can(actor, Action.ADD, Person, new_unit)
    before = snapshot(person)
    old_unit_id, was_active = person.unit_id, person.is_active
    for key, value in cleaned.items():
        setattr(person, key, value)
    person.full_clean(exclude=["user"])
    person.save()
    _set_tags(person, tags)
    record_change(actor=actor, obj=person, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, person, Action.CHANGE)
    if person.unit_id != old_unit_id or person.is_active != was_active:
        _roster_changed({old_unit_id, person.unit_id})
    return person


def _roster_changed(unit_ids: set[int]) -> None:
    # After commit: listeners read the committed roster, and a rolled-back write tells nobody.
    transaction.on_commit(lambda: roster_changed.send(sender=Person, unit_ids=sorted(unit_ids)))


def person_reveal(*, actor, person: Person, field: str) -> str:
    """The unmasked ID number or phone of a person, for a viewer allowed to unmask; audited."""
    if field not in ("id_number", "phone"):
        raise ValueError(field)
    ensure_can(actor, Action.UNMASK, Person, person.unit)
    record_event(
        kind=AuditKind.UNMASK, actor=actor, unit=person.unit, object_repr=str(person), field=field, person=person.pk
    )
    return getattr(person, field)


# --- Accounts -----------------------------------------------------------------------------------


def may_open_account(actor, person: Person) -> bool:
    """Opening an account grants the employee role on the person's unit, so it needs what granting
    roles there needs (adding role assignments) and changing the person: the group office."""
    return can(actor, Action.CHANGE, Person, person.unit) and can(actor, Action.ADD, RoleAssignment, person.unit)


def may_hand_out_activation(actor, person: Person) -> bool:
    """Those who may change a person hand out their activation code or link (liaisons, the office)."""
    return can(actor, Action.CHANGE, Person, person.unit)


@transaction.atomic
def person_account_create(*, actor, person: Person, password: str = ""):
    """Open a user account for a person on the roster (the office, or an HR system feeding Lianfang).

    The username is the employee number, as for an account opened with an activation code, and the
    account gets the employee role on the person's unit. Without a password the account cannot sign
    in until the person sets one through their activation link. The change log records the link on
    the person and the role, under the person's unit.
    """
    person = Person.objects.select_for_update(of=("self",)).select_related("unit").get(pk=person.pk)
    if not may_open_account(actor, person):
        raise PermissionDenied(_("Only the group office opens accounts and grants roles."))
    if person.user_id is not None:
        raise ValidationError(_("%(name)s already has an account: grant roles to it instead.") % {"name": person.name})
    if person.employment_status in (EmploymentStatus.LEFT, EmploymentStatus.RETIRED):
        raise ValidationError(
            _("%(name)s has left (%(status)s): accounts are opened for people who work here.")
            % {"name": person.name, "status": person.get_employment_status_display()}
        )
    User = get_user_model()
    username = person.employee_no
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("An account named %(username)s, the employee number, already exists and is not linked to %(name)s.")
            % {"username": username, "name": person.name}
        )
    user = User(username=username, first_name=person.name[:150])
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    before = snapshot(person)
    person.user = user
    person.save(update_fields=["user"])
    record_change(actor=actor, obj=person, action=ChangeAction.UPDATE, before=before, extra_after={"account": username})
    role = RoleAssignment(user=user, unit=person.unit, role=Role.EMPLOYEE)
    role.full_clean()
    role.save()
    record_change(actor=actor, obj=role, action=ChangeAction.CREATE)
    ensure_in_scope(actor, person, Action.CHANGE)
    return user
