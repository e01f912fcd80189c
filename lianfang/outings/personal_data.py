"""What the outings app holds about one person, for "My data" (PIPL Art. 45)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataSection, section_from
from lianfang.outings.models import MonitoringReading, Outing


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "outings.outings",
            _("Outings"),
            Outing.objects.filter(person=person).order_by("-date_from"),
            [
                "place_name",
                "date_from",
                "date_to",
                "reason",
                "transport",
                "transport_no",
                "route",
                "state",
                "risk_area_name",
                "risk_found_area",
                "actual_from",
                "actual_to",
                "monitoring_until",
            ],
        ),
        section_from(
            "outings.readings",
            _("Enhanced monitoring readings"),
            MonitoringReading.objects.filter(outing__person=person).order_by("-date"),
            ["date", "temperature", "is_fever"],
        ),
    ]
