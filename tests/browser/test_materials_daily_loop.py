"""Materials as the keepers and the office live them (issue 10), in Chromium on a phone and a desktop:
the keeper's to-dos on the home page lead to exactly the transfers waiting for them; the office is
warned before approving a transfer the sender cannot cover; one form sends to several units; and
the printed transfer note carries the words of a Chinese 调拨单 and the days shipped and received.

Screenshots go to ``$LIANFANG_SCREENSHOTS`` (default: a temporary folder) for a person to look at.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from lianfang.materials.choices import TransferStatus
from lianfang.materials.models import Transfer
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, stock
from lianfang.org.choices import Role
from lianfang.testing import make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("LIANFANG_SCREENSHOTS") or tempfile.mkdtemp(prefix="lf-shots-"))


@pytest.fixture
def world():
    tree = make_tree()
    catalogue = items()
    today = timezone.localdate()
    stock(tree.b1, catalogue["surgical-mask"], 1000, date=today - datetime.timedelta(days=10))
    stock(tree.a, catalogue["surgical-mask"], 1000, date=today - datetime.timedelta(days=10))
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    user_with_role(Role.MATERIALS_KEEPER, tree.a, username="keeper-a")
    user_with_role(Role.MATERIALS_KEEPER, tree.a1, username="keeper-a1")
    user_with_role(Role.MATERIALS_KEEPER, tree.b1, username="keeper-b1")
    return tree, catalogue, office


def _wide(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_keepers_home_to_dos_lead_to_the_transfers_waiting_for_them(phone_page, page, world):
    tree, catalogue, office = world
    transfer = services._create_transfer(
        actor=office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 300)],
        approved=True,
    )

    login(phone_page, "keeper-b1")
    phone_page.goto("/")
    todo = phone_page.locator("a[href='/materials/transfers/?waiting=ship']")
    assert todo.count() >= 1
    phone_page.screenshot(path=str(SHOTS / "materials-keeper-home-390-zh.png"), full_page=True)
    todo.first.click()
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator("tr[data-needs-me=ship]").count() == 1
    assert phone_page.locator("tr[data-row]").first.get_attribute("data-row") == str(transfer.pk)
    assert _wide(phone_page) <= 375

    login(page, "keeper-b1")
    page.goto("/")
    assert page.locator("a[href='/materials/transfers/?waiting=ship']").count() >= 1
    page.screenshot(path=str(SHOTS / "materials-keeper-home-1280-zh.png"), full_page=True)


def test_the_office_is_warned_before_approving_a_transfer_the_sender_cannot_cover(page, world):
    tree, catalogue, office = world
    transfer = services.transfer_propose(
        actor=office, from_unit=tree.b1, to_unit=tree.a1, lines=[services.LineInput(catalogue["surgical-mask"], 1500)]
    )
    login(page, "office")
    page.goto(f"/materials/transfers/{transfer.pk}/")
    warning = page.locator("[data-shortage]")
    assert warning.is_visible() and "1000" in warning.inner_text().replace(",", "")
    page.screenshot(path=str(SHOTS / "materials-approve-warning-1280-zh.png"), full_page=True)
    page.locator("[data-confirm-short]").check()
    page.locator("[data-form=approve] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED


def test_one_form_on_a_phone_sends_to_two_stations_and_each_gets_its_note(phone_page, world):
    tree, catalogue, _office = world
    mask = catalogue["surgical-mask"]
    login(phone_page, "keeper-a")
    phone_page.goto("/materials/transfers/new/")
    phone_page.select_option("select[name=from_unit]", str(tree.a.pk))
    phone_page.select_option("select[name=item_1]", str(mask.pk))
    phone_page.select_option("select[name=to_unit_1]", str(tree.a1.pk))
    phone_page.fill("input[name=quantity_1_1]", "200")
    phone_page.select_option("select[name=to_unit_2]", str(tree.a1s.pk))
    phone_page.fill("input[name=quantity_2_1]", "100")
    phone_page.screenshot(path=str(SHOTS / "materials-send-to-several-390-zh.png"), full_page=True)
    assert _wide(phone_page) <= 375
    phone_page.locator("form[data-form=transfer] button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")
    notes = list(Transfer.objects.order_by("number"))
    assert [(t.to_unit_id, t.lines.get().quantity) for t in notes] == [(tree.a1.pk, 200), (tree.a1s.pk, 100)]
    for note in notes:
        assert note.number in phone_page.content()


def test_the_printed_transfer_note_has_the_right_words_and_the_days_shipped_and_received(page, world):
    tree, catalogue, office = world
    transfer = services._create_transfer(
        actor=office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 300)],
        approved=True,
    )
    today = timezone.localdate()
    shipped_on, received_on = today - datetime.timedelta(days=3), today - datetime.timedelta(days=2)

    login(page, "keeper-b1")
    page.goto(f"/materials/transfers/{transfer.pk}/")
    page.fill("[data-form=ship] input[name=date]", shipped_on.isoformat())
    page.locator("[data-form=ship] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    login(page, "keeper-a1")
    page.goto(f"/materials/transfers/{transfer.pk}/")
    page.fill("[data-form=receive] input[name=date]", received_on.isoformat())
    page.locator("[data-form=receive] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"/materials/transfers/{transfer.pk}/note/")

    assert page.locator("[data-shipped-on]").inner_text() == shipped_on.isoformat()
    assert page.locator("[data-received-on]").inner_text() == received_on.isoformat()
    assert page.locator("[data-from]").inner_text() == tree.b1.name
    text = page.locator("body").inner_text()
    for word in ("调出单位", "调入单位", "单号", "发货日期", "收货日期"):
        assert word in text, word
    for wrong in ("开始日期", "结束日期", "轮船", "数字"):
        assert wrong not in text, wrong
    page.screenshot(path=str(SHOTS / "materials-transfer-note-1280-zh.png"), full_page=True)
