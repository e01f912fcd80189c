"""Every write of the sites app: the disinfectants, plans, the rounds made from them (and terminal
disinfections), and the record of each round. One module per sub-domain; import from here."""

from lianfang.sites.services.agents import disinfectant_create, disinfectant_update
from lianfang.sites.services.logs import log_cancel, log_finish, log_record, log_start
from lianfang.sites.services.plans import plan_create, plan_update
from lianfang.sites.services.rounds import slots_generate, slots_generate_due, terminal_for_case, terminal_open

__all__ = [
    "disinfectant_create",
    "disinfectant_update",
    "log_cancel",
    "log_finish",
    "log_record",
    "log_start",
    "plan_create",
    "plan_update",
    "slots_generate",
    "slots_generate_due",
    "terminal_for_case",
    "terminal_open",
]
