"""Pages of urgent matters, under /urgent/: the board of open matters with their clocks, the report
form (a duty officer at 03:00 on a phone), a matter with its levels, reports and actions, and the
office's severity levels. Thin: parse, check, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.command import selectors
from lianfang.command.choices import MatterState
from lianfang.command.forms import (
    AcknowledgeForm,
    CloseForm,
    ExternalReportForm,
    LevelForm,
    MatterReportForm,
    TextForm,
)
from lianfang.command.models import SeverityLevel, UrgentMatter
from lianfang.command.services import levels as level_services
from lianfang.command.services import matters as services
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any

MODEL = "command.urgentmatter"


def _ensure_viewer(request: HttpRequest) -> None:
    if not has_any(request.user, MODEL, Action.VIEW):
        raise PermissionDenied


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Open matters with each clock (time left, overdue in red) and the path up the tree; ``?state=``
    lists resolved or closed ones instead."""
    _ensure_viewer(request)
    state = request.GET.get("state", "")
    now = timezone.now()
    context = {
        "now": now,
        "state": state if state in MatterState.values else "",
        "states": MatterState.choices,
        "can_report": has_any(request.user, MODEL, Action.ADD),
        "can_edit_levels": level_services.may_edit_levels(request.user),
    }
    if context["state"] and context["state"] != MatterState.OPEN:
        context["matters"] = selectors.matter_list(viewer=request.user, state=context["state"])[:200]
    else:
        context["rows"] = selectors.board(viewer=request.user, now=now)
    return render(request, "command/board.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Report an urgent matter (初报)."""
    units = selectors.report_units(request.user)
    if not units.exists():
        raise PermissionDenied
    if not SeverityLevel.objects.exists():
        level_services.ensure_default_levels()
    levels = selectors.severity_levels()
    form = MatterReportForm(request.POST or None, units=units, levels=levels, own_unit=selectors.own_unit(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            matter = services.matter_report(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Urgent matter %(number)s is reported to %(unit)s.")
                % {"number": matter.number, "unit": matter.hops.order_by("seq").first().unit.name},
            )
            return redirect("command:detail", pk=matter.pk)
    return render(request, "command/report_form.html", {"form": form})


def _get(request: HttpRequest, pk: int) -> UrgentMatter:
    return get_object_or_404(selectors.matter_detail_queryset(viewer=request.user), pk=pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    matter = _get(request, pk)
    now = timezone.now()
    live = selectors.live_hop(matter)
    top = selectors.top_hop(matter)
    at_level = matter.is_open and selectors.may_act_at(request.user, live)
    context = {
        "matter": matter,
        "now": now,
        "hops": list(matter.hops.all()),
        "reports": list(matter.reports.all()),
        "external_reports": list(matter.external_reports.all()),
        "clocks": selectors.clocks_of(matter, now),
        "live": live,
        "can_ack": at_level and live is not None and live.acknowledged_at is None,
        "can_forward": at_level and live is not None and not live.is_top,
        "can_resolve": at_level and (live is not None and (live.is_top or not matter.severity.must_reach_top)),
        "can_report": matter.is_open and selectors.may_report(request.user, matter),
        "can_close": matter.state != MatterState.CLOSED and services.may_close(request.user, matter),
        "can_external": matter.state != MatterState.CLOSED
        and top is not None
        and selectors.may_act_at(request.user, top),
        "ack_form": AcknowledgeForm(),
        "text_form": TextForm(),
        "close_form": CloseForm(),
        "external_form": ExternalReportForm(),
    }
    return render(request, "command/detail.html", context)


ACTIONS = {"acknowledge", "report", "forward", "resolve", "close", "external-report"}


@require_POST
@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a matter from its page; refusals come back as messages on the page."""
    if action not in ACTIONS:
        raise Http404
    matter = _get(request, pk)
    try:
        if action == "acknowledge":
            form = AcknowledgeForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.get("followup_minutes") or _("Check the cadence."))
            services.matter_acknowledge(
                actor=request.user, matter=matter, followup_minutes=form.cleaned_data.get("followup_minutes")
            )
            messages.success(request, _("Acknowledged."))
        elif action in ("report", "forward", "resolve"):
            text = request.POST.get("text", "")
            if action == "report":
                services.matter_add_report(actor=request.user, matter=matter, text=text)
                messages.success(request, _("The follow-up report is added."))
            elif action == "forward":
                services.matter_forward(actor=request.user, matter=matter, text=text)
                messages.success(request, _("Sent to the level above; its clocks start now."))
            else:
                services.matter_resolve(actor=request.user, matter=matter, text=text)
                messages.success(request, _("Resolved with the final report; every clock stopped."))
        elif action == "close":
            services.matter_close(actor=request.user, matter=matter, reason=request.POST.get("reason", ""))
            messages.success(request, _("Closed; every clock stopped."))
        else:
            form = ExternalReportForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.external_report_record(actor=request.user, matter=matter, **form.cleaned_data)
            messages.success(request, _("The report outside the group is recorded."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this here."))
    return redirect("command:detail", pk=matter.pk)


@login_required
def levels(request: HttpRequest) -> HttpResponse:
    """The severity levels and their time limits; the group office edits them."""
    _ensure_viewer(request)
    if not SeverityLevel.objects.exists():
        level_services.ensure_default_levels()
    can_edit = level_services.may_edit_levels(request.user)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        level = get_object_or_404(SeverityLevel, pk=request.POST.get("pk") or 0)
        form = LevelForm(request.POST)
        if form.is_valid():
            try:
                level_services.severity_level_update(actor=request.user, level=level, **form.cleaned_data)
                messages.success(request, _("%(level)s is saved.") % {"level": level.label})
                return redirect("command:levels")
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
        else:
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
    return render(
        request, "command/levels.html", {"levels": selectors.severity_levels(active_only=False), "can_edit": can_edit}
    )
