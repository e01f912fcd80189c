"""Every write of the privacy app, one module per sub-domain (docs/adr/0009):

* ``consent`` — the notice and its versions, legal bases, emergency periods, the consent register;
* ``retention`` — retention per category, purge runs and the stand-down (应急结束).

Callers keep writing ``services.consent_give(...)``: the package names every service here.
"""

from lianfang.privacy.services.consent import (
    SCAN_TYPES,
    ChainResult,
    check_scan,
    consent_attest_paper,
    consent_chain_verify,
    consent_give,
    consent_withdraw,
    current_notice,
    effective_basis,
    emergency_close,
    emergency_open,
    legal_basis_set,
    liaison_user_ids,
    notice_acknowledge,
    notice_create,
    notice_publish,
    notice_update,
    withdrawal_review,
)
from lianfang.privacy.services.retention import (
    privacy_settings_update,
    purge_nightly,
    purge_nightly_due,
    purge_run,
    retention_bounds,
    retention_set,
    stand_down_cancel,
    stand_down_confirm,
    stand_down_propose,
)

__all__ = [
    "SCAN_TYPES",
    "ChainResult",
    "check_scan",
    "consent_attest_paper",
    "consent_chain_verify",
    "consent_give",
    "consent_withdraw",
    "current_notice",
    "effective_basis",
    "emergency_close",
    "emergency_open",
    "legal_basis_set",
    "liaison_user_ids",
    "notice_acknowledge",
    "notice_create",
    "notice_publish",
    "notice_update",
    "privacy_settings_update",
    "purge_nightly",
    "purge_nightly_due",
    "purge_run",
    "retention_bounds",
    "retention_set",
    "stand_down_cancel",
    "stand_down_confirm",
    "stand_down_propose",
    "withdrawal_review",
]
