"""Reads of the privacy app, each taking the viewer: the consent register (scoped), a person's own
consents, the Art. 45 sections, and the office's to-dos."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.extensions import DataSection, Todo
from lianfang.core.scoping import Action
from lianfang.people.models import Person
from lianfang.privacy import gate
from lianfang.privacy.choices import CHECKIN_CATEGORIES, Basis, ConsentAction
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod, LegalBasis, PrivacyNotice


def is_office(user, model: Any = PrivacyNotice, action: str = Action.CHANGE) -> bool:
    """Notices, bases and periods are the group office's: the right must be held on the group itself."""
    from lianfang.org.scoping import holds_on_group

    return holds_on_group(user, model, action)


def own_person(*, viewer) -> Person | None:
    if not getattr(viewer, "is_authenticated", False):
        return None
    return Person.objects.filter(user=viewer).select_related("unit").first()


def notice_list(*, viewer) -> QuerySet[PrivacyNotice]:
    return PrivacyNotice.objects.order_by("-version")


def current_notice() -> PrivacyNotice | None:
    return PrivacyNotice.objects.filter(published_at__isnull=False).order_by("-version").first()


def emergency_list(*, viewer) -> QuerySet[EmergencyPeriod]:
    return EmergencyPeriod.objects.order_by("-starts_on", "-id")


def bases(*, viewer) -> list[dict[str, Any]]:
    """Every registered category with the basis recorded for it and the basis in force today."""
    from lianfang.core.extensions import personal_data_categories

    rows = {b.category: b for b in LegalBasis.objects.select_related("emergency")}
    state = gate.load_state(timezone.localdate())
    return [
        {
            "key": c.key,
            "label": c.label,
            "row": rows.get(c.key),
            "in_force": state.basis(c.key),
            "fixed": c.fixed_basis,
        }
        for c in personal_data_categories
    ]


def consent_records(*, viewer, action: str = Action.VIEW) -> QuerySet[ConsentRecord]:
    return (
        ConsentRecord.objects.restrict(viewer, action)
        .select_related("person", "person__unit", "attested_by", "review")
        .order_by("-id")
    )


def consent_register(*, viewer, unit=None, status: str = "") -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per person in the viewer's register scope: the state of their consent to the current notice
    for the check-in's categories, and the totals per state over the whole scope (before ``status``
    filters the rows). ``status``: "valid", "missing" (never consented to the current substantive
    version), "withdrawn"."""
    people = (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(unit__in=_register_units(viewer))
        .select_related("unit")
        .order_by("unit__path", "name")
    )
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    people_list = list(people[:REGISTER_LIMIT])
    state = gate.load_state(timezone.localdate())
    latest = gate.latest_records([p.pk for p in people_list], list(CHECKIN_CATEGORIES))
    required = state.required_version or 0
    labels = unit_labels([p.unit for p in people_list])
    totals = {"valid": 0, "missing": 0, "withdrawn": 0}
    rows = []
    for person in people_list:
        states = []
        for category in CHECKIN_CATEGORIES:
            action, version, _given = latest.get((person.pk, category), ("", 0, None))
            if action == ConsentAction.WITHDRAW:
                states.append("withdrawn")
            elif action == ConsentAction.CONSENT and version >= required and not state.open:
                states.append("valid")
            else:
                states.append("missing")
        overall = "withdrawn" if "withdrawn" in states else ("missing" if "missing" in states else "valid")
        totals[overall] += 1
        if status and overall != status:
            continue
        rows.append(
            {
                "person": person,
                "unit_label": labels.get(person.unit_id, person.unit.name),
                "status": overall,
                "categories": dict(zip(CHECKIN_CATEGORIES, states, strict=True)),
            }
        )
    return rows, totals


# The register reads everyone in scope to count them; a group far larger than this would need the
# counts done in the database.
REGISTER_LIMIT = 20000


def unit_labels(units: Iterable[Any]) -> dict[int, str]:
    """unit id → a name that tells same-named departments apart: "渭城热力 · 综合办公室" (the
    company, then the unit) for a unit below a company; the name alone for the group and a company."""
    from lianfang.org.models import Unit

    units = {u.pk: u for u in units}
    steplen = Unit.steplen
    company_paths = {u.path[: 2 * steplen] for u in units.values() if len(u.path) > 2 * steplen}
    companies = {
        path: short or name
        for path, short, name in Unit.objects.filter(path__in=company_paths).values_list("path", "short_name", "name")
    }
    return {
        pk: f"{companies[u.path[: 2 * steplen]]} · {u.name}"
        if u.path[: 2 * steplen] in companies and len(u.path) > 2 * steplen
        else u.name
        for pk, u in units.items()
    }


def _register_units(viewer):
    from lianfang.org.scoping import units_where

    return units_where(viewer, ConsentRecord, Action.VIEW)


def may_see_register(viewer) -> bool:
    from lianfang.org.scoping import has_any

    return has_any(viewer, "privacy.consentrecord", Action.VIEW)


def own_consents(*, viewer) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(person__user=viewer).select_related("attested_by").order_by("-id")


def own_state(person: Person) -> dict[str, str]:
    """category → "valid" / "withdrawn" / "missing" / "emergency" for the check-in's categories."""
    state = gate.load_state(timezone.localdate())
    latest = gate.latest_records([person.pk], list(CHECKIN_CATEGORIES))
    out = {}
    for category in CHECKIN_CATEGORIES:
        action, version, _given = latest.get((person.pk, category), ("", 0, None))
        if action == ConsentAction.WITHDRAW:
            out[category] = "withdrawn"
        elif action == ConsentAction.CONSENT and version >= (state.required_version or 0):
            out[category] = "valid"
        else:
            out[category] = "missing"
    return out


