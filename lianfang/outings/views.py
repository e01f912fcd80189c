"""Pages of the outings app, under /outings/: the employee's own outings, the request form and the
return (phone first), an outing with its route and actions, the approver's list, the office's list
of every outing in scope, the people under enhanced monitoring, and the office's settings. Thin:
parse, check, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.audit import record_event
from lianfang.core.forms import apply_service_errors
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, query_without_page
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.outings import selectors, services
from lianfang.outings.choices import GOING_STATES, OutingState, StepKind
from lianfang.outings.forms import (
    ERROR_FIELDS,
    DecisionForm,
    FilterForm,
    OutingForm,
    ReadingForm,
    ReturnForm,
    SettingsForm,
    initial_return,
)
from lianfang.outings.models import MonitoringReading, Outing, OutingSettings
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

MODEL = "outings.outing"


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        exc = ValidationError({ERROR_FIELDS.get(field, field): errors for field, errors in exc.error_dict.items()})
    apply_service_errors(form, exc)


def _audit_reads(request: HttpRequest, outings, where: str) -> None:
    """Whereabouts are personal data: reading other people's outings is audited (one event a page)."""
    own = getattr(request.user, "pk", None)
    others = sorted({o.person_id for o in outings if o.person.user_id != own})
    if others:
        record_event(
            kind=AuditKind.SENSITIVE_READ,
            actor=request.user,
            object_repr=_("Outings"),
            what="outings",
            where=where,
            people=others[:500],
            count=len(others),
        )


