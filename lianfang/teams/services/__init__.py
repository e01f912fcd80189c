"""Every write of the teams app: teams and members (with the home unit's hold), deployments with
their call-up, first-come acceptance, start, end, cancellation and hours. Import from here."""

from lianfang.teams.services.deployments import (
    DeploymentFull,
    assignment_accept,
    deployment_call_up,
    deployment_cancel,
    deployment_create,
    deployment_end,
    deployment_start,
    eligible_members,
    hours_record,
)
from lianfang.teams.services.teams import member_add, member_hold, member_remove, team_create, team_update

__all__ = [
    "DeploymentFull",
    "assignment_accept",
    "deployment_call_up",
    "deployment_cancel",
    "deployment_create",
    "deployment_end",
    "deployment_start",
    "eligible_members",
    "hours_record",
    "member_add",
    "member_hold",
    "member_remove",
    "team_create",
    "team_update",
]
