"""The rounds: the sites in scope today, a site's day with one tap to start and to finish a round, its
record sheet for the inspectors, the photo of a round, and opening a terminal disinfection."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.scoping import Action
from lianfang.org.scoping import can, has_any
from lianfang.sites import selectors, services
from lianfang.sites.choices import RoundKind, RoundStatus
from lianfang.sites.forms import FinishForm, RecordForm, StartForm, TerminalForm, parse_day
from lianfang.sites.models import DisinfectionLog, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.services.logs import minimum_minutes
from lianfang.sites.views.base import ensure_disinfection_viewer, flash, flash_form, tabs

LOG = "sites.disinfectionlog"


def day_url(site_id: int, day: datetime.date) -> str:
    return f"{reverse('sites:site-day', args=[site_id])}?date={day:%Y-%m-%d}"


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The sites in scope with rounds that day: due, done, overdue; the open terminal disinfections."""
    ensure_disinfection_viewer(request)
    today = timezone.localdate()
    day = parse_day(request.GET.get("date"), today)
    rows = selectors.overview(viewer=request.user, day=day)
    only_overdue = request.GET.get("status") == RoundStatus.OVERDUE
    if only_overdue:
        rows = [r for r in rows if r.counts.overdue or r.terminal]
    may_plan = has_any(request.user, "sites.disinfectionplan", Action.ADD)
    totals = selectors.DayCounts(
        sum(r.counts.due for r in rows), sum(r.counts.done for r in rows), sum(r.counts.overdue for r in rows)
    )
    context = {
        "day": day,
        "today": today,
        "prev_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "rows": rows,
        "totals": totals,
        "only_overdue": only_overdue,
        "terminal": selectors.terminal_open_list(viewer=request.user),
        "may_plan": may_plan,
    }
    return render(request, "sites/overview.html", {**context, "tabs": tabs(request)})


@dataclass
class Card:
    """A round on the site's page, with the forms the viewer may use on it."""

    row: selectors.RoundRow
    start: BaseForm | None = None
    finish: BaseForm | None = None
    record: BaseForm | None = None
    may_cancel: bool = False
    finish_from: datetime.datetime | None = None


def _cards(request: HttpRequest, site, rows: list[selectors.RoundRow]) -> list[Card]:
    may_log = can(request.user, Action.ADD, LOG, site)
    may_correct = can(request.user, Action.CHANGE, LOG, site)
    agents = selectors.disinfectants(viewer=request.user)
    cards = []
    for row in rows:
        card = Card(row)
        slot, log = row.slot, row.log
        ventilation = slot.kind == RoundKind.VENTILATION
        if may_log and log is None:
            card.start = StartForm(initial={"agent": slot.agent_id}, agents=agents, auto_id=f"s{slot.pk}-%s")
            if ventilation:
                del card.start.fields["agent"]
            card.record = RecordForm(
                agents=agents,
                ventilation=ventilation,
                initial={"agent": slot.agent_id},
                auto_id=f"r{slot.pk}-%s",
            )
        elif may_log and log is not None and log.ended_at is None:
            card.finish = FinishForm(auto_id=f"f{slot.pk}-%s")
            card.finish_from = log.started_at + datetime.timedelta(minutes=minimum_minutes(slot, log.agent))
            own = log.recorded_by_id == request.user.pk
            card.may_cancel = own or may_correct
        cards.append(card)
    return cards


@login_required
def site_day(request: HttpRequest, pk: int) -> HttpResponse:
    """A site's rounds of the day, from a phone: start a round with one tap, finish it with a photo."""
    site = selectors.site_get(viewer=request.user, pk=pk)
    today = timezone.localdate()
    day = parse_day(request.GET.get("date"), today)
    rows = selectors.site_day(site=site, day=day)
    counts = selectors.DayCounts(
        due=sum(1 for r in rows if r.slot.day == day),
        done=sum(1 for r in rows if r.slot.day == day and r.status in (RoundStatus.DONE, RoundStatus.LATE)),
        overdue=sum(1 for r in rows if r.slot.day == day and r.status == RoundStatus.OVERDUE),
    )
    context = {
        "site": site,
        "day": day,
        "today": today,
        "prev_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "cards": _cards(request, site, rows),
        "counts": counts,
        "may_log": can(request.user, Action.ADD, LOG, site),
        "may_plan": can(request.user, Action.VIEW, DisinfectionPlan, site),
        "terminal_form": TerminalForm(prefix="t") if can(request.user, Action.ADD, DisinfectionSlot, site) else None,
    }
    return render(request, "sites/site_day.html", context)


