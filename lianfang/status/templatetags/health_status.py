"""``{% status_block person %}``: a person's health status colour (and, where the viewer may read
it, the reason and until when), for the person's page and their own check-in page."""

from __future__ import annotations

from typing import Any

from django import template

from lianfang.core.scoping import Action
from lianfang.health import selectors as risk_selectors
from lianfang.org.scoping import can
from lianfang.status import selectors
from lianfang.status.models import PersonStatus

register = template.Library()


@register.inclusion_tag("status/_block.html", takes_context=True)
def status_block(context: dict[str, Any], person) -> dict[str, Any]:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if person is None or viewer is None or not getattr(viewer, "is_authenticated", False):
        return {"visible": False}
    is_own = person.user_id is not None and person.user_id == viewer.pk
    status = selectors.status_of(viewer=viewer, person=person)
    if status is None and not (is_own or can(viewer, Action.VIEW, PersonStatus, person.unit)):
        return {"visible": False}
    policy = selectors.ReasonPolicy(viewer)
    show_reason = status is not None and policy.may_read(person.pk, status.unit)
    if show_reason and not is_own:
        selectors.audit_reason_reads(viewer=viewer, statuses=[status], where="person_page", unit=status.unit)
    return {
        "visible": True,
        "status": status,
        "colour": status.colour if status is not None else "green",
        "show_reason": show_reason,
        "is_own": is_own,
        "person": person,
        "history_link": risk_selectors.may_read_history(viewer, person),
    }
