"""Disinfection plans: the plans in scope (or one site's, ``?site=``) with the form to add one, and a
plan's edit page; the catalogue of disinfectants (read by all who see disinfection, kept by the office)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from lianfang.core.scoping import Action
from lianfang.org.scoping import can, has_any
from lianfang.sites import selectors, services
from lianfang.sites.forms import AgentForm, PlanForm
from lianfang.sites.models import Disinfectant, DisinfectionPlan
from lianfang.sites.views.base import show_errors, tabs

PLAN = "sites.disinfectionplan"
AGENT = "sites.disinfectant"


def _site_filter(request: HttpRequest):
    raw = request.GET.get("site", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return selectors.site_get(viewer=request.user, pk=int(raw))


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, PLAN, Action.VIEW):
        raise PermissionDenied
    site = _site_filter(request)
    rows = selectors.plan_list(viewer=request.user).order_by("site__path", "-is_active", "kind", "area", "pk")
    if site is not None:
        rows = rows.filter(site=site)
    form = None
    if has_any(request.user, PLAN, Action.ADD):
        sites = selectors.plan_sites(viewer=request.user)
        initial = {"site": site.pk if site is not None else None}
        form = PlanForm(
            request.POST or None, sites=sites, agents=selectors.disinfectants(viewer=request.user), initial=initial
        )
    elif request.method == "POST":
        raise PermissionDenied
    if request.method == "POST" and form is not None and form.is_valid():
        data = dict(form.cleaned_data)
        chosen = data.pop("site")
        if not data.get("starts_on"):
            data.pop("starts_on", None)
        data.pop("is_active", None)
        try:
            plan = services.plan_create(actor=request.user, site=chosen, **data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Plan saved; its rounds are on the site's page."))
            return redirect(f"{reverse('sites:plans')}?site={plan.site_id}")
    context = {"rows": rows, "site": site, "form": form}
    return render(request, "sites/plans.html", {**context, "tabs": tabs(request)})


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(viewer=request.user, pk=pk)
    if not can(request.user, Action.CHANGE, DisinfectionPlan, plan.site):
        raise PermissionDenied
    form = PlanForm(
        request.POST or None,
        instance=DisinfectionPlan.objects.get(pk=plan.pk),
        agents=selectors.disinfectants(viewer=request.user, include_inactive=False)
        | Disinfectant.objects.filter(pk=plan.agent_id),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not data.get("starts_on"):
            data["starts_on"] = plan.starts_on
        try:
            services.plan_update(actor=request.user, plan=plan, **data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved. The rounds still to come follow the plan as it is now."))
            return redirect(f"{reverse('sites:plans')}?site={plan.site_id}")
    return render(request, "sites/plan_form.html", {"form": form, "plan": plan, "tabs": tabs(request)})


@login_required
def agents(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, AGENT, Action.VIEW):
        raise PermissionDenied
    may_add = has_any(request.user, AGENT, Action.ADD)
    if request.method == "POST" and not may_add:
        raise PermissionDenied
    form = AgentForm(request.POST or None) if may_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.disinfectant_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Added to the catalogue."))
            return redirect("sites:agents")
    context = {
        "rows": selectors.disinfectants(viewer=request.user, include_inactive=True),
        "form": form,
        "may_change": has_any(request.user, AGENT, Action.CHANGE),
    }
    return render(request, "sites/agents.html", {**context, "tabs": tabs(request)})


@login_required
def agent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agent = selectors.disinfectants(viewer=request.user, include_inactive=True).filter(pk=pk).first()
    if agent is None:
        raise Http404
    if not has_any(request.user, AGENT, Action.CHANGE):
        raise PermissionDenied
    form = AgentForm(request.POST or None, instance=Disinfectant.objects.get(pk=agent.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.disinfectant_update(actor=request.user, agent=agent, **form.cleaned_data)
        except ValidationError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("sites:agents")
    return render(request, "sites/agent_form.html", {"form": form, "agent": agent, "tabs": tabs(request)})
