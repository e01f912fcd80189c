"""Every write of the outings app: asking and withdrawing, deciding (approve, refuse, acknowledge a
filing) with the reminders and the expiry, the daily check of the destinations, the return with its
measures and the monitoring readings, and the office's settings. One module per sub-domain; import
from here."""

from lianfang.outings.services.decisions import outing_acknowledge, outing_approve, outing_reject, outings_scan
from lianfang.outings.services.requests import may_withdraw, outing_ask, outing_cancel
from lianfang.outings.services.returns import (
    destinations_check,
    is_monitored,
    may_act_for,
    outing_return,
    reading_record,
)
from lianfang.outings.services.settings import may_edit_settings, outing_settings_update

__all__ = [
    "destinations_check",
    "is_monitored",
    "may_act_for",
    "may_edit_settings",
    "may_withdraw",
    "outing_acknowledge",
    "outing_approve",
    "outing_ask",
    "outing_cancel",
    "outing_reject",
    "outing_return",
    "outing_settings_update",
    "outings_scan",
    "reading_record",
]
