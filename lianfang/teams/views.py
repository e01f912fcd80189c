"""Pages of the teams app, under /teams/: the teams with who is deployed now and the reserve still
free, a team's page, a deployment's page (the accept button for a called member, on a phone), and
"My call-ups". Thin: look up through the restricted selectors, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.scoping import Action
from lianfang.org.scoping import can
from lianfang.teams import selectors, services
from lianfang.teams.choices import DeploymentStatus
from lianfang.teams.models import Assignment, Deployment


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams the viewer may see; who of them is deployed today and where; the reserve still free."""
    teams = list(selectors.team_list(viewer=request.user))
    deployed = list(selectors.deployed_now(teams=teams))
    busy = {}
    for a in deployed:
        busy[a.deployment.team_id] = busy.get(a.deployment.team_id, 0) + 1
    for team in teams:
        team.deployed_count = busy.get(team.pk, 0)
        team.reserve_count = selectors.reserve_available(team).count()
    return render(request, "teams/list.html", {"teams": teams, "deployed": deployed})


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(viewer=request.user, pk=pk)
    deployments = Deployment.objects.restrict(request.user, Action.VIEW).filter(team=team).select_related("site")
    return render(
        request,
        "teams/detail.html",
        {
            "team": team,
            "members": selectors.members_of(team),
            "deployed": selectors.deployed_now(teams=[team]),
            "reserve_count": selectors.reserve_available(team).count(),
            "deployments": deployments[:50],
            "may_manage": can(request.user, Action.CHANGE, Deployment, team.unit),
        },
    )


@login_required
def deployment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deployment = selectors.deployment_get(viewer=request.user, pk=pk)
    may_manage = can(request.user, Action.CHANGE, Deployment, deployment.team.unit)
    mine = deployment.assignments.filter(person__user=request.user).first()
    slots = list(selectors.accepted(deployment).select_related("person__unit", "home_unit"))
    return render(
        request,
        "teams/deployment.html",
        {
            "deployment": deployment,
            "slots": slots,
            "called": deployment.assignments.count() if may_manage else None,
            "mine": mine,
            "may_accept": mine is not None and mine.accepted_at is None and deployment.status == DeploymentStatus.OPEN,
            "may_manage": may_manage,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """My call-ups: the deployments I was called for, with the accept button while there is room."""
    call_ups = list(selectors.my_call_ups(user=request.user)[:100])
    return render(request, "teams/mine.html", {"call_ups": call_ups, "open": DeploymentStatus.OPEN})


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = Assignment.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if assignment is None:
        raise Http404
    try:
        services.assignment_accept(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("You are deployed. Thank you!"))
    return redirect("teams:deployment", pk=assignment.deployment_id)


@login_required
@require_POST
def call_up(request: HttpRequest, pk: int) -> HttpResponse:
    deployment = selectors.deployment_get(viewer=request.user, pk=pk)
    try:
        called = services.deployment_call_up(actor=request.user, deployment=deployment)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("%(n)d members were called up.") % {"n": called})
    return redirect("teams:deployment", pk=deployment.pk)
