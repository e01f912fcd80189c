"""Writes of group rebalancing proposals: run the solver over a subtree, review the lines, turn the
kept lines into approved transfers in one action, or discard. The solver itself is pure and lives
in :mod:`lianfang.materials.rebalance`; the transfers are made by :mod:`transfer_services`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.materials import rebalance
from lianfang.materials.choices import ProposalStatus, RequestStatus
from lianfang.materials.models import Item, MaterialRequest, RebalanceProposal, Transfer, TransferLine
from lianfang.materials.services.transfers import NOT_SHIPPED, LineInput, _create_transfer
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope

MAX_SHIPMENTS_LIMIT = 5000


# --- rebalancing proposals ----------------------------------------------------------------------


def _pending(unit_ids: Iterable[int]) -> tuple[dict[tuple[int, int], Decimal], dict[tuple[int, int], Decimal]]:
    """Agreed or proposed but not shipped: (out of the donor, into the receiver), per (unit, item).
    A second proposal must not hand out the same surplus again."""
    ids = list(unit_ids)
    out: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    into: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    rows = (
        TransferLine.objects.filter(transfer__status__in=NOT_SHIPPED)
        .filter(Q(transfer__from_unit_id__in=ids) | Q(transfer__to_unit_id__in=ids))
        .values_list("transfer__from_unit_id", "transfer__to_unit_id", "item_id", "quantity")
    )
    for f, t, i, q in rows:
        out[(f, i)] += q
        into[(t, i)] += q
    return out, into


def proposal_positions(
    scope_unit: Unit, item_ids: Sequence[int] | None = None
) -> tuple[list[rebalance.Position], dict[int, int | None], dict[int, Item]]:
    """The solver's input for a subtree: supply rows, minus what is promised away and plus what
    is promised in; front line where the unit has front-line people or an open front-line request."""
    from lianfang.materials.supply import supply_table

    subtree = Unit.objects.filter(path__startswith=scope_unit.path)
    units = list(subtree.filter(Q(is_active=True) | Q(pk=scope_unit.pk)).values_list("pk", "path"))
    by_path = {path: pk for pk, path in units}
    steplen = Unit.steplen
    parents: dict[int, int | None] = {}
    for pk, path in units:
        # Under an inactive unit, a unit hangs from the scope's root: the tree only prices distance.
        parents[pk] = by_path.get(path[:-steplen], scope_unit.pk) if pk != scope_unit.pk else None
    table = supply_table(unit_ids=[pk for pk, _p in units], item_ids=item_ids)
    items = {i.pk: i for i in Item.objects.filter(pk__in={i for _u, i in table})}
    out, into = _pending(parents)
    front_requests = set(
        MaterialRequest.objects.filter(
            unit_id__in=list(parents), front_line=True, status__in=[RequestStatus.OPEN, RequestStatus.PARTLY]
        ).values_list("unit_id", "item_id")
    )
    positions = []
    for (u, i), row in table.items():
        if u not in parents:
            continue
        positions.append(
            rebalance.Position(
                unit=u,
                item=i,
                on_hand=float(row.on_hand - out.get((u, i), 0)),
                in_transit_in=float(row.in_transit_in + into.get((u, i), 0)),
                daily_use=float(row.daily_use),
                target_days=float(row.target_days or 0),
                front_line=row.front_line_headcount > 0 or (u, i) in front_requests,
                whole=items[i].is_counted,
            )
        )
    return positions, parents, items


def _dec(item: Item, value: float) -> Decimal:
    return Decimal(round(value)) if item.is_counted else Decimal(str(round(value, 2)))


@transaction.atomic
def proposal_create(
    *, actor, scope_unit: Unit, max_shipments: int, item_ids: Sequence[int] | None = None
) -> RebalanceProposal:
    """Run the solver over a subtree and keep its lines for the office to review."""
    if not can(actor, Action.ADD, RebalanceProposal, scope_unit):
        raise PermissionDenied(
            _("Only the group prevention office can run a rebalancing proposal for %(unit)s.")
            % {"unit": scope_unit.name}
        )
    if not 1 <= int(max_shipments) <= MAX_SHIPMENTS_LIMIT:
        raise ValidationError({"max_shipments": _("Allow between 1 and %(n)d shipments.") % {"n": MAX_SHIPMENTS_LIMIT}})
    started = time.perf_counter()
    positions, parents, items = proposal_positions(scope_unit, item_ids)
    plan = rebalance.solve(positions, parents=parents, max_shipments=int(max_shipments))
    by_key = {(p.unit, p.item): p for p in positions}
    lines = []
    for n, move in enumerate(plan.moves, start=1):
        item = items[move.item]
        lines.append(
            {
                "id": n,
                "from": move.from_unit,
                "to": move.to_unit,
                "item": move.item,
                "quantity": str(_dec(item, move.quantity)),
                "dropped": False,
            }
        )
    touched = {(m.from_unit, m.item) for m in plan.moves} | {(m.to_unit, m.item) for m in plan.moves}
    summary = {
        "items": sorted(items),
        "method": plan.method,
        "seconds": round(plan.seconds, 3),
        "levels": [
            # unit, item, level (on hand + in transit, after promises), daily use, target days, front line
            [
                u,
                i,
                by_key[(u, i)].on_hand + by_key[(u, i)].in_transit_in,
                by_key[(u, i)].daily_use,
                by_key[(u, i)].target_days,
                by_key[(u, i)].front_line,
            ]
            for (u, i) in sorted(touched)
        ],
        **rebalance.summarise(positions, plan.moves),
        "lines": lines,
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    proposal = RebalanceProposal(
        scope_unit=scope_unit, max_shipments=int(max_shipments), summary=summary, created_by=actor
    )
    proposal.save()
    record_change(actor=actor, obj=proposal, action=ChangeAction.CREATE)
    ensure_in_scope(actor, proposal, Action.VIEW)
    return proposal


def proposal_after(proposal: RebalanceProposal) -> dict:
    """The summary's "after" for the lines still kept (the office may have dropped some)."""
    summary = proposal.summary
    kept = [line for line in summary.get("lines", []) if not line.get("dropped")]
    if len(kept) == len(summary.get("lines", [])):
        return summary.get("after", {})
    positions = [
        rebalance.Position(unit=u, item=i, on_hand=level, daily_use=use, target_days=target, front_line=front)
        for u, i, level, use, target, front in summary.get("levels", [])
    ]
    moves = [rebalance.Move(line["from"], line["to"], line["item"], float(line["quantity"])) for line in kept]
    touched = rebalance.summarise(positions, moves)
    untouched = rebalance.summarise(positions, [])
    before = summary.get("before", {})
    after = dict(summary.get("after", {}))
    for key in ("below_target", "front_line_below_target"):
        after[key] = before.get(key, 0) - untouched["after"][key] + touched["after"][key]
    return after


