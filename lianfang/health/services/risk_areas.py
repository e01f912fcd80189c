"""Every write of risk areas (the group office's: ``health.riskarea``): create, correct, lift, delete
while unused, import. Each write checks permission, writes the change log, and tells whoever listens
(the status engine) which division codes changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Left
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, record_changes, snapshot
from lianfang.core.extensions import risk_areas_changed
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.health import divisions
from lianfang.health.choices import RiskLevel
from lianfang.health.models import CheckIn, RiskArea, Trip
from lianfang.org.scoping import has_any

RISK_LABEL = "health.riskarea"


def _ensure(actor, label: str, action: str) -> None:
    if not has_any(actor, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


# --- risk areas -----------------------------------------------------------------------------------


def clean_division_code(code: Any, *, field: str = "division_code") -> str:
    """A national division code that exists (2 digits: province, 4: city, 6: district)."""
    text = str(code or "").strip()
    if not text:
        raise ValidationError({field: _("Give the division code of the area, e.g. 420102.")})
    if not divisions.is_valid(text):
        raise ValidationError(
            {
                field: _(
                    "“%(code)s” is not a division code. Give the 2-digit code of a province, the 4-digit code "
                    "of a city or the 6-digit code of a district, e.g. 42, 4201 or 420102."
                )
                % {"code": text[:20]}
            }
        )
    return text


def _clean_area(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    try:
        out["division_code"] = clean_division_code(fields.get("division_code"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if fields.get("level") not in RiskLevel.values:
        errors["level"] = [_("Choose the risk level: high, medium or low.")]
    start, lifted = fields.get("effective_from"), fields.get("lifted_on")
    if not isinstance(start, datetime.date):
        errors["effective_from"] = [_("Give the day the area comes into force.")]
    elif isinstance(lifted, datetime.date) and lifted < start:
        errors["lifted_on"] = [_("An area cannot be lifted before it comes into force: give a later day.")]
    name = str(fields.get("name") or "").strip()
    if not name and "division_code" not in errors:
        name = divisions.full_name(out["division_code"])
    out["name"] = name[:100]
    for key, limit in (("source", 200), ("note", 200)):
        value = str(fields.get(key) or "").strip()
        if len(value) > limit:
            errors[key] = [_("Write at most %(n)s characters.") % {"n": limit}]
        out[key] = value
    if errors:
        raise ValidationError(errors)
    return out


AREA_FIELDS = ("division_code", "name", "level", "effective_from", "lifted_on", "source", "note")


def _after_area_change(codes: Iterable[str]) -> None:
    risk_areas_changed(codes)


@transaction.atomic
def risk_area_create(*, actor, **fields: Any) -> RiskArea:
    """Add a risk area as published by the authorities (group office)."""
    _ensure(actor, RISK_LABEL, Action.ADD)
    cleaned = _clean_area({k: fields.get(k) for k in AREA_FIELDS})
    area = RiskArea(created_by=actor if getattr(actor, "is_authenticated", False) else None, **cleaned)
    area.full_clean(exclude=["created_by"])
    area.save()
    record_change(actor=actor, obj=area, action=ChangeAction.CREATE)
    _after_area_change([area.division_code])
    return area


@transaction.atomic
def risk_area_update(*, actor, area: RiskArea, **fields: Any) -> RiskArea:
    """Correct a risk area (a wrong code, level or date). Past statuses are not rewritten; the
    people concerned by the old and the new code are recomputed."""
    _ensure(actor, RISK_LABEL, Action.CHANGE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    before = snapshot(area)
    old_code = area.division_code
    merged = {k: getattr(area, k) for k in AREA_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in AREA_FIELDS})
    unknown = set(fields) - set(AREA_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for key, value in _clean_area(merged).items():
        setattr(area, key, value)
    area.full_clean(exclude=["created_by"])
    area.save()
    record_change(actor=actor, obj=area, action=ChangeAction.UPDATE, before=before)
    _after_area_change({old_code, area.division_code})
    return area


@transaction.atomic
def risk_area_lift(*, actor, area: RiskArea, lifted_on: datetime.date | None = None) -> RiskArea:
    """Lift a risk area (解除) from a day on: it no longer applies from that day, and still applies
    to the days before, so past check-ins and trips are judged as they were."""
    _ensure(actor, RISK_LABEL, Action.CHANGE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    day = lifted_on or timezone.localdate()
    if day < area.effective_from:
        raise ValidationError(
            {
                "lifted_on": _("The area came into force on %(day)s: give that day or a later one.")
                % {"day": area.effective_from}
            }
        )
    before = snapshot(area)
    area.lifted_on = day
    area.save(update_fields=["lifted_on"])
    record_change(actor=actor, obj=area, action=ChangeAction.UPDATE, before=before)
    _after_area_change([area.division_code])
    return area


def risk_area_in_use(area: RiskArea) -> bool:
    """Did any check-in or trip fall in the area while it was in force? Such an area may have
    decided someone's status, so it is lifted, never deleted."""
    code, length = area.division_code, len(area.division_code)
    last = (area.lifted_on - datetime.timedelta(days=1)) if area.lifted_on else timezone.localdate()
    if last < area.effective_from:
        return False
    in_checkins = (
        CheckIn.objects.filter(date__gte=area.effective_from, date__lte=last)
        .annotate(_prefix=Left("location_code", length))
        .filter(_prefix=code)
        .exists()
    )
    if in_checkins:
        return True
    return (
        Trip.objects.filter(date_to__gte=area.effective_from, date_from__lte=last)
        .annotate(_prefix=Left("place_code", length))
        .filter(_prefix=code)
        .exists()
    )


