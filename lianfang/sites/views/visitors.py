"""Visitors' pages: a host's visitors (register, the link to send), a site's visitors of the day for its
staff, the walk-in form at a gate, and the visitor's own public page (declare, then the pass)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianfang.core.masking import mask_name
from lianfang.core.scoping import Action
from lianfang.org.scoping import can, has_any
from lianfang.sites import selectors
from lianfang.sites.choices import VisitStatus
from lianfang.sites.forms import DeclarationForm, VisitForm, WalkInForm, parse_day
from lianfang.sites.services import visitors as visits
from lianfang.sites.services.walkins import visit_walk_in
from lianfang.sites.views.base import flash, show_errors

VISITOR = "sites.visitor"


def _qr_svg(data: str, scale: int = 4) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=scale, omitsize=True)


def visit_link(request: HttpRequest, visit) -> str:
    return request.build_absolute_uri(reverse("visit:declare", args=[visit.slug]))


@login_required
def my_visitors(request: HttpRequest) -> HttpResponse:
    """The visits I host: register one, and send each visitor their link (copy it, or show its QR)."""
    sites = selectors.register_sites(viewer=request.user)
    staff = has_any(request.user, VISITOR, Action.VIEW)
    if (
        not staff
        and not sites.exists()
        and not selectors.my_visits(viewer=request.user, since=datetime.date.min).exists()
    ):
        raise PermissionDenied(_("No site of your organisation takes visitors, and you have no visitors."))
    today = timezone.localdate()
    form = VisitForm(request.POST or None, sites=sites, initial={"day": today})
    if request.method == "POST" and form.is_valid():
        try:
            visit = visits.visit_register(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Visitor registered: send them the link below."))
            return redirect(f"{reverse('sites:visitors')}#visit-{visit.pk}")
    rows = [
        {"visit": v, "link": visit_link(request, v), "qr": _qr_svg(visit_link(request, v), 3)}
        for v in selectors.my_visits(viewer=request.user, since=today - datetime.timedelta(days=7))
    ]
    context = {
        "form": form,
        "rows": rows,
        "today": today,
        "may_register": sites.exists(),
        "site_rows": selectors.visitor_site_counts(viewer=request.user, day=today),
    }
    return render(request, "sites/visitors/mine.html", context)


@require_POST
@login_required
def visit_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(viewer=request.user, pk=pk)
    try:
        visits.visit_cancel(actor=request.user, visit=visit)
    except ValidationError as exc:
        flash(request, exc)
    else:
        messages.success(request, _("Visit cancelled."))
    return redirect(request.POST.get("next") or reverse("sites:visitors"))


@login_required
def site_visitors(request: HttpRequest, pk: int) -> HttpResponse:
    """The site's visitors of a day, for its gate staff and liaison: phones masked (shown on request to
    whoever may unmask, audited)."""
    site = selectors.visitor_site_get(viewer=request.user, pk=pk)
    today = timezone.localdate()
    day = parse_day(request.GET.get("date"), today)
    gates = selectors.visitor_checkpoints(site=site) if can(request.user, Action.ADD, VISITOR, site) else []
    context = {
        "site": site,
        "day": day,
        "today": today,
        "prev_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "visits": selectors.site_visits(viewer=request.user, site=site, day=day),
        "may_unmask": can(request.user, Action.UNMASK, VISITOR, site),
        "may_cancel": can(request.user, Action.CHANGE, VISITOR, site),
        "gates": gates,
    }
    return render(request, "sites/visitors/site.html", context)


@never_cache
@require_POST
@login_required
def visit_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """A visitor's full phone, for a viewer allowed to unmask; the service writes the audit event."""
    visit = selectors.visit_get(viewer=request.user, pk=pk)
    phone = visits.visit_reveal_phone(actor=request.user, visit=visit)
    return render(request, "sites/visitors/_phone.html", {"phone": phone})


@login_required
def walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Register a walk-in at this gate, with their declaration: the gate's decision shows at once."""
    checkpoint = selectors.walk_in_checkpoint_get(viewer=request.user, pk=pk)
    site = checkpoint.site
    if not can(request.user, Action.ADD, VISITOR, site) or not can(request.user, Action.ADD, "sites.entry", site):
        raise PermissionDenied(_("Only checkpoint staff of this site may register visitors at its gate."))
    form = WalkInForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            visit, _entry, verdict = visit_walk_in(
                actor=request.user,
                checkpoint=checkpoint,
                name=cd["name"],
                phone=cd["phone"],
                company=cd["company"],
                reason=cd["reason"],
                host_employee_no=cd["host_employee_no"],
                temperature=cd["temperature"],
                answers=form.answers(),
            )
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            result = {"visit": visit, "verdict": verdict}
            form = WalkInForm()
    context = {"checkpoint": checkpoint, "form": form, "result": result}
    return render(request, "sites/visitors/walk_in.html", context)


# --- the visitor's own page (public) ----------------------------------------------------------------------


@never_cache
def declare(request: HttpRequest, slug: str) -> HttpResponse:
    """The visitor's page, reached by their link without an account: the declaration, then the pass
    (a QR code, single use, valid on the visit's day)."""
    visit = selectors.visit_by_slug(slug)
    now = timezone.now()
    today = timezone.localdate(now)
    form = None
    if visit.status == VisitStatus.INVITED and visits.declaration_open(visit, today):
        form = DeclarationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                visits.visit_declare(visit=visit, answers=form.answers(), now=now)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                return redirect("visit:declare", slug=slug)
    visit.refresh_from_db()
    pass_svg = ""
    if visit.status == VisitStatus.DECLARED and now <= visits.visit_end(visit):
        pass_svg = _qr_svg(visits.visit_pass(visit, now), 8)
    context = {
        "visit": visit,
        "form": form,
        "pass_svg": pass_svg,
        "too_early": visit.status == VisitStatus.INVITED and today < visit.day - datetime.timedelta(days=1),
        "too_late": visit.day < today,
        "masked_name": mask_name(visit.name),
    }
    return render(request, "sites/visitors/declare.html", context)
