"""The foundation's pages as a person uses them: sign in, browse the tree, import, switch language."""

import pytest

from lianfang.org.choices import Role
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, make_id_number, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    PersonFactory(unit=tree.a1s, name="王芳")
    PersonFactory(unit=tree.b1, name="赵强")
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    return {"tree": tree, "office": office, "liaison": liaison}


def test_a_wrong_password_keeps_the_person_on_the_sign_in_page_with_a_message(page, world):
    login(page, "office", "not-the-password")
    assert "/login/" in page.url
    assert page.locator("[role=alert]").is_visible()


def test_the_office_signs_in_and_browses_the_tree_down_to_a_site(page, world):
    login(page, "office")
    assert "/login/" not in page.url
    page.goto("/units/")
    tree = page.locator("#tree")
    assert tree.get_by_role("link", name="甲公司", exact=True).is_visible()
    assert tree.get_by_role("link", name="乙公司", exact=True).is_visible()
    tree.get_by_role("link", name="甲公司", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().strip().startswith("甲公司")
    assert page.get_by_role("link", name="甲公司综合部").first.is_visible()


def test_a_liaison_sees_only_their_own_subsidiary_in_the_tree(page, world):
    login(page, "liaison")
    page.goto("/units/")
    tree = page.locator("#tree")
    assert tree.get_by_role("link", name="甲公司", exact=True).is_visible()
    assert tree.get_by_role("link", name="乙公司", exact=True).count() == 0


def test_searching_the_tree_narrows_it_as_the_person_types(page, world):
    login(page, "office")
    page.goto("/units/")
    page.fill("input[name=q]", "热力站")
    page.wait_for_function("document.querySelectorAll('#tree .is-match').length === 1")
    assert page.locator("#tree .is-match").inner_text().startswith("甲公司一号热力站")


def test_an_import_with_one_bad_row_shows_the_row_and_column_and_writes_nobody(page, world):
    good, bad = make_id_number(11), make_id_number(12)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # break the check character
    csv = (f"姓名,工号,单位编码,身份证号,人员类别\n李娜,N001,A1,{good},正式员工\n周杰,N002,A1,{bad},正式员工\n").encode(
        "utf-8-sig"
    )
    login(page, "liaison")
    page.goto("/people/import/")
    page.set_input_files("input[type=file]", files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": csv}])
    page.locator("form.import-form button[type=submit]").click()
    errors = page.locator("table.table-errors tbody tr")
    errors.first.wait_for()
    assert errors.count() == 1
    cells = errors.first.locator("td").all_inner_texts()
    assert cells[0].strip() == "3"
    assert cells[1].strip() == "身份证号"
    assert not Person.objects.filter(employee_no__in=["N001", "N002"]).exists()


def test_a_good_import_reports_what_it_added(page, world):
    csv = f"姓名,工号,单位编码,身份证号\n李娜,N001,A1,{make_id_number(21)}\n".encode()
    login(page, "liaison")
    page.goto("/people/import/")
    page.set_input_files("input[type=file]", files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": csv}])
    page.locator("form.import-form button[type=submit]").click()
    page.locator("[data-count=created]").wait_for()
    assert page.locator("[data-count=created]").inner_text().strip() == "1"
    assert Person.objects.get(employee_no="N001").unit.code == "A1"


def test_the_pages_are_chinese_by_default_and_switch_to_english(page, world):
    login(page, "office")
    page.goto("/units/")
    assert page.locator("h1").inner_text().strip() == "单位"
    page.get_by_role("button", name="English").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().strip() == "Units"
    page.goto("/people/")
    assert page.locator("h1").inner_text().strip() == "People"
    page.get_by_role("button", name="中文").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().strip() == "人员"


def test_a_masked_id_number_is_revealed_only_on_request(page, world):
    person = Person.objects.get(name="王芳")
    login(page, "liaison")
    page.goto(f"/people/{person.pk}/")
    body = page.locator("main")
    assert person.id_number not in body.inner_text()
    assert person.id_number_masked in body.inner_text()
    page.locator("form[action$='/reveal/id_number/'] button").first.click()
    page.get_by_text(person.id_number).wait_for()


def test_on_a_phone_the_menu_folds_and_the_page_does_not_scroll_sideways(phone_page, world):
    login(phone_page, "office")
    phone_page.goto("/people/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
