"""Outings as their users live them (issue 13): the employee asks on a phone and picks the destination
from the cascading selects, the leader approves on a desktop, the employee sees it approved; the page
never scrolls sideways on a phone."""

import datetime

import pytest
from django.utils import timezone

from lianfang.org.choices import Role
from lianfang.outings.models import Outing
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    employee = user_with_role(None, None, username="zhangwei")
    PersonFactory(unit=tree.a1, name="张伟", user=employee)
    user_with_role(Role.LEADER, tree.a, username="leader")
    return tree


def scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


def test_an_employee_asks_on_a_phone_and_the_leader_approves_on_a_desk(phone_page, page, world):
    start = timezone.localdate() + datetime.timedelta(days=3)
    login(phone_page, "zhangwei")
    phone_page.goto("/outings/")
    phone_page.click("[data-testid=ask]")
    phone_page.select_option("select[name=province]", "42")
    phone_page.wait_for_function("document.querySelector('select[name=city]').options.length > 1")
    phone_page.select_option("select[name=city]", "4201")
    phone_page.wait_for_function("document.querySelector('select[name=district]').options.length > 1")
    phone_page.select_option("select[name=district]", "420106")
    phone_page.fill("input[name=date_from]", start.isoformat())
    phone_page.fill("input[name=date_to]", (start - datetime.timedelta(days=1)).isoformat())
    phone_page.fill("input[name=reason]", "探亲")
    phone_page.select_option("select[name=transport]", "train")
    phone_page.click("[data-testid=outing-form] button[type=submit]")
    assert "返回日期不能早于出发日期" in phone_page.content()
    assert not scrolls_sideways(phone_page)
    phone_page.fill("input[name=date_to]", (start + datetime.timedelta(days=2)).isoformat())
    phone_page.click("[data-testid=outing-form] button[type=submit]")
    assert "申请已提交甲公司审批" in phone_page.content()
    outing = Outing.objects.get()
    assert outing.place_name == "湖北省武汉市武昌区"
    assert not scrolls_sideways(phone_page)

    login(page, "leader")
    page.goto("/")
    page.click("text=1 件外出申请待您审批")
    page.click(f"[data-row='{outing.pk}'] button:has-text('同意')")
    assert "已同意" in page.content()

    phone_page.goto(f"/outings/{outing.pk}/")
    assert "已批准" in phone_page.content()
