"""Roster import and export pages (thin: parse, check, call, render).

The import page takes the file, checks its size and type at once and starts a job; the status page
polls the job with HTMX every second until it has finished, then shows the counts, or every error
with a downloadable error report. A job's page is its starter's (or a superuser's); anyone else
gets 404. The export streams a workbook of exactly the rows the list shows the user.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lianfang.core.exports import xlsx_response
from lianfang.core.jobs import job_for_viewer, job_progress
from lianfang.core.models import Job, JobStatus
from lianfang.core.uploads import check_size, max_upload_bytes
from lianfang.core.views import wants_partial
from lianfang.org.choices import Action
from lianfang.org.scoping import has_any
from lianfang.people.exporter import (
    error_report,
    export_file_name,
    roster_export_file,
    roster_template,
    template_file_name,
)
from lianfang.people.importer import PERSON_LABEL, ROSTER_IMPORT, example_unit_code, roster_import_submit

# The page lists this many errors; the error report holds all of them.
ERRORS_ON_PAGE = 200


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file, with the template's header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


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
