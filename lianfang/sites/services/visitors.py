"""Visitors (来访): a host registers a visit, the visitor declares their health and travel on a public
page reached by the visit's link, and gets a single-use pass for that day; the gate checks the pass
(:func:`visitor_at_gate`). Walk-ins are registered and declared at once at the gate (:mod:`walkins`).

The declaration's places of the last 14 days are checked against the risk areas in force on the day
of declaring: a hit refuses the visit and tells the host, who can then call the visitor.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.masking import mask_name_middle
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.core.scoping import Action
from lianfang.health import divisions
from lianfang.health.choices import RiskLevel
from lianfang.health.models import RiskArea
from lianfang.health.selectors import in_force_on
from lianfang.notify.services import message_send
from lianfang.org.models import Unit
from lianfang.org.scoping import can
from lianfang.people.models import Person
from lianfang.sites import passes
from lianfang.sites.choices import Decision, DenyReason, Direction, PassKind, VisitStatus
from lianfang.sites.models import Checkpoint, Entry, Visitor
from lianfang.sites.selectors import organisation_of, visitor_checkpoints
from lianfang.sites.services.base import at_local, person_of
from lianfang.sites.services.verdicts import Verdict, deny

if TYPE_CHECKING:
    from lianfang.sites.passes import Claims

MESSAGE_KIND = "visitor_refused"
# The levels that refuse a visitor: a low-risk area is only watched, as for the staff's own travel.
RISK_LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM)
# How far ahead a visit may be registered: a visitor record lives a short time (category ``visitors``).
MAX_DAYS_AHEAD = 30
MAX_PLACES = 10
LOOK_BACK_DAYS = 14
MAINLAND_MOBILE = re.compile(r"^1\d{10}$")

# The symptoms the declaration asks about (any of them refuses the visit: the host reschedules).
SYMPTOMS: dict[str, Any] = {
    "fever": gettext_lazy("Fever (37.3 ℃ or more)"),
    "cough": gettext_lazy("Cough"),
    "sore_throat": gettext_lazy("Sore throat"),
    "short_breath": gettext_lazy("Shortness of breath"),
    "fatigue": gettext_lazy("Fatigue or aching muscles"),
    "taste_smell": gettext_lazy("Loss of taste or smell"),
}


# --- who may register -------------------------------------------------------------------------------


def takes_visitors(site: Unit) -> bool:
    return visitor_checkpoints(site=site).exists()


def is_staff_for(actor, site: Unit, action: str = Action.ADD) -> bool:
    """The site's staff or liaison (a role that may register visitors there)."""
    return can(actor, action, Visitor, site)


def own_organisation_site(person: Person | None, site: Unit) -> bool:
    """The site belongs to the person's own organisation (their subsidiary, or the group's own units)."""
    if person is None or person.employment_status != "active":
        return False
    return site.path.startswith(organisation_of(person.unit).path)


def may_register(actor, site: Unit) -> bool:
    return is_staff_for(actor, site) or own_organisation_site(person_of(actor), site)


def may_cancel(actor, visit: Visitor) -> bool:
    if visit.host_id is not None and visit.host is not None and visit.host.user_id == getattr(actor, "pk", None):
        return True
    return is_staff_for(actor, visit.site, Action.CHANGE)


# --- checks -------------------------------------------------------------------------------------------


def clean_phone(value: str) -> str:
    phone = re.sub(r"[\s-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MAINLAND_MOBILE.match(phone):
        raise ValidationError({"phone": _("Phone: give a mainland mobile number, 11 digits starting with 1.")})
    return phone


def _clean_text(value: Any, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("%(field)s: this is required.") % {"field": label}})
    if len(text) > max_length:
        raise ValidationError({field: _("%(field)s: at most %(n)d characters.") % {"field": label, "n": max_length}})
    return text


