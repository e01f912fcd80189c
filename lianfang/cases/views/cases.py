"""Pages of cases, close contacts and the contact graph (isolation, follow-ups, care and alerts are in
``views_isolation``).

Thin: parse, check, call a service or selector, render. Cases and contacts are looked up through
restricted querysets, so for anyone but the case managers of the unit and the group office they do
not exist (404). Every page that shows case details writes an audit event (``SENSITIVE_READ``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianfang.cases import selectors
from lianfang.cases.choices import CaseStatus, ContactDegree, PersonKind
from lianfang.cases.forms import (
    BecomeCaseForm,
    CaseEditForm,
    CaseFilterForm,
    CaseRegisterForm,
    ContactForm,
    TransitionForm,
)
from lianfang.cases.models import CareAssignment, Case, Contact, Isolation
from lianfang.cases.services import base, cases
from lianfang.cases.services import contacts as contact_services
from lianfang.core.audit import record_event
from lianfang.core.exports import csv_response
from lianfang.core.forms import apply_service_errors
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate, query_without_page, wants_partial
from lianfang.org.scoping import can, has_any

CASE = "cases.case"


def nav_flags(user) -> dict[str, bool]:
    """Which tabs of the cases pages the user has (each page checks its own permission again)."""
    return {
        "cases": has_any(user, CASE, Action.VIEW),
        "isolations": has_any(user, "cases.isolation", Action.VIEW)
        or Isolation.objects.filter(responsible=user).exists(),
        "care": has_any(user, "cases.careassignment", Action.VIEW)
        or CareAssignment.objects.filter(carer__user=user).exists(),
        "alerts": has_any(user, "cases.clusteralert", Action.VIEW),
    }


def render_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a cases page with the tabs the user has."""
    return render(request, template, {**context, "nav_cases": nav_flags(request.user)}, status=status)


def _case_or_404(user, pk: int) -> Case:
    return get_object_or_404(selectors.case_list(viewer=user), pk=pk)


def _contact_or_404(user, pk: int) -> Contact:
    return get_object_or_404(selectors.contact_list(viewer=user), pk=pk)


def _refused(exc: PermissionDenied) -> str:
    return str(exc) or _("You may not do this here.")


# --- the list -----------------------------------------------------------------------------------


