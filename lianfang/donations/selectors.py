"""Reads of donations, money collections and the emergency fund. Every queryset that reaches a user
passes through ``restrict(viewer, action)``; contributions (which have no unit scope of their own)
are shown whole to whoever may view the collection's organiser, and otherwise only for the
viewer's own units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from lianfang.core.scoping import Action
from lianfang.donations.choices import Direction, DonationKind, SpendingStatus
from lianfang.donations.models import Collection, Contribution, Donation, DonationLine, Fund, Spending
from lianfang.materials.models import Item
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.roles import ROLE_PERMISSIONS
from lianfang.org.scoping import can, units_where

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(expression: str, **filters) -> Coalesce:
    return Coalesce(Sum(expression, filter=Q(**filters) if filters else None), Value(ZERO), output_field=_MONEY)


# --- donations ----------------------------------------------------------------------------------


def donation_list(
    *,
    viewer,
    direction: str | None = None,
    kind: str | None = None,
    unit: Unit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    cancelled: bool | None = None,
    action: str = Action.VIEW,
) -> QuerySet[Donation]:
    """Donations the viewer may see; ``unit`` includes its sub-units."""
    qs = Donation.objects.restrict(viewer, action).select_related("unit", "collection", "created_by")
    if direction:
        qs = qs.filter(direction=direction)
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if cancelled is not None:
        qs = qs.filter(cancelled__isnull=not cancelled)
    return qs.order_by("-date", "-pk")


def donation_lines(donation: Donation) -> list[DonationLine]:
    return list(donation.lines.select_related("item").order_by("item__sort", "item__code"))


def donation_items() -> QuerySet[Item]:
    """The catalogue items a donation may list."""
    return Item.objects.filter(is_active=True).order_by("sort", "code")


# --- collections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionTotals:
    collected: Decimal
    passed_on: Decimal
    donors: int
    units: int

    @property
    def left(self) -> Decimal:
        return self.collected - self.passed_on


def collection_totals(collection: Collection) -> CollectionTotals:
    """What the whole collection holds (not limited to a viewer: used for the pass-on check)."""
    given = Contribution.objects.filter(collection=collection).aggregate(
        total=_sum("amount"), donors=Coalesce(Sum("donors"), Value(0)), units=Count("unit", distinct=True)
    )
    passed = Donation.objects.filter(collection=collection, cancelled__isnull=True).aggregate(total=_sum("amount"))
    return CollectionTotals(
        collected=given["total"], passed_on=passed["total"], donors=given["donors"], units=given["units"]
    )


def collection_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Collection]:
    """Collections the viewer may see (those organised in their scope and those their units take
    part in), with the overall totals."""
    collected = (
        Contribution.objects.filter(collection=OuterRef("pk"))
        .order_by()
        .values("collection")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    passed = (
        Donation.objects.filter(collection=OuterRef("pk"), cancelled__isnull=True)
        .order_by()
        .values("collection")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Collection.objects.restrict(viewer, action)
        .select_related("organiser")
        .annotate(
            collected=Coalesce(Subquery(collected, output_field=_MONEY), Value(ZERO), output_field=_MONEY),
            passed_on=Coalesce(Subquery(passed, output_field=_MONEY), Value(ZERO), output_field=_MONEY),
        )
        .order_by("-opened_on", "-pk")
    )


def sees_whole_collection(viewer, collection: Collection) -> bool:
    """The organiser's scope sees every unit's gift; a taking-part unit sees its own."""
    return can(viewer, Action.VIEW, Collection, collection.organiser)


@dataclass
class LedgerRow:
    unit: Unit
    amount: Decimal
    donors: int
    gifts: list[Contribution] = field(default_factory=list)


@dataclass
class CollectionLedger:
    """The one ledger of a collection: who gave what, where it went, what is left."""

    collection: Collection
    totals: CollectionTotals
    whole: bool  # False: rows of the viewer's own units only (the totals are the collection's)
    rows: list[LedgerRow]
    passed_on: list[Donation]

    @property
    def shown_total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)


def contribution_rows(*, viewer, collection: Collection) -> QuerySet[Contribution]:
    qs = Contribution.objects.filter(collection=collection).select_related("unit", "created_by")
    if not sees_whole_collection(viewer, collection):
        qs = qs.filter(unit__in=units_where(viewer, Collection, Action.VIEW))
    return qs.order_by("unit__path", "date", "pk")


def collection_ledger(*, viewer, collection: Collection) -> CollectionLedger:
    rows: dict[int, LedgerRow] = {}
    for gift in contribution_rows(viewer=viewer, collection=collection):
        row = rows.setdefault(gift.unit_id, LedgerRow(unit=gift.unit, amount=ZERO, donors=0))
        row.amount += gift.amount
        row.donors += gift.donors or 0
        row.gifts.append(gift)
    passed = list(Donation.objects.filter(collection=collection).select_related("unit").order_by("date", "pk"))
    return CollectionLedger(
        collection=collection,
        totals=collection_totals(collection),
        whole=sees_whole_collection(viewer, collection),
        rows=list(rows.values()),
        passed_on=passed,
    )


def contribution_units(*, viewer, collection: Collection) -> QuerySet[Unit]:
    """Units whose gift the viewer may record to this collection: in their add scope and among the
    organiser's units."""
    return units_where(viewer, Collection, Action.ADD).filter(
        path__startswith=collection.organiser.path, is_active=True
    )


# --- the emergency fund -------------------------------------------------------------------------


