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


FRONT_LINE_SHARE = Decimal("0.5")


def front_line_units(unit_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The units (among ``unit_ids``) where the front line works: at least half of the active people
    of the unit itself are tagged front line (一线), as at heat stations, communities, markets or a fleet.
    ``{unit id: (front-line people, people)}``. A company whose front-line people work at its sites
    is not front line itself (its sites are); nor is an office with one front-line person among thirty.
    One grouped query."""
    from django.db.models import Count

    from lianfang.materials.supply import FRONT_LINE_TAG
    from lianfang.people.choices import EmploymentStatus
    from lianfang.people.models import Person

    rows = (
        Person.objects.filter(employment_status=EmploymentStatus.ACTIVE, unit_id__in=list(unit_ids))
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk", distinct=True), front=Count("pk", filter=Q(tags__code=FRONT_LINE_TAG), distinct=True))
        .values_list("unit_id", "front", "n")
    )
    return {u: (front, n) for u, front, n in rows if front and front >= FRONT_LINE_SHARE * n}


def proposal_positions(
    scope_unit: Unit, item_ids: Sequence[int] | None = None
) -> tuple[list[rebalance.Position], dict[int, int | None], dict[int, Item]]:
    """The solver's input for a subtree: supply rows, minus what is promised away and plus what
    is promised in; in whole packs where the item has a pack size; front line where most of the
    unit's own people work the front line (:func:`front_line_units`) or it has an open front-line
    request for the item."""
    positions, parents, items, _why = _positions(scope_unit, item_ids)
    return positions, parents, items


def _positions(
    scope_unit: Unit, item_ids: Sequence[int] | None = None
) -> tuple[list[rebalance.Position], dict[int, int | None], dict[int, Item], dict[tuple[int, int], list | str]]:
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
    front_people = front_line_units({u for u, _i in table if u in parents})
    positions = []
    why: dict[
        tuple[int, int], list | str
    ] = {}  # why a position is front line: [front-line people, people] or "request"
    for (u, i), row in table.items():
        if u not in parents:
            continue
        if u in front_people:
            why[(u, i)] = list(front_people[u])
        elif (u, i) in front_requests:
            why[(u, i)] = "request"
        positions.append(
            rebalance.Position(
                unit=u,
                item=i,
                on_hand=float(row.on_hand - out.get((u, i), 0)),
                in_transit_in=float(row.in_transit_in + into.get((u, i), 0)),
                daily_use=float(row.daily_use),
                target_days=float(row.target_days or 0),
                front_line=(u, i) in why,
                whole=items[i].is_counted,
                pack=max(items[i].pack_size or 1, 1),
            )
        )
    return positions, parents, items, why


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
    positions, parents, items, why = _positions(scope_unit, item_ids)
    plan = rebalance.solve(positions, parents=parents, max_shipments=int(max_shipments))
    by_key = {(p.unit, p.item): p for p in positions}
    lines = []
    for n, move in enumerate(plan.moves, start=1):
        item = items[move.item]
        quantity = _dec(item, move.quantity)
        line = {
            "id": n,
            "from": move.from_unit,
            "to": move.to_unit,
            "item": move.item,
            "quantity": str(quantity),
            "dropped": False,
        }
        if item.pack_size > 1:
            line["pack_size"] = item.pack_size
            line["packs"] = int(quantity // item.pack_size)
        lines.append(line)
    touched = {(m.from_unit, m.item) for m in plan.moves} | {(m.to_unit, m.item) for m in plan.moves}
    summary = {
        "items": sorted(items),
        "method": plan.method,
        "seconds": round(plan.seconds, 3),
        # What a front-line unit's shortfall counts for against anyone else's (shown on the proposal).
        "front_line_weight": rebalance.FRONT_LINE_WEIGHT,
        "front_line_units": len({u for u, _i in why}),
        "levels": [
            # unit, item, level (on hand + in transit, after promises), daily use, target days, front line,
            # why front line ([front-line people, people], "request" or None)
            [
                u,
                i,
                by_key[(u, i)].on_hand + by_key[(u, i)].in_transit_in,
                by_key[(u, i)].daily_use,
                by_key[(u, i)].target_days,
                by_key[(u, i)].front_line,
                why.get((u, i)),
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
        for u, i, level, use, target, front, *_why in summary.get("levels", [])
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
