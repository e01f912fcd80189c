"""The rounds due at each site: made each day from the plans (idempotent), and the terminal
disinfection (终末消毒) a confirmed case opens at its site."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.services import message_send
from lianfang.org.models import Unit
from lianfang.org.scoping import ensure_in_scope
from lianfang.sites.choices import Area, RoundKind
from lianfang.sites.models import Disinfectant, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.services.base import at_local, ensure, site_user_ids

# A confirmed case's site is disinfected within this time (终末消毒), unless whoever opens it says otherwise.
TERMINAL_WITHIN = datetime.timedelta(hours=24)
MESSAGE_KIND = "disinfection"


def slots_generate(*, day: datetime.date, plans: Iterable[DisinfectionPlan] | None = None) -> int:
    """Make the rounds the active plans give on ``day`` (all plans, or ``plans``); returns how many
    were new. Idempotent: a plan gives one round per deadline (a unique constraint), so a second run,
    or two workers, add nothing. A deadline before the plan was last changed is not made: the rounds
    a plan gave before the change stand, and a time added at noon is not overdue at once."""
    qs = (
        DisinfectionPlan.objects.filter(is_active=True, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .order_by("pk")
    )
    if plans is not None:
        qs = qs.filter(pk__in=[p.pk for p in plans])
    rows = []
    for plan in qs:
        if not plan.runs_on(day):
            continue
        for time in plan.deadlines():
            due_at = at_local(day, time)
            if due_at <= plan.updated:
                continue
            rows.append(
                DisinfectionSlot(
                    site_id=plan.site_id,
                    plan=plan,
                    kind=plan.kind,
                    area=plan.area,
                    area_note=plan.area_note,
                    agent_id=plan.agent_id,
                    min_minutes=plan.min_minutes,
                    day=day,
                    due_at=due_at,
                )
            )
    if not rows:
        return 0
    existing = set(
        DisinfectionSlot.objects.filter(plan_id__in={r.plan_id for r in rows}, day=day).values_list("plan_id", "due_at")
    )
    new = [r for r in rows if (r.plan_id, r.due_at) not in existing]
    # ``ignore_conflicts``: a run of the job on another worker may have made the same rounds since.
    DisinfectionSlot.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


def slots_generate_due(*, now: datetime.datetime | None = None) -> int:
    """The job's work: today's rounds and tomorrow's (so the early ones are there before midnight)."""
    today = timezone.localdate(now or timezone.now())
    return slots_generate(day=today) + slots_generate(day=today + datetime.timedelta(days=1))


def replan(plan: DisinfectionPlan) -> None:
    """After a plan changed: its rounds still to come that nobody has started are made again from the
    plan as it is now (none if it was retired); rounds past their deadline, or logged, stand."""
    DisinfectionSlot.objects.filter(plan=plan, due_at__gt=timezone.now(), log__isnull=True).delete()
    today = timezone.localdate()
    for day in (today, today + datetime.timedelta(days=1)):
        slots_generate(day=day, plans=[plan])


# --- terminal disinfection ----------------------------------------------------------------------------


def _terminal_agent() -> Disinfectant | None:
    return Disinfectant.objects.filter(is_active=True, for_terminal=True).order_by("sort", "pk").first()


@transaction.atomic
def terminal_open(
    *,
    actor,
    site: Unit,
    case=None,
    due_at: datetime.datetime | None = None,
    note: str = "",
) -> DisinfectionSlot:
    """Open a terminal disinfection (终末消毒) of the whole site, due within 24 hours unless ``due_at``
    says otherwise, and tell the site's staff. Opened by whoever may add rounds at the site (a case
    elsewhere whose patient was here), or by the system (``actor=None``) when a case at the site is
    confirmed. A case opens one per site: asked again, the open one is returned."""
    if actor is not None:
        ensure(
            actor,
            Action.ADD,
            DisinfectionSlot,
            site,
            _("Only the site's liaison and the group office open a terminal disinfection."),
        )
    if case is not None:
        existing = DisinfectionSlot.objects.filter(case=case, site=site).first()
        if existing is not None:
            return existing
    now = timezone.now()
    due_at = due_at or now + TERMINAL_WITHIN
    if due_at <= now:
        raise ValidationError({"due_at": _("The deadline must be in the future.")})
    if due_at > now + datetime.timedelta(days=7):
        raise ValidationError({"due_at": _("A terminal disinfection is due within a week at most.")})
    note = note.strip()
    if case is None and not note:
        raise ValidationError({"note": _("Say why: which case, or what happened at the site.")})
    slot = DisinfectionSlot(
        site=site,
        kind=RoundKind.TERMINAL,
        area=Area.WHOLE_SITE,
        agent=_terminal_agent(),
        day=timezone.localdate(now),
        due_at=due_at,
        case=case,
        note=note[:200],
        opened_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            slot.save()
    except IntegrityError:  # the same case confirmed twice at once: the other write opened it
        return DisinfectionSlot.objects.get(case=case, site=site)
    record_change(actor=actor, obj=slot, action=ChangeAction.CREATE)
    if actor is not None:
        ensure_in_scope(actor, slot, Action.VIEW)
    transaction.on_commit(lambda: _tell_site(slot))
    return slot


def _tell_site(slot: DisinfectionSlot) -> None:
    """The site's staff and liaisons hear of a terminal disinfection at once (their inbox). The message
    names the case number, never the person: an inbox is read on shared screens."""
    from django.conf import settings

    with translation.override(settings.LANGUAGE_CODE):
        due = timezone.localtime(slot.due_at)
        title = _("Terminal disinfection at %(site)s by %(due)s") % {
            "site": slot.site.name,
            "due": f"{due:%m-%d %H:%M}",
        }
        body = (
            _("Case %(case)s is confirmed. Disinfect the whole site and log it with a photo.")
            % {"case": slot.case.number}
            if slot.case is not None
            else slot.note
        )
        url = reverse("sites:site-day", args=[slot.site_id]) + f"?date={slot.day:%Y-%m-%d}"
        message_send(recipients=site_user_ids(slot.site), kind=MESSAGE_KIND, title=title, body=body, url=url)


def terminal_for_case(case) -> DisinfectionSlot | None:
    """What a confirmed case (or an asymptomatic infection) opens at its unit: one terminal disinfection."""
    from lianfang.cases.choices import CaseStatus

    if case.status not in (CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC):
        return None
    site = Unit.objects.filter(pk=case.unit_id, is_active=True).first()
    if site is None:
        return None
    return terminal_open(actor=None, site=site, case=case)


def on_case_status(case, before: str) -> None:
    """The cases app's news (``core.extensions.case_listeners``): a case newly confirmed (or found an
    asymptomatic infection) opens a terminal disinfection at its unit once the case is committed; a
    failure here never undoes the case."""
    from lianfang.cases.choices import CaseStatus

    positive = (CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)
    if case.status in positive and before not in positive:
        case_id = case.pk
        transaction.on_commit(lambda: _open_for_case(case_id))


def _open_for_case(case_id: int) -> None:
    from lianfang.cases.models import Case

    case = Case.objects.filter(pk=case_id).first()
    if case is not None:
        terminal_for_case(case)
