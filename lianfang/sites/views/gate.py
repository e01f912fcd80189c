"""Checkpoints and the gate: the checkpoints in scope with today's passages, setting one up, the gate
page checkpoint staff hold up to people (with its JSON answers: a check, an offline upload, the
keys), the entries, one's own pass, printed cards and the signing keys."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any
from lianfang.people.models import Person
from lianfang.sites import passes, selectors
from lianfang.sites.choices import DenyReason, Direction, Directions
from lianfang.sites.forms import CheckpointForm, EntryFilterForm, parse_day
from lianfang.sites.models import Checkpoint, Entry, PassKey
from lianfang.sites.services import checkpoints as checkpoint_services
from lianfang.sites.services import gate as gate_services
from lianfang.sites.services.issue import cards_issue, phone_pass
from lianfang.sites.views.base import show_errors

CHECKPOINT = "sites.checkpoint"
ENTRY = "sites.entry"


def pass_colours() -> dict[str, str]:
    """The colours as a pass says them (绿码, 黄码, 红码)."""
    return {
        "green": pgettext("pass", "Green"),
        "yellow": pgettext("pass", "Yellow"),
        "red": pgettext("pass", "Red"),
    }


def _qr_svg(text: str, scale: int = 4) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=scale, omitsize=True, dark="#111", light="#fff")


def gate_tabs(request: HttpRequest) -> dict[str, bool]:
    """Which of the checkpoint tabs the viewer may open (a tab that would answer 403 is not shown)."""
    return {
        "checkpoints": has_any(request.user, CHECKPOINT, Action.VIEW),
        "entries": has_any(request.user, ENTRY, Action.VIEW),
        "keys": has_any(request.user, "sites.passkey", Action.VIEW),
    }


# --- checkpoints ----------------------------------------------------------------------------------


@login_required
def checkpoints(request: HttpRequest) -> HttpResponse:
    """The checkpoints in scope with today's passages; a new one for who may set them up."""
    if not has_any(request.user, CHECKPOINT, Action.VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    rows = list(selectors.checkpoint_list(viewer=request.user).order_by("site__path", "name"))
    counts = (
        selectors.gate_counts(selectors.entry_list(viewer=request.user), today)
        if has_any(request.user, ENTRY, Action.VIEW)
        else {}
    )
    sites = selectors.checkpoint_sites(viewer=request.user)
    form = None
    if has_any(request.user, CHECKPOINT, Action.ADD):
        form = CheckpointForm(request.POST or None, sites=sites)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            site = data.pop("site")
            try:
                checkpoint = checkpoint_services.checkpoint_create(actor=request.user, site=site, **data)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                messages.success(request, _("Checkpoint %(name)s set up.") % {"name": checkpoint})
                return redirect("sites:checkpoints")
    elif request.method == "POST":
        raise PermissionDenied
    for checkpoint in rows:
        checkpoint.today = counts.get(checkpoint.pk, selectors.GateCounts())
        checkpoint.may_gate = can(request.user, Action.ADD, Entry, checkpoint.site)
        checkpoint.may_edit = can(request.user, Action.CHANGE, Checkpoint, checkpoint.site)
    context = {
        "rows": rows,
        "form": form,
        "today": today,
        "may_entries": has_any(request.user, ENTRY, Action.VIEW),
        "may_visitors": has_any(request.user, "sites.visitor", Action.VIEW),
        "gate_tabs": gate_tabs(request),
        "may_cards": has_any(request.user, "people.person", Action.EXPORT),
    }
    return render(request, "sites/checkpoints.html", context)


@login_required
def checkpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    checkpoint = selectors.checkpoint_get(viewer=request.user, pk=pk)
    if not can(request.user, Action.CHANGE, Checkpoint, checkpoint.site):
        raise PermissionDenied
    form = CheckpointForm(request.POST or None, instance=checkpoint)
    if request.method == "POST" and form.is_valid():
        try:
            checkpoint_services.checkpoint_update(actor=request.user, checkpoint=checkpoint, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Checkpoint %(name)s saved.") % {"name": checkpoint})
            return redirect("sites:checkpoints")
    return render(request, "sites/checkpoint_form.html", {"form": form, "checkpoint": checkpoint})


# --- the gate ---------------------------------------------------------------------------------------


def _gate_checkpoint(request: HttpRequest, pk: int) -> Checkpoint:
    """The checkpoint whose gate the user may keep: 404 outside their scope, 403 without the role."""
    checkpoint = selectors.checkpoint_get(viewer=request.user, pk=pk)
    if not can(request.user, Action.ADD, Entry, checkpoint.site):
        raise PermissionDenied(_("Only checkpoint staff of this site may keep its gate."))
    return checkpoint


def _gate_config(request: HttpRequest, checkpoint: Checkpoint) -> dict[str, Any]:
    """What the gate's script needs to decide alone while offline (the first key is made here if no
    pass was ever signed, so that a gate opened on a new installation can check offline)."""
    passes.signing_key()
    return {
        "checkpoint": {
            "id": checkpoint.pk,
            "name": str(checkpoint),
            "directions": checkpoint.directions,
            "opens_at": checkpoint.opens_at.strftime("%H:%M") if checkpoint.opens_at else None,
            "closes_at": checkpoint.closes_at.strftime("%H:%M") if checkpoint.closes_at else None,
            "required_colour": checkpoint.required_colour,
            "takes_temperature": checkpoint.takes_temperature,
            "max_temperature": float(checkpoint.max_temperature),
            "offline_policy": checkpoint.offline_policy,
            "visitors_allowed": checkpoint.visitors_allowed,
            "is_active": checkpoint.is_active,
        },
        "keys": passes.public_keys(),
        "skew_seconds": int(passes.SKEW.total_seconds()),
        "urls": {
            "check": reverse("sites:gate-check", args=[checkpoint.pk]),
            "upload": reverse("sites:gate-upload", args=[checkpoint.pk]),
            "keys": reverse("sites:gate-keys", args=[checkpoint.pk]),
        },
        "reasons": {code: str(label) for code, label in DenyReason.choices},
        "colours": pass_colours(),
        "text": {
            "allowed": pgettext("gate", "Allowed"),
            "denied": pgettext("gate", "Denied"),
            "offline": _("Offline: checked on this phone, will upload"),
            "queued": _("Waiting to upload"),
            "uploaded": _("All uploaded"),
            "camera_refused": _("The camera is not available here: type the employee number or use a scanner."),
            "card_offline_admit": _("Card: let in by the offline rule, checked when the network is back"),
            "number_offline_admit": _("Number: let in by the offline rule, checked when the network is back"),
            "visitor_offline": _("Visitor pass: checked on this phone, single use"),
            "unknown_code": _("Not a pass of this group"),
        },
    }


@login_required
@never_cache
def gate(request: HttpRequest, pk: int) -> HttpResponse:
    """The gate page on the staff's phone: camera, scanner or typed number; allow or deny, with the reason."""
    checkpoint = _gate_checkpoint(request, pk)
    today = timezone.localdate()
    counts = selectors.gate_counts(Entry.objects.filter(checkpoint=checkpoint), today).get(
        checkpoint.pk, selectors.GateCounts()
    )
    context = {
        "checkpoint": checkpoint,
        "config": _gate_config(request, checkpoint),
        "counts": counts,
        "directions": [(value, label) for value, label in Direction.choices if checkpoint.counts(value)],
        "both_ways": checkpoint.directions == Directions.BOTH,
    }
    return render(request, "sites/gate.html", context)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(_("The request is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise ValidationError(_("The request is not valid JSON."))
    return body


def _refusal(exc: ValidationError) -> JsonResponse:
    if hasattr(exc, "error_dict"):
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse({"errors": {"__all__": exc.messages}}, status=400)


@login_required
@require_POST
def gate_check(request: HttpRequest, pk: int) -> JsonResponse:
    """One passage, decided and recorded now: the gate shows the answer."""
    checkpoint = _gate_checkpoint(request, pk)
    try:
        body = _json_body(request)
        client_id = _client_id(body.get("client_id"))
        within = body.get("temperature_ok")
        entry, verdict = gate_services.gate_check(
            actor=request.user,
            checkpoint=checkpoint,
            code=str(body.get("code", ""))[:2000],
            direction=body.get("direction") or Direction.IN,
            method=body.get("method") or "camera",
            temperature=body.get("temperature"),
            temperature_ok=within if isinstance(within, bool) else None,
            client_id=client_id,
        )
    except ValidationError as exc:
        return _refusal(exc)
    return JsonResponse({**verdict.as_json(), "entry": entry.pk, "client_id": str(entry.client_id)})


def _client_id(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({"client_id": _("A record without a valid id.")}) from None


@login_required
@require_POST
def gate_upload(request: HttpRequest, pk: int) -> JsonResponse:
    """What the gate recorded while offline; an id already stored is skipped (stored once)."""
    checkpoint = _gate_checkpoint(request, pk)
    try:
        body = _json_body(request)
        records = body.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValidationError(_("Send the records as a list."))
        result = gate_services.gate_upload(actor=request.user, checkpoint=checkpoint, records=records)
    except ValidationError as exc:
        return _refusal(exc)
    return JsonResponse(result)


@login_required
@require_GET
@never_cache
def gate_keys(request: HttpRequest, pk: int) -> JsonResponse:
    """The public keys a gate accepts now (the page refreshes its cached copy)."""
    _gate_checkpoint(request, pk)
    passes.signing_key()
    return JsonResponse({"keys": passes.public_keys()})


# --- entries ----------------------------------------------------------------------------------------


@login_required
def entries(request: HttpRequest) -> HttpResponse:
    """Who passed which gate when, allowed or denied, and why; a day at a time."""
    if not has_any(request.user, ENTRY, Action.VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    day = parse_day(request.GET.get("date"), today)
    form = EntryFilterForm(request.GET or None, initial={"date": day})
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    start, end = selectors.day_bounds(day)
    rows = selectors.entry_list(viewer=request.user).filter(at__gte=start, at__lt=end)
    checkpoint = None
    if data.get("checkpoint"):
        checkpoint = selectors.checkpoint_get(viewer=request.user, pk=data["checkpoint"])
        rows = rows.filter(checkpoint=checkpoint)
    person = None
    if data.get("person"):
        person = Person.objects.restrict(request.user, Action.VIEW).filter(pk=data["person"]).first()
        if person is None:
            raise Http404
        rows = selectors.entry_list(viewer=request.user).filter(person=person)
    if data.get("decision"):
        rows = rows.filter(decision=data["decision"])
    scope = selectors.entry_list(viewer=request.user)
    if checkpoint is not None:
        scope = scope.filter(checkpoint=checkpoint)
    page = Paginator(rows.order_by("-at", "-pk"), 100).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "day": day,
        "today": today,
        "prev_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "page": page,
        "checkpoint": checkpoint,
        "person": person,
        "denials": selectors.denials_by_reason(scope, day),
        "gate_tabs": gate_tabs(request),
        "totals": _totals(selectors.gate_counts(scope, day)),
    }
    return render(request, "sites/entries.html", context)


def _totals(counts: dict[int, selectors.GateCounts]) -> selectors.GateCounts:
    return selectors.GateCounts(
        sum(c.came_in for c in counts.values()),
        sum(c.went_out for c in counts.values()),
        sum(c.denied for c in counts.values()),
    )


# --- one's own pass, printed cards, keys ---------------------------------------------------------------


def _own_person(request: HttpRequest) -> Person:
    person = Person.objects.select_related("unit").filter(user=request.user).first()
    if person is None:
        raise Http404(_("Your account is not linked to anyone on the roster: ask your unit's liaison."))
    return person


@login_required
@never_cache
def my_pass(request: HttpRequest) -> HttpResponse:
    """The personal pass: colour and name large, a QR code that renews every minute."""
    person = _own_person(request)
    issued = phone_pass(person)
    context = {
        "person": person,
        "issued": issued,
        "svg": _qr_svg(issued.text, scale=6),
        "token_url": reverse("sites:my-pass-token"),
        "may_register_visitors": selectors.register_sites(viewer=request.user).exists(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render(request, "sites/my_pass.html", context)


@login_required
@require_GET
@never_cache
def my_pass_token(request: HttpRequest) -> JsonResponse:
    """A fresh pass for the page to show (it asks every minute)."""
    person = _own_person(request)
    issued = phone_pass(person)
    return JsonResponse(
        {
            "svg": _qr_svg(issued.text, scale=6),
            "colour": issued.colour,
            "colour_text": pass_colours().get(issued.colour, ""),
            "expires": issued.expires.isoformat(),
            "refresh_in": int((issued.refresh_at - timezone.now()).total_seconds()),
        }
    )


@login_required
def cards_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Printed cards for the unit's staff without an account (no phone), or for chosen people."""
    unit = Unit.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if unit is None:
        raise Http404
    if not can(request.user, Action.EXPORT, Person, unit):
        raise PermissionDenied(_("Only the unit's liaison and the group office print pass cards."))
    people = Person.objects.select_related("unit").filter(unit__path__startswith=unit.path, employment_status="active")
    chosen = [int(v) for v in request.GET.getlist("person") if v.isdigit()]
    people = people.filter(pk__in=chosen) if chosen else people.filter(user__isnull=True)
    people_list = list(people.order_by("unit__path", "employee_no")[:500])
    cards = [
        {"person": person, "svg": _qr_svg(text, scale=3)}
        for person, text in cards_issue(actor=request.user, people=people_list)
    ]
    until = timezone.localdate() + passes.CARD_TTL
    return render(request, "sites/cards_print.html", {"unit": unit, "cards": cards, "until": until})


@login_required
def pass_keys(request: HttpRequest) -> HttpResponse:
    """The keys that sign passes: which signs now, which are still accepted; rotate or revoke."""
    if not has_any(request.user, "sites.passkey", Action.VIEW):
        raise PermissionDenied
    if request.method == "POST":
        revoke = request.POST.get("revoke") == "1"
        if revoke and request.POST.get("understood") != "1":
            messages.error(request, _("Tick the box to confirm that every printed card must be printed again."))
            return redirect("sites:pass-keys")
        key = checkpoint_services.pass_key_rotate(actor=request.user, revoke=revoke)
        if revoke:
            messages.warning(
                request, _("Key withdrawn. Passes now use key %(kid)s; print the cards again.") % {"kid": key.kid}
            )
        else:
            messages.success(request, _("Passes are now signed with key %(kid)s.") % {"kid": key.kid})
        return redirect("sites:pass-keys")
    passes.signing_key()
    now = timezone.now()
    keys = list(PassKey.objects.order_by("-created", "-pk"))
    for key in keys:
        key.is_signing = key.retired_at is None
        key.is_accepted = key.accepts(now)
    return render(
        request,
        "sites/pass_keys.html",
        {
            "keys": keys,
            "gate_tabs": gate_tabs(request),
            "signs_for_days": passes.KEY_SIGNS_FOR.days,
            "may_rotate": has_any(request.user, "sites.passkey", Action.CHANGE),
        },
    )
