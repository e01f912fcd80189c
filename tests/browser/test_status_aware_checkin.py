"""Check-ins that know the person's status, as people use them: a liaison's morning check on a phone
with a confirmed case and a person in isolation in the unit, and a red person's own check-in."""

import datetime
import os

import pytest
from django.utils import timezone

from lianfang.health.defaults import ensure_default_questions
from lianfang.health.models import CheckIn
from lianfang.health.tests.status_helpers import case, isolation, rules
from lianfang.org.choices import Role
from lianfang.status.engine import recompute_all
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

# Screenshots to look at (STYLE.md, 13): written when LIANFANG_SCREENSHOTS names a folder.
SHOTS = os.environ.get("LIANFANG_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def world():
    tree = make_tree()
    ensure_default_questions()
    rules()
    today = timezone.localdate()
    well = PersonFactory.create_batch(4, unit=tree.a1s)
    sick = PersonFactory(unit=tree.a1s, name="王确诊", employee_no="HT0201")
    sick.user = user_with_role(Role.EMPLOYEE, tree.a1s, username="HT0201")
    sick.save()
    case(sick, "confirmed")
    isolated = PersonFactory(unit=tree.a1s, name="李隔离")
    isolation(isolated, today - datetime.timedelta(days=2), today + datetime.timedelta(days=6), kind="central")
    recompute_all()
    user_with_role(Role.UNIT_ADMIN, tree.a1s, username="liaison-s")
    return {"tree": tree, "well": well, "sick": sick, "isolated": isolated}


def test_the_morning_check_on_a_phone_leaves_the_case_and_the_isolated_person_out_of_all_normal(phone_page, world):
    page = phone_page
    login(page, "liaison-s")
    page.goto(f"/health/proxy/?unit={world['tree'].a1s.pk}")
    rows = page.locator("tr[data-person]")
    assert rows.count() == 6
    isolated_row = page.locator("tr.not-at-work", has_text="李隔离")
    assert "不得到岗" in isolated_row.inner_text()
    assert isolated_row.locator("select option").all_inner_texts() == ["集中隔离中"]
    assert page.get_by_test_id("not-at-work").is_visible()
    shot(page, "morning-check-phone.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_test_id("all-normal").tap()
    page.wait_for_load_state("networkidle")
    recorded = set(CheckIn.objects.values_list("person_id", flat=True))
    assert recorded == {p.pk for p in world["well"]}
    assert "王确诊" in page.content()  # named among those left out


def test_a_red_person_sees_why_above_the_form_and_cannot_choose_on_site(page, world):
    login(page, "HT0201")
    page.goto("/health/checkin/")
    verdict = page.get_by_test_id("work-verdict")
    assert "不得到岗" in verdict.inner_text()
    form_top = page.get_by_test_id("submit-checkin").bounding_box()["y"]
    assert verdict.bounding_box()["y"] < form_top
    assert page.locator("input[name=work_mode][value=on_site]").count() == 0
    shot(page, "red-checkin-desktop.png")