def _check_day(day: datetime.date, today: datetime.date) -> None:
    if day < today:
        raise ValidationError({"day": _("Day of the visit: it is in the past; choose today or a later day.")})
    if day > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError({"day": _("Day of the visit: at most %(n)d days ahead.") % {"n": MAX_DAYS_AHEAD}})


def _check_site(site: Unit) -> None:
    if not takes_visitors(site):
        raise ValidationError(
            {"site": _("Site: no checkpoint of %(site)s lets visitors in.") % {"site": site.display_name}}
        )


# --- registering ----------------------------------------------------------------------------------------


def _host_for(actor, site: Unit, host: Person | None) -> Person | None:
    """Who hosts the visit. An employee registers their own visitors (they are the host); the site's
    staff and liaison may name another host of the organisation, or none."""
    own = person_of(actor)
    if is_staff_for(actor, site):
        if host is not None and not site.path.startswith(organisation_of(host.unit).path):
            raise ValidationError({"host": _("Host: choose someone of the organisation the site belongs to.")})
        return host or (own if own_organisation_site(own, site) else None)
    if own_organisation_site(own, site) and (host is None or host.pk == own.pk):  # type: ignore[union-attr]
        return own
    raise PermissionDenied(_("You may register visitors only for a site of your own organisation, as their host."))


