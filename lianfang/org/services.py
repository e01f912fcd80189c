"""Every write to units and roles. Views, API, imports and commands call these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.models import GroupSettings, RoleAssignment, Unit, UnitKind
from lianfang.org.scoping import ensure_can, ensure_in_scope, forget_grants

UNIT_EDITABLE_FIELDS = frozenset(
    {
        "code",
        "name",
        "short_name",
        "kind",
        "address",
        "person_in_charge",
        "person_in_charge_phone",
        "liaison",
        "liaison_phone",
    }
)


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - UNIT_EDITABLE_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})


@transaction.atomic
def unit_create(*, actor, parent: Unit | None, code: str, name: str, kind: UnitKind, **fields: Any) -> Unit:
    """Add a unit under ``parent`` (a root unit, the group itself, only for a superuser)."""
    _check_fields(fields)
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied
    else:
        ensure_can(actor, Action.ADD, Unit, parent)
        if not parent.is_active:
            raise ValidationError({"parent": _("The parent unit is deactivated; activate it first.")})
    unit = Unit(code=code.strip(), name=name.strip(), kind=kind, **fields)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    unit = Unit.objects.add_root(instance=unit) if parent is None else Unit.objects.add_child(parent, instance=unit)
    record_change(actor=actor, obj=unit, action=ChangeAction.CREATE)
    ensure_in_scope(actor, unit, Action.VIEW)
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, **fields: Any) -> Unit:
    _check_fields(fields)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    ensure_can(actor, Action.CHANGE, Unit, unit)
    before = snapshot(unit)
    for name, value in fields.items():
        setattr(unit, name, value.strip() if isinstance(value, str) else value)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    unit.save()
    record_change(actor=actor, obj=unit, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, unit, Action.CHANGE)
    return unit


@transaction.atomic
def unit_move(*, actor, unit: Unit, new_parent: Unit) -> Unit:
    """Move a unit and its whole subtree under ``new_parent``; people and roles move with it."""
    unit = Unit.objects.get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    ensure_can(actor, Action.CHANGE, Unit, unit)
    ensure_can(actor, Action.ADD, Unit, new_parent)
    if unit.is_root():
        raise ValidationError({"parent": _("The group itself cannot be moved.")})
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself or one of its own sub-units.")})
    before = snapshot(unit)
    before["parent"] = Unit.objects.get_parent(unit).pk
    Unit.objects.move(unit, new_parent, pos="sorted-child")
    unit.refresh_from_db()
    record_change(
        actor=actor, obj=unit, action=ChangeAction.UPDATE, before=before, extra_after={"parent": new_parent.pk}
    )
    ensure_in_scope(actor, unit, Action.CHANGE)
    return unit


@transaction.atomic
def unit_set_active(*, actor, unit: Unit, active: bool) -> Unit:
    """Deactivate or activate a unit together with its subtree: deactivating a unit deactivates every
    unit below it, and activating it activates them again, so one action undoes the other.

    The unit's change-log entry says how many units below it changed (each also has its own entry);
    the returned unit carries the number as ``subtree_changed`` for the caller's message.
    """
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    ensure_can(actor, Action.CHANGE, Unit, unit)
    if active and not unit.is_root() and not Unit.objects.get_parent(unit).is_active:
        raise ValidationError(_("Activate the parent unit first."))
    if not active and unit.is_root():
        raise ValidationError(_("The group itself cannot be deactivated."))
    targets = list(Unit.objects.get_tree(unit).filter(is_active=not active).order_by("path"))
    below = sum(1 for target in targets if target.pk != unit.pk)
    for target in targets:
        before = snapshot(target)
        target.is_active = active
        target.save(update_fields=["is_active", "updated"])
        extra = {"subtree_changed": below} if target.pk == unit.pk else None
        record_change(actor=actor, obj=target, action=ChangeAction.UPDATE, before=before, extra_after=extra)
    ensure_in_scope(actor, unit, Action.CHANGE)
    unit = Unit.objects.get(pk=unit.pk)
    unit.subtree_changed = below  # type: ignore[attr-defined]  # for the caller's message
    return unit


@transaction.atomic
def role_assign(*, actor, user, unit: Unit, role: str) -> RoleAssignment:
    ensure_can(actor, Action.ADD, RoleAssignment, unit)
    assignment = RoleAssignment(user=user, unit=unit, role=role)
    assignment.full_clean()
    assignment.save()
    record_change(actor=actor, obj=assignment, action=ChangeAction.CREATE)
    ensure_in_scope(actor, assignment, Action.VIEW)
    forget_grants(user)
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    ensure_can(actor, Action.DELETE, RoleAssignment, assignment.unit)
    before = snapshot(assignment)
    record_change(actor=actor, obj=assignment, action=ChangeAction.DELETE, before=before)
    assignment.delete()
    forget_grants(assignment.user)


GROUP_SETTINGS_FIELDS = frozenset(
    {
        "checkin_opens",
        "reminder_times",
        "report_deadline",
        "bulletin_time",
        "completion_target",
        "fever_threshold",
        "checkin_backdate_days",
        "report_lock_days",
        "reporting_tier",
        # Prevention and control (issue 4).
        "lookback_days",
        "isolation_central_days",
        "isolation_home_monitoring_days",
        "isolation_home_days",
        "isolation_hospital_days",
        "followups_per_day",
        "cluster_cases",
        "cluster_days",
        # Chasing non-reporters (issue 10).
        "robot_mentions",
        "fever_advice",
    }
)


def group_root() -> Unit | None:
    return Unit.objects.filter(depth=1).order_by("path").first()


def can_change_group_settings(user) -> bool:
    """The group's rhythm is the group office's: the right must be held on the group itself."""
    from lianfang.org.scoping import holds_on_group

    return holds_on_group(user, GroupSettings, Action.CHANGE)


@transaction.atomic
def group_settings_update(*, actor, **fields: Any) -> GroupSettings:
    unknown = set(fields) - GROUP_SETTINGS_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if not can_change_group_settings(actor):
        raise PermissionDenied
    settings_row = GroupSettings.load()
    settings_row = GroupSettings.objects.select_for_update().get(pk=settings_row.pk)
    before = snapshot(settings_row)
    for name, value in fields.items():
        setattr(settings_row, name, value)
    settings_row.full_clean()
    settings_row.save()
    record_change(actor=actor, obj=settings_row, action=ChangeAction.UPDATE, before=before)
    return settings_row
