"""Reads of requests, offers, transfers, what is in transit, the flows between units and the
rebalancing proposals. Every queryset that reaches a user is restricted to the viewer's scope
(a transfer is in scope when either of its units is)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from lianfang.core.scoping import Action
from lianfang.materials.choices import MovementKind, TransferStatus
from lianfang.materials.models import (
    Item,
    MaterialRequest,
    Movement,
    Offer,
    RebalanceProposal,
    Transfer,
    TransferLine,
)
from lianfang.org.models import Unit

IN_TRANSIT = (TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED)


def request_list(*, viewer, status: str | None = None, action: str = Action.VIEW) -> QuerySet[MaterialRequest]:
    qs = MaterialRequest.objects.restrict(viewer, action).select_related("unit", "item", "created_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created", "-pk")


def offer_list(*, viewer, status: str | None = None, action: str = Action.VIEW) -> QuerySet[Offer]:
    qs = Offer.objects.restrict(viewer, action).select_related("unit", "item", "created_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created", "-pk")


def transfer_list(
    *,
    viewer,
    status: str | None = None,
    unit: Unit | None = None,
    in_transit: bool = False,
    action: str = Action.VIEW,
) -> QuerySet[Transfer]:
    """Transfers the viewer may see; ``unit`` keeps those sent or received by the unit or its subtree."""
    qs = Transfer.objects.restrict(viewer, action).select_related("from_unit", "to_unit")
    if status:
        qs = qs.filter(status=status)
    if in_transit:
        qs = qs.filter(status__in=IN_TRANSIT)
    if unit is not None:
        units = Unit.objects.filter(path__startswith=unit.path).values("pk")
        qs = qs.filter(from_unit__in=units) | qs.filter(to_unit__in=units)
    lines = TransferLine.objects.select_related("item").order_by("pk")
    return qs.prefetch_related(Prefetch("lines", queryset=lines)).order_by("-created", "-pk")


def transfer_get(*, viewer, pk: int) -> Transfer | None:
    return (
        transfer_list(viewer=viewer)
        .select_related("request", "offer", "proposal", "created_by", "approved_by", "shipped_by")
        .prefetch_related("receipts__created_by")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class TransitRow:
    transfer: Transfer
    line: TransferLine

    @property
    def in_transit(self) -> Decimal:
        return self.line.shipped - self.line.received


def in_transit_lines(*, viewer, unit: Unit | None = None) -> list[TransitRow]:
    """Every line shipped and not yet (all) received, oldest shipment first."""
    transfers = transfer_list(viewer=viewer, unit=unit, in_transit=True).order_by("shipped", "pk")
    return [
        TransitRow(transfer=t, line=line) for t in transfers for line in t.lines.all() if line.shipped > line.received
    ]


@dataclass(frozen=True)
class TransitTotal:
    unit: Unit
    item: Item
    incoming: Decimal
    outgoing: Decimal


def in_transit_by_unit(*, viewer, unit: Unit | None = None) -> list[TransitTotal]:
    """Per unit and item: what is on its way to it and what it sent that has not arrived yet."""
    rows = in_transit_lines(viewer=viewer, unit=unit)
    totals: dict[tuple[int, int], list] = {}
    units: dict[int, Unit] = {}
    items: dict[int, Item] = {}
    for row in rows:
        qty = row.in_transit
        for side, sign in ((row.transfer.to_unit, 0), (row.transfer.from_unit, 1)):
            units[side.pk] = side
            items[row.line.item_id] = row.line.item
            entry = totals.setdefault((side.pk, row.line.item_id), [Decimal(0), Decimal(0)])
            entry[sign] += qty
    visible = set(Unit.objects.restrict(viewer, Action.VIEW).filter(pk__in=units).values_list("pk", flat=True))
    out = [
        TransitTotal(unit=units[u], item=items[i], incoming=v[0], outgoing=v[1])
        for (u, i), v in totals.items()
        if u in visible
    ]
    return sorted(out, key=lambda r: (r.unit.path, r.item.sort, r.item.code))


# --- flows between units ------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    from_unit: Unit
    to_unit: Unit
    item: Item
    quantity: Decimal
    transfers: int


def flows(*, viewer, date_from: datetime.date, date_to: datetime.date, item: Item | None = None) -> list[Flow]:
    """What arrived between units in the period (receipts' ``TRANSFER_IN`` movements), per
    (sending unit, receiving unit, item), over the transfers the viewer may see."""
    visible = Transfer.objects.restrict(viewer, Action.VIEW)
    moves = Movement.objects.filter(
        kind=MovementKind.TRANSFER_IN,
        date__gte=date_from,
        date__lte=date_to,
        reference__in=visible.values("number"),
    )
    if item is not None:
        moves = moves.filter(item=item)
    received = list(moves.order_by().values_list("reference", "item_id").annotate(q=Sum("quantity")))
    numbers = {ref for ref, _i, _q in received}
    ends = {
        number: (f, t)
        for number, f, t in visible.filter(number__in=numbers).values_list("number", "from_unit_id", "to_unit_id")
    }
    totals: dict[tuple[int, int, int], list] = defaultdict(lambda: [Decimal(0), set()])
    for ref, item_id, q in received:
        key = (*ends[ref], item_id)
        totals[key][0] += q
        totals[key][1].add(ref)
    units = Unit.objects.in_bulk({k[0] for k in totals} | {k[1] for k in totals})
    items = Item.objects.in_bulk({k[2] for k in totals})
    out = [Flow(units[f], units[t], items[i], value[0], len(value[1])) for (f, t, i), value in totals.items()]
    return sorted(out, key=lambda r: (-r.quantity, r.from_unit.path, r.to_unit.path))


def flow_items(*, viewer, date_from: datetime.date, date_to: datetime.date) -> QuerySet[Item]:
    """Items that moved between units in the period, for the chart's item choice."""
    visible = Transfer.objects.restrict(viewer, Action.VIEW)
    ids = (
        Movement.objects.filter(
            kind=MovementKind.TRANSFER_IN,
            date__gte=date_from,
            date__lte=date_to,
            reference__in=visible.values("number"),
        )
        .order_by()
        .values("item_id")
    )
    return Item.objects.filter(pk__in=ids)


# --- proposals ----------------------------------------------------------------------------------


def proposal_list(*, viewer) -> QuerySet[RebalanceProposal]:
    return (
        RebalanceProposal.objects.restrict(viewer, Action.VIEW)
        .select_related("scope_unit", "created_by", "decided_by")
        .order_by("-created", "-pk")
    )


@dataclass(frozen=True)
class ProposalLine:
    id: int
    from_unit: Unit | None
    to_unit: Unit | None
    item: Item | None
    quantity: Decimal
    dropped: bool
    from_days: tuple[float | None, float | None]
    to_days: tuple[float | None, float | None]
    to_target: float | None
    front_line: bool


def proposal_lines(proposal: RebalanceProposal) -> list[ProposalLine]:
    """The proposal's lines with unit and item objects and days of supply before → after (all lines kept)."""
    summary = proposal.summary or {}
    lines = summary.get("lines", [])
    units = Unit.objects.in_bulk({line["from"] for line in lines} | {line["to"] for line in lines})
    items = Item.objects.in_bulk({line["item"] for line in lines})
    positions = {(u, i): (level, use, target, front) for u, i, level, use, target, front in summary.get("levels", [])}
    delta: dict[tuple[int, int], float] = defaultdict(float)
    for line in lines:
        if not line.get("dropped"):
            delta[(line["from"], line["item"])] -= float(line["quantity"])
            delta[(line["to"], line["item"])] += float(line["quantity"])

    def days(unit: int, item: int) -> tuple[float | None, float | None]:
        level, use, _t, _f = positions.get((unit, item), (0, 0, 0, False))
        if not use:
            return (None, None)
        return (round(level / use, 1), round((level + delta.get((unit, item), 0.0)) / use, 1))

    out = []
    for line in lines:
        to_pos = positions.get((line["to"], line["item"]))
        out.append(
            ProposalLine(
                id=line["id"],
                from_unit=units.get(line["from"]),
                to_unit=units.get(line["to"]),
                item=items.get(line["item"]),
                quantity=Decimal(line["quantity"]),
                dropped=bool(line.get("dropped")),
                from_days=days(line["from"], line["item"]),
                to_days=days(line["to"], line["item"]),
                to_target=to_pos[2] if to_pos else None,
                front_line=bool(to_pos[3]) if to_pos else False,
            )
        )
    return out
