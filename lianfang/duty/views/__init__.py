"""Pages of the duty app: roster (posts, month and print views, shifts, swaps), coverage, and the
duty log with its handover."""

from lianfang.duty.views.log import day_log, day_log_print, handover_accept, handover_create
from lianfang.duty.views.roster import (
    gaps,
    index,
    post_create,
    post_edit,
    roster,
    roster_print,
    shift_detail,
    swap_decide,
    swaps,
)

__all__ = [
    "day_log",
    "day_log_print",
    "gaps",
    "handover_accept",
    "handover_create",
    "index",
    "post_create",
    "post_edit",
    "roster",
    "roster_print",
    "shift_detail",
    "swap_decide",
    "swaps",
]
