"""The status engine's answer to "may this person come to work today?" (a check-in guard, registered
in :class:`lianfang.status.apps.StatusConfig`): a green person may; a yellow or red one may not,
until their status ends. The colour and "until when" may be shown to whoever sees the person; the
reason (a case, a contact, a fever) only to those who may read reasons."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lianfang.core.extensions import WorkVerdict
from lianfang.status.choices import Colour
from lianfang.status.models import PersonStatus


def work_verdicts(person_ids: Sequence[int], day: datetime.date) -> dict[int, WorkVerdict]:
    """A verdict for each of these people who is not green today (green people are free: no entry)."""
    english = (get_language() or "").startswith("en")
    verdicts: dict[int, WorkVerdict] = {}
    rows = (
        PersonStatus.objects.filter(person_id__in=list(person_ids))
        .exclude(colour=Colour.GREEN)
        .values_list("person_id", "colour", "reason", "reason_en", "until")
    )
    for person_id, colour, reason, reason_en, until in rows:
        if until is not None and until < day:
            continue  # the status has run out; the nightly run will turn it green
        colour_label = str(Colour(colour).label)
        if until is not None:
            label = _("%(colour)s until %(date)s: may not come to work") % {
                "colour": colour_label,
                "date": date_format(until, "m-d"),
            }
        else:
            label = _("%(colour)s: may not come to work") % {"colour": colour_label}
        verdicts[person_id] = WorkVerdict(
            may_work=False,
            colour=colour,
            label=label,
            reason=(reason_en if english and reason_en else reason),
            until=until,
            source="status",
        )
    return verdicts
