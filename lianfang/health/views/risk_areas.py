"""Pages of risk areas, epidemiological history (trips) and personal health status (issue 4).

Thin: parse with a form, look up through selectors (restricted, so out of scope is 404), call a
service, render. Who may do what comes from ``org.roles``: risk areas and status rules are the
group office's (everyone signed in reads the risk list); statuses are read by whoever holds
``view`` on ``status.personstatus``, reasons only with ``unmask`` (or your own).
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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.exports import xlsx_response
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.uploads import check_size, max_upload_bytes
from lianfang.core.views import paginate, query_without_page
from lianfang.health import importer as risk_importer
from lianfang.health import selectors as risk_selectors
from lianfang.health.forms import (
    LiftForm,
    RiskAreaForm,
    RiskFilterForm,
    RiskImportForm,
)
from lianfang.health.models import RiskArea
from lianfang.health.services import risk_areas as risk_services
from lianfang.org.scoping import has_any

RISK, RULE, STATUS, TRIP = "health.riskarea", "status.statusrule", "status.personstatus", "health.trip"
ERRORS_ON_PAGE = 200


def _ensure(user, label: str, action: str) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


# --- risk areas -----------------------------------------------------------------------------------


@login_required
def risk_list(request: HttpRequest) -> HttpResponse:
    """The risk list, past and present, filtered by level, a day it was in force, or a search."""
    user = request.user
    form = RiskFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if request.GET and form.is_valid() else {}
    qs = risk_selectors.risk_area_list(
        viewer=user, level=filters.get("level") or None, on=filters.get("on"), q=filters.get("q") or None
    )
    page = paginate(request, qs)
    today = timezone.localdate()
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query": query_without_page(request),
        "can_add": has_any(user, RISK, Action.ADD),
        "can_change": has_any(user, RISK, Action.CHANGE),
        "can_delete": has_any(user, RISK, Action.DELETE),
        "can_import": has_any(user, RISK, Action.IMPORT),
        "can_export": has_any(user, RISK, Action.EXPORT),
        "lift_form": LiftForm(initial={"lifted_on": today}),
    }
    return render(request, "health/risk_areas/list.html", context)


@login_required
def risk_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    area = get_object_or_404(RiskArea, pk=pk) if pk else None
    _ensure(user, RISK, Action.CHANGE if area else Action.ADD)
    initial: dict[str, Any] = {}
    if area is not None:
        initial = {f: getattr(area, f) for f in risk_services.AREA_FIELDS}
    else:
        initial = {"effective_from": timezone.localdate()}
    form = RiskAreaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if area is not None:
                risk_services.risk_area_update(actor=user, area=area, **form.service_fields())
            else:
                area = risk_services.risk_area_create(actor=user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The risk area %(name)s was saved.") % {"name": area.name})
            return redirect("health:risk-areas")
    return render(
        request, "health/risk_areas/form.html", {"form": form, "area": area}, status=400 if form.errors else 200
    )


@require_POST
@login_required
def risk_lift(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(RiskArea, pk=pk)
    _ensure(request.user, RISK, Action.CHANGE)
    form = LiftForm(request.POST)
    day = form.cleaned_data["lifted_on"] if form.is_valid() else timezone.localdate()
    try:
        risk_services.risk_area_lift(actor=request.user, area=area, lifted_on=day)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(name)s is lifted from %(day)s.") % {"name": area.name, "day": day})
    return redirect("health:risk-areas")


@require_POST
@login_required
def risk_delete(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(RiskArea, pk=pk)
    _ensure(request.user, RISK, Action.DELETE)
    try:
        risk_services.risk_area_delete(actor=request.user, area=area)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The risk area %(name)s was deleted.") % {"name": area.name})
    return redirect("health:risk-areas")


@login_required
def risk_import(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure(user, RISK, Action.IMPORT)
    form = RiskImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # before the bytes are read into memory
            areas = risk_importer.risk_import(actor=user, file_name=upload.name, data=upload.read())
        except ValidationError as exc:
            errors = risk_importer.import_errors(exc)
            form.add_error(
                "file", _("The file has problems; nothing was imported. Fix the rows listed and upload it again.")
            )
        else:
            messages.success(request, _("%(count)s risk areas were imported.") % {"count": len(areas)})
            return redirect("health:risk-areas")
    context = {
        "form": form,
        "errors": errors[:ERRORS_ON_PAGE],
        "errors_total": len(errors),
        "max_upload": max_upload_bytes(),
    }
    return render(request, "health/risk_areas/import.html", context, status=400 if form.errors else 200)


@require_GET
@login_required
def risk_import_template(request: HttpRequest) -> HttpResponseBase:
    _ensure(request.user, RISK, Action.IMPORT)
    return xlsx_response(risk_importer.risk_template(), file_name=risk_importer.template_file_name())


@require_GET
@login_required
def risk_export(request: HttpRequest) -> HttpResponseBase:
    user = request.user
    _ensure(user, RISK, Action.EXPORT)
    form = RiskFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if request.GET and form.is_valid() else {}
    qs = risk_selectors.risk_area_list(
        viewer=user, level=filters.get("level") or None, on=filters.get("on"), q=filters.get("q") or None
    )
    file, _count = risk_importer.risk_export_file(actor=user, areas=qs)
    return xlsx_response(file, file_name=risk_importer.export_file_name())
