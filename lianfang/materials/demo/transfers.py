"""Demo requests, offers, transfers in every state and one rebalancing proposal for the demo group.

Called by ``lianfang.demo.loader`` after the stock demo (``stock_demo.load_demo``), so enterprises have stock
and a burn rate. Everything goes through the services, as the office and the keepers would do it:
the enterprises running low ask for masks and N95s, the well-stocked ones offer surplus, the office
matches, and the transfers end up received, partly received, in transit, approved, proposed,
rejected and cancelled. A rebalancing proposal waits for review.

:func:`build_bench_group` builds a large synthetic group for ``bench/bench_rebalance.py``.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind, Urgency
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import Item, Stock, Transfer
from lianfang.materials.services import rebalancing as rebalance_services
from lianfang.materials.services import transfers as services
from lianfang.org.models import Unit, UnitKind


def _ensure_stock(actor, unit: Unit, item: Item, least: Decimal, today: datetime.date) -> None:
    have = Stock.objects.filter(unit=unit, item=item).values_list("on_hand", flat=True).first() or Decimal(0)
    if have < least:
        ledger.post(
            actor=actor,
            postings=[
                ledger.Posting(
                    unit=unit,
                    item=item,
                    kind=MovementKind.ALLOCATION,
                    quantity=least - have,
                    date=today,
                    reference=f"JT-DP-{today:%m%d}-{unit.code}",
                    counterparty="集团防控办",
                    note="集团统一调配",
                )
            ],
        )


def load_demo(*, rng: random.Random, today: datetime.date, users: dict, group: Unit) -> None:
    ensure_default_items()
    office = users.get("admin")
    enterprises = list(
        Unit.objects.filter(path__startswith=group.path, depth=group.depth + 1, kind__code="subsidiary").order_by(
            "code"
        )
    )
    if len(enterprises) < 6 or office is None:
        return
    items = {i.code: i for i in Item.objects.all()}
    mask, n95, gloves, alcohol = items["surgical-mask"], items["n95-mask"], items["gloves"], items["alcohol-75"]
    rich, low = enterprises[:4], enterprises[-2:]
    for unit in rich:
        _ensure_stock(office, unit, mask, Decimal(3000), today)
        _ensure_stock(office, unit, n95, Decimal(300), today)
        _ensure_stock(office, unit, gloves, Decimal(1500), today)
        _ensure_stock(office, unit, alcohol, Decimal(40), today)

    # Requests from the units running low (seed 001: front line first).
    masks_for_low0 = services.request_create(
        actor=office,
        unit=low[0],
        item=mask,
        quantity=2000,
        urgency=Urgency.URGENT,
        front_line=True,
        reason="货运车队一线司机口罩告急",
        needed_by=today + datetime.timedelta(days=2),
    )
    n95_for_low1 = services.request_create(
        actor=office,
        unit=low[1],
        item=n95,
        quantity=200,
        urgency=Urgency.CRITICAL,
        front_line=True,
        reason="景区卡口执勤人员 N95 口罩仅剩一天用量",
    )
    masks_for_low1 = services.request_create(
        actor=office, unit=low[1], item=mask, quantity=1000, reason="复工复产员工日常防护"
    )
    services.request_create(
        actor=office,
        unit=low[0],
        item=items["protective-suit"],
        quantity=30,
        urgency=Urgency.NORMAL,
        reason="社区志愿者下沉防护",
        needed_by=today + datetime.timedelta(days=5),
    )

    # Offers of surplus from the well-stocked enterprises.
    offer = services.offer_create(actor=office, unit=rich[0], item=mask, quantity=2000, note="库存充足，可支援兄弟单位")
    services.offer_create(actor=office, unit=rich[1], item=gloves, quantity=600, note="一次性手套富余")

    # Received in full: the office matched the offer; shipped three days ago and received the day
    # after, both recorded afterwards with the days they really happened.
    received = services.request_match(actor=office, request=masks_for_low0, offer=offer)
    _backdate([received], today - datetime.timedelta(days=3))
    services.transfer_ship(actor=office, transfer=received, date=today - datetime.timedelta(days=3))
    services.transfer_receive(
        actor=office,
        transfer=received,
        quantities={line.pk: line.shipped for line in received.lines.all()},
        date=today - datetime.timedelta(days=2),
    )
    # Partly received: 200 N95 shipped, 120 arrived so far.
    partly = services.request_match(actor=office, request=n95_for_low1, from_unit=rich[1])
    services.transfer_ship(actor=office, transfer=partly)
    services.transfer_receive(
        actor=office,
        transfer=partly,
        quantities={line.pk: Decimal(120) for line in partly.lines.all()},
        note="第一批到货，余下明日送达",
    )
    # In transit: gloves on their way.
    in_transit = services._create_transfer(
        actor=office,
        from_unit=rich[1],
        to_unit=low[0],
        lines=[services.LineInput(gloves, 400)],
        approved=True,
        note="一次性手套支援",
    )
    services.transfer_ship(actor=office, transfer=in_transit)
    # Approved, waiting to be shipped: alcohol.
    services._create_transfer(
        actor=office,
        from_unit=rich[2],
        to_unit=low[1],
        lines=[services.LineInput(alcohol, Decimal("12.5"))],
        approved=True,
        note="75% 酒精",
    )
    # Proposed (a pledge), waiting for the office.
    services.request_pledge(
        actor=office, request=masks_for_low1, from_unit=rich[3], quantity=600, note="可先调拨 600 只"
    )
    # Rejected and cancelled ones, for the record.
    rejected = services._create_transfer(
        actor=office, from_unit=rich[2], to_unit=low[0], lines=[services.LineInput(n95, 50)], approved=False
    )
    services.transfer_reject(actor=office, transfer=rejected, reason="本单位一线人员增加，暂无富余")
    cancelled = services._create_transfer(
        actor=office, from_unit=rich[3], to_unit=low[1], lines=[services.LineInput(gloves, 100)], approved=False
    )
    services.transfer_cancel(actor=office, transfer=cancelled, reason="已由其他单位解决")

    _front_line_sites(office=office, today=today, items=items)

    # One rebalancing proposal for the office to review.
    rebalance_services.proposal_create(actor=office, scope_unit=group, max_shipments=12)


def _backdate(transfers: list, day: datetime.date) -> None:
    """Proposed and approved on ``day`` (the demo writes these rows directly: the services stamp the
    moment they run, and a demo loaded today must still tell a story of the past days)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))
    Transfer.objects.filter(pk__in=[t.pk for t in transfers]).update(created=moment, approved=moment)