@transaction.atomic
def visit_register(
    *,
    actor,
    site: Unit,
    day: datetime.date,
    name: str,
    phone: str,
    company: str = "",
    reason: str,
    host: Person | None = None,
    walk_in: bool = False,
) -> Visitor:
    """Register a visit: the visitor then declares on their link."""
    chosen_host = _host_for(actor, site, host)
    _check_day(day, timezone.localdate())
    _check_site(site)
    visit = Visitor(
        site=site,
        day=day,
        name=_clean_text(name, "name", pgettext("person", "Name"), 60),
        phone=clean_phone(phone),
        company=_clean_text(company, "company", _("Company"), 100, required=False),
        reason=_clean_text(reason, "reason", _("Reason for the visit"), 200),
        host=chosen_host,
        walk_in=walk_in,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    visit.full_clean()
    visit.save()
    record_change(actor=actor, obj=visit, action=ChangeAction.CREATE)
    return visit


@transaction.atomic
def visit_cancel(*, actor, visit: Visitor) -> Visitor:
    """Cancel a visit not yet made (the host or the site's staff): its pass no longer opens the gate."""
    visit = Visitor.objects.select_for_update(of=("self",)).select_related("site", "host").get(pk=visit.pk)
    if not may_cancel(actor, visit):
        raise PermissionDenied(_("Only the host or the site's staff may cancel a visit."))
    if visit.status in (VisitStatus.ENTERED, VisitStatus.CANCELLED) or _came_in(visit):
        raise ValidationError(_("This visit cannot be cancelled any more: %(status)s.") % {"status": _status(visit)})
    before = snapshot(visit)
    visit.status = VisitStatus.CANCELLED
    visit.save(update_fields=["status", "updated"])
    record_change(actor=actor, obj=visit, action=ChangeAction.UPDATE, before=before)
    return visit


def _status(visit: Visitor) -> str:
    return str(VisitStatus(visit.status).label)


def _came_in(visit: Visitor) -> bool:
    return Entry.objects.filter(visitor=visit, decision=Decision.ALLOW, direction=Direction.IN).exists()


# --- the declaration ------------------------------------------------------------------------------------


def clean_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The declaration as stored: each symptom yes/no, contact yes/no, the places (valid division codes)."""
    cleaned: dict[str, Any] = {key: bool(answers.get(key)) for key in SYMPTOMS}
    cleaned["contact"] = bool(answers.get("contact"))
    places: list[str] = []
    for code in answers.get("places") or []:
        code = str(code or "").strip()
        if not code:
            continue
        if not divisions.is_valid(code):
            message = _("Places visited: %(code)s is not a division of China.") % {"code": code}
            raise ValidationError({"places": message})
        if code not in places:
            places.append(code)
    if len(places) > MAX_PLACES:
        raise ValidationError({"places": _("Places visited: give at most %(n)d places.") % {"n": MAX_PLACES}})
    cleaned["places"] = places
    return cleaned


def risk_area_for(places: list[str], day: datetime.date) -> RiskArea | None:
    """The first risk area in force on ``day`` (of the levels that refuse) covering one of the places:
    a province's or city's area covers its districts."""
    prefixes = {code[:n] for code in places for n in (2, 4, 6) if len(code) >= n}
    if not prefixes:
        return None
    return (
        RiskArea.objects.filter(in_force_on(day), division_code__in=prefixes, level__in=list(RISK_LEVELS))
        .order_by("level", "-effective_from")
        .first()
    )


def declaration_open(visit: Visitor, today: datetime.date) -> bool:
    """A declaration is made on the visit's day or the day before (travel of 14 days before the visit)."""
    return visit.day - datetime.timedelta(days=1) <= today <= visit.day


def _refusal(cleaned: dict[str, Any], today: datetime.date) -> str:
    """Why the declaration does not pass (empty: it passes), in the group's language (the host reads it)."""
    area = risk_area_for(cleaned["places"], today)
    if area is not None:
        return _("Visited a risk area in the last 14 days: %(area)s (%(level)s).") % {
            "area": area.name,
            "level": area.get_level_display(),
        }
    if cleaned["contact"]:
        return _("Contact with a confirmed or suspected case in the last 14 days.")
    symptoms = [str(label) for key, label in SYMPTOMS.items() if cleaned[key]]
    if symptoms:
        return _("Symptoms declared: %(symptoms)s.") % {"symptoms": ", ".join(symptoms)}
    return ""


@transaction.atomic
def visit_declare(*, visit: Visitor, answers: Mapping[str, Any], now: datetime.datetime | None = None) -> Visitor:
    """The visitor's health declaration (public, reached by the visit's link): passed, the visit is
    DECLARED and the pass can be shown; not passed, it is REFUSED and the host is told why."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    visit = Visitor.objects.select_for_update(of=("self",)).select_related("site", "host").get(pk=visit.pk)
    if visit.status == VisitStatus.CANCELLED:
        raise ValidationError(_("This visit was cancelled: ask your host for a new one."))
    if visit.status != VisitStatus.INVITED:
        raise ValidationError(_("This visit is already declared: %(status)s.") % {"status": _status(visit)})
    if not declaration_open(visit, today):
        if today < visit.day:
            raise ValidationError(
                _("Declare on %(day)s or the day before: the 14 days of travel are counted from then.")
                % {"day": visit.day.isoformat()}
            )
        raise ValidationError(_("This visit was for %(day)s: ask your host for a new one.") % {"day": visit.day})
    cleaned = clean_answers(answers)
    # The note is read by the host and the staff: written in the group's language, not the visitor's.
    with translation.override(django_settings.LANGUAGE_CODE):
        note = _refusal(cleaned, today)
    before = snapshot(visit)
    visit.declaration = cleaned
    visit.declared_at = now
    visit.risk_note = note[:200]
    visit.status = VisitStatus.REFUSED if note else VisitStatus.DECLARED
    visit.save(update_fields=["declaration", "declared_at", "risk_note", "status", "updated"])
    record_change(actor=None, obj=visit, action=ChangeAction.UPDATE, before=before)
    if note and visit.host is not None and visit.host.user_id:
        transaction.on_commit(lambda: tell_host(visit.pk))
    return visit


def tell_host(visit_id: int) -> int:
    """The host learns that their visitor's declaration did not pass, and why (full name: they call)."""
    visit = Visitor.objects.select_related("site", "host").get(pk=visit_id)
    if visit.host is None or not visit.host.user_id:
        return 0
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Your visitor %(name)s may not come in on %(day)s") % {
            "name": visit.name,
            "day": f"{visit.day:%m-%d}",
        }
        body = _("%(site)s: the health declaration did not pass. %(why)s Call them to put off the visit.") % {
            "site": visit.site.display_name,
            "why": visit.risk_note,
        }
    return message_send(
        recipients=[visit.host.user_id], kind=MESSAGE_KIND, title=title, body=body, url=reverse("sites:visitors")
    )