@login_required
def site_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The day's record sheet (消毒记录表) as inspectors ask for it: areas, times, disinfectant,
    concentration, who did it, and lines to sign."""
    site = selectors.site_get(viewer=request.user, pk=pk)
    day = parse_day(request.GET.get("date"), timezone.localdate())
    context = {"site": site, "day": day, "rows": selectors.sheet_rows(site=site, day=day), "printed": timezone.now()}
    return render(request, "sites/site_print.html", context)


def _slot_for_write(request: HttpRequest, pk: int) -> DisinfectionSlot:
    slot = selectors.slot_get(viewer=request.user, pk=pk)  # 404 outside the scope
    if not can(request.user, Action.ADD, LOG, slot.site):
        raise PermissionDenied(_("Only the site's staff and its liaison log disinfection rounds."))
    return slot


@require_POST
@login_required
def round_start(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _slot_for_write(request, pk)
    form = StartForm(request.POST, agents=selectors.disinfectants(viewer=request.user))
    if form.is_valid():
        try:
            services.log_start(
                actor=request.user,
                slot=slot,
                agent=form.cleaned_data.get("agent"),
                operator_name=form.cleaned_data.get("operator_name") or "",
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Started. Finish the round once the disinfectant has acted."))
    else:
        flash_form(request, form)
    return redirect(day_url(slot.site_id, slot.day))


@require_POST
@login_required
def round_finish(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _slot_for_write(request, pk)
    log = DisinfectionLog.objects.filter(slot=slot).first()
    if log is None:
        raise Http404
    form = FinishForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.log_finish(
                actor=request.user, log=log, photo=form.cleaned_data.get("photo"), note=form.cleaned_data.get("note")
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("The round is logged."))
    else:
        flash_form(request, form)
    return redirect(day_url(slot.site_id, slot.day))


@require_POST
@login_required
def round_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A round already done, recorded with its start and end (from the paper sheet)."""
    slot = _slot_for_write(request, pk)
    form = RecordForm(
        request.POST,
        request.FILES,
        agents=selectors.disinfectants(viewer=request.user),
        ventilation=slot.kind == RoundKind.VENTILATION,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.log_record(
                actor=request.user,
                slot=slot,
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                agent=data.get("agent"),
                concentration=data.get("concentration") or "",
                operator_name=data.get("operator_name") or "",
                photo=data.get("photo"),
                note=data.get("note") or "",
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("The round is logged."))
    else:
        flash_form(request, form)
    return redirect(day_url(slot.site_id, slot.day))


@require_POST
@login_required
def round_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    slot = selectors.slot_get(viewer=request.user, pk=pk)
    log = DisinfectionLog.objects.filter(slot=slot).first()
    if log is None:
        raise Http404
    try:
        services.log_cancel(actor=request.user, log=log)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("The start is taken back; the round is to do again."))
    return redirect(day_url(slot.site_id, slot.day))


@require_POST
@login_required
def terminal_open(request: HttpRequest, pk: int) -> HttpResponse:
    site = selectors.site_get(viewer=request.user, pk=pk)
    if not can(request.user, Action.ADD, DisinfectionSlot, site):
        raise PermissionDenied(_("Only the site's liaison and the group office open a terminal disinfection."))
    form = TerminalForm(request.POST, prefix="t")
    if form.is_valid():
        try:
            slot = services.terminal_open(
                actor=request.user, site=site, due_at=form.cleaned_data["due_at"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Terminal disinfection opened; the site's staff have been told."))
            return redirect(day_url(site.pk, slot.day))
    else:
        flash_form(request, form)
    return redirect(day_url(site.pk, timezone.localdate()))


@login_required
def log_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's photo, to who may see the round (never a public address under /media/)."""
    log = selectors.log_get(viewer=request.user, pk=pk)
    if not log.photo:
        raise Http404
    try:
        handle = log.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
