"""Disinfection plans (消杀计划) per site: what, where, with what, and by when each day."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import ensure_in_scope
from lianfang.sites.choices import Frequency, RoundKind
from lianfang.sites.models import Disinfectant, DisinfectionPlan
from lianfang.sites.services.base import ensure
from lianfang.sites.services.rounds import replan

PLAN_FIELDS = (
    "kind",
    "area",
    "area_note",
    "agent",
    "min_minutes",
    "frequency",
    "weekdays",
    "times",
    "starts_on",
    "ends_on",
    "is_active",
    "note",
)


def _who_may_plan() -> str:
    return _("Only the unit's liaison and the group office plan disinfection.")


def _times(values: Sequence[str | datetime.time]) -> list[str]:
    return [v.strftime("%H:%M") if isinstance(v, datetime.time) else str(v).strip() for v in values]


def _check(plan: DisinfectionPlan) -> None:
    if not plan.site.is_active:
        raise ValidationError({"site": _("This unit is no longer active; choose another.")})
    plan.area_note = plan.area_note.strip()
    plan.note = plan.note.strip()
    try:
        plan.full_clean(exclude=["site", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def plan_create(
    *,
    actor,
    site: Unit,
    area: str,
    times: Sequence[str | datetime.time],
    kind: str = RoundKind.DISINFECTION,
    agent: Disinfectant | None = None,
    area_note: str = "",
    min_minutes: int | None = None,
    frequency: str = Frequency.DAILY,
    weekdays: Sequence[int] = (),
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    note: str = "",
) -> DisinfectionPlan:
    """Plan rounds at a site: e.g. the offices with 含氯消毒剂 500 mg/L every day by 10:00 and 16:00.
    Today's rounds still to come are made at once; the job makes the following days'."""
    ensure(actor, Action.ADD, DisinfectionPlan, site, _who_may_plan())
    if agent is not None and not agent.is_active:
        raise ValidationError({"agent": _("This disinfectant is no longer in use; choose another.")})
    plan = DisinfectionPlan(
        site=site,
        kind=kind,
        area=area,
        area_note=area_note,
        agent=agent,
        min_minutes=min_minutes,
        frequency=frequency,
        weekdays=list(weekdays),
        times=_times(times),
        starts_on=starts_on or timezone.localdate(),
        ends_on=ends_on,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _check(plan)
    plan.save()
    record_change(actor=actor, obj=plan, action=ChangeAction.CREATE)
    ensure_in_scope(actor, plan, Action.VIEW)
    replan(plan)
    return plan


@transaction.atomic
def plan_update(*, actor, plan: DisinfectionPlan, **fields) -> DisinfectionPlan:
    """Change a plan (or retire it: ``is_active=False``). Its rounds still to come that nobody has
    started follow the plan as it is now; rounds past their deadline, or logged, stay as they were."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"unknown plan fields: {sorted(unknown)}")
    plan = DisinfectionPlan.objects.select_for_update(of=("self",)).select_related("site", "agent").get(pk=plan.pk)
    ensure(actor, Action.CHANGE, DisinfectionPlan, plan.site, _who_may_plan())
    before = snapshot(plan)
    new_agent = fields.get("agent")
    if "agent" in fields and new_agent is not None and new_agent.pk != plan.agent_id and not new_agent.is_active:
        raise ValidationError({"agent": _("This disinfectant is no longer in use; choose another.")})
    for name, value in fields.items():
        if name == "times":
            value = _times(value)
        elif name == "weekdays":
            value = list(value)
        setattr(plan, name, value)
    _check(plan)
    plan.save()
    record_change(actor=actor, obj=plan, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, plan, Action.CHANGE)
    after = snapshot(plan)
    if any(before.get(k) != after.get(k) for k in after if k not in ("note", "updated")):
        replan(plan)  # a changed note leaves the rounds (and a phone's open page) as they are
    return plan
