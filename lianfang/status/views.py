"""Pages of the personal health status: the board by unit, people by colour, the return-to-work list,
the office's rules, and a person's epidemiological history beside their status.

Thin: parse with a form, look up through selectors (restricted, so out of scope is 404), call a
service, render. Statuses are read by whoever holds ``view`` on ``status.personstatus``, reasons
only with ``unmask`` (or your own).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, query_without_page
from lianfang.health import selectors as risk_selectors
from lianfang.health.models import Trip
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person
from lianfang.people.selectors import person_list
from lianfang.status import selectors, services
from lianfang.status.choices import Colour
from lianfang.status.forms import StatusFilterForm, StatusRuleForm, condition_text
from lianfang.status.models import PersonStatus, StatusRule

RULE, STATUS = "status.statusrule", "status.personstatus"


def _ensure(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


def _status_scope(request: HttpRequest, *, with_colour: bool = True) -> tuple[StatusFilterForm, dict[str, Any]]:
    user = request.user
    if not has_any(user, STATUS, Action.VIEW):
        raise PermissionDenied(
            _("The status board is for liaisons, duty officers, checkpoints, leaders and the office.")
        )
    units = units_where(user, PersonStatus, Action.VIEW).filter(is_active=True)
    form = StatusFilterForm(request.GET or None, units=units, with_colour=with_colour)
    if request.GET and not form.is_valid() and "unit" in form.errors:
        raise Http404  # an out-of-scope unit is not discoverable
    filters = form.cleaned_data if request.GET and form.is_valid() else {}
    return form, filters


def _status_rows(request: HttpRequest, page, *, where: str) -> list[dict[str, Any]]:
    """Rows with the reason only where the viewer may read it; reading others' reasons is audited."""
    policy = selectors.ReasonPolicy(request.user)
    rows, read = [], []
    for st in page:
        show = policy.may_read(st.person_id, st.unit)
        if show and not policy.is_own(st.person_id):
            read.append(st)
        rows.append({"status": st, "person": st.person, "show_reason": show})
    selectors.audit_reason_reads(viewer=request.user, statuses=read, where=where)
    return rows


@login_required
def status_board(request: HttpRequest) -> HttpResponse:
    """Counts by colour per unit in the viewer's scope."""
    form, filters = _status_scope(request, with_colour=False)
    unit: Unit | None = filters.get("unit")
    rows, total = selectors.board(viewer=request.user, root=unit)
    context = {"form": form, "rows": rows, "total": total, "unit": unit, "colours": Colour.choices}
    return render(request, "status/board.html", context)


@login_required
def status_people(request: HttpRequest) -> HttpResponse:
    """People by colour, with filter and search."""
    form, filters = _status_scope(request)
    qs = selectors.status_people(
        viewer=request.user,
        colour=filters.get("colour") or None,
        unit=filters.get("unit"),
        q=filters.get("q") or None,
    )
    page = paginate(request, qs)
    context = {
        "form": form,
        "page": page,
        "rows": _status_rows(request, page, where="status_list"),
        "query": query_without_page(request),
    }
    return render(request, "status/people.html", context)


@login_required
def status_return(request: HttpRequest) -> HttpResponse:
    """Who may return to work (复工): green people not on site."""
    form, filters = _status_scope(request, with_colour=False)
    qs = selectors.return_to_work(viewer=request.user, unit=filters.get("unit"), q=filters.get("q") or None)
    page = paginate(request, qs)
    return render(
        request,
        "status/return.html",
        {"form": form, "page": page, "rows": [{"status": s, "person": s.person} for s in page]},
    )


