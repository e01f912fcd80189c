"""Demo stock for the demo group's enterprises: two weeks of allocations, purchases, issues and daily
counts, so the stock report, the ledgers and the burn rate have something to show, and a couple of
enterprises running low (red on the report, with low-stock alerts in the inbox).

A few front-line sites keep a small store of their own (heat stations, residential communities, a
market, the group duty room): the rebalancing then has front-line receivers next to ordinary ones,
and not every receiver is front line.

Called by ``lianfang.demo.loader`` after the units, users and catalogue exist. History is posted through
the ledger a day at a time (one posting per enterprise and day, as a store-keeper's daily sheet);
the counts go through the stock-take service, so their adjustments are real movements.
"""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import Item, Movement, Stock
from lianfang.materials.services import stock
from lianfang.org.models import Unit

DAYS = 14
# Item code → (least, most) used a day by one enterprise's store.
DAILY_USE = {
    "surgical-mask": (40, 160),
    "n95-mask": (4, 20),
    "alcohol-75": (Decimal("0.5"), Decimal("3")),
    "disinfectant-84": (1, 4),
    "gloves": (20, 80),
    "protective-suit": (1, 5),
}
SUPPLIERS = ["国药控股渭南有限公司", "渭南市医药公司", "陕西华润医药"]
RUNNING_LOW = 2  # the last enterprises (in code order) end the fortnight short
# Sites with a store of their own: code → (issued a day: masks, N95, gloves; ends the fortnight short?).
SITE_STORES: dict[str, tuple[int, int, int, bool]] = {
    "E01-HS01": (24, 2, 10, False),  # 东风大街热力站
    "E01-HS02": (26, 2, 12, True),  # 朝阳路热力站
    "E01-HS03": (22, 2, 10, False),
    "E02-C01": (30, 3, 16, True),  # 金苑华庭
    "E02-C02": (28, 2, 14, False),
    "E10-M01": (32, 2, 20, True),  # 东关农贸市场
    "E03-O01": (12, 4, 6, True),  # 集团总值班室
}
SITE_ITEMS = ("surgical-mask", "n95-mask", "gloves")


def _amount(item: Item, value: Decimal) -> Decimal:
    if item.is_counted:
        return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def recorded_on_their_day(*, after_pk: int) -> None:
    """The movements written since ``after_pk`` recorded on the day they are dated (5:30 pm), as a
    keeper posting each day's sheet would have. The demo writes this column directly: the ledger
    stamps the moment it runs, and a history loaded today would otherwise read "recorded today" on
    every line; only what the demo records afterwards on purpose keeps today's stamp."""
    days = Movement.objects.filter(pk__gt=after_pk).order_by().values_list("date", flat=True).distinct()
    for day in days:
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 30)))
        Movement.objects.filter(pk__gt=after_pk, date=day).update(created=moment)


def load_demo(*, rng: random.Random, today: datetime.date, users: dict, group: Unit) -> None:
    since = Movement.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _load(rng=rng, today=today, users=users, group=group)
    recorded_on_their_day(after_pk=since)


