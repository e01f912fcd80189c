"""Pages of the group daily bulletin: list, detail with the office's actions, print view, downloads.

Bulletins are looked up through ``restrict(user, "view")`` (:func:`bulletin.bulletin_list`): a
liaison who cannot see the group's bulletin gets 404; a leader who may read it but not publish it
gets 403 on every action. The services check again and write the change log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from lianfang.core.scoping import Action
from lianfang.core.views import paginate
from lianfang.org.models import GroupSettings
from lianfang.org.scoping import has_any
from lianfang.reporting import exports as bulletin_exports
from lianfang.reporting.choices import BulletinStatus
from lianfang.reporting.exports import display_context
from lianfang.reporting.forms import ReopenForm, SummaryForm
from lianfang.reporting.models import Bulletin
from lianfang.reporting.selectors import bulletins, dashboard
from lianfang.reporting.services import bulletins as bulletin_services


def _visible_or_404(user, pk: int) -> Bulletin:
    try:
        return bulletins.bulletin_visible_to(viewer=user, pk=pk)
    except Bulletin.DoesNotExist:
        raise Http404 from None


def _ensure_action(user, bulletin: Bulletin, action: str) -> None:
    if not bulletins.bulletin_can(viewer=user, bulletin=bulletin, action=action):
        raise PermissionDenied


def _service_error(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "reporting.bulletin", Action.VIEW):
        raise PermissionDenied
    page = paginate(request, bulletins.bulletin_list(viewer=user))
    context = {
        "page": page,
        "today": timezone.localdate(),
        "can_build": has_any(user, "reporting.bulletin", Action.ADD),
    }
    return render(request, "reporting/bulletin_list.html", context)


@require_POST
@login_required
def bulletin_build(request: HttpRequest) -> HttpResponse:
    """The office's "build now" button: today's draft, created or rebuilt."""
    user = request.user
    if not has_any(user, "reporting.bulletin", Action.ADD):
        raise PermissionDenied
    try:
        bulletin = bulletin_services.bulletin_build(actor=user)
    except ValidationError as exc:
        _service_error(request, exc)
        return redirect("reporting:bulletin-list")
    messages.success(request, _("The figures were built from the latest reports."))
    return redirect("reporting:bulletin-detail", pk=bulletin.pk)


def _display(bulletin: Bulletin) -> dict:
    """The stored figures, labelled; a day not over when the figures were built says "as of" on its charts."""
    context = display_context(bulletin)
    partial = dashboard.partial_label(bulletin.date, bulletin.built_at)
    if partial:
        context["charts14"] = dashboard.chart_specs(context["trend14"], period=14, partial=partial)
        context["charts30"] = dashboard.chart_specs(context["trend30"], period=30, partial=partial)
    return context


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = _visible_or_404(user, pk)
    can_change = bulletins.bulletin_can(viewer=user, bulletin=bulletin, action=Action.CHANGE)
    is_draft = bulletin.status == BulletinStatus.DRAFT
    context = {
        **_display(bulletin),
        "can_change": can_change,
        "can_export": bulletins.bulletin_can(viewer=user, bulletin=bulletin, action=Action.EXPORT),
        "summary_form": SummaryForm(initial={"summary": bulletin.summary}),
        "reopen_form": ReopenForm(),
        "is_draft": is_draft,
    }
    if can_change and is_draft and request.GET.get("confirm") == "publish":
        # The publish button came back here: units still have time to report. Say how many and which.
        context["still_due"] = bulletins.units_still_due(bulletin=bulletin)
        context["deadline"] = GroupSettings.load().report_deadline
    if can_change and is_draft:
        context["reported_since"] = since = bulletins.reported_since_built(bulletin=bulletin)
        context["reported_since_names"] = pgettext("list separator", ", ").join(since)
    return render(request, "reporting/bulletin_detail.html", context)


@require_POST
@login_required
def bulletin_summary(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    bulletin = _visible_or_404(user, pk)
    _ensure_action(user, bulletin, Action.CHANGE)
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            bulletin_services.bulletin_update_summary(
                actor=user, bulletin=bulletin, summary=form.cleaned_data["summary"]
            )
        except ValidationError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, _("The summary was saved."))
            return redirect("reporting:bulletin-detail", pk=bulletin.pk)
    context = {
        **_display(bulletin),
        "can_change": True,
        "can_export": bulletins.bulletin_can(viewer=user, bulletin=bulletin, action=Action.EXPORT),
        "summary_form": form,
        "reopen_form": ReopenForm(),
        "is_draft": bulletin.status == BulletinStatus.DRAFT,
    }
    return render(request, "reporting/bulletin_detail.html", context, status=400)


def _action(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    user = request.user
    bulletin = _visible_or_404(user, pk)
    _ensure_action(user, bulletin, Action.CHANGE)
    try:
        run(user, bulletin)
    except ValidationError as exc:
        _service_error(request, exc)
    else:
        messages.success(request, done)
    return redirect("reporting:bulletin-detail", pk=bulletin.pk)


@require_POST
@login_required
def bulletin_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda user, b: bulletin_services.bulletin_build(actor=user, day=b.date),
        _("The figures were built from the latest reports."),
    )


@require_POST
@login_required
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the draft. Before the report deadline, while units have not reported yet, it first asks:
    the page comes back saying how many units and which, with "publish anyway"."""
    user = request.user
    bulletin = _visible_or_404(user, pk)
    _ensure_action(user, bulletin, Action.CHANGE)
    if request.POST.get("confirm") != "1" and bulletins.units_still_due(bulletin=bulletin):
        url = reverse("reporting:bulletin-detail", args=[bulletin.pk])
        return redirect(f"{url}?confirm=publish#publish-confirm")
    return _action(
        request,
        pk,
        lambda user, b: bulletin_services.bulletin_publish(actor=user, bulletin=b),
        _("The bulletin is published; the leaders were told in their inbox."),
    )


@require_POST
@login_required
def bulletin_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReopenForm(request.POST)
    reason = form.data.get("reason", "")
    return _action(
        request,
        pk,
        lambda user, b: bulletin_services.bulletin_reopen(actor=user, bulletin=b, reason=reason),
        _("The bulletin is open for correction again."),
    )


@login_required
def bulletin_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The print view: the same template as the PDF, for the browser's own printing."""
    bulletin = _visible_or_404(request.user, pk)
    return render(request, "reporting/bulletin_print.html", {**display_context(bulletin), "for_pdf": False})


@login_required
def bulletin_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    user = request.user
    bulletin = _visible_or_404(user, pk)
    _ensure_action(user, bulletin, Action.EXPORT)
    if fmt == "xlsx":
        return bulletin_exports.xlsx_download(actor=user, bulletin=bulletin)
    if fmt == "pdf":
        return bulletin_exports.pdf_download(actor=user, bulletin=bulletin, base_url=request.build_absolute_uri("/"))
    raise Http404
