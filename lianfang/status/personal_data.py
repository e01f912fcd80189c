"""The status app's part of "My data" (PIPL Art. 45): the person's health status history and reasons."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lianfang.core.extensions import DataSection, section_from
from lianfang.status.models import StatusChange


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "status.history",
            _("Health status history"),
            StatusChange.objects.filter(person=person).order_by("-changed"),
            ["changed", "colour_before", "colour", "reason", "until", "cause"],
        )
    ]
