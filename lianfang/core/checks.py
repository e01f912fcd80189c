"""System checks of core's settings, run at start (``lianfang serve`` migrates, which runs them) and by
``lianfang check``."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext as _

from lianfang.core.append_only import AUDIT_RETENTION_FLOOR_DAYS


@checks.register(checks.Tags.security)
def check_audit_retention(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Audit records are kept at least six months (等保 2.0): a shorter setting stops Lianfang."""
    raw = getattr(settings, "LIANFANG_AUDIT_RETENTION_DAYS", None)
    if raw is None:
        return []
    try:
        days = int(raw)
    except (TypeError, ValueError):
        return [
            checks.Error(
                _("LIANFANG_AUDIT_RETENTION_DAYS must be a whole number of days, not “%(value)s”.") % {"value": raw},
                hint=_("Unset it to keep audit records three years (1095 days), the default."),
                id="lianfang.E101",
            )
        ]
    if days < AUDIT_RETENTION_FLOOR_DAYS:
        return [
            checks.Error(
                _(
                    "LIANFANG_AUDIT_RETENTION_DAYS is %(days)d: audit records must be kept at least %(floor)d days "
                    "(six months, 等保 2.0 level 3)."
                )
                % {"days": days, "floor": AUDIT_RETENTION_FLOOR_DAYS},
                hint=_("Set it to %(floor)d or more; the default is 1095 days (three years, PIPL Art. 56).")
                % {"floor": AUDIT_RETENTION_FLOOR_DAYS},
                id="lianfang.E102",
            )
        ]
    return []
