"""The status rules every group starts with (data migration, and test set-up after a flush)."""

from __future__ import annotations

# The rules every group starts with, following the seeds' practice: red for a case or while in
# isolation; yellow for home monitoring after isolation, fever, recent risk-area travel, an
# unfinished close-contact follow-up or a flagged check-in; green otherwise. The office reorders,
# edits or switches them off (StatusRule); risk-area travel uses the group's look-back window.

DEFAULT_STATUS_RULES: list[dict] = [
    {
        "sort": 10,
        "name": "病例",
        "condition": {"fact": "case_active"},
        "colour": "red",
        "reason": "疑似或确诊病例",
        "reason_en": "Suspected or confirmed case",
        "hold_days": 0,
    },
    {
        "sort": 20,
        "name": "隔离中",
        "condition": {"fact": "isolated"},
        "colour": "red",
        "reason": "隔离观察中",
        "reason_en": "In isolation",
        "hold_days": 0,
    },
    {
        "sort": 30,
        "name": "居家健康监测",
        "condition": {"fact": "home_monitoring"},
        "colour": "yellow",
        "reason": "居家健康监测中",
        "reason_en": "Home health monitoring",
        "hold_days": 0,
    },
    {
        "sort": 40,
        "name": "发热",
        "condition": {"fact": "fever", "within_days": 3},
        "colour": "yellow",
        "reason": "近期发热",
        "reason_en": "Recent fever",
        "hold_days": 0,
    },
    {
        "sort": 50,
        "name": "中高风险地区旅居史",
        "condition": {"fact": "risk_travel"},
        "colour": "yellow",
        "reason": "近期到过风险地区",
        "reason_en": "Recently in a risk area",
        "hold_days": 0,
    },
    {
        "sort": 60,
        "name": "密接随访未完成",
        "condition": {"fact": "contact_observation", "within_days": 14},
        "colour": "yellow",
        "reason": "密接观察期未满",
        "reason_en": "Close-contact follow-up unfinished",
        "hold_days": 0,
    },
    {
        "sort": 70,
        "name": "打卡异常",
        "condition": {"fact": "flagged_answer", "within_days": 1},
        "colour": "yellow",
        "reason": "打卡答案异常",
        "reason_en": "Flagged check-in answers",
        "hold_days": 0,
    },
]


def ensure_default_status_rules(rule_model=None) -> int:
    """Create the default status rules when the group has none (data migration, test set-up after a
    flush); a group that has rules keeps its own. Returns how many were created."""
    if rule_model is None:
        from lianfang.status.models import StatusRule as rule_model
    if rule_model.objects.exists():
        return 0
    rule_model.objects.bulk_create([rule_model(**spec, is_active=True) for spec in DEFAULT_STATUS_RULES])
    return len(DEFAULT_STATUS_RULES)
