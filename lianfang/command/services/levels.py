"""The severity levels and their time limits: the group office edits them; the defaults from practice
are seeded by the migration and again on first use (after a test flushed the table)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.command.choices import DEFAULT_LEVELS
from lianfang.command.models import SeverityLevel
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.scoping import holds_on_group

EDITABLE = (
    "name",
    "name_en",
    "ack_minutes",
    "written_minutes",
    "by_shift_end",
    "grace_minutes",
    "followup_minutes",
    "external_minutes",
    "must_reach_top",
    "is_active",
)


def ensure_default_levels() -> int:
    """Create the default levels that are missing (by code); returns how many were created."""
    existing = set(SeverityLevel.objects.values_list("code", flat=True))
    missing = [SeverityLevel(**row) for row in DEFAULT_LEVELS if row["code"] not in existing]
    SeverityLevel.objects.bulk_create(missing)
    return len(missing)


def may_edit_levels(user) -> bool:
    return holds_on_group(user, "command.severitylevel", Action.CHANGE)


@transaction.atomic
def severity_level_update(*, actor, level: SeverityLevel, **fields) -> SeverityLevel:
    """The office changes a level's limits; matters already reported keep the clocks they got."""
    if not may_edit_levels(actor):
        raise PermissionDenied(_("Only the group office changes the severity levels and their time limits."))
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    level = SeverityLevel.objects.select_for_update().get(pk=level.pk)
    before = snapshot(level)
    for name, value in fields.items():
        setattr(level, name, value)
    for name in ("ack_minutes", "written_minutes", "grace_minutes", "followup_minutes", "external_minutes"):
        value = getattr(level, name)
        if value is not None and not 0 < value <= 7 * 24 * 60:
            raise ValidationError({name: _("Give the minutes as a whole number between 1 and 10080 (a week).")})
    if level.ack_minutes and level.written_minutes and level.written_minutes < level.ack_minutes:
        raise ValidationError(
            {"written_minutes": _("The written report cannot be due before the acknowledgement; give more minutes.")}
        )
    level.full_clean()
    level.save()
    record_change(actor=actor, obj=level, action=ChangeAction.UPDATE, before=before)
    return level
