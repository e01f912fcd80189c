"""The cases app's part of "My data" (PIPL Art. 45): the person's own cases, their listing as a close
contact (without naming the case they were near: that is someone else's data), isolation orders,
follow-up readings and care records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lianfang.cases.models import CareAssignment, CareContact, Case, Contact, FollowUp, Isolation
from lianfang.core.extensions import DataSection, section_from


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "cases.cases",
            _("Cases"),
            Case.objects.filter(person=person).order_by("-reported_on"),
            [
                "number",
                "status",
                "onset_on",
                "reported_on",
                "confirmed_on",
                "recovered_on",
                "treatment",
                "treatment_place",
            ],
        ),
        section_from(
            "cases.contacts",
            _("Listed as a close contact"),
            Contact.objects.filter(person=person).order_by("-last_exposure_on"),
            ["degree", "last_exposure_on", "setting", "setting_note", "notified_at"],
        ),
        section_from(
            "cases.isolation",
            _("Isolation"),
            Isolation.objects.filter(person=person).order_by("-start_on"),
            ["kind", "reason", "start_on", "planned_end_on", "place", "released_on", "release_test_result"],
        ),
        section_from(
            "cases.followups",
            _("Follow-ups"),
            FollowUp.objects.filter(isolation__person=person).order_by("-date", "-slot"),
            ["date", "slot", "temperature", "symptoms", "note"],
        ),
        section_from(
            "cases.care",
            _("Care"),
            CareContact.objects.filter(assignment__in=CareAssignment.objects.filter(person=person)).order_by("-date"),
            ["date", "need", "need_note", "action", "outcome", "is_open", "closed_on"],
        ),
    ]
