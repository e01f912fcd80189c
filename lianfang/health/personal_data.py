"""The health app's part of "My data" (PIPL Art. 45): the person's check-ins with their answers, and
their trips. Registered in ``personal_data_sources`` by :class:`lianfang.health.apps.HealthConfig`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from lianfang.core.extensions import DataSection, join_words, section_from
from lianfang.health.choices import QuestionKind, Symptom
from lianfang.health.models import CheckIn, QuestionVersion, Trip


def _symptoms(codes: Any) -> str:
    labels = dict(Symptom.choices)
    return join_words(labels.get(code, code) for code in codes or [])


def _option_label(choice: dict) -> str:
    if (get_language() or "").startswith("en") and choice.get("label_en"):
        return choice["label_en"]
    return str(choice.get("label") or choice.get("value") or "")


def _answer_text(version: QuestionVersion | None, answer: Any) -> Any:
    """An answer in the words the person saw: the option's label, 是/否, a list as a phrase."""
    if answer is None or answer == "" or answer == []:
        return ""
    labels = {str(c["value"]): _option_label(c) for c in (version.choices if version else None) or []}
    if isinstance(answer, list):
        return join_words(labels.get(str(a), str(a)) for a in answer)
    if version is not None and version.kind == QuestionKind.YES_NO:
        return _("Yes") if answer == "yes" else _("No")
    if isinstance(answer, bool):
        return _("Yes") if answer else _("No")
    return labels.get(str(answer), answer)


def sections(person: Any) -> list[DataSection]:
    checkins = CheckIn.objects.filter(person=person).select_related("unit").order_by("-date")
    section = section_from(
        "health.checkins",
        pgettext("personal data", "Check-ins"),
        checkins,
        ["date", "temperature", "symptoms", "symptom_note", "location_name", "work_mode", "is_fever", "source", "unit"],
        formatters={"symptoms": _symptoms},
    )
    # The answers in the words of the question version that was answered.
    answers = [(c.date, c.answers) for c in checkins]
    ids = {int(k) for _d, a in answers for k in a if str(k).isdigit()}
    versions = {str(v.pk): v for v in QuestionVersion.objects.filter(pk__in=ids)}
    answer_rows = [
        (
            day,
            versions[str(key)].label if str(key) in versions else str(key),
            _answer_text(versions.get(str(key)), value),
        )
        for day, given in answers
        for key, value in given.items()
    ]
    trips = section_from(
        "health.trips",
        _("Trips"),
        Trip.objects.filter(person=person).order_by("-date_from"),
        ["kind", "place_name", "date_from", "date_to", "transport", "transport_no", "note", "source"],
    )
    return [
        section,
        DataSection("health.answers", _("Check-in answers"), [_("Date"), _("Question"), _("Answer")], answer_rows),
        trips,
    ]
