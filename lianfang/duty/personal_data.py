"""What the duty app holds about one person, for "My data" (PIPL Art. 45)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import DataSection, section_from
from lianfang.duty.models import Leave, LogEntry, ShiftMember


def sections(person: Any) -> list[DataSection]:
    return [
        section_from(
            "duty.shifts",
            _("Duty shifts"),
            ShiftMember.objects.filter(person=person).select_related("shift__post__unit").order_by("-shift__starts_at"),
            ["shift", "role"],
        ),
        section_from(
            "duty.leave",
            _("Leave in the duty roster"),
            Leave.objects.filter(person=person).order_by("-starts_on"),
            ["starts_on", "ends_on", "reason"],
        ),
        section_from(
            "duty.log",
            _("Duty log entries I recorded"),
            LogEntry.objects.filter(recorded_by_person=person).select_related("post__unit").order_by("-at"),
            ["post", "at", "kind", "counterpart", "content", "action"],
        ),
    ]
