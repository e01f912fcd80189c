"""The unit daily report's default template, from the seeds (日报告、零报告 / 一日一报).

Seed 000 (CITIC in Wuhan): dynamics, practices, resource allocation, problems, and feedback on the
impact on business; seed 004 (Wenzhou): staff classified as stayed / returned / not yet returned,
temporary and dispatched workers; seed 002 (Weinan): staff on duty and working from home. The
office edits the template on its page; these rows are only where every group starts.

Used by the data migration and by test set-up (a transactional test flushes migration data).
"""

from __future__ import annotations

# code, Chinese label, English label, kind, prefill source, required, order
DEFAULT_REPORT_FIELDS: list[tuple[str, str, str, str, str, bool, int]] = [
    ("headcount", "在册人数", "Headcount on the roster", "count", "people.headcount", True, 10),
    ("at_work", "在岗人数", "At work on site", "count", "checkin.on_site", True, 20),
    ("remote", "居家办公", "Working from home", "count", "checkin.remote", False, 30),
    ("not_returned", "未返岗", "Not yet returned", "count", "people.not_returned", False, 40),
    ("temporary", "临时工", "Temporary workers", "count", "people.temporary", False, 50),
    ("dispatched", "劳务派遣", "Dispatched workers", "count", "people.dispatched", False, 60),
    ("new_suspected", "新增疑似", "New suspected cases", "count", "cases.new_suspected", True, 70),
    ("new_confirmed", "新增确诊", "New confirmed cases", "count", "cases.new_confirmed", True, 80),
    ("new_asymptomatic", "新增无症状", "New asymptomatic infections", "count", "cases.new_asymptomatic", True, 90),
    ("home_isolation", "居家隔离", "Under home isolation", "count", "isolation.home", False, 100),
    ("central_isolation", "集中隔离", "Under centralised isolation", "count", "isolation.central", False, 110),
    ("close_contacts", "密切接触者", "Close contacts", "count", "cases.close_contacts", False, 120),
    ("fever_today", "今日发热", "With a fever today", "count", "checkin.fever", True, 130),
    ("material_needs", "物资需求", "Material needs", "text", "", False, 200),
    ("problems", "问题困难", "Problems and difficulties", "text", "", False, 210),
    ("practices", "经验做法", "Practices worth sharing", "text", "", False, 220),
    ("business_impact", "对生产经营的影响", "Impact on production and operations", "text", "", False, 230),
]


def ensure_default_report_fields(report_field_model=None) -> None:
    """Create the default fields that are missing; fields the office changed are left alone."""
    if report_field_model is None:
        from lianfang.reporting.models import ReportField as report_field_model
    for code, label, label_en, kind, source, required, sort in DEFAULT_REPORT_FIELDS:
        report_field_model.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "label_en": label_en,
                "kind": kind,
                "source": source,
                "required": required,
                "sort": sort,
            },
        )
