"""The daily stock-take as a keeper does it from a phone: counts with a variance, then the ledger shows
the adjustment and the new balance."""

import pytest
from django.utils import timezone

from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item, Stock
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.org.choices import Role
from lianfang.testing import make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    catalogue = items()
    today = timezone.localdate()
    put(tree.a1, catalogue["surgical-mask"], MovementKind.PURCHASE, 300, date=today)
    put(tree.a1, catalogue["alcohol-75"], MovementKind.PURCHASE, "12.5", date=today)
    user_with_role(Role.MATERIALS_KEEPER, tree.a1, username="keeper")
    return tree


def test_a_keeper_counts_stock_with_a_variance_and_the_ledger_shows_the_adjustment(phone_page, world):
    masks = Item.objects.get(code="surgical-mask")
    login(phone_page, "keeper")
    phone_page.goto("/materials/stocktakes/")
    phone_page.locator("[data-new-stocktake]").click()
    phone_page.wait_for_load_state("networkidle")

    row = phone_page.locator("tr[data-item=surgical-mask]")
    assert "300" in row.locator("[data-book]").inner_text()
    row.locator("input").fill("288")
    phone_page.locator("tr[data-item=alcohol-75] input").fill("12.5")
    phone_page.locator(".stocktake-form button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")

    line = phone_page.locator("tr[data-item=surgical-mask]")
    assert line.get_attribute("data-variance") == "-12"
    assert phone_page.locator("tr[data-item=alcohol-75]").get_attribute("data-variance") == "0"
    # Nothing runs off the side of a 375 px screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375

    line.locator("a").click()
    phone_page.wait_for_load_state("networkidle")
    last = phone_page.locator("tr[data-kind=adjustment]").last
    assert last.locator("[data-out]").inner_text().strip() == "12"
    assert last.locator("[data-balance]").inner_text().strip() == "288"
    assert "288" in phone_page.locator("[data-on-hand]").inner_text()
    assert Stock.objects.get(unit=world.a1, item=masks).on_hand == 288
