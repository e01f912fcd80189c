"""Demo data for donations, the money collection and the emergency fund, written through the services.

* Goods received from outside donors by two enterprises (masks and 84 disinfectant from the city's
  market regulator, as in seed 002; masks and goggles from a partner company), some given on to a
  residential community, and books given to a makeshift hospital (方舱医院, seed 000).
* The collection of seed 002: the group and its 12 enterprises give 47,993 yuan on the day of the
  appeal, passed on to the city Red Cross the next day.
* The heat company's emergency fund (应急专项资金) with two requests approved and paid with
  vouchers and one waiting for the office.

Called by ``lianfang.demo.loader`` after the units, users and catalogue exist; ``load_demo`` is not
idempotent on its own (the demo builds a fresh database).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.services import collections, donations, funds
from lianfang.materials import ledger
from lianfang.materials.choices import Category, Measure, MovementKind
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import Item
from lianfang.org.models import Unit

# What the group and each enterprise gave on the day of the appeal (seed 002: 47,993 yuan in all).
GIFTS: tuple[tuple[str, str, int], ...] = (
    ("G", "6180", 86),
    ("E01", "8650", 242),
    ("E02", "5320", 201),
    ("E03", "5005", 236),
    ("E04", "3260", 98),
    ("E05", "3100", 87),
    ("E06", "2880", 110),
    ("E07", "3350", 64),
    ("E08", "2968", 35),
    ("E09", "1500", 46),
    ("E10", "1690", 52),
    ("E11", "2200", 40),
    ("E12", "1890", 33),
)
COLLECTED = Decimal("47993")


def _books() -> Item:
    item, _created = Item.objects.get_or_create(
        code="books",
        defaults={
            "name": "阅读书籍",
            "name_en": "Books",
            "category": Category.OTHER,
            "measure": Measure.COPY,  # books are counted in 本, never in 只
            "sort": 900,
        },
    )
    return item


def load_demo(*, rng: random.Random, today: datetime.date, users: dict, group: Unit) -> None:
    ensure_default_items()
    office = users["admin"]
    keeper = users.get("keeper") or office
    liaison = users.get("liaison") or office
    units = {u.code: u for u in Unit.objects.filter(code__in=[code for code, _a, _n in GIFTS])}
    units["G"] = group
    catalogue = {i.code: i for i in Item.objects.all()}
    heat, security = units["E01"], units["E03"]
    days_ago = lambda n: today - datetime.timedelta(days=n)  # noqa: E731

    # --- goods received from outside donors, and given on --------------------------------------
    donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.GOODS,
        unit=heat,
        counterparty="渭城市市场监督管理局",
        date=days_ago(20),
        lines=[(catalogue["surgical-mask"], 5000), (catalogue["disinfectant-84"], 240)],
        receipt_no="SJ-2026-031",
        note="经集团协调支援热力站一线",
    )
    donations.donation_record(
        actor=office,
        direction=Direction.IN,
        kind=DonationKind.GOODS,
        unit=security,
        counterparty="秦东建材有限公司",
        date=days_ago(18),
        lines=[(catalogue["surgical-mask"], 3900), (catalogue["goggles"], 120)],
        receipt_no="QD-0207",
    )
    donations.donation_record(
        actor=office,
        direction=Direction.IN,
        kind=DonationKind.MONEY,
        unit=group,
        counterparty="渭城商会",
        date=days_ago(17),
        amount="20000",
        receipt_no="SH-2026-008",
        note="指定用于一线防护物资",
    )
    donations.donation_record(
        actor=keeper,
        direction=Direction.OUT,
        kind=DonationKind.GOODS,
        unit=heat,
        counterparty="金苑华庭社区居委会",
        date=days_ago(15),
        lines=[(catalogue["surgical-mask"], 1000), (catalogue["disinfectant-84"], 40)],
        note="支援社区卡口值守",
    )
    # Books for the makeshift hospital (seed 000): bought by the group office, given the same week.
    books = _books()
    ledger.post(
        actor=office,
        postings=[
            ledger.Posting(
                unit=group,
                item=books,
                kind=MovementKind.PURCHASE,
                quantity=Decimal(rng.choice([600, 800])),
                date=days_ago(14),
                reference="CG-2026-015",
                counterparty="新华书店渭城分店",
            )
        ],
    )
    donations.donation_record(
        actor=office,
        direction=Direction.OUT,
        kind=DonationKind.GOODS,
        unit=group,
        counterparty="渭城市方舱医院",
        date=days_ago(12),
        lines=[(books, 500)],
        receipt_no="FC-0012",
        note="以集团名义捐赠，供患者阅读",
    )

    # --- the collection among units (seed 002) ------------------------------------------------
    appeal = days_ago(25)
    collection = collections.collection_open(
        actor=office,
        organiser=group,
        name="抗击新冠肺炎疫情捐款倡议",
        recipient="渭城市红十字会",
        opened_on=appeal,
        closed_on=appeal,
        note="集团党委倡议书，当日收到集团机关及 12 个所属公司捐款",
    )
    for code, amount, donors in GIFTS:
        collections.contribution_record(
            actor=liaison if code == "E01" else office,
            collection=collection,
            unit=units[code],
            amount=amount,
            date=appeal,
            donors=donors,
        )
    collections.collection_pass_on(
        actor=office,
        collection=collection,
        amount=COLLECTED,
        date=appeal + datetime.timedelta(days=1),
        receipt_no="HSZ-2026-0130",
        note="由市红十字会转市中心医院及市妇幼保健院",
    )

    # --- the heat company's emergency fund ----------------------------------------------------
    fund = funds.fund_open(
        actor=office,
        unit=heat,
        name="热力总公司疫情防控应急专项资金",
        budget="200000",
        opened_on=days_ago(24),
        note="按《疫情防控应急专项资金管理暂行办法》，由疫情防控办公室统一实施",
    )
    for purpose, amount, voucher in (
        ("13 座热力站每日两次消杀用品采购", "18600", "记-2026-0211"),
        ("一线值守人员额温枪 30 支", "4500", "记-2026-0215"),
    ):
        spending = funds.spending_request(actor=liaison, fund=fund, purpose=purpose, amount=amount)
        funds.spending_approve(actor=office, spending=spending, note="同意，按程序采购")
        funds.spending_pay(actor=office, spending=spending, voucher_no=voucher, paid_on=today)
    funds.spending_request(
        actor=liaison, fund=fund, purpose="客服大厅临时隔离观察室改造", amount=f"{rng.randint(60, 90) * 100}"
    )
