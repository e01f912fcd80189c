import re

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.people.choices import Category, Whereabouts
from lianfang.people.models import Person, Tag
from lianfang.testing import PersonFactory, make_id_number, user_with_role

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"


def signed_in(client, user):
    client.force_login(user)
    return client


def in_english(client):
    """Pages are Chinese by default; a test that reads an English message asks for English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def rows(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}


def person_form(unit, **changes) -> dict:
    data = {
        "name": "王小红",
        "gender": "F",
        "employee_no": "E-100",
        "unit": unit.pk,
        "category": Category.EMPLOYEE,
        "employment_status": "active",
        "whereabouts": Whereabouts.STAYED,
        "id_number": "",
        "phone": "",
    }
    return {**data, **changes}


def edit_form(person, **changes) -> dict:
    return person_form(person.unit, **{"name": person.name, "employee_no": person.employee_no, **changes})


# --- the list -----------------------------------------------------------------------------------


def test_the_roster_lists_only_people_in_the_viewers_units(client, tree):
    mine = {PersonFactory(unit=tree.a1).pk, PersonFactory(unit=tree.a1s).pk}
    PersonFactory(unit=tree.a2)
    PersonFactory(unit=tree.b1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a1))

    response = client.get(reverse("people:list"))

    assert response.status_code == 200
    assert rows(response) == mine
    assert 'data-total="2"' in response.content.decode()


def test_the_group_office_on_the_group_sees_everyone_on_the_roster(client, tree):
    everyone = {PersonFactory(unit=tree.a1).pk, PersonFactory(unit=tree.b1).pk}
    signed_in(client, user_with_role(Role.GROUP_ADMIN, tree.group))

    assert rows(client.get(reverse("people:list"))) == everyone


def test_the_roster_filters_by_category_unit_and_search(client, tree):
    employee = PersonFactory(unit=tree.a1, category=Category.EMPLOYEE, name="张三")
    family = PersonFactory(unit=tree.a1s, category=Category.FAMILY, name="李四")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    assert rows(client.get(reverse("people:list"), {"category": "family"})) == {family.pk}
    assert rows(client.get(reverse("people:list"), {"unit": tree.a1s.pk})) == {family.pk}
    assert rows(client.get(reverse("people:list"), {"q": "张"})) == {employee.pk}
    assert rows(client.get(reverse("people:list"), {"q": employee.id_number})) == {employee.pk}


def test_the_unit_filter_offers_only_units_in_scope(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a1))

    page = client.get(reverse("people:list")).content.decode()
    select = re.search(r'<select name="unit".*?</select>', page, re.S).group(0)

    assert f'value="{tree.a1s.pk}"' in select
    assert f'value="{tree.a2.pk}"' not in select
    assert tree.b1.name not in page


def test_a_filter_change_from_htmx_refreshes_only_the_results_and_the_export_link(client, tree):
    family = PersonFactory(unit=tree.a1, category=Category.FAMILY)
    PersonFactory(unit=tree.a1, category=Category.EMPLOYEE)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.get(reverse("people:list"), {"category": "family"}, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "<html" not in page
    assert rows(response) == {family.pk}
    assert f'href="{reverse("people:export")}?category=family"' in page


def test_the_roster_shows_fifty_people_a_page(client, tree):
    for _ in range(55):
        PersonFactory(unit=tree.a1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    first = client.get(reverse("people:list"))
    second = client.get(reverse("people:list"), {"page": 2})

    assert len(rows(first)) == 50
    assert len(rows(second)) == 5
    assert 'data-total="55"' in first.content.decode()


def test_the_export_link_carries_the_filters_but_not_the_page(client, tree):
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    page = client.get(reverse("people:list"), {"category": "family", "q": "王", "page": 1}).content.decode()

    assert f'href="{reverse("people:export")}?category=family&amp;q=%E7%8E%8B"' in page


def test_import_and_export_links_show_only_to_those_allowed(client, tree):
    signed_in(client, user_with_role(Role.DUTY_OFFICER, tree.a))
    page = client.get(reverse("people:list")).content.decode()
    assert reverse("people:export") not in page
    assert reverse("people:import") not in page

    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))
    page = client.get(reverse("people:list")).content.decode()
    assert reverse("people:export") in page
    assert reverse("people:import") in page


def test_phones_in_the_list_are_masked(client, tree):
    PersonFactory(unit=tree.a1, phone="13812345678")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("people:list")).content.decode()

    assert "138****5678" in page
    assert "13812345678" not in page


# --- one person ---------------------------------------------------------------------------------


def test_a_liaison_of_one_company_cannot_find_a_person_of_another(client, tree):
    stranger = PersonFactory(unit=tree.b1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    assert client.get(reverse("people:detail", args=[stranger.pk])).status_code == 404
    assert client.get(reverse("people:edit", args=[stranger.pk])).status_code == 404


def test_the_id_number_and_phone_never_appear_in_full_for_a_viewer_who_may_not_unmask(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER, phone="13812345678")
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()

    assert "110105********002X" in page
    assert "138****5678" in page
    assert ID_NUMBER not in page
    assert "13812345678" not in page
    assert reverse("people:reveal", args=[person.pk, "id_number"]) not in page


def test_a_viewer_who_may_unmask_gets_a_show_button_but_still_a_masked_page(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("people:detail", args=[person.pk])).content.decode()

    assert f'hx-post="{reverse("people:reveal", args=[person.pk, "id_number"])}"' in page
    assert ID_NUMBER not in page


def test_showing_an_id_number_swaps_in_the_value_and_writes_an_audit_event(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    signed_in(client, liaison)

    response = client.post(reverse("people:reveal", args=[person.pk, "id_number"]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert ID_NUMBER in response.content.decode()
    assert "<html" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(kind=AuditKind.UNMASK)
    assert event.user == liaison
    assert event.unit == tree.a1
    assert event.detail["field"] == "id_number"


def test_without_javascript_the_show_button_answers_with_the_whole_page(client, tree):
    person = PersonFactory(unit=tree.a1, phone="13812345678")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:reveal", args=[person.pk, "phone"]))

    page = response.content.decode()
    assert "<html" in page
    assert 'href="tel:13812345678"' in page
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASK).count() == 1


def test_a_reveal_must_be_a_post(client, tree):
    person = PersonFactory(unit=tree.a1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    assert client.get(reverse("people:reveal", args=[person.pk, "id_number"])).status_code == 405
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()


def test_a_leader_may_not_reveal_and_nothing_is_logged(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER)
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    response = client.post(reverse("people:reveal", args=[person.pk, "id_number"]))

    assert response.status_code == 403
    assert ID_NUMBER not in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()


def test_only_the_id_number_and_phone_can_be_revealed(client, tree):
    person = PersonFactory(unit=tree.a1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    assert client.post(reverse("people:reveal", args=[person.pk, "name"])).status_code == 404


def test_an_employee_sees_their_own_record_and_nobody_elses(client, tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    me = PersonFactory(unit=tree.a1, user=employee)
    colleague = PersonFactory(unit=tree.a1)
    signed_in(client, employee)

    assert client.get(reverse("people:detail", args=[me.pk])).status_code == 200
    assert client.get(reverse("people:detail", args=[colleague.pk])).status_code == 404
    assert rows(client.get(reverse("people:list"))) == {me.pk}
    assert client.get(reverse("people:edit", args=[me.pk])).status_code == 403


# --- create and edit ----------------------------------------------------------------------------


def test_a_liaison_adds_a_person_with_tags(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))
    tags = list(Tag.objects.filter(code__in=["party-member", "volunteer"]).values_list("pk", flat=True))

    response = client.post(
        reverse("people:create"), person_form(tree.a1, id_number=ID_NUMBER, phone="13812345678", tags=tags)
    )

    person = Person.objects.get(employee_no="E-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    assert person.id_number == ID_NUMBER
    assert set(person.tags.values_list("code", flat=True)) == {"party-member", "volunteer"}


def test_the_tags_are_checkboxes(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("people:create")).content.decode()

    assert page.count('type="checkbox" name="tags"') == Tag.objects.count()


def test_the_unit_choices_hold_only_units_where_the_user_may_add(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a1))

    page = client.get(reverse("people:create")).content.decode()
    select = re.search(r'<select name="unit".*?</select>', page, re.S).group(0)

    assert f'value="{tree.a1s.pk}"' in select
    assert f'value="{tree.a2.pk}"' not in select
    assert f'value="{tree.b1.pk}"' not in select


def test_a_bad_id_number_is_shown_on_its_field_and_nothing_is_added(client, tree):
    signed_in(in_english(client), user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:create"), person_form(tree.a1, id_number="110105194912310021"))

    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'has-error[^"]*">\s*<label for="id_id_number"', page)
    assert "check character is wrong" in page
    assert not Person.objects.filter(employee_no="E-100").exists()


def test_a_return_without_a_date_is_refused_on_the_date_field(client, tree):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:create"), person_form(tree.a1, whereabouts=Whereabouts.RETURNED))

    assert re.search(r'has-error[^"]*">\s*<label for="id_returned_on"', response.content.decode())
    assert not Person.objects.filter(employee_no="E-100").exists()


def test_a_taken_employee_number_is_refused_on_its_field(client, tree):
    PersonFactory(unit=tree.b1, employee_no="E-100")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:create"), person_form(tree.a1))

    assert re.search(r'has-error[^"]*">\s*<label for="id_employee_no"', response.content.decode())
    assert Person.objects.filter(employee_no="E-100").count() == 1


def test_a_leader_gets_403_on_editing_a_person_in_scope(client, tree):
    person = PersonFactory(unit=tree.a1, name="原名")
    signed_in(client, user_with_role(Role.LEADER, tree.a))

    assert client.get(reverse("people:edit", args=[person.pk])).status_code == 403
    assert client.post(reverse("people:edit", args=[person.pk]), edit_form(person, name="改名")).status_code == 403
    assert Person.objects.get(pk=person.pk).name == "原名"


def test_the_edit_form_never_holds_the_full_id_number_or_phone(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER, phone="13812345678")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    page = client.get(reverse("people:edit", args=[person.pk])).content.decode()

    assert ID_NUMBER not in page
    assert "13812345678" not in page
    assert "110105********002X" in page


def test_editing_with_the_id_number_left_empty_keeps_it(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER, phone="13812345678")
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:edit", args=[person.pk]), edit_form(person, name="新名字"))

    person.refresh_from_db()
    assert response.status_code == 302
    assert person.name == "新名字"
    assert person.id_number == ID_NUMBER
    assert person.phone == "13812345678"


def test_editing_replaces_the_id_number_when_a_new_one_is_typed(client, tree):
    person = PersonFactory(unit=tree.a1, id_number=ID_NUMBER)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))
    new_number = make_id_number(7)

    client.post(reverse("people:edit", args=[person.pk]), edit_form(person, id_number=new_number))

    person.refresh_from_db()
    assert person.id_number == new_number


def test_moving_a_person_outside_the_scope_is_refused_on_the_unit_field(client, tree):
    person = PersonFactory(unit=tree.a1)
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a))

    response = client.post(reverse("people:edit", args=[person.pk]), {**edit_form(person), "unit": tree.b1.pk})

    assert response.status_code == 200
    assert re.search(r'has-error[^"]*">\s*<label for="id_unit"', response.content.decode())
    assert Person.objects.get(pk=person.pk).unit == tree.a1
