"""The status engine's answer to "may this person come to work today?" (a check-in guard, registered
in :class:`lianfang.status.apps.StatusConfig`).

* A person under an isolation order in force that day (or a case treated in hospital) may not come
  to work, and their check-in is held at the matching mode (in home or centralised isolation, in
  hospital) until the order is released — whatever the rules say of their colour.
* A yellow or red person may not come to work until their status ends; their check-in defaults to
  working remotely and may not say "on site".
* A green person is free (no verdict).

The colour, the mode and "until when" may be shown to whoever sees the person; the reason (a case,
a contact, a fever) only to those who may read reasons.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lianfang.cases.choices import ACTIVE_STATUSES, IN_HOSPITAL, MODE_OF_ISOLATION, IsolationKind
from lianfang.cases.models import Case, Isolation
from lianfang.core.extensions import WorkVerdict
from lianfang.health.choices import WorkMode
from lianfang.status import engine
from lianfang.status.choices import Colour
from lianfang.status.models import PersonStatus


def _until(what: str, until: datetime.date | None) -> str:
    if until is None:
        return _("%(what)s: may not come to work") % {"what": what}
    return _("%(what)s until %(date)s: may not come to work") % {"what": what, "date": date_format(until, "m-d")}


def work_verdicts(person_ids: Sequence[int], day: datetime.date) -> dict[int, WorkVerdict]:
    """A verdict for each of these people who may not come to work on ``day`` (three small queries,
    however many people: the morning check asks for a whole unit at once)."""
    restricted = engine.restricted_on(day)
    ids = [pk for pk in person_ids if restricted is None or pk in restricted]
    if not ids:
        return {}  # the hot path: an ordinary green person costs no query
    english = (get_language() or "").startswith("en")
    statuses = {
        person_id: (colour, reason_en if english and reason_en else reason, until)
        for person_id, colour, reason, reason_en, until in PersonStatus.objects.filter(person_id__in=ids)
        .exclude(colour=Colour.GREEN)
        .filter(Q(until__isnull=True) | Q(until__gte=day))
        .values_list("person_id", "colour", "reason", "reason_en", "until")
    }
    isolations: dict[int, tuple[str, datetime.date]] = {}
    for person_id, kind, end in (
        Isolation.objects.filter(person_id__in=ids, start_on__lte=day)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=day))
        .order_by("start_on")
        .values_list("person_id", "kind", "planned_end_on")
    ):
        isolations[person_id] = (kind, end)  # the latest order wins
    in_hospital = set(
        Case.objects.filter(person_id__in=[pk for pk in statuses if pk not in isolations])
        .filter(status__in=ACTIVE_STATUSES, treatment__in=IN_HOSPITAL)
        .values_list("person_id", flat=True)
    )
    verdicts: dict[int, WorkVerdict] = {}
    for person_id in {*statuses, *isolations}:
        colour, reason, until = statuses.get(person_id, ("", "", None))
        if person_id in isolations:
            kind, end = isolations[person_id]
            mode = MODE_OF_ISOLATION[IsolationKind(kind)]
            label, held = _until(str(WorkMode(mode).label), end), True
        elif person_id in in_hospital:
            mode = WorkMode.HOSPITAL
            label, held = _until(str(WorkMode.HOSPITAL.label), None), True
        else:
            mode = WorkMode.REMOTE
            label, held = _until(str(Colour(colour).label), until), False
        verdicts[person_id] = WorkVerdict(
            may_work=False,
            mode=mode,
            held=held,
            colour=colour,
            label=label,
            reason=reason,
            until=until,
            source="status",
        )
    return verdicts
