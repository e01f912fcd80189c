"""Pages of the privacy app, one module per sub-domain (docs/adr/0009): ``consent`` (the notice, legal
bases, emergencies, the consent register, "My data") and ``retention`` (retention, purge receipts, the
stand-down)."""

from lianfang.privacy.views.consent import (
    basis_list,
    chain,
    emergency_close,
    emergency_list,
    mine,
    my_data,
    notice_list,
    notice_publish,
    notice_step,
    paper_consent,
    register,
    withdrawal_review,
)
from lianfang.privacy.views.retention import (
    purge_dry_run,
    receipt_detail,
    receipt_list,
    retention,
    stand_down_cancel,
    stand_down_confirm,
    stand_down_propose,
)

__all__ = [
    "basis_list",
    "chain",
    "emergency_close",
    "emergency_list",
    "mine",
    "my_data",
    "notice_list",
    "notice_publish",
    "notice_step",
    "paper_consent",
    "purge_dry_run",
    "receipt_detail",
    "receipt_list",
    "register",
    "retention",
    "stand_down_cancel",
    "stand_down_confirm",
    "stand_down_propose",
    "withdrawal_review",
]
