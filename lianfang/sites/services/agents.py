"""The catalogue of disinfectants (消毒剂), kept by the group office."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any
from lianfang.sites.models import Disinfectant

AGENT_FIELDS = ("name", "name_en", "concentration", "contact_minutes", "use", "for_terminal", "is_active", "sort")


def _ensure_catalogue(actor, action: str) -> None:
    """The catalogue is group-wide: whoever may add (or change) disinfectants somewhere keeps it."""
    if not has_any(actor, "sites.disinfectant", action):
        raise PermissionDenied(_("Only the group office keeps the catalogue of disinfectants."))


def _clean(agent: Disinfectant) -> None:
    for name in ("name", "name_en", "concentration", "use"):
        setattr(agent, name, str(getattr(agent, name) or "").strip())
    try:
        agent.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def disinfectant_create(*, actor, **fields: Any) -> Disinfectant:
    """Add a disinfectant at a working concentration, with its contact time (e.g. 含氯消毒剂 500 mg/L, 30 min)."""
    _ensure_catalogue(actor, Action.ADD)
    unknown = set(fields) - set(AGENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown disinfectant fields: {sorted(unknown)}")
    agent = Disinfectant(**fields)
    _clean(agent)
    agent.save()
    record_change(actor=actor, obj=agent, action=ChangeAction.CREATE)
    return agent


@transaction.atomic
def disinfectant_update(*, actor, agent: Disinfectant, **fields: Any) -> Disinfectant:
    """Change a disinfectant. Rounds already logged keep the concentration they were logged with; a
    new contact time applies to the rounds logged from now on. A disinfectant in use is retired
    (``is_active=False``), never deleted."""
    _ensure_catalogue(actor, Action.CHANGE)
    unknown = set(fields) - set(AGENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown disinfectant fields: {sorted(unknown)}")
    agent = Disinfectant.objects.select_for_update().get(pk=agent.pk)
    before = snapshot(agent)
    for name, value in fields.items():
        setattr(agent, name, value)
    _clean(agent)
    agent.save()
    record_change(actor=actor, obj=agent, action=ChangeAction.UPDATE, before=before)
    return agent