def fund_list(*, viewer, unit: Unit | None = None, action: str = Action.VIEW) -> QuerySet[Fund]:
    qs = (
        Fund.objects.restrict(viewer, action)
        .select_related("unit")
        .annotate(waiting=Count("spendings", filter=Q(spendings__status=SpendingStatus.REQUESTED)))
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("unit__path", "name")


def spending_list(
    *, viewer, fund: Fund | None = None, status: str | None = None, action: str = Action.VIEW
) -> QuerySet[Spending]:
    qs = Spending.objects.restrict(viewer, action).select_related("fund", "unit", "requested_by", "decided_by")
    if fund is not None:
        qs = qs.filter(fund=fund)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested", "-pk")


def spending_units(*, viewer, fund: Fund) -> QuerySet[Unit]:
    """Units the viewer may request spending for from this fund."""
    return units_where(viewer, Spending, Action.ADD).filter(path__startswith=fund.unit.path, is_active=True)


def approvers_of(unit: Unit) -> list:
    """Users who may approve spending of ``unit``: an approve role on it or a unit above it."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Action.APPROVE in perms.get("donations.spending", ())]
    step = Unit.steplen
    paths = [unit.path[:end] for end in range(step, len(unit.path) + 1, step)]
    ids = RoleAssignment.objects.filter(role__in=roles, unit__path__in=paths).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))


# --- reports ------------------------------------------------------------------------------------


@dataclass
class MoneyRow:
    unit: Unit
    received: Decimal = ZERO
    given: Decimal = ZERO
    count: int = 0


@dataclass
class GoodsRow:
    unit: Unit | None
    item: Item
    received: Decimal = ZERO
    given: Decimal = ZERO


@dataclass
class DonationReport:
    date_from: datetime.date | None
    date_to: datetime.date | None
    money: list[MoneyRow]
    goods: list[GoodsRow]
    money_received: Decimal
    money_given: Decimal
    goods_totals: list[GoodsRow]  # per item, ``unit`` is the report's top unit (or None)


def donation_report(
    *,
    viewer,
    unit: Unit | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> DonationReport:
    """Donations received and given over a period, per unit in the viewer's scope: money by
    direction and goods by item. Cancelled donations do not count."""
    donations = donation_list(viewer=viewer, unit=unit, date_from=date_from, date_to=date_to, cancelled=False)
    units: dict[int, Unit] = {}
    money: dict[int, MoneyRow] = {}
    for row in (
        donations.filter(kind=DonationKind.MONEY)
        .order_by()
        .values("unit", "direction")
        .annotate(total=Sum("amount"), n=Count("pk"))
    ):
        units.setdefault(row["unit"], Unit(pk=row["unit"]))
        m = money.setdefault(row["unit"], MoneyRow(unit=units[row["unit"]]))
        if row["direction"] == Direction.IN:
            m.received += row["total"]
        else:
            m.given += row["total"]
        m.count += row["n"]
    goods: dict[tuple[int, int], GoodsRow] = {}
    items: dict[int, Item] = {}
    lines = (
        DonationLine.objects.filter(donation__in=donations.values("pk"))
        .order_by()
        .values("donation__unit", "item", "donation__direction")
        .annotate(total=Sum("quantity"))
    )
    for line in lines:
        unit_id, item_id = line["donation__unit"], line["item"]
        units.setdefault(unit_id, Unit(pk=unit_id))
        items.setdefault(item_id, Item(pk=item_id))
        g = goods.setdefault((unit_id, item_id), GoodsRow(unit=units[unit_id], item=items[item_id]))
        if line["donation__direction"] == Direction.IN:
            g.received += line["total"]
        else:
            g.given += line["total"]
    # Names in two queries, not one per row.
    real_units = {u.pk: u for u in Unit.objects.filter(pk__in=units)}
    real_items = {i.pk: i for i in Item.objects.filter(pk__in=items)}
    for m in money.values():
        m.unit = real_units[m.unit.pk]
    for (unit_id, item_id), g in goods.items():
        g.unit, g.item = real_units[unit_id], real_items[item_id]
    per_item: dict[int, GoodsRow] = {}
    for g in goods.values():
        total = per_item.setdefault(g.item.pk, GoodsRow(unit=unit, item=g.item))
        total.received += g.received
        total.given += g.given
    money_rows = sorted(money.values(), key=lambda r: r.unit.path)
    goods_rows = sorted(goods.values(), key=lambda r: (r.unit.path if r.unit else "", r.item.sort, r.item.code))
    return DonationReport(
        date_from=date_from,
        date_to=date_to,
        money=money_rows,
        goods=goods_rows,
        money_received=sum((r.received for r in money_rows), ZERO),
        money_given=sum((r.given for r in money_rows), ZERO),
        goods_totals=sorted(per_item.values(), key=lambda r: (r.item.sort, r.item.code)),
    )


def collections_summary(*, viewer) -> list[tuple[Collection, CollectionTotals]]:
    """Each visible collection with its overall totals (collected, passed on, left, units, people)."""
    return [(c, collection_totals(c)) for c in collection_list(viewer=viewer)]


@dataclass
class FundsSummary:
    funds: list[Fund]
    budget: Decimal
    committed: Decimal
    spent: Decimal
    waiting: int

    @property
    def balance(self) -> Decimal:
        return self.budget - self.committed - self.spent


def funds_summary(*, viewer, unit: Unit | None = None) -> FundsSummary:
    funds = list(fund_list(viewer=viewer, unit=unit))
    return FundsSummary(
        funds=funds,
        budget=sum((f.budget for f in funds), ZERO),
        committed=sum((f.committed for f in funds), ZERO),
        spent=sum((f.spent for f in funds), ZERO),
        waiting=sum(getattr(f, "waiting", 0) for f in funds),
    )
