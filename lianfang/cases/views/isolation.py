"""Pages of isolation orders, the daily follow-ups (phone first), one-on-one care and cluster alerts.

The responsible person sees and records the follow-ups of the isolations they follow without any
role (``Isolation.scope_self``); a carer sees the people they look after (``CareAssignment.scope_self``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianfang.cases import selectors
from lianfang.cases.choices import IsolationKind
from lianfang.cases.forms import (
    ChangeEndForm,
    FollowUpForm,
    IsolationForm,
    ReleaseForm,
)
from lianfang.cases.models import Isolation
from lianfang.cases.services import base
from lianfang.cases.services import isolation as isolation_services
from lianfang.cases.views.cases import render_page
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate
from lianfang.health.choices import Symptom
from lianfang.org.models import GroupSettings
from lianfang.org.scoping import can, has_any
from lianfang.people.models import Person


def _isolation_or_404(user, pk: int) -> Isolation:
    return get_object_or_404(selectors.isolation_list(viewer=user), pk=pk)


def _ensure_followup_pages(user) -> None:
    """Follow-up pages: for whoever may see isolations, or follows one up."""
    if has_any(user, "cases.isolation", Action.VIEW) or Isolation.objects.filter(responsible=user).exists():
        return
    raise PermissionDenied


# --- isolations ---------------------------------------------------------------------------------


@login_required
def isolation_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_followup_pages(user)
    state = request.GET.get("state", "active")
    kind = request.GET.get("kind", "")
    qs = selectors.isolation_filter(
        selectors.isolation_list(viewer=user),
        state=state if state in ("active", "released", "overdue", "all") else "active",
        kind=kind if kind in IsolationKind.values else "",
    ).order_by("planned_end_on", "pk")
    page = paginate(request, qs)
    context = {
        "page": page,
        "state": state,
        "kind": kind,
        "kinds": IsolationKind.choices,
        "today": timezone.localdate(),
        "may_add": has_any(user, "cases.isolation", Action.ADD),
    }
    return render_page(request, "cases/isolation_list.html", context)


@login_required
def isolation_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "cases.isolation", Action.ADD):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    case = contact = None
    known_unit = None  # the isolated person's unit, when the link says who it is
    source = request.POST if request.method == "POST" else request.GET
    if source.get("case"):
        case = get_object_or_404(selectors.case_list(viewer=user), pk=_int(source.get("case")))
        initial.update(case=case.pk, reason="case")
        if case.person_id:
            initial["employee_no"] = case.person.employee_no
    if source.get("contact"):
        contact = get_object_or_404(selectors.contact_list(viewer=user), pk=_int(source.get("contact")))
        initial.update(contact=contact.pk, reason="contact")
        if contact.person_id:
            initial["employee_no"] = contact.person.employee_no
    if source.get("person"):
        person = Person.objects.restrict(user, Action.VIEW).filter(pk=_int(source.get("person"))).first()
        if person is None:
            raise Http404
        initial["employee_no"] = person.employee_no
        known_unit = person.unit
    # Only eligible users are offered; before the person is known, those eligible somewhere in the
    # actor's isolation scope (the service checks the person's own unit).
    responsible_qs = isolation_services.responsible_choices(
        actor=user,
        unit=known_unit
        or (case.person.unit if case and case.person_id else None)
        or (contact.person.unit if contact and contact.person_id else None),
    )
    form = IsolationForm(request.POST or None, viewer=user, responsible_qs=responsible_qs, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            isolation = isolation_services.isolation_order(
                actor=user,
                person=d["person"],
                kind=d["kind"],
                reason=d["reason"],
                start_on=d["start_on"],
                planned_end_on=d.get("planned_end_on"),
                end_change_reason=d.get("end_change_reason", ""),
                place=d.get("place", ""),
                responsible=d.get("responsible"),
                case=case,
                contact=contact,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None  # isolating someone outside your units: they do not exist for you
        else:
            messages.success(
                request,
                _("%(name)s is under %(kind)s until %(end)s.")
                % {
                    "name": isolation.person.name,
                    "kind": isolation.get_kind_display().lower(),
                    "end": isolation.planned_end_on.isoformat(),
                },
            )
            return redirect("cases:isolation-detail", pk=isolation.pk)
    settings = GroupSettings.load()
    context = {"form": form, "case": case, "contact": contact, "settings": settings}
    return render_page(request, "cases/isolation_form.html", context)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@never_cache
@login_required
def isolation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    isolation = _isolation_or_404(user, pk)
    base.audit_sensitive_read(viewer=user, obj=isolation, what="isolation")
    may_change = can(user, Action.CHANGE, Isolation, isolation.unit)
    today = timezone.localdate()
    context = {
        "isolation": isolation,
        "days": selectors.isolation_followups(isolation),
        "may_change": may_change and isolation.released_on is None,
        "may_record": isolation_services.may_record_followup(user, isolation) and isolation.released_on is None,
        "end_form": ChangeEndForm(
            initial={
                "planned_end_on": isolation.planned_end_on,
                "monitoring_end_on": isolation.monitoring_end_on,
                "place": isolation.place,
            }
        ),
        "release_form": ReleaseForm(),
        "fever_threshold": GroupSettings.load().fever_threshold,
        "today": today,
        "history": change_history(user, isolation),
        "case": selectors.case_list(viewer=user).filter(pk=isolation.case_id).first() if isolation.case_id else None,
    }
    return render_page(request, "cases/isolation_detail.html", context)


@require_POST
@login_required
def isolation_change_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    isolation = _isolation_or_404(user, pk)
    if not can(user, Action.CHANGE, Isolation, isolation.unit):
        raise PermissionDenied
    form = ChangeEndForm(request.POST)
    if form.is_valid():
        try:
            isolation_services.isolation_change_end(actor=user, isolation=isolation, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The planned end was changed."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("cases:isolation-detail", pk=isolation.pk)


@require_POST
@login_required
def isolation_release(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    isolation = _isolation_or_404(user, pk)
    if not can(user, Action.CHANGE, Isolation, isolation.unit):
        raise PermissionDenied
    form = ReleaseForm(request.POST)
    if form.is_valid():
        try:
            isolation_services.isolation_release(actor=user, isolation=isolation, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(name)s was released from isolation.") % {"name": isolation.person.name})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("cases:isolation-detail", pk=isolation.pk)


# --- follow-ups ---------------------------------------------------------------------------------


@never_cache
@login_required
def followups_today(request: HttpRequest) -> HttpResponse:
    """My follow-ups today: one card per person, today's readings (recorded or a form), missed ones flagged."""
    user = request.user
    _ensure_followup_pages(user)
    show_all = request.GET.get("all") == "1" and has_any(user, "cases.followup", Action.ADD)
    rows = selectors.followups_due(viewer=user, mine_only=not show_all)
    today = timezone.localdate()
    cards = [{"row": row} for row in rows]
    context = {
        "cards": cards,
        "today": today,
        "show_all": show_all,
        "may_see_all": has_any(user, "cases.followup", Action.ADD),
        "symptoms": Symptom.choices,
        "fever_threshold": GroupSettings.load().fever_threshold,
        "missed_total": sum(len(r.missed_earlier) + sum(1 for s in r.slots if s.missed) for r in rows),
    }
    return render_page(request, "cases/followups.html", context)


@require_POST
@login_required
def followup_record(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    isolation = _isolation_or_404(user, pk)
    slot = _int(request.POST.get("slot"))
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    else:
        d = form.cleaned_data
        try:
            followup, _created = isolation_services.followup_record(
                actor=user,
                isolation=isolation,
                slot=d["slot"] or slot,
                date=d["date"],
                temperature=d["temperature"],
                symptoms=d.get("symptoms") or [],
                note=d.get("note", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        else:
            messages.success(
                request,
                _("Reading %(slot)d of %(name)s was recorded: %(temperature)s °C.")
                % {"slot": followup.slot, "name": isolation.person.name, "temperature": followup.temperature},
            )
    back = request.POST.get("next")
    if back == "detail":
        return redirect("cases:isolation-detail", pk=isolation.pk)
    return redirect("cases:followups")