def _filtered_cases(request: HttpRequest):
    user = request.user
    form = CaseFilterForm(request.GET or None, viewer=user)
    qs = selectors.case_list(viewer=user)
    if form.is_bound and not form.is_valid():
        return form, qs.none()
    data = form.cleaned_data if form.is_bound else {}
    status = data.get("status") or ""
    qs = selectors.case_filter(
        qs,
        status="" if status == "active" else status,
        active=status == "active",
        unit=data.get("unit"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    return form, qs


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, CASE, Action.VIEW):
        raise PermissionDenied
    form, qs = _filtered_cases(request)
    page = paginate(request, qs.order_by("-reported_on", "-pk"))
    base.audit_list_read(viewer=user, what="case_list", count=len(page.object_list))
    context = {
        "form": form,
        "page": page,
        "counts": [(s, CaseStatus(s).label, n) for s, n in selectors.case_counts(qs).items()],
        "total": page.paginator.count,
        "query": query_without_page(request),
        "may_add": has_any(user, CASE, Action.ADD),
        "may_export": has_any(user, CASE, Action.EXPORT),
    }
    template = "cases/_case_table.html" if wants_partial(request) else "cases/case_list.html"
    return render_page(request, template, context)


@never_cache
@login_required
def case_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV (UTF-8 with BOM, so Excel opens it); the export is audited."""
    user = request.user
    if not has_any(user, CASE, Action.EXPORT):
        raise PermissionDenied
    _form, qs = _filtered_cases(request)
    qs = qs.filter(pk__in=Case.objects.restrict(user, Action.EXPORT).values("pk")).order_by("-reported_on", "-pk")
    count = qs.count()
    record_event(kind=AuditKind.EXPORT, actor=user, object_repr="cases", rows=count, query=request.GET.urlencode())
    header = [
        _("Case number"),
        pgettext("person", "Name"),
        _("Unit"),
        _("Status"),
        _("Reported on"),
        _("Symptom onset"),
        _("Confirmed on"),
        _("Isolated on"),
        _("Treated at"),
    ]

    rows = (
        [
            case.number,
            case.display_name,
            case.unit.name,
            case.get_status_display(),
            case.reported_on,
            case.onset_on,
            case.confirmed_on,
            case.isolated_on,
            case.get_treatment_display(),
        ]
        for case in qs.iterator(chunk_size=500)
    )
    # Every cell through the one writer that escapes formulas (a name typed as "=HYPERLINK(...)").
    response = csv_response(header, rows, file_name=f"cases-{timezone.localdate().isoformat()}.csv")
    return response


# --- one case -----------------------------------------------------------------------------------


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, CASE, Action.ADD):
        raise PermissionDenied
    form = CaseRegisterForm(request.POST or None, viewer=user)
    if request.method == "POST" and form.is_valid():
        try:
            case = cases.case_register(actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("unit", _refused(exc))
        else:
            messages.success(request, _("Case %(number)s was registered.") % {"number": case.number})
            return redirect("cases:detail", pk=case.pk)
    return render_page(request, "cases/case_form.html", {"form": form})


@never_cache
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    base.audit_sensitive_read(viewer=user, obj=case, what="case")
    contacts = list(selectors.contact_list(viewer=user).filter(case=case).order_by("degree", "last_exposure_on", "pk"))
    person_ids = [c.person_id for c in contacts if c.person_id]
    isolated_people = set(
        Isolation.objects.filter(person_id__in=person_ids, released_on__isnull=True).values_list("person_id", flat=True)
    )
    isolations = selectors.isolation_list(viewer=user).filter(person_id=case.person_id) if case.person_id else []
    care = (
        selectors.care_list(viewer=user).filter(person_id=case.person_id)
        if case.person_id
        else CareAssignment.objects.none()
    )
    source = (
        selectors.contact_list(viewer=user).filter(pk=case.source_contact_id).first()
        if case.source_contact_id
        else None
    )
    allowed = cases.allowed_transitions(case)
    may_change = can(user, Action.CHANGE, Case, case.unit)
    context: dict[str, Any] = {
        "case": case,
        "timeline": selectors.case_timeline(case),
        "contacts": contacts,
        "isolated_people": isolated_people,
        "isolations": isolations,
        "care": care,
        "source": source,
        "may_change": may_change,
        "may_add_contact": has_any(user, "cases.contact", Action.ADD),
        "may_change_contacts": has_any(user, "cases.contact", Action.CHANGE),
        "may_isolate_contacts": has_any(user, "cases.isolation", Action.ADD),
        "may_isolate": case.person_id is not None and can(user, Action.ADD, Isolation, case.person.unit),
        "may_assign_care": case.person_id is not None and can(user, Action.ADD, CareAssignment, case.person.unit),
        "may_unmask": can(user, Action.UNMASK, Case, case.unit),
        "transition_form": TransitionForm(case=case, allowed=allowed) if allowed and may_change else None,
        "history": change_history(user, case),
        "revealed_phone": None,
    }
    return render_page(request, "cases/case_detail.html", context)


@never_cache
@require_POST
@login_required
def case_reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    phone = cases.case_reveal_phone(actor=user, case=case)
    if wants_partial(request):
        return HttpResponse(format_html('<span class="revealed" data-revealed>{}</span>', phone))
    messages.info(request, _("Phone of %(number)s: %(phone)s") % {"number": case.number, "phone": phone})
    return redirect("cases:detail", pk=case.pk)


@login_required
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    if not can(user, Action.CHANGE, Case, case.unit):
        raise PermissionDenied
    form = CaseEditForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            cases.case_update(actor=user, case=case, fields=list(form.cleaned_data), **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The case was saved."))
            return redirect("cases:detail", pk=case.pk)
    return render_page(request, "cases/case_edit.html", {"form": form, "case": case})


@login_required
def case_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    if not can(user, Action.CHANGE, Case, case.unit):
        raise PermissionDenied
    allowed = cases.allowed_transitions(case)
    form = TransitionForm(request.POST or None, case=case, allowed=allowed or (case.status,))
    if request.method == "POST":
        if not allowed:
            form.add_error(None, cases._transition_refusal(case, ""))
        elif form.is_valid():
            d = form.cleaned_data
            try:
                cases.case_transition(
                    actor=user,
                    case=case,
                    to_status=d["status"],
                    on=d["on"],
                    treatment=d.get("treatment") or None,
                    treatment_place=d.get("treatment_place"),
                    note=d.get("note", ""),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The case's status was changed."))
                return redirect("cases:detail", pk=case.pk)
    return render_page(request, "cases/case_transition.html", {"form": form, "case": case}, status=200)


# --- contacts -----------------------------------------------------------------------------------


@login_required
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    """One contact by hand, and the suggestions (colleagues on site on the same days) to tick."""
    user = request.user
    case = _case_or_404(user, pk)
    if not has_any(user, "cases.contact", Action.ADD):
        raise PermissionDenied
    form = ContactForm(request.POST or None, viewer=user, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_services.contact_add(actor=user, case=case, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("employee_no", _refused(exc))
        else:
            messages.success(
                request,
                _("%(name)s was listed as a contact and notified to isolate.") % {"name": contact.display_name},
            )
            return redirect("cases:detail", pk=case.pk)
    window = selectors.infectious_window(case)
    context = {
        "case": case,
        "form": form,
        "suggestions": selectors.contact_suggestions(viewer=user, case=case),
        "window": window,
    }
    return render_page(request, "cases/contact_form.html", context)


@require_POST
@login_required
def contacts_add_suggested(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    try:
        ids = [int(v) for v in request.POST.getlist("people")]
    except ValueError:
        ids = []
    try:
        added = contact_services.contacts_add_suggested(actor=user, case=case, person_ids=ids)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("cases:contact-add", pk=case.pk)
    except PermissionDenied as exc:
        raise PermissionDenied(_refused(exc)) from None
    messages.success(
        request,
        _("%(count)d close contacts were added and notified to isolate.") % {"count": len(added)},
    )
    return redirect("cases:detail", pk=case.pk)


@login_required
def contact_become_case(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = _contact_or_404(user, pk)
    if not can(user, Action.CHANGE, Contact, contact.unit):
        raise PermissionDenied
    form = BecomeCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = contact_services.contact_become_case(actor=user, contact=contact, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, _refused(exc))
        else:
            messages.success(request, _("Case %(number)s was registered.") % {"number": case.number})
            return redirect("cases:detail", pk=case.pk)
    return render_page(request, "cases/contact_become_case.html", {"form": form, "contact": contact})


@require_POST
@login_required
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = _contact_or_404(user, pk)
    if not can(user, Action.DELETE, Contact, contact.unit):
        raise PermissionDenied
    case_pk = contact.case_id
    try:
        contact_services.contact_delete(actor=user, contact=contact)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The contact was removed."))
    return redirect("cases:detail", pk=case_pk)


# --- the graph ----------------------------------------------------------------------------------


@never_cache
@login_required
def contact_graph(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    case = _case_or_404(user, pk)
    graph = selectors.contact_graph(viewer=user, case=case, hops=2)
    base.audit_sensitive_read(viewer=user, obj=case, what="contact_graph", nodes=len(graph.nodes))
    nodes = {n.id: n for n in graph.nodes}
    data = {
        "root": graph.root,
        "nodes": [
            {"id": n.id, "name": n.label, "kind": n.kind, "status": n.status, "detail": n.detail, "hop": n.hop}
            for n in graph.nodes
        ],
        "links": [{"source": e.source, "target": e.target, "degree": e.degree} for e in graph.edges],
    }
    rows = [
        {
            "source": nodes.get(e.source),
            "target": nodes.get(e.target),
            "degree": dict(ContactDegree.choices).get(e.degree, e.degree),
            "exposure": e.exposure,
        }
        for e in graph.edges
    ]
    context = {"case": case, "graph": graph, "data": data, "rows": rows, "PersonKind": PersonKind}
    return render_page(request, "cases/contact_graph.html", context)