def unreviewed_withdrawals(*, viewer) -> QuerySet[ConsentRecord]:
    return consent_records(viewer=viewer).filter(
        action=ConsentAction.WITHDRAW, basis=Basis.EMERGENCY, review__isnull=True
    )


def todos_for(user: Any, day: datetime.date) -> Iterable[Todo]:
    """The office: withdrawals under the emergency basis to review; a stand-down to confirm."""
    if not getattr(user, "is_authenticated", False) or not is_office(user, ConsentRecord, Action.VIEW):
        return []
    todos = []
    count = unreviewed_withdrawals(viewer=user).count()
    if count:
        todos.append(
            Todo(
                key="privacy.withdrawals",
                title=_("Review consent withdrawals"),
                url=reverse("privacy:register") + "?status=withdrawn",
                count=count,
            )
        )
    from lianfang.privacy.models import StandDown

    # A stand-down another administrator proposed waits for this one's confirmation (two-person rule).
    waiting = StandDown.objects.filter(confirmed_at__isnull=True).exclude(proposed_by=user)
    if waiting.exists() and is_office(user, StandDown, Action.CHANGE):
        todos.append(
            Todo(
                key="privacy.stand_down",
                title=_("Confirm the stand-down (the outbreak declared over)"),
                url=reverse("privacy:emergencies"),
                urgent=True,
            )
        )
    return todos


# --- Art. 45: the person's own data -----------------------------------------------------------------------


def consent_data_sections(person: Any) -> list[DataSection]:
    """The privacy app's part of "My data": the person's consent records."""
    rows = [
        (
            date_format(timezone.localtime(r.given_at), "Y-m-d H:i"),
            gate.category_label(r.category),
            r.get_action_display(),
            r.notice_version,
            r.get_basis_display(),
            r.get_channel_display(),
            (r.attested_by.get_full_name() or r.attested_by.username) if r.attested_by else "",
        )
        for r in ConsentRecord.objects.filter(person=person).select_related("attested_by").order_by("id")
    ]
    return [
        DataSection(
            key="privacy.consents",
            title=_("Consents"),
            headers=[
                _("Time"),
                pgettext("personal data", "Category"),
                _("Action"),
                _("Notice version"),
                _("Legal basis"),
                _("Channel"),
                _("Attested by"),
            ],
            rows=rows,
        )
    ]


def my_data(*, viewer) -> tuple[Person | None, list[DataSection]]:
    """Everything every app holds about the viewer's own person record (nobody else's)."""
    from lianfang.core.extensions import personal_data_for

    person = own_person(viewer=viewer)
    if person is None:
        return None, []
    return person, personal_data_for(person)


def plain(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)


# --- retention, purge receipts, stand-downs ---------------------------------------------------------------


def retention_rows(*, viewer) -> list[dict[str, Any]]:
    """Every registered category with its retention: set by the office or the default, the floor and
    ceiling, and whether an app has said how its rows are purged."""
    from lianfang.core.extensions import personal_data_categories, retention_providers
    from lianfang.privacy.models import RetentionPolicy

    rows = {r.category: r for r in RetentionPolicy.objects.all()}
    purged = {p.category for p in retention_providers}
    return [
        {
            "key": c.key,
            "label": c.label,
            "row": rows.get(c.key),
            "days": rows[c.key].days if c.key in rows else c.retention_days,
            "default": c.retention_days,
            "floor": c.retention_floor,
            "ceiling": c.retention_ceiling,
            "purged": c.key in purged,
        }
        for c in personal_data_categories
    ]


def purge_receipts(*, viewer):
    from lianfang.privacy.models import PurgeReceipt

    return PurgeReceipt.objects.select_related("stand_down", "stand_down__period", "actor").order_by("-started", "-id")


def stand_downs(*, viewer):
    from lianfang.privacy.models import StandDown

    return StandDown.objects.select_related("period", "proposed_by", "confirmed_by").order_by("-proposed_at")


def receipt_sheet_rows(receipts: Iterable[Any]) -> list[list[Any]]:
    """One row per run and category, for the receipts' worksheet."""
    rows: list[list[Any]] = []
    for receipt in receipts:
        for key, cat in (receipt.categories or {}).items():
            rows.append(
                [
                    str(receipt.run_id),
                    timezone.localtime(receipt.started).strftime("%Y-%m-%d %H:%M:%S"),
                    timezone.localtime(receipt.finished).strftime("%Y-%m-%d %H:%M:%S") if receipt.finished else "",
                    _("yes") if receipt.dry_run else _("no"),
                    str(receipt.get_trigger_display()),
                    gate.category_label(key),
                    cat.get("retention_days") or "",
                    cat.get("before") or "",
                    cat.get("deleted", 0),
                    cat.get("changes_redacted", 0),
                    cat.get("events_redacted", 0),
                    cat.get("oldest_kept") or "",
                ]
            )
    return rows


def receipt_sheet_headers() -> list[str]:
    return [
        pgettext("purge", "Run"),
        _("Started"),
        _("Finished"),
        _("Dry run"),
        _("Started by"),
        pgettext("data category", "Category"),
        _("Kept for (days)"),
        _("Deleted what is dated before"),
        _("Rows deleted"),
        _("Change-log rows redacted"),
        _("Audit events redacted"),
        _("Oldest date kept"),
    ]