def _load(*, rng: random.Random, today: datetime.date, users: dict, group: Unit) -> None:
    ensure_default_items()
    actor = users.get("admin")
    items = {i.code: i for i in Item.objects.filter(code__in=DAILY_USE)}
    enterprises = list(
        Unit.objects.filter(path__startswith=group.path, depth=group.depth + 1, kind__code="subsidiary").order_by(
            "code"
        )
    )
    if not enterprises or not items:
        return
    start = today - datetime.timedelta(days=DAYS)
    low = set(e.pk for e in enterprises[-RUNNING_LOW:])
    counters = {e.pk for e in enterprises[:3]}  # these count their store every day (日清单)

    plans: dict[tuple[int, str], Decimal] = {}
    for e in enterprises:
        first: list[ledger.Posting] = []
        for code, (least, most) in DAILY_USE.items():
            item = items[code]
            use = Decimal(str(rng.uniform(float(least), float(most))))
            plans[(e.pk, code)] = use
            if e.pk in low:
                quantity = use * rng.randint(12, 15)
            else:  # enough for the fortnight and well above the threshold at its end
                quantity = max(use * rng.randint(20, 35), item.reorder_threshold * 2 + use * 18)
            first.append(
                ledger.Posting(
                    unit=e,
                    item=item,
                    kind=MovementKind.ALLOCATION,
                    quantity=_amount(item, quantity),
                    date=start,
                    reference=f"JT-DP-{start:%m%d}-{e.code}",
                    counterparty=group.name,
                    note="集团统一调配首批防疫物资",
                )
            )
        ledger.post(actor=actor, postings=first)

    for offset in range(1, DAYS + 1):
        day = start + datetime.timedelta(days=offset)
        for e in enterprises:
            on_hand = dict(Stock.objects.filter(unit=e).values_list("item__code", "on_hand"))
            postings: list[ledger.Posting] = []
            for code in DAILY_USE:
                item, use = items[code], plans[(e.pk, code)]
                if offset == 7 and e.pk not in low and rng.random() < 0.5:
                    postings.append(
                        ledger.Posting(
                            unit=e,
                            item=item,
                            kind=MovementKind.PURCHASE,
                            quantity=_amount(item, use * rng.randint(7, 14)),
                            date=day,
                            reference=f"CG{day:%Y%m%d}{rng.randint(100, 999)}",
                            counterparty=rng.choice(SUPPLIERS),
                        )
                    )
                # Keep a day's worth on the shelf in the short units, so they end low but not at zero.
                floor = use * Decimal("1.5") if e.pk in low else Decimal(0)
                issue = min(_amount(item, use * Decimal(str(rng.uniform(0.7, 1.3)))), on_hand.get(code, 0) - floor)
                issue = _amount(item, issue)
                if issue > 0:
                    postings.append(
                        ledger.Posting(
                            unit=e,
                            item=item,
                            kind=MovementKind.ISSUE,
                            quantity=issue,
                            date=day,
                            front_line=code in ("n95-mask", "protective-suit") or rng.random() < 0.3,
                            counterparty="一线值守人员" if rng.random() < 0.5 else "各部门领用",
                            reference=f"LY{day:%m%d}-{e.code}",
                        )
                    )
            ledger.post(actor=actor, postings=postings)
            if e.pk in counters and offset > DAYS - 7:
                books = dict(Stock.objects.filter(unit=e).values_list("item__code", "on_hand"))
                counts = {}
                for code in ("surgical-mask", "gloves", "alcohol-75"):
                    item = items[code]
                    shrink = _amount(item, books[code] * Decimal(str(rng.choice([0, 0, 0.005, 0.01]))))
                    counts[item] = books[code] - shrink
                stock.stocktake_record(actor=actor, unit=e, date=day, counts=counts, note="下班前清点")

    _site_stores(rng=rng, start=start, actor=actor, items=items)


def _site_stores(*, rng: random.Random, start: datetime.date, actor, items: dict[str, Item]) -> None:
    """A fortnight of a small store at a few front-line sites: a first allocation from their company
    and a daily issue to the people on duty; the short ones end below their target."""
    sites = {u.code: u for u in Unit.objects.filter(code__in=SITE_STORES).select_related("kind")}
    for code, (masks, n95, gloves, short) in SITE_STORES.items():
        site = sites.get(code)
        if site is None:
            continue
        parent = Unit.objects.get_parent(site)
        use = dict(zip(SITE_ITEMS, (masks, n95, gloves), strict=True))
        days_stocked = (8, 11) if short else (24, 30)
        ledger.post(
            actor=actor,
            postings=[
                ledger.Posting(
                    unit=site,
                    item=items[code_],
                    kind=MovementKind.ALLOCATION,
                    quantity=Decimal(per_day * rng.randint(*days_stocked)),
                    date=start,
                    reference=f"FP-{start:%m%d}-{site.code}",
                    counterparty=parent.name if parent else "",
                    note="公司物资库下发一线站点",
                )
                for code_, per_day in use.items()
            ],
        )
        for offset in range(1, DAYS + 1):
            day = start + datetime.timedelta(days=offset)
            on_hand = dict(Stock.objects.filter(unit=site).values_list("item__code", "on_hand"))
            postings = []
            for code_, per_day in use.items():
                issue = min(Decimal(round(per_day * rng.uniform(0.8, 1.2))), on_hand.get(code_, 0) - per_day)
                if issue > 0:
                    postings.append(
                        ledger.Posting(
                            unit=site,
                            item=items[code_],
                            kind=MovementKind.ISSUE,
                            quantity=issue,
                            date=day,
                            front_line=True,
                            counterparty="当班一线人员",
                            reference=f"LY{day:%m%d}-{site.code}",
                        )
                    )
            if postings:
                ledger.post(actor=actor, postings=postings)
