"""The office and the leader on a desktop and a phone (issue 10): a menu on one row at 1280 px in both
languages that folds behind the menu button before it would wrap, submenus for materials and Manage,
the dashboard as a card per company on a phone, charts that say today is "as of" a time, and a
publish that asks while units still have time to report."""

import datetime

import pytest
from django.utils import timezone

from lianfang.org.choices import Role
from lianfang.reporting.tests.test_bulletin import make_group
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def morning(monkeypatch):
    """Today at 09:47, before the 15:00 report deadline. The live server runs in this process, so this
    is also the pages' clock; the date stays today's, for the browser keeps the session cookie."""
    moment = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9, 47)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def world(morning):
    """The group of the bulletin tests on this day, an office clerk with the most menu entries (group
    office administrator with a person record of their own) and a leader."""
    tree = make_tree()
    make_group(tree, day=morning.date())
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    PersonFactory(unit=tree.group, name="周明远", user=office)
    user_with_role(Role.LEADER, tree.group, username="leader")
    return tree


def set_language(page, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])


def menu_rows(page) -> int:
    """How many rows the menu's top-level entries take (1 when nothing wrapped)."""
    return page.evaluate(
        "new Set([...document.querySelectorAll('.menu-links > li')]"
        ".map(li => Math.round(li.getBoundingClientRect().top))).size"
    )


def fits_the_bar(page) -> bool:
    return page.evaluate(
        "(() => { const bar = document.querySelector('.topbar').getBoundingClientRect();"
        " const end = document.querySelector('.menu-end').getBoundingClientRect();"
        " return end.right <= bar.right && end.top < bar.top + 52; })()"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_office_s_menu_is_one_row_at_1280_px_in_either_language(page, world, language):
    login(page, "office")
    set_language(page, language)
    page.goto("/")

    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("[data-menu-toggle]").is_hidden()
    assert page.locator("#menu").is_visible()
    assert menu_rows(page) == 1
    assert fits_the_bar(page)
    assert page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height") <= 56


@pytest.mark.parametrize("width", [1180, 1024, 900])
def test_narrower_the_menu_folds_behind_the_button_before_it_would_wrap(page, world, width):
    login(page, "office")
    set_language(page, "en")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/")

    if page.locator("[data-menu-toggle]").is_visible():
        assert page.locator("#menu").is_hidden()
        page.click("[data-menu-toggle]")
        assert page.locator("#menu").is_visible()
    else:
        assert menu_rows(page) == 1 and fits_the_bar(page)


def test_the_materials_submenu_opens_on_a_click_and_closes_with_escape(page, world):
    login(page, "office")
    page.goto("/")
    submenu = page.locator("#submenu-materials")
    assert submenu.is_hidden()

    page.click("[data-menu=materials] > [data-submenu]")

    assert submenu.is_visible()
    assert submenu.locator("[data-menu=stock]").is_visible()
    assert submenu.locator("[data-menu=transfers]").is_visible()
    page.keyboard.press("Escape")
    assert submenu.is_hidden()
    page.click("[data-menu=manage] > [data-submenu]")
    page.locator("#submenu-manage [data-menu=audit-changes]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/audit/")
    assert "is-current" in page.locator("[data-menu=manage] > [data-submenu]").get_attribute("class")


def test_on_a_phone_the_menu_is_the_menu_button_and_its_groups_open_in_place(phone_page, world):
    login(phone_page, "office")
    phone_page.goto("/")
    assert phone_page.locator("[data-menu-toggle]").is_visible()
    assert phone_page.locator("#menu").is_hidden()

    phone_page.click("[data-menu-toggle]")
    phone_page.click("[data-menu=reports] > [data-submenu]")

    overview = phone_page.locator("#submenu-reports [data-menu=overview]")
    assert overview.is_visible()
    overview.click()
    phone_page.wait_for_load_state("networkidle")
    assert "/reports/overview/" in phone_page.url
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_dashboard_on_a_phone_is_a_card_per_company_and_names_are_readable(phone_page, world):
    login(phone_page, "leader")
    phone_page.goto("/reports/dashboard/")

    name = phone_page.locator("[data-table=units] tr[data-unit=A] th")
    assert name.inner_text().strip() == "甲公司"
    box = name.bounding_box()
    # The whole card width, on one line: not two characters a line.
    assert box["width"] > 280 and box["height"] < 40
    figures = phone_page.locator("[data-table=units] tr[data-unit=A] td").first.bounding_box()
    assert figures["width"] > 80
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    # The name leads to the company's check-in completion, the status to its report.
    name.locator("a").click()
    phone_page.wait_for_load_state("networkidle")
    assert "/health/completion/" in phone_page.url


def test_today_s_point_of_a_chart_is_drawn_apart_and_labelled_as_of_now(page, world):
    login(page, "office")
    page.goto("/reports/dashboard/")
    page.wait_for_selector("[data-chart][data-drawn=true]")

    chart = page.locator("[data-chart-figure=completion-14] [data-chart]")
    label = chart.get_attribute("data-partial")
    assert label.endswith("09:47")
    assert label in chart.inner_text() or label in chart.inner_html()
    assert "09:47" in page.locator("[data-as-of]").inner_text()


def test_publishing_before_the_deadline_asks_first_naming_the_unit_still_due(page, world):
    login(page, "office")
    page.goto("/reports/bulletins/")
    page.click("[data-action=build]")
    page.wait_for_load_state("networkidle")
    summary = page.locator("textarea[name=summary]")
    card = page.locator("[data-form=summary]")
    # The summary box: the card's whole width and several lines high.
    assert summary.bounding_box()["width"] >= card.bounding_box()["width"] - 2
    assert summary.bounding_box()["height"] > 120

    page.click("[data-action=publish]")
    page.wait_for_load_state("networkidle")

    confirm = page.locator("[data-confirm=publish]")
    assert confirm.is_visible()
    assert confirm.locator("[data-list=still-due] [data-unit=B]").inner_text().strip() == "乙公司"
    assert page.locator("[data-status=draft]").is_visible()
    page.click("[data-action=publish-anyway]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-status=published]").is_visible()
