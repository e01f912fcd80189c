"""The office's settings of the outings: the route and the measures on return."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health.choices import RiskLevel
from lianfang.org.scoping import holds_on_group
from lianfang.outings.choices import KEY_ROLE_CHOICES
from lianfang.outings.models import OutingSettings

EDITABLE = (
    "approver_role",
    "office_for_risk_areas",
    "risk_levels",
    "key_roles",
    "leaders_file_only",
    "expire_hours",
    "remind_hours",
    "record_trip",
    "monitoring_days",
    "monitoring_when",
)


def may_edit_settings(user) -> bool:
    """The office on the group itself sets the route (it applies to the whole group)."""
    return holds_on_group(user, "outings.outingsettings", Action.CHANGE)


@transaction.atomic
def outing_settings_update(*, actor, **fields: Any) -> OutingSettings:
    """Change the route or the measures on return; requests already asked keep their route."""
    if not may_edit_settings(actor):
        raise PermissionDenied(_("Only the group's prevention office changes the outing settings."))
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    config = OutingSettings.objects.select_for_update().get(pk=OutingSettings.load().pk)
    before = snapshot(config)
    for name, value in fields.items():
        setattr(config, name, value)
    errors: dict[str, list[str]] = {}
    levels = list(config.risk_levels or [])
    if any(level not in RiskLevel.values for level in levels):
        errors["risk_levels"] = [_("Choose among the high, medium and low risk levels.")]
    roles = list(config.key_roles or [])
    if any(role not in KEY_ROLE_CHOICES for role in roles):
        errors["key_roles"] = [_("Choose the key roles from the list.")]
    if config.remind_hours and config.expire_hours and config.remind_hours >= config.expire_hours:
        errors["remind_hours"] = [
            _("Remind before the request expires: give fewer hours than %(hours)d.") % {"hours": config.expire_hours}
        ]
    if errors:
        raise ValidationError(errors)
    config.risk_levels = [v for v in RiskLevel.values if v in levels]
    config.key_roles = [str(r) for r in KEY_ROLE_CHOICES if r in roles]
    config.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    config.full_clean(exclude=["updated_by"])
    config.save()
    record_change(actor=actor, obj=config, action=ChangeAction.UPDATE, before=before)
    return config
