"""Materials between units as people do it: a liaison requests masks from a phone, the office covers
the request from another enterprise, its keeper ships, and the requesting unit receives."""

import pytest

from lianfang.materials.choices import RequestStatus, TransferStatus
from lianfang.materials.models import MaterialRequest, Transfer
from lianfang.materials.tests.transfer_helpers import items, on_hand, stock
from lianfang.org.choices import Role
from lianfang.testing import make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    catalogue = items()
    stock(tree.b1, catalogue["surgical-mask"], 5000)
    user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison")
    user_with_role(Role.MATERIALS_KEEPER, tree.a1, username="keeper-a1")
    user_with_role(Role.MATERIALS_KEEPER, tree.b1, username="keeper-b1")
    return tree, catalogue


def test_request_to_transfer_to_shipment_to_receipt(phone_page, page, world):
    tree, catalogue = world
    mask = catalogue["surgical-mask"]

    # The liaison asks from a phone.
    login(phone_page, "liaison")
    phone_page.goto("/materials/requests/new/")
    phone_page.select_option("select[name=item]", str(mask.pk))
    phone_page.fill("input[name=quantity]", "2000")
    phone_page.select_option("select[name=urgency]", "urgent")
    phone_page.check("input[name=front_line]")
    phone_page.fill("input[name=reason]", "热力站一线值守口罩告急")
    phone_page.click("form.form button[type=submit]")
    phone_page.wait_for_load_state("networkidle")
    request = MaterialRequest.objects.get()
    assert phone_page.locator("[data-outstanding]").inner_text().strip() == "2000"

    # The office covers it from B1 and approves at once.
    login(page, "office")
    page.goto(f"/materials/requests/{request.pk}/")
    page.locator("[data-form=match] select[name=from_unit]").select_option(str(tree.b1.pk))
    page.locator("[data-form=match] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    transfer = Transfer.objects.get()
    assert transfer.status == TransferStatus.APPROVED
    assert transfer.number in page.locator("h1").inner_text()

    # B1's keeper ships.
    page.context.clear_cookies()
    login(page, "keeper-b1")
    page.goto(f"/materials/transfers/{transfer.pk}/")
    page.locator("[data-form=ship] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SHIPPED
    assert on_hand(tree.b1, mask) == 3000

    # A1's keeper sees it in transit and receives it from a phone.
    phone_page.context.clear_cookies()
    login(phone_page, "keeper-a1")
    phone_page.goto("/materials/transfers/in-transit/")
    assert transfer.number in phone_page.content()
    phone_page.goto(f"/materials/transfers/{transfer.pk}/")
    phone_page.locator("[data-form=receive] button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")
    transfer.refresh_from_db()
    request.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert request.status == RequestStatus.COVERED
    assert on_hand(tree.a1, mask) == 2000
    assert phone_page.locator("[data-received]").first.inner_text().strip() == "2000"
    # Nothing sticks out of a 375 px screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