# --- the pass ---------------------------------------------------------------------------------------


def visit_end(visit: Visitor) -> datetime.datetime:
    """The end of the visit's day, in the group's time zone: the pass is valid until then."""
    return at_local(visit.day, datetime.time.max.replace(microsecond=0))


def visit_pass(visit: Visitor, now: datetime.datetime | None = None) -> str:
    """The signed single-use pass of a declared visit, valid until the end of the visit's day."""
    now = now or timezone.now()
    if visit.status != VisitStatus.DECLARED:
        raise ValidationError(_("No pass: %(status)s.") % {"status": _status(visit)})
    if now > visit_end(visit):
        raise ValidationError(_("This visit was for %(day)s: ask your host for a new one.") % {"day": visit.day})
    return passes.sign(
        kind=PassKind.VISITOR,
        subject=visit.pk,
        name=mask_name_middle(visit.name),
        unit=visit.site.display_name,
        expires=visit_end(visit),
    )


def pass_id(visit: Visitor) -> str:
    """The id the gate records for every pass of one visit. The pass page may be opened again (and a
    new pass signed each time); the gate lets the visit in once whichever of them is shown, because
    it counts uses by this id rather than by the random one each signature carries."""
    return f"visit-{visit.pk}"


def visitor_at_gate(checkpoint: Checkpoint, claims: Claims, *, at: datetime.datetime) -> Verdict:
    """Whether a genuine visitor pass opens this checkpoint at ``at``: the visit must be for this site
    and this day, declared and passed, and the checkpoint must let visitors in. The rules common to
    everyone (hours, direction, once only, temperature) are the gate's."""
    visit = Visitor.objects.select_related("site").filter(pk=claims.subject).first()
    if visit is None:
        return deny(DenyReason.UNKNOWN)
    name, unit = mask_name_middle(visit.name), visit.site.display_name
    shown = {"name": name, "unit": unit, "kind": PassKind.VISITOR}
    if visit.site_id != checkpoint.site_id or visit.day != timezone.localdate(at):
        return deny(DenyReason.NO_APPOINTMENT, **shown)
    if visit.status not in (VisitStatus.DECLARED, VisitStatus.ENTERED):
        if visit.status == VisitStatus.CANCELLED:
            return deny(DenyReason.NO_APPOINTMENT, **shown)
        return deny(DenyReason.DECLARATION, **shown)
    if not checkpoint.visitors_allowed:
        return deny(DenyReason.NO_APPOINTMENT, **shown)
    return Verdict(
        decision=Decision.ALLOW, name=name, unit=unit, kind=PassKind.VISITOR, visitor=visit, token_id=pass_id(visit)
    )


def visit_entered(entry: Entry) -> bool:
    """After the gate recorded an entry: an allowed visitor coming in marks the visit ENTERED (once).
    For gate.py to call after recording; the lists also read "came in" from the entries themselves."""
    if entry.visitor_id is None or entry.decision != Decision.ALLOW or entry.direction != Direction.IN:
        return False
    return bool(
        Visitor.objects.filter(pk=entry.visitor_id, status=VisitStatus.DECLARED).update(
            status=VisitStatus.ENTERED, entered_at=entry.at
        )
    )


def visit_reveal_phone(*, actor, visit: Visitor) -> str:
    """The visitor's full phone, for a viewer allowed to unmask at the site; audited."""
    if not can(actor, Action.UNMASK, Visitor, visit.site):
        raise PermissionDenied(_("Only the site's liaison and the office may see a visitor's full phone."))
    record_event(
        kind=AuditKind.UNMASK, actor=actor, unit=visit.site, object_repr=str(visit), field="phone", visitor=visit.pk
    )
    return visit.phone
