"""A walk-in visitor (临时来访), registered at the gate by its staff: the visit is registered, declared
and put through the gate's decision at once, so the entry is recorded as for any visitor pass."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.masking import mask_name_middle
from lianfang.core.scoping import Action
from lianfang.org.scoping import can
from lianfang.people.models import Person
from lianfang.sites import passes
from lianfang.sites.choices import Direction, Method, PassKind
from lianfang.sites.models import Checkpoint, Entry, Visitor
from lianfang.sites.selectors import organisation_of
from lianfang.sites.services.gate import Verdict, gate_check
from lianfang.sites.services.visitors import visit_declare, visit_end, visit_register


def host_by_number(site, employee_no: str) -> Person | None:
    """The host named by their employee number, among the active people of the site's organisation."""
    employee_no = (employee_no or "").strip()
    if not employee_no:
        return None
    host = Person.objects.filter(
        unit__path__startswith=organisation_of(site).path, employment_status="active", employee_no=employee_no
    ).first()
    if host is None:
        message = _("Host: no one of this organisation has the number %(no)s.") % {"no": employee_no}
        raise ValidationError({"host_employee_no": message})
    return host


@transaction.atomic
def visit_walk_in(
    *,
    actor,
    checkpoint: Checkpoint,
    name: str,
    phone: str,
    company: str = "",
    reason: str,
    answers: Mapping[str, Any],
    host_employee_no: str = "",
    host: Person | None = None,
    temperature: decimal.Decimal | str | None = None,
    now: datetime.datetime | None = None,
) -> tuple[Visitor, Entry, Verdict]:
    """Register a walk-in at this checkpoint, take their declaration and decide at the gate: the visit,
    the entry recorded and the gate's verdict. Nothing is kept when a field is refused."""
    if not can(actor, Action.ADD, Visitor, checkpoint.site) or not can(actor, Action.ADD, Entry, checkpoint.site):
        raise PermissionDenied(_("Only checkpoint staff of this site may register visitors at its gate."))
    if not checkpoint.visitors_allowed or not checkpoint.is_active:
        raise ValidationError(_("This checkpoint does not let visitors in: send them to another gate."))
    now = now or timezone.now()
    if host is None:
        host = host_by_number(checkpoint.site, host_employee_no)
    visit = visit_register(
        actor=actor,
        site=checkpoint.site,
        day=timezone.localdate(now),
        name=name,
        phone=phone,
        company=company,
        reason=reason,
        host=host,
        walk_in=True,
    )
    visit = visit_declare(visit=visit, answers=answers, now=now)
    # The gate's own decision on the visit's pass (refused declarations included): hours, direction,
    # temperature and the entry record are the same as for a visitor who declared beforehand.
    code = passes.sign(
        kind=PassKind.VISITOR,
        subject=visit.pk,
        name=mask_name_middle(visit.name),
        unit=visit.site.display_name,
        expires=visit_end(visit),
    )
    entry, verdict = gate_check(
        actor=actor,
        checkpoint=checkpoint,
        code=code,
        direction=Direction.IN,
        method=Method.TYPED,
        temperature=temperature,
        now=now,
    )
    visit.refresh_from_db()  # the gate marked it as come in
    return visit, entry, verdict
