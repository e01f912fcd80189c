"""HTML pages of the roster: list with filters, person detail with audited reveal, create and edit.

Import and export live in views_io.py. People are looked up through ``restrict(user, "view")``:
someone outside the user's scope answers 404; a visible person the user may not change, 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.exports import xlsx_response
from lianfang.core.forms import apply_service_errors
from lianfang.core.jobs import job_for_viewer, job_progress
from lianfang.core.models import Job, JobStatus
from lianfang.core.scoping import Action
from lianfang.core.uploads import check_size, max_upload_bytes
from lianfang.core.views import change_history, paginate, query_without_page, wants_partial
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any
from lianfang.people import selectors, services
from lianfang.people.exports import (
    error_report,
    export_file_name,
    roster_export_file,
    roster_template,
    template_file_name,
)
from lianfang.people.forms import PersonForm, PersonListFilterSet, RosterUploadForm
from lianfang.people.importer import PERSON_LABEL, ROSTER_IMPORT, example_unit_code, roster_import_submit
from lianfang.people.models import Person

REVEALABLE = ("id_number", "phone")


def _visible_person_or_404(user, pk: int) -> Person:
    return get_object_or_404(selectors.person_list(viewer=user), pk=pk)


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    """The roster the user may see. Filter changes refresh only the results (same view, HTMX)."""
    user = request.user
    filterset = PersonListFilterSet(request.GET, queryset=selectors.person_list(viewer=user), user=user)
    page = paginate(request, filterset.qs)
    query = query_without_page(request)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "can_add": has_any(user, "people.person", Action.ADD),
        "can_import": has_any(user, "people.person", Action.IMPORT),
        # The export applies the same filters to the same restricted rows.
        "export_url": reverse("people:export") + (f"?{query}" if query else "")
        if has_any(user, "people.person", Action.EXPORT)
        else None,
    }
    template = "people/_person_results.html" if wants_partial(request) else "people/person_list.html"
    return render(request, template, context)


def _detail_context(user, person: Person, revealed: dict[str, str] | None = None) -> dict:
    return {
        "person": person,
        "revealed": revealed or {},
        "can_unmask": selectors.can_unmask(viewer=user, person=person),
        "can_change": can(user, Action.CHANGE, Person, person.unit),
        "can_view_unit": can(user, Action.VIEW, Unit, person.unit),
        "history": change_history(user, person),
    }


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _visible_person_or_404(request.user, pk)
    return render(request, "people/person_detail.html", _detail_context(request.user, person))


@never_cache
@require_POST
@login_required
def person_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """The full ID number or phone, for a viewer allowed to unmask; the service writes the audit event.

    Never cached: the answer is exactly what masking protects.
    """
    if field not in REVEALABLE:
        raise Http404
    user = request.user
    person = _visible_person_or_404(user, pk)
    value = services.person_reveal(actor=user, person=person, field=field)
    if wants_partial(request):
        return render(request, "people/_revealed.html", {"person": person, "field": field, "value": value})
    # Without JavaScript the button is a plain form: answer with the page, this one value shown.
    return render(request, "people/person_detail.html", _detail_context(user, person, {field: value}))


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "people.person", Action.ADD):
        raise PermissionDenied
    form = PersonForm(request.POST or None, user=user, initial={"unit": request.GET.get("unit")})
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            person = services.person_create(actor=user, **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied:
            form.add_error("unit", _("You may not add people to this unit."))
        else:
            messages.success(request, _("%(name)s was added to the roster.") % {"name": person.name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": None})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = _visible_person_or_404(user, pk)
    if not can(user, Action.CHANGE, Person, person.unit):
        raise PermissionDenied
    form = PersonForm(request.POST or None, instance=person, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_update(actor=user, person=person, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied:
            # The service refused the new unit (moving needs the add right there): nothing was written.
            form.add_error("unit", _("You may not move people to this unit."))
        else:
            messages.success(request, _("Changes to %(name)s were saved.") % {"name": person.name})
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": person})


# The page lists this many errors; the error report holds all of them.
ERRORS_ON_PAGE = 200


def _ensure_can_import(user) -> None:
    if not has_any(user, PERSON_LABEL, Action.IMPORT):
        raise PermissionDenied


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    user = request.user
    _ensure_can_import(user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.size)  # before the bytes are read into memory
            job = roster_import_submit(actor=user, file_name=upload.name, data=upload.read())
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("people:import-status", job_id=job.pk)
    recent = Job.objects.filter(kind=ROSTER_IMPORT, created_by_id=user.pk).order_by("-created")[:5]
    return render(
        request,
        "people/import.html",
        {"form": form, "recent": recent, "max_upload": max_upload_bytes()},
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def import_template(request: HttpRequest) -> HttpResponseBase:
    _ensure_can_import(request.user)
    data = roster_template(example_unit_code=example_unit_code(request.user))
    return xlsx_response(data, file_name=template_file_name())


@never_cache
@require_GET
@login_required
def import_status(request: HttpRequest, job_id: int) -> HttpResponseBase:
    job = job_for_viewer(viewer=request.user, job_id=job_id, kind=ROSTER_IMPORT)
    if request.GET.get("report") == "xlsx" and job.status == JobStatus.FAILED and job.errors:
        return xlsx_response(error_report(job.errors), file_name=_("import-errors-%(id)s.xlsx") % {"id": job.pk})
    progress = job_progress(job=job)
    context = {
        "job": job,
        "progress": progress,
        "errors": job.errors[:ERRORS_ON_PAGE],
        "errors_total": len(job.errors),
        "errors_hidden": max(0, len(job.errors) - ERRORS_ON_PAGE),
        "result": job.result,
    }
    if wants_partial(request):
        return render(request, "people/_import_status.html", context)
    return render(request, "people/import_status.html", context)


@require_GET
@login_required
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The people of the list, with the list's filters, as .xlsx (masked unless the user may unmask)."""
    if not has_any(request.user, PERSON_LABEL, Action.EXPORT):
        raise PermissionDenied
    file, _count = roster_export_file(actor=request.user, params=request.GET)
    return xlsx_response(file, file_name=export_file_name())
