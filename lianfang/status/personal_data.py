"""The status app's part of "My data" (PIPL Art. 45): the person's current health status with its
reason, and the history of its changes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lianfang.core.extensions import DataSection
from lianfang.status.models import PersonStatus, StatusChange


def _reason(row: Any) -> str:
    if (get_language() or "").startswith("en") and row.reason_en:
        return row.reason_en
    return row.reason


def sections(person: Any) -> list[DataSection]:
    # The current status is what the home page shows (绿色 · 无异常); the history holds only changes,
    # so someone who was never anything but green would otherwise read "nothing recorded" here.
    current = PersonStatus.objects.filter(person=person).first()
    current_rows = [(current.get_colour_display(), _reason(current), current.until, current.since)] if current else []
    history = [
        (
            change.changed,
            change.get_colour_before_display() if change.colour_before else "",
            change.get_colour_display(),
            _reason(change),
            change.until,
            change.get_cause_display(),
        )
        for change in StatusChange.objects.filter(person=person).order_by("-changed", "-pk")
    ]
    since = str(PersonStatus._meta.get_field("since").verbose_name)
    fields = {f.name: str(f.verbose_name) for f in StatusChange._meta.get_fields() if hasattr(f, "verbose_name")}
    return [
        DataSection(
            "status.current",
            _("Current health status"),
            [
                fields["colour"],
                fields["reason"],
                fields["until"],
                since,
            ],
            current_rows,
        ),
        DataSection(
            "status.history",
            _("Health status history"),
            [fields[name] for name in ("changed", "colour_before", "colour", "reason", "until", "cause")],
            history,
        ),
    ]
