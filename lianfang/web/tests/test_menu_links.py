"""Links a role cannot open are not shown: every link of the menu, the home page and the Manage page
of every demo persona opens (200), none answers 403 — and the menu is grouped, not one long row."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from lianfang.demo import loader as demo


@pytest.fixture(scope="module")
def demo_group(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = demo.load()
        yield result
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_group")]

PERSONAS = [persona.username for persona in demo.PERSONAS]


class _Links(HTMLParser):
    """The site's own links of a page (``<a href="/…">``), each with the menu entry it is, if any."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("/") and not href.startswith("//"):
            self.links.append((href.split("#")[0], attrs.get("data-menu")))


def links_of(html: str) -> list[tuple[str, str | None]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def signed_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("username", PERSONAS)
def test_every_link_of_the_menu_the_home_page_and_the_manage_page_opens_for_the_persona(username):
    client = signed_in(username)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    links = links_of(home.content.decode())
    pages = {reverse("home")}
    if reverse("manage") in {href for href, _key in links}:
        manage = client.get(reverse("manage"))
        assert manage.status_code == 200
        links += links_of(manage.content.decode())
        pages.add(reverse("manage"))

    refused = {}
    for href in sorted({href for href, _key in links} - pages):
        status = client.get(href).status_code
        if status != 200:
            refused[href] = status
    assert refused == {}, f"{username} is shown links that do not open: {refused}"


def _pattern(href: str) -> str:
    """A link's kind: its path with numbers blanked and without its query (one check per kind of page)."""
    return re.sub(r"\d+", "#", href.split("?")[0])


@pytest.mark.parametrize("username", PERSONAS)
def test_the_pages_of_the_menu_link_to_no_page_that_refuses_the_persona(username):
    # One level further than the menu: the inspector's check-in completion once linked every unit's
    # list of non-reporters, which names people and answered 403 to an inspector.
    client = signed_in(username)
    menu_pages = {href for href, key in links_of(client.get(reverse("home")).content.decode()) if key}
    seen: dict[str, str] = {}
    for page in sorted(menu_pages):
        for href, _key in links_of(client.get(page).content.decode()):
            if "/logout" not in href and "export" not in href:
                seen.setdefault(_pattern(href), href)
    refused = {href: code for href in seen.values() if (code := client.get(href).status_code) == 403}
    assert refused == {}, f"{username} is shown links that answer 403: {refused}"


def menu_of(username: str) -> dict[str, list[str]]:
    """The persona's menu: top-level entry → the entries of its submenu (empty for a plain link)."""
    html = signed_in(username).get(reverse("home")).content.decode()
    menu = re.search(r'<ul class="menu-links">(.*?)</nav>', html, re.S).group(1)
    submenus = re.findall(r'<ul class="submenu" id="submenu-([^"]+)">(.*?)</ul>', menu, re.S)
    top = re.sub(r'<ul class="submenu".*?</ul>', "", menu, flags=re.S)
    entries = {key: [] for key in re.findall(r'data-menu="([^"]+)"', top)}
    for group, block in submenus:
        entries[group] = re.findall(r'data-menu="([^"]+)"', block)
    return entries


def test_the_office_finds_materials_and_manage_pages_in_submenus_and_the_unit_report_overview_in_the_menu():
    menu = menu_of("admin")

    assert list(menu) == [
        "home",
        "checkins",
        "reports",
        "status",
        "cases",
        "materials",
        "duty",
        "sites",
        "units",
        "people",
        "inbox",
        "manage",
    ]
    assert menu["duty"] == ["on-duty", "coverage", "swaps", "urgent", "urgent-new"]
    assert menu["sites"] == ["disinfection", "disinfection-plans", "checkpoints", "entries", "visitors"]
    assert {"stock", "requests", "transfers", "donations"} <= set(menu["materials"])
    assert {"manage-hub", "org:settings", "people:import", "audit-changes"} <= set(menu["manage"])
    assert menu["reports"] == ["dashboard", "report", "overview", "bulletins", "raised"]
    assert menu["checkins"] == ["checkin", "proxy", "completion"]
    assert menu["people"] == [
        "roster",
        "my-outings",
        "outing-approvals",
        "outing-list",
        "outing-monitoring",
        "teams",
        "my-call-ups",
    ]


def test_an_employee_s_menu_is_their_check_in_and_inbox_without_submenus():
    assert menu_of("employee") == {"home": [], "my-pass": [], "checkin": [], "my-outings": [], "inbox": []}


def test_the_inspector_s_menu_offers_only_what_an_inspector_may_open():
    menu = menu_of("inspector")

    assert "manage" not in menu and "materials" not in menu and "people" not in menu
    assert menu["reports"] == ["dashboard", "overview", "raised"]
