"""Cases as a case manager works them: register a case, add contacts from the suggestions, order the
isolation, record a follow-up on a phone, release."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from lianfang.cases.models import Case, Contact, FollowUp, Isolation
from lianfang.health.models import CheckIn
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def morning(monkeypatch):
    moment = datetime.datetime.now(SHANGHAI).replace(hour=10, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@pytest.fixture
def world(morning):
    tree = make_tree()
    user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    user_with_role(Role.CASE_MANAGER, tree.a, username="manager")
    sick = PersonFactory(unit=tree.a1, name="王病例", employee_no="E-SICK")
    colleague = PersonFactory(unit=tree.a1, name="李同事", employee_no="E-COLL")
    today = morning.date()
    for n in (1, 2):
        for person in (sick, colleague):
            CheckIn.objects.create(
                person=person, unit=tree.a1, date=today - datetime.timedelta(days=n), temperature=Decimal("36.5")
            )
    return {"tree": tree, "sick": sick, "colleague": colleague}


def test_a_case_manager_registers_a_case_adds_contacts_from_suggestions_follows_up_and_releases(
    page, phone_page, world
):
    login(page, "manager")
    page.goto("/cases/new/")
    page.fill("input[name=employee_no]", "E-SICK")
    page.click("[data-case-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get()
    assert case.number in page.locator("[data-case-number]").inner_text()

    page.click("[data-add-contacts]")
    page.wait_for_load_state("networkidle")
    row = page.locator("tr[data-suggestion=E-COLL]")
    assert "李同事" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.click("[data-add-selected]")
    page.wait_for_load_state("networkidle")
    contact = Contact.objects.get()
    assert contact.person == world["colleague"] and contact.notified_at is not None
    assert page.locator(f"tr[data-contact='{contact.pk}'] [data-notified]").is_visible()

    page.locator(f"tr[data-contact='{contact.pk}'] [data-isolate]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=employee_no]").input_value() == "E-COLL"
    page.select_option("select[name=kind]", "home")
    page.click("[data-isolation-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    isolation = Isolation.objects.get()
    assert isolation.contact == contact

    # The follow-up on a phone.
    login(phone_page, "manager")
    phone_page.goto("/cases/followups/")
    card = phone_page.locator("[data-followup-card=E-COLL]")
    slot = card.locator("[data-slot='1']")
    slot.locator("input[name=temperature]").fill("36.7")
    slot.locator("button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")
    assert FollowUp.objects.filter(isolation=isolation, slot=1).exists()
    assert phone_page.locator("[data-followup-card=E-COLL] [data-slot='1']").get_attribute("data-recorded") == "1"
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1  # nothing wider than the phone

    page.goto(f"/cases/isolations/{isolation.pk}/")
    page.select_option("[data-release-form] select[name=test_result]", "negative")
    page.click("[data-release]")
    page.wait_for_load_state("networkidle")
    isolation.refresh_from_db()
    assert isolation.released_on == timezone.localdate()
    assert page.locator("[data-released]").is_visible()
