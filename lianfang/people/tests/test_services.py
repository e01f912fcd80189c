import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.org.choices import Role
from lianfang.people.choices import Whereabouts
from lianfang.people.models import Person, Tag
from lianfang.people.services import person_create, person_reveal, person_update
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a)


def test_a_liaison_adds_a_person_with_tags(tree, liaison):
    tags = list(Tag.objects.filter(code__in=["party-member", "front-line"]))
    person = person_create(actor=liaison, unit=tree.a1s, name=" 李娜 ", employee_no="E100", tags=tags)
    assert person.name == "李娜"
    assert sorted(person.tags.values_list("code", flat=True)) == ["front-line", "party-member"]


def test_a_bad_id_number_is_reported_on_its_field_and_nothing_is_saved(tree, liaison):
    with pytest.raises(ValidationError) as exc:
        person_create(actor=liaison, unit=tree.a1, name="李娜", employee_no="E100", id_number="110105194912310021")
    assert "id_number" in exc.value.message_dict
    assert not Person.objects.exists()


def test_a_second_person_with_the_same_employee_number_is_refused(tree, liaison):
    PersonFactory(unit=tree.b1, employee_no="E100")
    with pytest.raises(ValidationError) as exc:
        person_create(actor=liaison, unit=tree.a1, name="李娜", employee_no="E100")
    assert "employee_no" in exc.value.message_dict


def test_a_returned_person_needs_a_return_date(tree, liaison):
    with pytest.raises(ValidationError):
        person_create(actor=liaison, unit=tree.a1, name="李娜", employee_no="E1", whereabouts=Whereabouts.RETURNED)


def test_a_liaison_cannot_add_people_outside_their_subsidiary(tree, liaison):
    with pytest.raises(PermissionDenied):
        person_create(actor=liaison, unit=tree.b1, name="李娜", employee_no="E1")


def test_fields_that_are_not_editable_are_refused(tree, liaison):
    person = PersonFactory(unit=tree.a1)
    with pytest.raises(ValidationError):
        person_update(actor=liaison, person=person, user_id=1)


def test_a_duty_officer_cannot_reveal_an_id_number(tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a)
    with pytest.raises(PermissionDenied):
        person_reveal(actor=duty, person=PersonFactory(unit=tree.a1), field="id_number")
