"""The health app's part of "My data" (PIPL Art. 45): the person's check-ins with their answers, and
their trips. Registered in ``personal_data_sources`` by :class:`lianfang.health.apps.HealthConfig`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.extensions import DataSection, section_from
from lianfang.health.models import CheckIn, QuestionVersion, Trip


def sections(person: Any) -> list[DataSection]:
    checkins = CheckIn.objects.filter(person=person).select_related("unit").order_by("-date")
    section = section_from(
        "health.checkins",
        pgettext("personal data", "Check-ins"),
        checkins,
        ["date", "temperature", "symptoms", "symptom_note", "location_name", "work_mode", "is_fever", "source", "unit"],
    )
    # The answers in the words of the question version that was answered.
    answers = [(c.date, c.answers) for c in checkins]
    ids = {int(k) for _d, a in answers for k in a if str(k).isdigit()}
    labels = {str(v.pk): v.label for v in QuestionVersion.objects.filter(pk__in=ids)}
    answer_rows = [
        (day, labels.get(str(key), str(key)), ", ".join(map(str, value)) if isinstance(value, list) else value)
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
