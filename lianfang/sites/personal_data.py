"""What the sites app holds about one person, for "My data" (PIPL Art. 45): the disinfection rounds
they did (their name is on each record, and on the record sheet), and their passages at the gates."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataSection, section_from
from lianfang.sites.models import DisinfectionLog, Entry


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "sites.disinfection",
            _("Disinfection rounds I did"),
            DisinfectionLog.objects.filter(operator=person).select_related("site", "agent").order_by("-started_at"),
            ["site", "started_at", "ended_at", "agent", "concentration", "note"],
        ),
        section_from(
            "sites.entries",
            _("My passages at checkpoints"),
            Entry.objects.filter(person=person).select_related("checkpoint__site").order_by("-at"),
            ["at", "checkpoint", "direction", "decision", "reason", "temperature", "temperature_ok"],
        ),
    ]
