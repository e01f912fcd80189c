"""The unit daily report as people use it: a liaison's zero report from a phone, seen on time by the office."""

import datetime

import pytest
from django.utils import timezone

from lianfang.org.choices import Role
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import UnitDailyReport
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def morning(monkeypatch):
    # 10:00 today in Shanghai, well before the 15:00 deadline; the live server runs in this process.
    moment = datetime.datetime.now(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def world(morning):
    ensure_default_report_fields()  # a transactional test before this one may have flushed it
    tree = make_tree()
    PersonFactory.create_batch(3, unit=tree.a1)
    user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    return tree


def test_a_liaison_submits_a_zero_report_in_one_action_and_the_office_sees_it_on_time(phone_page, page, world):
    login(phone_page, "liaison")
    phone_page.goto("/reports/")
    assert "甲公司" in phone_page.locator("h1").inner_text()
    assert phone_page.locator("input[name=headcount]").input_value() == "3"  # prefilled from the roster

    phone_page.locator("[data-zero-report]").click()
    phone_page.wait_for_load_state("networkidle")

    assert phone_page.locator(".message-success, .messages").first.is_visible()
    assert phone_page.locator("[data-timeliness=timely]").first.is_visible()
    report = UnitDailyReport.objects.get()
    assert report.is_zero_report and not report.is_late

    login(page, "office")
    page.goto("/reports/overview/")
    row_a = page.locator("tr[data-unit=A]")
    assert row_a.get_attribute("data-timeliness") == "timely"
    assert row_a.get_attribute("data-zero") == "1"
    assert row_a.locator("[data-zero]").is_visible()
    row_b = page.locator("tr[data-unit=B]")
    assert row_b.get_attribute("data-timeliness") == "missing"  # no report: missing, never zero
    assert row_b.get_attribute("data-zero") == "0"
    assert page.locator("[data-total=zero]").inner_text() == "1"
    assert page.locator("[data-total=missing]").inner_text() == "1"
