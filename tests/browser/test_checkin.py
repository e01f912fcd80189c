"""The daily check-in as people use it: an employee on a phone (375 px), and a duty officer's morning check."""

import datetime

import pytest
from django.utils import timezone

from lianfang.health.defaults import ensure_default_questions
from lianfang.health.models import CheckIn, Question
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    ensure_default_questions()  # a transactional test before this one may have flushed them
    person = PersonFactory(unit=tree.a1, name="李娜", employee_no="HT0101")
    person.user = user_with_role(Role.EMPLOYEE, tree.a1, username="HT0101")
    person.save()
    return {"tree": tree, "person": person}


def _answers():
    codes = {"travel-risk-area": "no", "contact-case": "no", "health-code": "green"}
    return {str(q.current_id): codes[q.code] for q in Question.objects.filter(code__in=codes)}


def test_an_employee_checks_in_on_a_phone_from_the_shared_link(phone_page, world):
    page = phone_page
    page.goto("/health/checkin/")  # the link shared in the unit's chat group
    assert "/login/" in page.url
    page.fill("input[name=username]", "HT0101")
    page.fill("input[name=password]", "pw-Lianfang-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/health/checkin/")

    page.fill("#id_temperature", "36.6")
    page.select_option("#id_province", "42")
    page.wait_for_selector("#id_city option[value='4201']", state="attached")
    page.select_option("#id_city", "4201")
    page.wait_for_selector("#id_district option[value='420102']", state="attached")
    page.select_option("#id_district", "420102")
    for question in Question.objects.filter(code__in=["travel-risk-area", "contact-case"]):
        page.locator(f"label:has(input[name=q_{question.current_id}][value=no])").tap()
    health_code = Question.objects.get(code="health-code")
    page.locator(f"label:has(input[name=q_{health_code.current_id}][value=green])").tap()
    submit = page.get_by_test_id("submit-checkin")
    assert submit.bounding_box()["height"] >= 48  # a thumb-sized target
    submit.tap()
    page.wait_for_load_state("networkidle")

    assert page.get_by_test_id("checkin-status").is_visible()
    checkin = CheckIn.objects.get(person=world["person"])
    assert (str(checkin.temperature), checkin.location_name) == ("36.6", "湖北省武汉市江岸区")
    # Nothing sticks out sideways on a 375 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_normal_day_is_one_tap_with_same_as_yesterday(phone_page, world):
    person = world["person"]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    checkins.checkin_submit(
        actor=person.user,
        person=person,
        data=CheckInData(temperature="36.4", location_code="110101", answers=_answers()),
        date=yesterday,
    )
    login(phone_page, "HT0101")
    phone_page.goto("/health/checkin/")
    phone_page.get_by_test_id("same-as-yesterday").tap()
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.get_by_test_id("checkin-status").is_visible()
    today = CheckIn.objects.get(person=person, date=timezone.localdate())
    assert (str(today.temperature), today.location_code, today.source) == ("36.4", "110101", "same")


def test_a_duty_officer_runs_the_morning_check_for_the_unit(page, world):
    tree = world["tree"]
    user_with_role(Role.DUTY_OFFICER, tree.a1, username="duty")
    staff = [PersonFactory(unit=tree.a1, name=f"员工{i}") for i in range(3)]
    login(page, "duty")
    page.goto(f"/health/proxy/?unit={tree.a1.pk}")
    page.fill(f"#t_{staff[1].pk}", "38.3")
    page.get_by_test_id("all-normal").click()
    page.wait_for_load_state("networkidle")
    readings = dict(CheckIn.objects.values_list("person_id", "temperature"))
    assert str(readings[staff[1].pk]) == "38.3"
    assert str(readings[staff[0].pk]) == "36.5" and str(readings[staff[2].pk]) == "36.5"
    assert str(readings[world["person"].pk]) == "36.5"  # the employee without a phone check-in yet
    assert page.locator("tr.is-done").count() == 4
    assert CheckIn.objects.get(person=staff[1]).is_flagged
