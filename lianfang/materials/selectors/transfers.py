"""Reads of requests, offers, transfers, what is in transit, the flows between units and the
rebalancing proposals. Every queryset that reaches a user is restricted to the viewer's scope
(a transfer is in scope when either of its units is)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When

from lianfang.core.scoping import Action
from lianfang.materials.choices import MovementKind, RequestStatus, TransferStatus, Urgency
from lianfang.materials.models import (
    Item,
    MaterialRequest,
    Movement,
    Offer,
    RebalanceProposal,
    Stock,
    Transfer,
    TransferLine,
)
from lianfang.materials.supply import supply_table
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths, units_where

IN_TRANSIT = (TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED)
NOT_SHIPPED = (TransferStatus.PROPOSED, TransferStatus.APPROVED)
REQUEST_WAITING = "waiting"  # the request list's "open or partly covered" filter
WAITING = ("approve", "ship", "receive")  # the transfer list's "waiting for me to…" filter
TRANSFER = "materials.transfer"


def _rank(field: str, order: list[str]) -> Case:
    """An integer that sorts ``field`` in the given order (unknown values last)."""
    return Case(
        *(When(**{field: value}, then=Value(n)) for n, value in enumerate(order)),
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def request_list(*, viewer, status: str | None = None, action: str = Action.VIEW) -> QuerySet[MaterialRequest]:
    """Requests in scope, what still needs covering first: open and partly covered before covered and
    cancelled; among them critical, then urgent, then the earliest needed; newest last of all."""
    qs = MaterialRequest.objects.restrict(viewer, action).select_related("unit", "item", "created_by")
    if status == REQUEST_WAITING:
        qs = qs.filter(status__in=[RequestStatus.OPEN, RequestStatus.PARTLY])
    elif status:
        qs = qs.filter(status=status)
    return qs.annotate(
        status_rank=_rank("status", [RequestStatus.OPEN, RequestStatus.PARTLY, RequestStatus.COVERED]),
        urgency_rank=_rank("urgency", [Urgency.CRITICAL, Urgency.URGENT, Urgency.NORMAL]),
    ).order_by("status_rank", "urgency_rank", F("needed_by").asc(nulls_last=True), "-created", "-pk")


def offer_list(*, viewer, status: str | None = None, action: str = Action.VIEW) -> QuerySet[Offer]:
    qs = Offer.objects.restrict(viewer, action).select_related("unit", "item", "created_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created", "-pk")


def _under(viewer, field: str, action: str) -> Q:
    """Rows whose ``field`` unit lies where the viewer may ``action`` transfers (one path prefix each)."""
    if getattr(viewer, "is_superuser", False):
        return Q()
    paths = allowed_paths(viewer, TRANSFER, action) if getattr(viewer, "is_authenticated", False) else []
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__path__startswith": path})
    return q


def waiting_for(viewer, what: str) -> Q:
    """Transfers waiting for the viewer's step: ``approve`` (proposed, and the viewer is the office
    above both units), ``ship`` (approved, and the viewer keeps the sending unit's store) or
    ``receive`` (in transit, and the viewer keeps the receiving unit's store). Shipping and receiving
    are not waiting for the office above both units, though it may do them."""
    office = _under(viewer, "from_unit", Action.APPROVE) & _under(viewer, "to_unit", Action.APPROVE)
    if what == "approve":
        return Q(status=TransferStatus.PROPOSED) & office
    if getattr(viewer, "is_superuser", False):
        return Q(pk__in=[])  # the office's step is approving; shipping and receiving are the keepers'
    # The office may ship or receive for a unit too, but that is the keepers' step, not waiting for it.
    if what == "ship":
        return Q(status=TransferStatus.APPROVED) & _under(viewer, "from_unit", Action.CHANGE) & ~office
    if what == "receive":
        return Q(status__in=IN_TRANSIT) & _under(viewer, "to_unit", Action.CHANGE) & ~office
    raise ValueError(what)


def transfer_list(
    *,
    viewer,
    status: str | None = None,
    unit: Unit | None = None,
    in_transit: bool = False,
    waiting: str | None = None,
    action: str = Action.VIEW,
) -> QuerySet[Transfer]:
    """Transfers the viewer may see; ``unit`` keeps those sent or received by the unit or its subtree;
    ``waiting`` (approve, ship, receive) those waiting for the viewer's step.

    Those waiting for the viewer (to approve, ship or receive) come first, then the newest;
    ``needs_me`` names the step ("approve", "ship", "receive" or "")."""
    qs = Transfer.objects.restrict(viewer, action).select_related("from_unit", "to_unit")
    if status:
        qs = qs.filter(status=status)
    if in_transit:
        qs = qs.filter(status__in=IN_TRANSIT)
    if unit is not None:
        units = Unit.objects.filter(path__startswith=unit.path).values("pk")
        qs = qs.filter(from_unit__in=units) | qs.filter(to_unit__in=units)
    if waiting:
        qs = qs.filter(waiting_for(viewer, waiting))
    needs_me = Case(
        *(When(waiting_for(viewer, step), then=Value(step)) for step in WAITING),
        default=Value(""),
    )
    lines = TransferLine.objects.select_related("item").order_by("pk")
    return (
        qs.annotate(needs_me=needs_me)
        .annotate(needs_rank=Case(When(needs_me="", then=Value(1)), default=Value(0), output_field=IntegerField()))
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("needs_rank", "-created", "-pk")
    )


def waiting_counts(*, viewer) -> dict[str, int]:
    """How many transfers wait for the viewer to approve, ship and receive (the home page's to-dos)."""
    qs = Transfer.objects.restrict(viewer, Action.VIEW)
    return {step: qs.filter(waiting_for(viewer, step)).count() for step in WAITING}


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


# --- choosing a donor, checking the sender ------------------------------------------------------


def promised_out(unit_ids, item_ids, *, exclude: Transfer | None = None) -> dict[tuple[int, int], Decimal]:
    """Per (unit, item): what the unit already promised to send (transfers proposed or approved, not
    shipped yet). One grouped query over the open transfer lines of those units and items."""
    rows = TransferLine.objects.filter(
        transfer__status__in=NOT_SHIPPED, transfer__from_unit_id__in=list(unit_ids), item_id__in=list(item_ids)
    )
    if exclude is not None:
        rows = rows.exclude(transfer=exclude)
    return {
        (u, i): q
        for u, i, q in rows.order_by()
        .values_list("transfer__from_unit_id", "item_id")
        .annotate(q=Sum("quantity"))
        .values_list("transfer__from_unit_id", "item_id", "q")
    }


@dataclass(frozen=True)
class DonorCandidate:
    """A unit that could send an item: what it holds, how long that lasts, and what it can give.

    ``surplus`` is what it can give without going below its own target days of supply nor its
    reorder threshold, after what it already promised to other transfers; whole numbers for items
    counted in pieces."""

    unit: Unit
    on_hand: Decimal
    promised: Decimal
    daily_use: Decimal
    days_of_supply: Decimal | None
    target_days: int
    threshold: Decimal
    surplus: Decimal

    @property
    def keeps(self) -> Decimal:
        """What the unit keeps for itself: its target days of supply, at least its threshold."""
        return max(self.daily_use * self.target_days, self.threshold)


def _surplus(item: Item, on_hand: Decimal, promised: Decimal, keep: Decimal) -> Decimal:
    free = on_hand - promised - keep
    if free <= 0:
        return Decimal(0)
    if item.is_counted:
        return free.to_integral_value(rounding=ROUND_FLOOR)
    return free.quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def donor_candidates(*, item: Item, units: QuerySet[Unit], exclude_unit: Unit | None = None) -> list[DonorCandidate]:
    """The units among ``units`` (already restricted to where the viewer may act) that hold ``item``,
    with on hand, days of supply and surplus, the largest surplus first (then the most days of
    supply). One supply-table call for those units and this item only (a week of its issues), one
    query for their promises: never every movement."""
    holders = (
        Stock.objects.filter(item=item, on_hand__gt=0, unit__in=units.filter(is_active=True).values("pk"))
        .order_by()
        .values_list("unit_id", flat=True)
    )
    if exclude_unit is not None:
        holders = holders.exclude(unit_id=exclude_unit.pk)
    ids = list(holders)
    if not ids:
        return []
    table = supply_table(unit_ids=ids, item_ids=[item.pk])
    promised = promised_out(ids, [item.pk])
    unit_objects = Unit.objects.in_bulk(ids)
    out = []
    for pk in ids:
        row = table.get((pk, item.pk))
        if row is None:
            continue
        owed = promised.get((pk, item.pk), Decimal(0))
        keep = max(row.daily_use * row.target_days, row.threshold)
        out.append(
            DonorCandidate(
                unit=unit_objects[pk],
                on_hand=row.on_hand,
                promised=owed,
                daily_use=row.daily_use,
                days_of_supply=row.days_of_supply,
                target_days=row.target_days,
                threshold=row.threshold,
                surplus=_surplus(item, row.on_hand, owed, keep),
            )
        )
    far = Decimal("1e9")  # no daily use: the stock lasts "for ever"
    out.sort(
        key=lambda c: (
            -c.surplus,
            -(c.days_of_supply if c.days_of_supply is not None else far),
            -c.on_hand,
            c.unit.path,
        )
    )
    return out


def request_donors(*, viewer, request: MaterialRequest, action: str = Action.APPROVE) -> list[DonorCandidate]:
    """Who could cover a request: the units holding its item where the viewer may ``action`` transfers
    (approve: the office matching it; add: a keeper pledging), the request's own unit left out."""
    return donor_candidates(item=request.item, units=units_where(viewer, Transfer, action), exclude_unit=request.unit)


@dataclass(frozen=True)
class Shortage:
    """A line the sending unit cannot cover now: it has ``on_hand``, of which ``promised`` goes to
    other transfers not yet shipped, and this transfer needs ``needed``."""

    item: Item
    needed: Decimal
    on_hand: Decimal
    promised: Decimal

    @property
    def available(self) -> Decimal:
        return max(self.on_hand - self.promised, Decimal(0))


def sender_shortages(transfer: Transfer) -> list[Shortage]:
    """The lines of a transfer not yet shipped that the sending unit does not have the stock for,
    counting what it promised to its other open transfers (shown before the office approves)."""
    lines = list(transfer.lines.select_related("item").order_by("pk"))
    items = [line.item_id for line in lines]
    stock = dict(
        Stock.objects.filter(unit_id=transfer.from_unit_id, item_id__in=items).values_list("item_id", "on_hand")
    )
    promised = promised_out([transfer.from_unit_id], items, exclude=transfer)
    out = []
    for line in lines:
        have = stock.get(line.item_id, Decimal(0))
        owed = promised.get((transfer.from_unit_id, line.item_id), Decimal(0))
        if line.quantity > have - owed:
            out.append(Shortage(item=line.item, needed=line.quantity, on_hand=have, promised=owed))
    return out


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
    packs: int | None = None  # whole packs of ``pack_size`` (items with a pack size)
    pack_size: int | None = None
    front_people: tuple[int, int] | None = None  # (front-line people, people) at the receiver
    front_request: bool = False  # front line because of an open front-line request


def proposal_lines(proposal: RebalanceProposal) -> list[ProposalLine]:
    """The proposal's lines with unit and item objects and days of supply before → after (all lines kept),
    the packs each quantity makes and why a receiver counts as front line."""
    summary = proposal.summary or {}
    lines = summary.get("lines", [])
    units = Unit.objects.in_bulk({line["from"] for line in lines} | {line["to"] for line in lines})
    items = Item.objects.in_bulk({line["item"] for line in lines})
    positions = {}
    reasons = {}
    for u, i, level, use, target, front, *why in summary.get("levels", []):
        positions[(u, i)] = (level, use, target, front)
        reasons[(u, i)] = why[0] if why else None
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
        why = reasons.get((line["to"], line["item"]))
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
                packs=line.get("packs"),
                pack_size=line.get("pack_size"),
                front_people=tuple(why) if isinstance(why, list) else None,
                front_request=why == "request",
            )
        )
    return out
