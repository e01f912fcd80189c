"""Every write of the duty app: posts, rosters (shifts, leave, generation from a rota), swaps, the
coverage check, the duty log and the handover. One module per sub-domain; import from here."""

from lianfang.duty.services.coverage import (
    conflicts_check,
    coverage_alert_due,
    duty_lists_post_due,
)
from lianfang.duty.services.log import handover_accept, handover_create, log_entry_create, log_entry_update
from lianfang.duty.services.roster import (
    leave_create,
    leave_delete,
    on_duty_phones_shown,
    post_create,
    post_update,
    roster_generate,
    shift_create,
    shift_delete,
    shift_set_members,
)
from lianfang.duty.services.swaps import swap_accept, swap_approve, swap_cancel, swap_refuse, swap_request

__all__ = [
    "conflicts_check",
    "coverage_alert_due",
    "duty_lists_post_due",
    "handover_accept",
    "handover_create",
    "leave_create",
    "leave_delete",
    "log_entry_create",
    "log_entry_update",
    "on_duty_phones_shown",
    "post_create",
    "post_update",
    "roster_generate",
    "shift_create",
    "shift_delete",
    "shift_set_members",
    "swap_accept",
    "swap_approve",
    "swap_cancel",
    "swap_refuse",
    "swap_request",
]