@login_required
def status_rules(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure(user, RULE, Action.VIEW)
    rules = list(selectors.status_rule_list(viewer=user))
    rows = [{"rule": r, "condition": condition_text(r.condition)} for r in rules]
    context = {
        "rows": rows,
        "can_add": has_any(user, RULE, Action.ADD),
        "can_change": has_any(user, RULE, Action.CHANGE),
        "can_recompute": has_any(user, STATUS, Action.CHANGE),
    }
    return render(request, "status/rules.html", context)


@login_required
def status_rule_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    rule = get_object_or_404(StatusRule, pk=pk) if pk else None
    _ensure(user, RULE, Action.CHANGE if rule else Action.ADD)
    initial: dict[str, Any] = {"hold_days": "0"}
    if rule is not None:
        condition = rule.condition if isinstance(rule.condition, dict) else {}
        initial = {
            "name": rule.name,
            "fact": condition.get("fact"),
            "within_days": condition.get("within_days", ""),
            "colour": rule.colour,
            "reason": rule.reason,
            "reason_en": rule.reason_en,
            "hold_days": str(rule.hold_days),
        }
    form = StatusRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if rule is not None:
                services.status_rule_update(actor=user, rule=rule, **form.service_fields())
            else:
                services.status_rule_create(actor=user, **form.service_fields())
        except ValidationError as exc:
            _rule_errors(form, exc)
        else:
            messages.success(
                request, _("The rule was saved. Everyone's status is being recomputed with the new rules.")
            )
            return redirect("health:status-rules")
    return render(request, "status/rule_form.html", {"form": form, "rule": rule}, status=400 if form.errors else 200)


def _rule_errors(form: StatusRuleForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        target = {"condition": "within_days" if "within_days" in " ".join(errors) else "fact"}.get(key, key)
        for message in errors:
            form.add_error(target if target in form.fields else None, message)


@require_POST
@login_required
def status_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(StatusRule, pk=pk)
    _ensure(request.user, RULE, Action.CHANGE)
    services.status_rule_move(actor=request.user, rule=rule, direction=request.POST.get("direction", "up"))
    return redirect("health:status-rules")


@require_POST
@login_required
def status_rule_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(StatusRule, pk=pk)
    _ensure(request.user, RULE, Action.CHANGE)
    services.status_rule_set_active(actor=request.user, rule=rule, is_active=request.POST.get("active") == "1")
    messages.success(request, _("The rule was saved. Everyone's status is being recomputed with the new rules."))
    return redirect("health:status-rules")


@require_POST
@login_required
def status_recompute(request: HttpRequest) -> HttpResponse:
    _ensure(request.user, STATUS, Action.CHANGE)
    services.statuses_recompute_now(actor=request.user)
    messages.success(request, _("Everyone's status is being recomputed."))
    return redirect("health:status-rules")


@login_required
def my_history(request: HttpRequest) -> HttpResponse:
    person = Person.objects.filter(user=request.user).first()
    if person is None:
        return render(request, "health/no_person.html", status=403)
    return redirect("health:person-history", pk=person.pk)


@login_required
def person_history(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's epidemiological history: trips and exposures, and where their check-ins put them
    each day of the look-back window (marked in a risk area in force that day), with their status."""
    user = request.user
    person = get_object_or_404(person_list(viewer=user), pk=pk)
    if not risk_selectors.may_read_history(user, person):
        raise PermissionDenied(_("Only the person, their liaison, case managers and the office see trips."))
    is_own = person.user_id == user.pk
    trips, days, start = risk_selectors.history(viewer=user, person=person)
    current = selectors.status_of(viewer=user, person=person)
    policy = selectors.ReasonPolicy(user)
    show_reason = current is not None and policy.may_read(person.pk, current.unit)
    changes = selectors.status_history(viewer=user, person=person) if show_reason else []
    if not is_own:
        record_event(
            kind=AuditKind.SENSITIVE_READ,
            actor=user,
            unit=person.unit,
            object_repr=person.name,
            what="epidemiological_history",
            person=person.pk,
            reason=bool(show_reason),
        )
    in_risk = risk_selectors.trips_in_risk(trips)
    for trip in trips:
        trip.in_risk = in_risk.get(trip.pk, False)  # type: ignore[attr-defined]
    english = (get_language() or "").startswith("en")
    for change in changes:
        change.reason_text = change.reason_en if english and change.reason_en else change.reason  # type: ignore[attr-defined]
    context = {
        "person": person,
        "is_own": is_own,
        "trips": trips,
        "days": days,
        "start": start,
        "status": current,
        "show_reason": show_reason,
        "changes": changes,
        "can_add": is_own or can(user, Action.ADD, Trip, person.unit),
        "can_change": can(user, Action.CHANGE, Trip, person.unit),
        "can_delete": can(user, Action.DELETE, Trip, person.unit),
    }
    return render(request, "status/history.html", context)