def _askable_people(user):
    """The people a liaison or the office may ask an outing for (none for everyone else)."""
    if not has_any(user, MODEL, Action.ADD):
        return None
    return (
        Person.objects.restrict(user, Action.VIEW)
        .filter(unit__in=units_where(user, Outing, Action.ADD), employment_status=EmploymentStatus.ACTIVE)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """My outings: the one going on or coming up first, then the rest; the button to ask."""
    me = selectors.own_person(viewer=request.user)
    if me is None:
        if selectors.may_view_all(request.user):
            return redirect("outings:list")
        raise PermissionDenied
    today = timezone.localdate()
    outings = list(selectors.own_outings(viewer=request.user)[:100])
    return render(
        request,
        "outings/mine.html",
        {"outings": outings, "today": today, "person": me, "going": GOING_STATES},
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Ask for an outing (the person) or for someone of the unit without a phone (the liaison)."""
    me = selectors.own_person(viewer=request.user)
    people = _askable_people(request.user)
    if me is None and people is None:
        raise PermissionDenied
    form = OutingForm(request.POST or None, people=people, own=me is not None)
    if request.method == "POST" and form.is_valid():
        person = (form.cleaned_data.get("person") if people is not None else None) or me
        try:
            outing = services.outing_ask(actor=request.user, person=person, **form.service_fields())
        except ValidationError as exc:
            _service_errors(form, exc)
        else:
            if outing.route == "filing":
                messages.success(request, _("Your outing is filed with the prevention office."))
            else:
                step = selectors.open_step(outing)
                messages.success(
                    request,
                    _("The request is sent to %(unit)s for approval.") % {"unit": step.unit.name}
                    if step
                    else _("The request is sent."),
                )
            return redirect("outings:detail", pk=outing.pk)
    return render(request, "outings/form.html", {"form": form})


def _get(request: HttpRequest, pk: int) -> Outing:
    return selectors.outing_get(viewer=request.user, pk=pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One outing: where, when, why; its route step by step; what the viewer may do now."""
    outing = _get(request, pk)
    today = timezone.localdate()
    step = selectors.open_step(outing)
    if step is not None:
        step.outing = outing
    may_decide = selectors.may_decide(request.user, step)
    own = outing.person.user_id == request.user.pk
    if not own:
        _audit_reads(request, [outing], "outing")
    context = {
        "outing": outing,
        "steps": list(outing.steps.select_related("unit", "decided_by").order_by("seq")),
        "today": today,
        "own": own,
        "can_decide": may_decide and step is not None and step.kind != StepKind.FILING,
        "can_acknowledge": may_decide and step is not None and step.kind == StepKind.FILING,
        "can_cancel": services.may_withdraw(request.user, outing)
        and (outing.state == OutingState.PENDING or (outing.state in GOING_STATES and outing.date_from >= today)),
        "can_return": outing.state in GOING_STATES
        and outing.date_from <= today
        and services.may_act_for(request.user, outing),
        "monitored": services.is_monitored(outing, today),
        "readings": selectors.readings_of(outing),
        "decision_form": DecisionForm(),
        "reading_form": ReadingForm(),
    }
    context["can_read"] = (
        context["monitored"]
        and (own or can(request.user, Action.ADD, MonitoringReading, outing.unit))
        and not any(r.date == today for r in context["readings"])
    )
    return render(request, "outings/detail.html", context)


ACTIONS = {"approve", "reject", "acknowledge", "cancel", "reading"}


@require_POST
@login_required
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    outing = _get(request, pk)
    note = (request.POST.get("note") or "").strip()[:200]
    try:
        if action == "approve":
            services.outing_approve(actor=request.user, outing=outing, note=note)
            messages.success(request, _("Approved."))
        elif action == "reject":
            services.outing_reject(actor=request.user, outing=outing, reason=note)
            messages.success(request, _("Not approved; the person is told why."))
        elif action == "acknowledge":
            services.outing_acknowledge(actor=request.user, outing=outing, note=note)
            messages.success(request, _("The filing is acknowledged."))
        elif action == "cancel":
            services.outing_cancel(actor=request.user, outing=outing)
            messages.success(request, _("The outing is withdrawn."))
        elif action == "reading":
            form = ReadingForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["temperature"])
            reading = services.reading_record(
                actor=request.user, outing=outing, temperature=form.cleaned_data["temperature"]
            )
            messages.success(request, _("Recorded: %(t)s °C.") % {"t": reading.temperature})
    except ValidationError as exc:
        _flash(request, exc)
    if action in ("approve", "reject", "acknowledge") and request.POST.get("next") == "approvals":
        return redirect("outings:approvals")
    return redirect("outings:detail", pk=outing.pk)


@login_required
def confirm_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Back: confirm the days you were away; the trip goes into the history, the monitoring starts."""
    outing = _get(request, pk)
    if not services.may_act_for(request.user, outing):
        raise PermissionDenied
    today = timezone.localdate()
    if outing.state not in GOING_STATES:
        messages.info(request, _("This outing is %(state)s.") % {"state": outing.get_state_display()})
        return redirect("outings:detail", pk=outing.pk)
    form = ReturnForm(request.POST or None, initial=initial_return(outing, today))
    if request.method == "POST" and form.is_valid():
        try:
            outing = services.outing_return(actor=request.user, outing=outing, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if outing.monitoring_until:
                messages.success(
                    request,
                    _("Welcome back. Enhanced monitoring until %(day)s: record a second temperature each day.")
                    % {"day": outing.monitoring_until},
                )
            else:
                messages.success(request, _("Welcome back. Your return is recorded."))
            return redirect("outings:detail", pk=outing.pk)
    return render(request, "outings/return.html", {"outing": outing, "form": form})


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """What waits for the viewer: requests to approve or refuse, filings to acknowledge."""
    if not has_any(request.user, MODEL, Action.APPROVE):
        raise PermissionDenied
    rows = list(selectors.steps_waiting(viewer=request.user)[:200])
    _audit_reads(request, [s.outing for s in rows], "approvals")
    return render(request, "outings/approvals.html", {"rows": rows, "decision_form": DecisionForm()})


@login_required
def outing_list(request: HttpRequest) -> HttpResponse:
    """Every outing in the viewer's scope, filtered by state, time, risk, unit or name."""
    if not selectors.may_view_all(request.user):
        raise PermissionDenied
    units = Unit.objects.restrict(request.user, Action.VIEW).filter(is_active=True).order_by("path")
    if not units.exists():
        units = units_where(request.user, Outing, Action.VIEW).filter(is_active=True).order_by("path")
    form = FilterForm(request.GET or None, units=units)
    qs = selectors.outing_list(viewer=request.user)
    if form.is_valid():
        cd = form.cleaned_data
        qs = selectors.filter_outings(
            qs, state=cd["state"], risk=cd["risk"], when=cd["when"], unit=cd["unit"], q=cd["q"]
        )
    page = paginate(request, qs.order_by("-date_from", "-pk"))
    _audit_reads(request, page.object_list, "outing_list")
    context = {
        "form": form,
        "page": page,
        "query": query_without_page(request),
        "today": timezone.localdate(),
        "can_edit_settings": services.may_edit_settings(request.user),
    }
    return render(request, "outings/list.html", context)


@login_required
def monitoring(request: HttpRequest) -> HttpResponse:
    """People under enhanced monitoring after an outing, and whether today's second reading is in."""
    if not has_any(request.user, "outings.monitoringreading", Action.VIEW):
        raise PermissionDenied
    today = timezone.localdate()
    rows = list(selectors.monitored(viewer=request.user, day=today)[:500])
    _audit_reads(request, rows, "monitoring")
    return render(
        request,
        "outings/monitoring.html",
        {"rows": rows, "today": today, "missing": sum(1 for r in rows if not r.has_reading)},
    )


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The office's route and measures on return."""
    if not services.may_edit_settings(request.user):
        raise PermissionDenied
    config = OutingSettings.load()
    initial = {name: getattr(config, name) for name in SettingsForm.base_fields}
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.outing_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved. Requests asked from now on follow these settings."))
            return redirect("outings:settings")
    return render(request, "outings/settings.html", {"form": form, "config": config})
