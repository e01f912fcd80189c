"""The consent gate (同意闸口): may health data be collected for these people today?

Registered in ``lianfang.core.extensions.collection_gates`` and asked by every path that writes a
check-in. Where the office relies on separate consent for a category the check-in collects (health,
whereabouts), a person needs a consent to the current notice — to its last substantive version —
that they have not withdrawn. Under the public-health-emergency basis, while its period is open, no
consent is needed. Before any notice is published the gate is open: a fresh install behaves as
before, and docs/privacy.md tells the office to publish a notice before collecting.

The notice, the bases and the periods change a few times a year, so each process keeps a copy for
at most ``HOT_SECONDS`` (dropped at once when a privacy service commits in this process): the daily
check-in costs no query for them, and one query for the person's consents only where consent is
the basis.
"""

from __future__ import annotations

import datetime
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lianfang.core.extensions import CollectionRefusal, personal_data_categories
from lianfang.privacy.choices import Basis, ConsentAction
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod, LegalBasis, PrivacyNotice

HOT_SECONDS = 5.0


@dataclass(frozen=True)
class GateState:
    """The office's settings that decide the gate on one day."""

    day: datetime.date
    notice_id: int | None = None
    notice_version: int | None = None
    required_version: int | None = None  # consents to older versions than this one no longer count
    bases: dict[str, str] = field(default_factory=dict)  # category → consent / emergency, in force that day
    emergency_id: int | None = None
    # The last confirmed stand-down (the outbreak declared over) with no emergency opened since:
    # (its end, its period's name). From that day on no health data is collected.
    stood_down: tuple[datetime.date, str] | None = None

    @property
    def open(self) -> bool:
        return self.notice_id is None

    def basis(self, category: str) -> str:
        return self.bases.get(category, Basis.CONSENT)


def _stood_down(day: datetime.date) -> tuple[datetime.date, str] | None:
    from lianfang.privacy.models import StandDown

    last = (
        StandDown.objects.filter(confirmed_at__isnull=False, ends_on__lte=day)
        .select_related("period")
        .order_by("-ends_on", "-pk")
        .first()
    )
    if last is None:
        return None
    if EmergencyPeriod.objects.filter(is_open=True, starts_on__lte=day).exists():
        return None  # a new outbreak: check-ins open again
    return (last.ends_on, last.period.name)


def load_state(day: datetime.date) -> GateState:
    stood_down = _stood_down(day)
    published = list(
        PrivacyNotice.objects.filter(published_at__isnull=False)
        .order_by("-version")
        .values_list("pk", "version", "substantive")
    )
    if not published:
        return GateState(day=day, stood_down=stood_down)
    notice_id, version, _substantive = published[0]
    substantive = [v for _pk, v, s in published if s]
    required = substantive[0] if substantive else published[-1][1]
    emergency = EmergencyPeriod.objects.filter(is_open=True, starts_on__lte=day).values_list("pk", flat=True).first()
    bases = {}
    for category, basis, period_id in LegalBasis.objects.values_list("category", "basis", "emergency_id"):
        # The emergency basis holds only while its own period is open.
        bases[category] = Basis.EMERGENCY if basis == Basis.EMERGENCY and period_id == emergency else Basis.CONSENT
    return GateState(
        day=day,
        notice_id=notice_id,
        notice_version=version,
        required_version=required,
        bases=bases,
        emergency_id=emergency,
        stood_down=stood_down,
    )


# --- the per-process copy ---------------------------------------------------------------------------

_lock = threading.Lock()
_hot: tuple[float, GateState] | None = None


def _enabled() -> bool:
    value = getattr(django_settings, "LIANFANG_CHECKIN_CONFIG_CACHE", None)
    if value is None:
        return os.environ.get("LIANFANG_TESTING", "") not in ("1", "true", "yes")
    return bool(value)


def state(day: datetime.date) -> GateState:
    """The gate's settings on ``day``, from this process's copy when it is fresh."""
    global _hot
    hot = _hot
    if _enabled() and hot is not None and hot[1].day == day and time.monotonic() - hot[0] <= HOT_SECONDS:
        return hot[1]
    loaded = load_state(day)
    if _enabled():
        with _lock:
            _hot = (time.monotonic(), loaded)
    return loaded


def warm(day: datetime.date) -> GateState:
    """Load this process's copy now (a test's warm-up; a server's first check-in does it itself)."""
    invalidate()
    return state(day)