def _ensure_draft(proposal: RebalanceProposal) -> None:
    if proposal.status != ProposalStatus.DRAFT:
        raise ValidationError(
            _("This proposal was already %(status)s: run a new one.") % {"status": proposal.get_status_display()}
        )


@transaction.atomic
def proposal_set_lines(*, actor, proposal: RebalanceProposal, dropped: Iterable[int]) -> RebalanceProposal:
    """Drop lines (and bring back the others): ``dropped`` are the ids of the lines left out."""
    proposal = RebalanceProposal.objects.select_for_update().select_related("scope_unit").get(pk=proposal.pk)
    if not can(actor, Action.CHANGE, RebalanceProposal, proposal.scope_unit):
        raise PermissionDenied(_("Only the group prevention office reviews rebalancing proposals."))
    _ensure_draft(proposal)
    drop = {int(pk) for pk in dropped}
    known = {line["id"] for line in proposal.summary.get("lines", [])}
    unknown = drop - known
    if unknown:
        raise ValidationError(
            {"dropped": _("The proposal has no line %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))}}
        )
    before = snapshot(proposal)
    summary = dict(proposal.summary)
    summary["lines"] = [{**line, "dropped": line["id"] in drop} for line in summary.get("lines", [])]
    proposal.summary = summary
    proposal.save(update_fields=["summary"])
    record_change(actor=actor, obj=proposal, action=ChangeAction.UPDATE, before=before)
    return proposal


@transaction.atomic
def proposal_accept(*, actor, proposal: RebalanceProposal) -> list[Transfer]:
    """Turn the kept lines into approved transfers, one per (sending, receiving) unit, in one action."""
    proposal = RebalanceProposal.objects.select_for_update().select_related("scope_unit").get(pk=proposal.pk)
    scope = proposal.scope_unit
    if not (can(actor, Action.APPROVE, RebalanceProposal, scope) and can(actor, Action.APPROVE, Transfer, scope)):
        raise PermissionDenied(
            _("Only the group prevention office above %(unit)s can turn this proposal into transfers.")
            % {"unit": scope.name}
        )
    _ensure_draft(proposal)
    kept = [line for line in proposal.summary.get("lines", []) if not line.get("dropped")]
    if not kept:
        raise ValidationError(_("Every line was dropped: keep at least one, or discard the proposal."))
    unit_ids = {line["from"] for line in kept} | {line["to"] for line in kept}
    units = Unit.objects.in_bulk(unit_ids)
    items = Item.objects.in_bulk({line["item"] for line in kept})
    outside = [u.name for u in units.values() if not u.path.startswith(scope.path)]
    if outside or len(units) != len(unit_ids):
        raise ValidationError(
            _("Some units of this proposal are no longer under %(unit)s: run a new one.") % {"unit": scope.name}
        )
    grouped: dict[tuple[int, int], list[LineInput]] = defaultdict(list)
    for line in kept:
        grouped[(line["from"], line["to"])].append(LineInput(items[line["item"]], Decimal(line["quantity"])))
    note = _("Rebalancing proposal %(n)s") % {"n": proposal.pk}
    transfers = [
        _create_transfer(
            actor=actor,
            from_unit=units[f],
            to_unit=units[t],
            lines=lines,
            approved=True,
            note=note,
            proposal=proposal,
        )
        for (f, t), lines in sorted(grouped.items())
    ]
    before = snapshot(proposal)
    proposal.status = ProposalStatus.ACCEPTED
    proposal.decided = timezone.now()
    proposal.decided_by = actor
    proposal.save(update_fields=["status", "decided", "decided_by"])
    record_change(
        actor=actor,
        obj=proposal,
        action=ChangeAction.UPDATE,
        before=before,
        extra_after={"transfers": [t.number for t in transfers]},
    )
    return transfers


@transaction.atomic
def proposal_discard(*, actor, proposal: RebalanceProposal) -> RebalanceProposal:
    proposal = RebalanceProposal.objects.select_for_update().select_related("scope_unit").get(pk=proposal.pk)
    if not can(actor, Action.CHANGE, RebalanceProposal, proposal.scope_unit):
        raise PermissionDenied(_("Only the group prevention office reviews rebalancing proposals."))
    _ensure_draft(proposal)
    before = snapshot(proposal)
    proposal.status = ProposalStatus.DISCARDED
    proposal.decided = timezone.now()
    proposal.decided_by = actor
    proposal.save(update_fields=["status", "decided", "decided_by"])
    record_change(actor=actor, obj=proposal, action=ChangeAction.UPDATE, before=before)
    return proposal
