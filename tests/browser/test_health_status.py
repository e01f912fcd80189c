"""The health status as the office and an employee live it: the office adds a risk area, an
employee checks in from inside it on a phone and sees themselves yellow with the reason, and the
office's status board counts them."""

import pytest
from django.utils import timezone

from lianfang.health.defaults import ensure_default_questions
from lianfang.health.models import Question, RiskArea
from lianfang.org.choices import Role
from lianfang.status.defaults import ensure_default_status_rules
from lianfang.status.models import PersonStatus
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    ensure_default_questions()  # a transactional test before this one may have flushed them
    ensure_default_status_rules()
    person = PersonFactory(unit=tree.a1, name="王芳", employee_no="HT0201")
    person.user = user_with_role(Role.EMPLOYEE, tree.a1, username="HT0201")
    person.save()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    return {"tree": tree, "person": person, "office": office}


def test_office_adds_a_risk_area_and_an_employee_checking_in_from_it_turns_yellow(page, phone_page, world):
    # The office adds Wuhan (the city: its districts are covered) as a high-risk area from today.
    login(page, "office")
    page.goto("/health/risk-areas/new/")
    page.select_option("#id_province", "42")
    page.wait_for_selector("#id_city option[value='4201']", state="attached")
    page.select_option("#id_city", "4201")
    page.select_option("#id_level", "high")
    page.fill("#id_effective_from", timezone.localdate().isoformat())
    page.fill("#id_source", "指挥部通告第1号")
    page.get_by_test_id("risk-area-form").locator("button[type=submit]").click()
    page.locator("[data-area='4201']").wait_for()
    assert RiskArea.objects.get(division_code="4201").level == "high"

    # The employee checks in on a phone from a district of Wuhan.
    phone = phone_page
    login(phone, "HT0201")
    phone.goto("/health/checkin/")
    phone.fill("#id_temperature", "36.5")
    phone.select_option("#id_province", "42")
    phone.wait_for_selector("#id_city option[value='4201']", state="attached")
    phone.select_option("#id_city", "4201")
    phone.wait_for_selector("#id_district option[value='420102']", state="attached")
    phone.select_option("#id_district", "420102")
    answers = {"travel-risk-area": "yes", "contact-case": "no", "health-code": "green"}
    for question in Question.objects.filter(code__in=answers):
        phone.locator(f"label:has(input[name=q_{question.current_id}][value={answers[question.code]}])").tap()
    phone.get_by_test_id("submit-checkin").tap()
    phone.wait_for_load_state("networkidle")

    phone.get_by_test_id("checkin-status").wait_for()  # the page after the submission
    block = phone.get_by_test_id("status-block")
    assert block.is_visible()
    assert block.locator("[data-colour='yellow']").is_visible()
    assert "近期到过风险地区" in phone.get_by_test_id("status-reason").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert PersonStatus.objects.get(person=world["person"]).colour == "yellow"

    # The office's board counts one yellow person in 甲公司, and the list says why.
    page.goto("/health/status/")
    assert page.get_by_test_id("status-totals").locator(".status-yellow strong").inner_text() == "1"
    page.goto("/health/status/people/?colour=yellow")
    row = page.locator("[data-person='HT0201']")
    assert row.is_visible()
    assert "近期到过风险地区" in row.inner_text()