@transaction.atomic
def risk_area_delete(*, actor, area: RiskArea) -> None:
    """Delete an area entered by mistake. Once a check-in or trip fell in it, lift it instead."""
    _ensure(actor, RISK_LABEL, Action.DELETE)
    area = RiskArea.objects.select_for_update().get(pk=area.pk)
    if risk_area_in_use(area):
        raise ValidationError(
            _(
                "Check-ins or trips fell in this area while it was in force, so it may have decided someone's "
                "status and is kept: lift it instead."
            )
        )
    before = snapshot(area)
    code = area.division_code
    record_change(actor=actor, obj=area, action=ChangeAction.DELETE, before=before)
    area.delete()
    _after_area_change([code])


@transaction.atomic
def risk_areas_import(*, actor, rows: Sequence[dict[str, Any]]) -> list[RiskArea]:
    """Add the rows of a checked import file (:mod:`lianfang.health.importer`), all or none.

    A row whose code and start day match an area already on the list updates it (the level, the
    lifting day, the source), so importing the authority's list again each day is harmless.
    """
    _ensure(actor, RISK_LABEL, Action.IMPORT)
    errors: dict[str, list[str]] = {}
    cleaned_rows: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        try:
            cleaned_rows.append(_clean_area({k: row.get(k) for k in AREA_FIELDS}))
        except ValidationError as exc:
            errors[str(row.get("_row", number))] = [m for ms in exc.message_dict.values() for m in ms]
    if errors:
        raise ValidationError(errors)
    existing = {
        (a.division_code, a.effective_from): a
        for a in RiskArea.objects.select_for_update().filter(
            division_code__in={r["division_code"] for r in cleaned_rows}
        )
    }
    written: list[RiskArea] = []
    logged: list[tuple[Any, str, dict | None]] = []
    for row in cleaned_rows:
        area = existing.get((row["division_code"], row["effective_from"]))
        if area is None:
            area = RiskArea(created_by=actor if getattr(actor, "is_authenticated", False) else None, **row)
            area.full_clean(exclude=["created_by"])
            area.save()
            existing[(area.division_code, area.effective_from)] = area
            logged.append((area, ChangeAction.CREATE, None))
        else:
            before = snapshot(area)
            for key, value in row.items():
                setattr(area, key, value)
            area.full_clean(exclude=["created_by"])
            area.save()
            logged.append((area, ChangeAction.UPDATE, before))
        written.append(area)
    record_changes(actor=actor, items=logged)
    _after_area_change({a.division_code for a in written})
    return written
