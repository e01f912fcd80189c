"""Writes of the status app: the office's status rules (create, change, switch off, reorder) and
"recompute everyone now". Each checks the group office's permission on ``status.statusrule`` /
``status.personstatus``, writes the change log and has the statuses recomputed after the commit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, record_changes, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any
from lianfang.people.models import Person
from lianfang.status import engine
from lianfang.status.choices import Colour, StatusCause
from lianfang.status.models import StatusRule


def _ensure(actor, label: str, action: str) -> None:
    if not has_any(actor, label, action):
        raise PermissionDenied(_("Only the group prevention office may do this."))


RULE_LABEL = "status.statusrule"


STATUS_LABEL = "status.personstatus"


RULE_FIELDS = ("name", "condition", "colour", "reason", "reason_en", "hold_days", "sort", "is_active")


def _whole_days(value: Any, what: str, field: str) -> int:
    message = _(
        "Give %(what)s as a whole number of days from 0 to %(max)s; an endless or longer duration is not allowed."
    ) % {"what": what, "max": engine.MAX_DAYS}
    if isinstance(value, bool):
        raise ValidationError({field: message})
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"\d{1,3}", value):
            raise ValidationError({field: message})
        value = int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            raise ValidationError({field: message})
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= engine.MAX_DAYS:
        raise ValidationError({field: message})
    return value


def clean_condition(condition: Any) -> dict[str, Any]:
    """``{"fact": <key of FACTS>}``, plus ``within_days`` (0..90) for facts that take days."""
    valid = ", ".join(engine.FACTS)
    if not isinstance(condition, dict) or "fact" not in condition:
        raise ValidationError({"condition": _("Name the fact the rule tests, one of: %(facts)s.") % {"facts": valid}})
    key = condition.get("fact")
    fact = engine.FACTS.get(key) if isinstance(key, str) else None
    if fact is None:
        raise ValidationError(
            {
                "condition": _("Unknown fact “%(fact)s”. Use one of: %(facts)s.")
                % {"fact": str(key)[:60], "facts": valid}
            }
        )
    unknown = sorted(set(condition) - {"fact", "within_days"})
    if unknown:
        raise ValidationError(
            {
                "condition": _("Unknown field “%(field)s” in the condition: give only fact and within_days.")
                % {"field": str(unknown[0])[:60]}
            }
        )
    out: dict[str, Any] = {"fact": key}
    if condition.get("within_days") is not None:
        if not fact.takes_days:
            raise ValidationError(
                {"condition": _("The fact “%(fact)s” takes no number of days: leave within_days out.") % {"fact": key}}
            )
        out["within_days"] = _whole_days(condition["within_days"], _("within_days"), "condition")
    return out


def clean_rule(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    name = str(fields.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > 60:
        errors["name"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["name"] = name
    try:
        out["condition"] = clean_condition(fields.get("condition"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if fields.get("colour") not in Colour.values:
        errors["colour"] = [_("Choose the colour: green, yellow or red.")]
    out["colour"] = fields.get("colour")
    reason = str(fields.get("reason") or "").strip()
    if not reason:
        errors["reason"] = [_("Write the reason shown with the colour, e.g. 集中隔离中.")]
    elif len(reason) > 60:
        errors["reason"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["reason"] = reason
    reason_en = str(fields.get("reason_en") or "").strip()
    if len(reason_en) > 60:
        errors["reason_en"] = [_("Write at most %(n)s characters.") % {"n": 60}]
    out["reason_en"] = reason_en
    try:
        out["hold_days"] = _whole_days(fields.get("hold_days", 0), _("how long the colour holds"), "hold_days")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    sort = fields.get("sort", 100)
    if isinstance(sort, bool) or not isinstance(sort, int) or not 0 <= sort <= 32000:
        errors["sort"] = [_("Give the order as a whole number from 0 to 32000.")]
    out["sort"] = sort
    out["is_active"] = bool(fields.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def status_rule_create(*, actor, **fields: Any) -> StatusRule:
    """Add a rule (group office); everyone is recomputed in the background after the commit."""
    _ensure(actor, RULE_LABEL, Action.ADD)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "sort" not in fields:
        last = StatusRule.objects.order_by("-sort").values_list("sort", flat=True).first()
        fields["sort"] = min((last or 0) + 10, 32000)
    rule = StatusRule(**clean_rule(fields))
    rule.full_clean()
    rule.save()
    record_change(actor=actor, obj=rule, action=ChangeAction.CREATE)
    engine.recompute_all_on_commit(cause=StatusCause.RULES)
    return rule


@transaction.atomic
def status_rule_update(*, actor, rule: StatusRule, **fields: Any) -> StatusRule:
    _ensure(actor, RULE_LABEL, Action.CHANGE)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    rule = StatusRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    merged = {k: getattr(rule, k) for k in RULE_FIELDS}
    merged.update(fields)
    for key, value in clean_rule(merged).items():
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    if record_change(actor=actor, obj=rule, action=ChangeAction.UPDATE, before=before) is not None:
        engine.recompute_all_on_commit(cause=StatusCause.RULES)
    return rule


@transaction.atomic
def status_rule_set_active(*, actor, rule: StatusRule, is_active: bool) -> StatusRule:
    """Switch a rule off (or on again); rules are never deleted, so the history keeps its rule."""
    return status_rule_update(actor=actor, rule=rule, is_active=is_active)


@transaction.atomic
def status_rules_reorder(*, actor, rule_ids: Sequence[int]) -> list[StatusRule]:
    """Put the rules in this order (ids; rules not named keep their place after them), numbered
    10, 20, 30… The first active rule that holds decides, so order matters."""
    _ensure(actor, RULE_LABEL, Action.CHANGE)
    rules = list(StatusRule.objects.select_for_update().order_by("sort", "pk"))
    by_id = {r.pk: r for r in rules}
    wanted = []
    for pid in rule_ids:
        if pid not in by_id:
            raise ValidationError({"order": _("Rule %(id)s does not exist: reload the page.") % {"id": pid}})
        if by_id[pid] not in wanted:
            wanted.append(by_id[pid])
    ordered = wanted + [r for r in rules if r not in wanted]
    logged: list[tuple[Any, str, dict | None]] = []
    for position, rule in enumerate(ordered, start=1):
        if rule.sort != position * 10:
            before = snapshot(rule)
            rule.sort = position * 10
            rule.save(update_fields=["sort", "updated"])
            logged.append((rule, ChangeAction.UPDATE, before))
    if record_changes(actor=actor, items=logged):
        engine.recompute_all_on_commit(cause=StatusCause.RULES)
    return ordered


def status_rule_move(*, actor, rule: StatusRule, direction: str) -> list[StatusRule]:
    """Move a rule one place up or down."""
    ids = list(StatusRule.objects.order_by("sort", "pk").values_list("pk", flat=True))
    index = ids.index(rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return status_rules_reorder(actor=actor, rule_ids=ids)


def statuses_recompute_now(*, actor) -> None:
    """Recompute everyone in the background, by hand (group office)."""
    _ensure(actor, STATUS_LABEL, Action.CHANGE)
    engine.recompute_all_on_commit(cause=StatusCause.MANUAL)


def people_needing_status(unit_ids: Iterable[int]) -> list[int]:
    """People of these units with no status yet, or whose status is filed under another unit
    (the board counts statuses by unit): recomputed when the roster changes."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        Person.objects.filter(unit_id__in=ids)
        .filter(Q(status__isnull=True) | ~Q(status__unit_id=F("unit_id")))
        .values_list("pk", flat=True)
    )