def invalidate() -> None:
    global _hot
    with _lock:
        _hot = None


def invalidate_on_commit() -> None:
    """Called by every service that changes the notice, a basis or a period."""
    invalidate()
    transaction.on_commit(invalidate)


# --- the gate --------------------------------------------------------------------------------------


def latest_records(
    person_ids: Sequence[int],
    categories: Sequence[str],
    actions: Sequence[str] = (ConsentAction.CONSENT, ConsentAction.WITHDRAW),
) -> dict[tuple[int, str], tuple[str, int, datetime.datetime]]:
    """(person, category) → (action, notice version, time) of the latest record among ``actions``."""
    latest: dict[tuple[int, str], tuple[str, int, datetime.datetime]] = {}
    rows = (
        ConsentRecord.objects.filter(person_id__in=person_ids, category__in=categories, action__in=actions)
        .order_by("id")
        .values_list("person_id", "category", "action", "notice_version", "given_at")
    )
    for person_id, category, action, version, given_at in rows:
        latest[(person_id, category)] = (action, version, given_at)
    return latest


def category_label(key: str) -> str:
    category = personal_data_categories.get(key)
    return str(category.label) if category else key


def collection_refusals(
    person_ids: Sequence[int], day: datetime.date, categories: Sequence[str]
) -> dict[int, CollectionRefusal]:
    """The people whose data of ``categories`` may not be collected on ``day``, and why."""
    gate = state(day)
    if gate.open:
        return {}
    needed = [c for c in categories if gate.basis(c) == Basis.CONSENT]
    if not needed:
        return {}
    latest = latest_records(person_ids, needed)
    required = gate.required_version or 0
    refusals: dict[int, CollectionRefusal] = {}
    for person_id in person_ids:
        missing = []
        withdrawn_at = None
        for category in needed:
            action, version, given_at = latest.get((person_id, category), ("", 0, None))
            if action == ConsentAction.CONSENT and version >= required:
                continue
            missing.append(category)
            if action == ConsentAction.WITHDRAW:
                withdrawn_at = given_at
        if not missing:
            continue
        what = "、".join(category_label(c) for c in missing)
        if withdrawn_at is not None:
            message = _(
                "Consent to the processing of %(what)s was withdrawn on %(date)s: no health data can be recorded."
            ) % {"what": what, "date": date_format(withdrawn_at.date(), "Y-m-d")}
        else:
            message = _(
                "No consent to the privacy notice (version %(version)s) for %(what)s: no health data can be "
                "recorded until it is given."
            ) % {"what": what, "version": gate.notice_version}
        refusals[person_id] = CollectionRefusal(
            message=message, categories=tuple(missing), action_url=reverse("privacy:notice-step"), source="privacy"
        )
    return refusals


def stand_down_stop(day: datetime.date, categories: Sequence[str] = ()) -> CollectionRefusal | None:
    """After a stand-down (应急结束) no health data is collected from anyone, until the office opens a
    new emergency period: the reason, or None."""
    stood_down = state(day).stood_down
    if stood_down is None:
        return None
    ends_on, name = stood_down
    message = _(
        "The outbreak “%(name)s” was declared over on %(date)s: check-ins have ended and no health data is "
        "collected any more."
    ) % {"name": name, "date": date_format(ends_on, "Y-m-d")}
    return CollectionRefusal(message=message, categories=tuple(categories), source="privacy.stand_down")


def stand_down_refusals(
    person_ids: Sequence[int], day: datetime.date, categories: Sequence[str]
) -> dict[int, CollectionRefusal]:
    """The collection gate's answer after a stand-down: everyone is refused, with the reason."""
    refusal = stand_down_stop(day, categories)
    return {} if refusal is None else {person_id: refusal for person_id in person_ids}


def notice_step(person_id: int, day: datetime.date, categories: Sequence[str]) -> str | None:
    """What the person must see before a check-in: "consent" (read and consent), "notice" (under the
    emergency basis: read it once), or None."""
    gate = state(day)
    if gate.open:
        return None
    if collection_refusals([person_id], day, categories):
        return "consent"
    emergency = [c for c in categories if gate.basis(c) == Basis.EMERGENCY]
    if emergency:
        seen = ConsentRecord.objects.filter(
            person_id=person_id, category__in=emergency, notice_version__gte=gate.required_version or 0
        ).values_list("category", flat=True)
        if set(emergency) - set(seen):
            return "notice"
    return None
