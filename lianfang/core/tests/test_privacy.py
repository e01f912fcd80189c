import pytest
from django.db import connection

from lianfang.core.fields import blind_index
from lianfang.core.masking import mask_id_number, mask_name, mask_phone
from lianfang.people.models import Person
from lianfang.testing import PersonFactory


def test_an_id_number_shows_its_first_six_and_last_four_characters():
    assert mask_id_number("11010519491231002X") == "110105********002X"


def test_a_phone_shows_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_a_name_keeps_only_the_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"


def test_empty_values_stay_empty():
    assert mask_id_number("") == mask_phone(None) == ""


@pytest.mark.django_db
def test_the_id_number_is_never_stored_in_clear(tree):
    person = PersonFactory(unit=tree.a1, id_number="11010519491231002X")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM people_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert "11010519491231002X" not in stored
    assert Person.objects.get(pk=person.pk).id_number == "11010519491231002X"


@pytest.mark.django_db
def test_an_id_number_can_be_found_by_its_digest(tree):
    person = PersonFactory(unit=tree.a1, id_number="11010519491231002X")
    assert Person.objects.get(id_number_digest=blind_index("11010519491231002x")) == person
