"""Materials as a keeper and the office live them day to day (issue 10): choosing a donor by its
stock and surplus, approval that warns when the sender lacks the stock, one shipment to several
units, the dates things really happened, lists that put what needs action first, rebalancing in
whole packs with a front line that means something, measures that fit, and the home-page to-dos.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lianfang.core.extensions import todos_for
from lianfang.materials import rebalance
from lianfang.materials.choices import Measure, MovementKind, RequestStatus, TransferStatus, Urgency
from lianfang.materials.defaults import DEFAULT_ITEMS
from lianfang.materials.models import MaterialRequest, Movement, Transfer
from lianfang.materials.selectors import stock as stock_selectors
from lianfang.materials.selectors import transfers as selectors
from lianfang.materials.services import rebalancing as rebalance_services
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, on_hand, people, state, stock
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.people.models import Tag
from lianfang.testing import PersonFactory, add_unit, user_with_role

pytestmark = pytest.mark.django_db
L = services.LineInput
TODAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def world(tree):
    catalogue = items()
    who = people(tree)
    return tree, catalogue, who


def used(unit, item, per_day: int, *, left: int, days: int = 8) -> None:
    """A week of history: the unit received and issued ``per_day`` a day and ends with ``left``."""
    from lianfang.materials import ledger

    start = TODAY - datetime.timedelta(days=days)
    ledger.post(
        actor=None,
        postings=[
            ledger.Posting(
                unit=unit, item=item, kind=MovementKind.PURCHASE, quantity=Decimal(left + per_day * days), date=start
            )
        ],
    )
    for n in range(1, days + 1):
        ledger.post(
            actor=None,
            postings=[
                ledger.Posting(
                    unit=unit,
                    item=item,
                    kind=MovementKind.ISSUE,
                    quantity=Decimal(per_day),
                    date=start + datetime.timedelta(days=n),
                )
            ],
        )


def refused(fn, **kwargs) -> str:
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        fn(**kwargs)
    assert state() == before, "a refused step changed something"
    return " ".join(info.value.messages)


# --- choosing a donor ---------------------------------------------------------------------------


def test_the_donors_of_a_request_come_largest_surplus_first_with_their_stock_and_days_of_supply(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]  # target 14 days, reorder threshold 500
    used(tree.b, mask, 100, left=3000)  # keeps 1,400 (14 days of 100): can give 1,600
    used(tree.b1, mask, 10, left=1000)  # keeps its threshold, 500 (more than 14 days of 10): gives 500
    stock(tree.a2, mask, 400)  # below its own threshold: gives nothing
    services._create_transfer(
        actor=who.office, from_unit=tree.b, to_unit=tree.a2, lines=[L(mask, 600)], approved=True, notify=False
    )  # B promised 600 already: it can give 1,000 more
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=800, reason="一线")

    donors = selectors.request_donors(viewer=who.office, request=request)

    assert [(d.unit, d.on_hand, d.days_of_supply, d.promised, d.surplus) for d in donors] == [
        (tree.b, 3000, Decimal("30.0"), 600, 1000),
        (tree.b1, 1000, Decimal("100.0"), 0, 500),
        (tree.a2, 400, None, 0, 0),
    ]


def test_a_keeper_pledging_sees_only_the_units_it_may_send_from(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 900)
    stock(tree.a2, mask, 900)
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=80, reason="r")

    donors = selectors.request_donors(viewer=who.keeper_b1, request=request, action="add")

    assert [d.unit for d in donors] == [tree.b1]
    assert donors[0].surplus == 400  # 900 less its threshold of 500


# --- approving: the sender's stock ------------------------------------------------------------------


def test_approving_a_transfer_the_sender_cannot_cover_is_refused_with_what_is_missing_until_the_office_confirms(
    world,
):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a2, lines=[L(mask, 800)], approved=True, notify=False
    )
    proposed = services.transfer_propose(actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)])

    message = refused(services.transfer_approve, actor=who.office, transfer=proposed)

    assert (
        "乙公司综合部 has 1,000 pieces (只) of Surgical mask on hand, of which 800 pieces (只) are promised" in message
    )
    assert "this transfer needs 300 pieces (只)" in message
    services.transfer_approve(actor=who.office, transfer=proposed, confirm_short=True)
    proposed.refresh_from_db()
    assert proposed.status == TransferStatus.APPROVED


def test_a_transfer_the_sender_can_cover_is_approved_without_a_word(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    proposed = services.transfer_propose(actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)])
    assert selectors.sender_shortages(proposed) == []
    services.transfer_approve(actor=who.office, transfer=proposed)
    proposed.refresh_from_db()
    assert proposed.status == TransferStatus.APPROVED


def test_matching_a_request_from_a_unit_counts_what_it_already_promised(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a2, lines=[L(mask, 800)], approved=True, notify=False
    )
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=300, reason="r")

    message = refused(services.request_match, actor=who.office, request=request, from_unit=tree.b1)

    assert "of which 800 pieces (只) are promised to other transfers: match at most 200 pieces (只)" in message


# --- one sender, several receivers --------------------------------------------------------------


def test_one_action_sends_to_several_units_one_transfer_note_each_and_tells_each(world):
    tree, catalogue, who = world
    mask, alcohol = catalogue["surgical-mask"], catalogue["alcohol-75"]
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")  # the company's store keeper
    keeper_a2 = user_with_role(Role.MATERIALS_KEEPER, tree.a2, "keeper-a2")
    stock(tree.a, mask, 1000)
    stock(tree.a, alcohol, 20)

    notes = services.transfer_distribute(
        actor=keeper_a,
        from_unit=tree.a,
        receivers=[
            services.ReceiverInput(tree.a1, [L(mask, 100), L(alcohol, "2.5")]),
            services.ReceiverInput(tree.a2, [L(mask, 200)]),
        ],
        note="支援一线",
    )

    assert [n.number for n in notes] == ["DB-20260302-0001", "DB-20260302-0002"]
    assert [(n.to_unit, n.status) for n in notes] == [(tree.a1, TransferStatus.PROPOSED), (tree.a2, "proposed")]
    assert [(line.item.code, line.quantity) for line in notes[0].lines.order_by("pk")] == [
        ("surgical-mask", 100),
        ("alcohol-75", Decimal("2.5")),
    ]
    for keeper, note in ((who.keeper_a1, notes[0]), (keeper_a2, notes[1])):
        titles = list(Message.objects.filter(recipient=keeper).values_list("title", flat=True))
        assert len(titles) == 1 and note.number in titles[0]
    assert Message.objects.filter(recipient=who.office).count() == 2  # the office approves each


def test_a_shipment_to_several_units_writes_nothing_when_one_row_is_wrong(world):
    tree, catalogue, _who = world
    mask = catalogue["surgical-mask"]
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    stock(tree.a, mask, 250)
    good = services.ReceiverInput(tree.a1, [L(mask, 100)])

    message = refused(
        services.transfer_distribute,
        actor=keeper_a,
        from_unit=tree.a,
        receivers=[good, services.ReceiverInput(tree.a, [L(mask, 10)])],
    )
    assert "is the sending unit" in message
    message = refused(
        services.transfer_distribute,
        actor=keeper_a,
        from_unit=tree.a,
        receivers=[good, services.ReceiverInput(tree.a2, [L(mask, 200)])],
    )
    assert (
        "has 250 pieces (只) of Surgical mask free to send, and these transfers send 300 pieces (只) in all" in message
    )
    message = refused(
        services.transfer_distribute,
        actor=keeper_a,
        from_unit=tree.a,
        receivers=[good, services.ReceiverInput(tree.b1, [L(mask, 10)])],
    )
    assert "Choose units you can see" in message
    assert not Transfer.objects.exists()


def test_the_office_sends_to_several_units_approved_at_once(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    notes = services.transfer_distribute(
        actor=who.office,
        from_unit=tree.b1,
        receivers=[services.ReceiverInput(tree.a1, [L(mask, 100)]), services.ReceiverInput(tree.a2, [L(mask, 100)])],
        approve=True,
    )
    assert {n.status for n in notes} == {TransferStatus.APPROVED}


# --- the dates things really happened --------------------------------------------------------------


def test_a_shipment_and_receipt_recorded_afterwards_keep_the_days_they_happened(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000, date=TODAY - datetime.timedelta(days=10))
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True
    )

    services.transfer_ship(actor=who.keeper_b1, transfer=transfer, date=TODAY - datetime.timedelta(days=3))
    services.transfer_receive(
        actor=who.keeper_a1,
        transfer=transfer,
        quantities={transfer.lines.get().pk: 300},
        date=TODAY - datetime.timedelta(days=2),
    )

    transfer.refresh_from_db()
    assert (transfer.shipped_on, transfer.received_on) == (datetime.date(2026, 2, 27), datetime.date(2026, 2, 28))
    assert timezone.localtime(transfer.shipped).date() == TODAY  # when it was typed in stays recorded
    out = Movement.objects.get(kind=MovementKind.TRANSFER_OUT)
    arrived = Movement.objects.get(kind=MovementKind.TRANSFER_IN)
    assert (out.date, arrived.date) == (datetime.date(2026, 2, 27), datetime.date(2026, 2, 28))
    assert transfer.receipts.get().date == datetime.date(2026, 2, 28)


def test_a_receipt_dated_before_its_shipment_is_refused_with_the_shipment_date(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True
    )
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer, date=TODAY - datetime.timedelta(days=1))

    message = refused(
        services.transfer_receive,
        actor=who.keeper_a1,
        transfer=transfer,
        quantities={transfer.lines.get().pk: 300},
        date=TODAY - datetime.timedelta(days=2),
    )

    assert "was shipped on 2026-03-01: a receipt cannot be dated before its shipment" in message
    assert on_hand(tree.a1, mask) == 0


def test_a_shipment_or_receipt_dated_in_the_future_is_refused(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True
    )
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert "future" in refused(services.transfer_ship, actor=who.keeper_b1, transfer=transfer, date=tomorrow)


def test_the_ledger_keeps_its_posting_order_when_a_movement_is_entered_with_an_earlier_date(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000, date=TODAY - datetime.timedelta(days=5))
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True
    )
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer, date=TODAY - datetime.timedelta(days=4))

    ledger = list(stock_selectors.unit_ledger(viewer=who.keeper_b1, unit=tree.b1, item=mask))

    assert [(m.kind, m.balance_after, m.date) for m in ledger] == [
        (MovementKind.PURCHASE, 1000, datetime.date(2026, 2, 25)),
        (MovementKind.TRANSFER_OUT, 700, datetime.date(2026, 2, 26)),
    ]


# --- lists: what needs action first -------------------------------------------------------------


def test_the_request_list_puts_open_and_urgent_requests_before_fulfilled_ones(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]

    def ask(urgency=Urgency.NORMAL, status=RequestStatus.OPEN, needed_by=None):
        request = services.request_create(
            actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=10, reason="r", urgency=urgency, needed_by=needed_by
        )
        MaterialRequest.objects.filter(pk=request.pk).update(status=status)  # set-up, not a service
        return request.pk

    covered = ask(status=RequestStatus.COVERED)
    cancelled = ask(status=RequestStatus.CANCELLED)
    normal_later = ask(needed_by=TODAY + datetime.timedelta(days=9))
    normal_soon = ask(needed_by=TODAY + datetime.timedelta(days=2))
    partly = ask(urgency=Urgency.CRITICAL, status=RequestStatus.PARTLY)
    critical = ask(urgency=Urgency.CRITICAL)
    urgent = ask(urgency=Urgency.URGENT)

    order = list(selectors.request_list(viewer=who.office).values_list("pk", flat=True))

    assert order == [critical, urgent, normal_soon, normal_later, partly, covered, cancelled]
    waiting = set(selectors.request_list(viewer=who.office, status="waiting").values_list("pk", flat=True))
    assert waiting == {critical, urgent, normal_soon, normal_later, partly}


def test_transfers_waiting_for_the_keeper_come_first_and_say_which_step(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    stock(tree.a1, mask, 1000)
    to_ship = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 10)], approved=True, notify=False
    )
    incoming = services._create_transfer(
        actor=who.office, from_unit=tree.a1, to_unit=tree.b1, lines=[L(mask, 10)], approved=True, notify=False
    )
    services.transfer_ship(actor=who.office, transfer=incoming)
    newest = services._create_transfer(
        actor=who.office, from_unit=tree.a1, to_unit=tree.b1, lines=[L(mask, 10)], approved=False, notify=False
    )

    rows = list(selectors.transfer_list(viewer=who.keeper_b1))

    assert [(t.pk, t.needs_me) for t in rows] == [(incoming.pk, "receive"), (to_ship.pk, "ship"), (newest.pk, "")]
    assert [t.pk for t in selectors.transfer_list(viewer=who.keeper_b1, waiting="ship")] == [to_ship.pk]
    office_rows = list(selectors.transfer_list(viewer=who.office))
    assert (office_rows[0].pk, office_rows[0].needs_me) == (newest.pk, "approve")
    assert {t.needs_me for t in office_rows[1:]} == {""}  # shipping and receiving are the keepers' steps


# --- rebalancing ------------------------------------------------------------------------------------


def test_the_solver_moves_whole_packs_and_never_leaves_a_donor_below_its_target():
    positions = [
        rebalance.Position(unit=2, item=1, on_hand=1000, daily_use=10, target_days=14, pack=50),  # keeps 140
        rebalance.Position(unit=3, item=1, on_hand=0, daily_use=10, target_days=14, pack=50),  # lacks 140
        rebalance.Position(unit=4, item=1, on_hand=40, daily_use=3, target_days=14, pack=50),  # lacks 2
    ]
    plan = rebalance.solve(positions, parents={1: None, 2: 1, 3: 1, 4: 1}, max_shipments=5)

    assert {(m.to_unit, m.quantity) for m in plan.moves} == {(3, 150.0), (4, 50.0)}
    assert all(m.quantity % 50 == 0 for m in plan.moves)
    assert 1000 - sum(m.quantity for m in plan.moves) >= 140


def test_only_units_where_most_people_work_the_front_line_count_as_front_line(tree):
    catalogue = items()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "office")
    mask = catalogue["surgical-mask"]
    front = Tag.objects.get(code="front-line")
    station = tree.a1s  # a heat station: 4 of its 5 people on the front line
    office_dept = tree.a2  # an office: 1 of its 6 people on the front line
    for unit, people_here, on_front in ((station, 5, 4), (office_dept, 6, 1)):
        for n in range(people_here):
            person = PersonFactory(unit=unit)
            if n < on_front:
                person.tags.add(front)
    used(tree.b1, mask, 10, left=2000)
    used(station, mask, 20, left=20)
    used(office_dept, mask, 20, left=20)

    proposal = rebalance_services.proposal_create(
        actor=office, scope_unit=tree.group, max_shipments=10, item_ids=[mask.pk]
    )
    lines = {line.to_unit: line for line in selectors.proposal_lines(proposal)}

    assert lines[station].front_line and lines[station].front_people == (4, 5)
    assert not lines[office_dept].front_line
    assert proposal.summary["front_line_weight"] == rebalance.FRONT_LINE_WEIGHT
    assert all(line.quantity % 50 == 0 and line.packs == line.quantity / 50 for line in lines.values())


def test_a_unit_with_an_open_front_line_request_is_front_line_for_that_item(tree):
    catalogue = items()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "office")
    mask = catalogue["surgical-mask"]
    used(tree.b1, mask, 10, left=2000)
    used(tree.a2, mask, 20, left=20)
    services.request_create(actor=office, unit=tree.a2, item=mask, quantity=100, reason="卡口", front_line=True)

    proposal = rebalance_services.proposal_create(
        actor=office, scope_unit=tree.group, max_shipments=10, item_ids=[mask.pk]
    )

    (line,) = selectors.proposal_lines(proposal)
    assert (line.to_unit, line.front_line, line.front_request) == (tree.a2, True, True)


# --- measures ---------------------------------------------------------------------------------------


def test_every_default_item_is_counted_in_a_measure_that_fits_it():
    """Masks in 只, face shields in 个, goggles and gloves in 副, suits in 套… (the word a keeper writes)."""
    fits = {
        "surgical-mask": "只",
        "n95-mask": "只",
        "alcohol-75": "升",
        "disinfectant-84": "瓶",
        "goggles": "副",
        "protective-suit": "套",
        "face-shield": "个",
        "gloves": "副",
        "thermometer": "支",
        "antigen-test": "盒",
    }
    measures = dict(Measure.choices)
    with translation.override("zh-hans"):
        counted = {code: str(measures[measure]) for code, _n, _e, _c, measure, *_rest in DEFAULT_ITEMS}
    assert set(counted) == set(fits)
    for code, word in fits.items():
        assert word in counted[code], (code, counted[code])


def test_the_demo_books_are_counted_in_ben_not_in_zhi(tree):
    from lianfang.donations import demo as donation_demo

    items()
    books = donation_demo._books()
    assert books.measure == Measure.COPY and books.is_counted
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert "本" in books.get_measure_display() and "只" not in books.get_measure_display()


# --- home-page to-dos -------------------------------------------------------------------------------


def _todos(user) -> dict[str, tuple[str, str, int | None]]:
    with translation.override("en"):
        return {t.key: (str(t.title), t.url, t.count) for t in todos_for(user, TODAY) if t.key.startswith("materials")}


def test_keepers_see_transfers_to_ship_and_receive_with_a_link_to_exactly_those(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True, notify=False
    )

    assert _todos(who.keeper_b1)["materials.transfers_to_ship"] == (
        "1 transfer to ship",
        "/materials/transfers/?waiting=ship",
        1,
    )
    assert "materials.transfers_to_receive" not in _todos(who.keeper_a1)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    assert "materials.transfers_to_ship" not in _todos(who.keeper_b1)
    assert _todos(who.keeper_a1)["materials.transfers_to_receive"][:2] == (
        "1 transfer to receive",
        "/materials/transfers/?waiting=receive",
    )


def test_the_office_sees_transfers_to_approve_and_requests_still_to_cover(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    services.transfer_propose(actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 30)])
    services.request_create(
        actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=10, reason="r", urgency=Urgency.CRITICAL
    )

    todos = _todos(who.office)

    assert todos["materials.transfers_to_approve"][:2] == (
        "1 transfer waiting for your approval",
        "/materials/transfers/?waiting=approve",
    )
    assert todos["materials.requests_to_cover"][:2] == (
        "1 material request waiting for the office",
        "/materials/requests/?status=waiting",
    )
    assert "materials.requests_to_cover" not in _todos(who.keeper_a1)  # matching is the office's


def test_the_low_stock_count_agrees_with_the_stock_report_it_links_to(world):
    tree, catalogue, who = world
    stock(tree.b1, catalogue["surgical-mask"], 100)  # threshold 500: low
    stock(tree.b1, catalogue["gloves"], 900)  # threshold 200: fine
    stock(tree.a1, catalogue["n95-mask"], 10)  # low, but not in B1's keeper's scope

    todo = _todos(who.keeper_b1)["materials.low_stock"]
    report = stock_selectors.stock_report(viewer=who.keeper_b1, below_threshold=True)

    assert todo[1] == "/materials/stock/?below_threshold=on"
    assert todo[2] == len(report.rows) == 1
    assert report.rows[0].item == catalogue["surgical-mask"]


def test_the_home_page_lists_the_keepers_materials_to_dos(world, client):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 1000)
    services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)], approved=True, notify=False
    )
    client.force_login(who.keeper_b1)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 transfer to ship" in page and "/materials/transfers/?waiting=ship" in page


def test_in_the_demo_not_every_receiver_of_the_rebalancing_is_front_line(tree):
    """The demo's sites with a store (heat stations, a community, a market, the duty room) are front
    line; the companies and offices are not."""
    from lianfang.materials.demo import stock as stock_demo
    from lianfang.materials.demo import transfers as transfer_demo

    front = Tag.objects.get(code="front-line")
    companies = {}
    for n in range(1, 13):
        tree.group.refresh_from_db()
        companies[n] = add_unit(tree.group, f"E{n:02d}", f"企业{n}", "subsidiary")
    sites = {}
    for code, parent, kind, people_here, on_front in (
        ("E01-HS01", 1, "heat-station", 10, 8),
        ("E01-HS02", 1, "heat-station", 10, 9),
        ("E01-HS03", 1, "heat-station", 10, 8),
        ("E02-C01", 2, "community", 10, 9),
        ("E02-C02", 2, "community", 10, 9),
        ("E10-M01", 10, "market", 10, 9),
        ("E03-O01", 3, "office", 20, 2),
    ):
        companies[parent].refresh_from_db()
        sites[code] = add_unit(companies[parent], code, code, kind)
        for k in range(people_here):
            person = PersonFactory(unit=sites[code])
            if k < on_front:
                person.tags.add(front)
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "admin")
    rng = random.Random(5)
    stock_demo.load_demo(rng=rng, today=TODAY, users={"admin": office}, group=tree.group)
    transfer_demo.load_demo(rng=rng, today=TODAY, users={"admin": office}, group=tree.group)

    proposal = selectors.proposal_list(viewer=office).get()
    lines = selectors.proposal_lines(proposal)
    front_line = {line.to_unit.code for line in lines if line.front_line}
    ordinary = {line.to_unit.code for line in lines if not line.front_line}

    assert front_line and ordinary
    assert front_line <= set(sites)  # only sites (the duty room through its front-line request)
    assert not any(code.startswith("E") and "-" not in code for code in front_line)
    notes = Transfer.objects.filter(from_unit=companies[1], to_unit__in=list(sites.values())[:3])
    assert notes.count() == 3 and len({t.number for t in notes}) == 3  # one note per heat station
    assert {t.shipped_on for t in notes} == {TODAY - datetime.timedelta(days=2)}
