"""Pages of the sites app: disinfection — the sites' rounds today, a site's day and its record sheet,
plans, and the catalogue of disinfectants."""

from lianfang.sites.views.plans import agent_edit, agents, plan_edit, plans
from lianfang.sites.views.rounds import (
    log_photo,
    overview,
    round_cancel,
    round_finish,
    round_record,
    round_start,
    site_day,
    site_print,
    terminal_open,
)

__all__ = [
    "agent_edit",
    "agents",
    "log_photo",
    "overview",
    "plan_edit",
    "plans",
    "round_cancel",
    "round_finish",
    "round_record",
    "round_start",
    "site_day",
    "site_print",
    "terminal_open",
]
