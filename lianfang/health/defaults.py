"""The extra check-in questions every group starts with (seeds 003 and 004). The office edits them
or adds more without code (Question / QuestionVersion)."""

from __future__ import annotations

YES_NO_FLAG_YES = {"kind": "yes_no", "choices": [], "flag_values": ["yes"]}

DEFAULT_QUESTIONS: list[dict] = [
    {
        "code": "travel-risk-area",
        "sort": 10,
        "text": "过去14天内是否到过中高风险地区？",
        "text_en": "Have you been to a medium- or high-risk area in the past 14 days?",
        "required": True,
        **YES_NO_FLAG_YES,
    },
    {
        "code": "contact-case",
        "sort": 20,
        "text": "是否接触过确诊或疑似病例？",
        "text_en": "Have you been in contact with a confirmed or suspected case?",
        "required": True,
        **YES_NO_FLAG_YES,
    },
    {
        "code": "nat-date",
        "sort": 30,
        "text": "最近一次核酸检测日期",
        "text_en": "Date of your latest nucleic-acid test",
        "required": False,
        "kind": "date",
        "choices": [],
        "flag_values": [],
    },
    {
        "code": "nat-result",
        "sort": 40,
        "text": "最近一次核酸检测结果",
        "text_en": "Result of your latest nucleic-acid test",
        "required": False,
        "kind": "single",
        "choices": [
            {"value": "negative", "label": "阴性", "label_en": "Negative"},
            {"value": "positive", "label": "阳性", "label_en": "Positive"},
            {"value": "pending", "label": "待出结果", "label_en": "Pending"},
        ],
        "flag_values": ["positive"],
    },
    {
        "code": "vaccine-doses",
        "sort": 50,
        "text": "已接种疫苗剂次",
        "text_en": "Vaccine doses received",
        "required": False,
        "kind": "single",
        "choices": [{"value": str(n), "label": f"{n}剂", "label_en": str(n)} for n in range(5)],
        "flag_values": [],
    },
    {
        "code": "health-code",
        "sort": 60,
        "text": "健康码颜色",
        "text_en": "Health code colour",
        "required": True,
        "kind": "single",
        "choices": [
            {"value": "green", "label": "绿码", "label_en": "Green"},
            {"value": "yellow", "label": "黄码", "label_en": "Yellow"},
            {"value": "red", "label": "红码", "label_en": "Red"},
        ],
        "flag_values": ["yellow", "red"],
    },
]


def ensure_default_questions(question_model=None, version_model=None) -> None:
    """Create the seed questions that are missing, each with its first version (used by the data
    migration and by test set-up after a flush)."""
    if question_model is None:
        from lianfang.health.models import Question as question_model
        from lianfang.health.models import QuestionVersion as version_model
    for spec in DEFAULT_QUESTIONS:
        question, created = question_model.objects.get_or_create(code=spec["code"], defaults={"sort": spec["sort"]})
        if not created and question.current_id:
            continue
        version = version_model.objects.create(
            question=question,
            version=1,
            text=spec["text"],
            text_en=spec["text_en"],
            kind=spec["kind"],
            choices=spec["choices"],
            required=spec["required"],
            flag_values=spec["flag_values"],
        )
        question.current = version
        question.save(update_fields=["current"])
