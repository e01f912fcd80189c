"""What the sites app holds about one person, for "My data" (PIPL Art. 45): the disinfection rounds
they did (their name is on each record, and on the record sheet)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataSection, section_from
from lianfang.sites.models import DisinfectionLog


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "sites.disinfection",
            _("Disinfection rounds I did"),
            DisinfectionLog.objects.filter(operator=person).select_related("site", "agent").order_by("-started_at"),
            ["site", "started_at", "ended_at", "agent", "concentration", "note"],
        ),
    ]
