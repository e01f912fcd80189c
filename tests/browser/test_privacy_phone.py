"""The privacy and sign-in pages on a phone (issue 11's review): no page is wider than the screen, the
forms in table rows stack, and the sign-ins name the browser in short."""

import os

import pytest

from lianfang.health.tests.factories import employee
from lianfang.org.choices import Role
from lianfang.privacy.tests.conftest import publish
from lianfang.testing import make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("LIANFANG_SHOTS", "")


@pytest.fixture
def world():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    publish(office)
    for _ in range(3):
        employee(tree.a1)
    return tree


@pytest.mark.parametrize(
    "path",
    [
        "/privacy/bases/",
        "/privacy/retention/",
        "/privacy/register/",
        "/privacy/receipts/",
        "/privacy/emergencies/",
        "/privacy/chain/",
        "/account/security/",
        "/account/sign-ins/",
    ],
)
def test_the_office_s_privacy_and_sign_in_pages_fit_a_phone(world, phone_page, path):
    login(phone_page, "office")
    phone_page.goto(path)
    if SHOTS:
        phone_page.screenshot(path=os.path.join(SHOTS, path.strip("/").replace("/", "-") + ".png"), full_page=True)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{path} is {width} px wide on a 375 px phone"