def _front_line_sites(*, office, today: datetime.date, items: dict[str, Item]) -> None:
    """The heat company sends masks to three of its heat stations in one action (three transfer
    notes), and the group duty room asks for N95 respirators for the people on duty round the clock."""
    sites = {u.code: u for u in Unit.objects.filter(code__in=["E01", "E01-HS01", "E01-HS02", "E01-HS03", "E03-O01"])}
    if len(sites) < 5:
        return
    mask, n95 = items["surgical-mask"], items["n95-mask"]
    notes = services.transfer_distribute(
        actor=office,
        from_unit=sites["E01"],
        receivers=[
            services.ReceiverInput(sites[code], [services.LineInput(mask, quantity)])
            for code, quantity in (("E01-HS01", 200), ("E01-HS02", 300), ("E01-HS03", 200))
        ],
        note="热力站一线值守人员口罩补充",
        approve=True,
    )
    shipped_on = today - datetime.timedelta(days=2)
    _backdate(notes, shipped_on)
    for note in notes:
        services.transfer_ship(actor=office, transfer=note, date=shipped_on)
    # Two stations received it yesterday (recorded today); the third has not yet.
    for note in notes[:1] + notes[2:]:
        services.transfer_receive(
            actor=office,
            transfer=note,
            quantities={line.pk: line.shipped for line in note.lines.all()},
            date=today - datetime.timedelta(days=1),
        )
    services.request_create(
        actor=office,
        unit=sites["E03-O01"],
        item=n95,
        quantity=100,
        urgency=Urgency.URGENT,
        front_line=True,
        reason="集团总值班室 24 小时值守人员 N95 口罩",
        needed_by=today + datetime.timedelta(days=1),
    )


# --- a large synthetic group for the benchmark ---------------------------------------------------


def build_bench_group(*, units: int, items: int, seed: int) -> Unit:
    """A group of ``units`` units (group → subsidiaries → departments) with ``items`` items: stock
    rows and one week of use per unit and item, written in bulk. Returns the root."""
    from lianfang.materials.models import Movement
    from lianfang.org.defaults import ensure_default_kinds

    ensure_default_kinds()
    rng = random.Random(seed)
    kinds = {k.code: k for k in UnitKind.objects.all()}
    root = Unit.objects.add_root(instance=Unit(code="BG", name="基准集团", kind=kinds["group"]))
    subsidiaries = max(1, units // 80)
    subs = [
        Unit.objects.add_child(root, instance=Unit(code=f"BS{s:03d}", name=f"子公司{s}", kind=kinds["subsidiary"]))
        for s in range(subsidiaries)
    ]
    for s in subs:
        s.refresh_from_db()
    made = 1 + subsidiaries
    n = 0
    while made < units:
        parent = subs[n % subsidiaries]
        parent.refresh_from_db()
        Unit.objects.add_child(parent, instance=Unit(code=f"BD{n:05d}", name=f"部门{n}", kind=kinds["department"]))
        made += 1
        n += 1
    catalogue = [
        Item.objects.get_or_create(
            code=f"bench-{i:02d}",
            defaults={"name": f"物资{i}", "category": "other", "measure": "piece" if i % 5 != 4 else "litre"},
        )[0]
        for i in range(items)
    ]
    today = timezone.localdate()
    start = today - datetime.timedelta(days=30)
    stocks, moves = [], []
    all_units = list(Unit.objects.filter(path__startswith=root.path))
    for unit in all_units:
        for item in catalogue:
            daily = max(1, round(rng.lognormvariate(2.5, 1.0)))
            ratio = rng.choice((0, 0.1, 0.3, 0.6, 0.9, 1.0, 1.2, 1.5, 2, 3, 5))
            on_hand = Decimal(round(daily * 14 * ratio))
            stocks.append(Stock(unit=unit, item=item, on_hand=on_hand, first_movement_on=start))
            moves.append(
                Movement(
                    unit=unit,
                    item=item,
                    kind=MovementKind.ISSUE,
                    quantity=Decimal(-daily * 7),
                    balance_after=on_hand,
                    date=today - datetime.timedelta(days=1),
                )
            )
    Stock.objects.bulk_create(stocks, batch_size=5000)
    Movement.objects.bulk_create(moves, batch_size=5000)
    return root
