"""The demo group (lianfang/demo.py): what a person trying Lianfang finds after ``bin/demo``."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from lianfang import demo
from lianfang.core.fields import blind_index
from lianfang.core.models import ObjectChange
from lianfang.org.choices import Action, Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.people.choices import Category, Gender, Whereabouts
from lianfang.people.models import Person
from lianfang.people.validators import validate_id_number, validate_phone


@pytest.fixture(scope="module")
def demo_group(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back at the end.

    Each test's own ``db`` transaction nests inside it as a savepoint, so tests still cannot see
    each other's writes, and other modules never see the demo.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        result = demo.load()
        yield result
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_group")]


def units_of_kind(kind: str):
    return Unit.objects.filter(kind__code=kind)


def user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_the_group_has_twelve_enterprises_in_one_tree(demo_group):
    group = Unit.objects.get(code="G")
    assert group.depth == 1 and group.name == demo.GROUP_NAME
    enterprises = Unit.objects.filter(depth=2, kind__code="subsidiary")
    assert sorted(enterprises.values_list("code", flat=True)) == [f"E{i:02d}" for i in range(1, 13)]
    assert demo_group.enterprises == 12
    assert Unit.objects.count() == demo_group.units


def test_each_enterprise_has_two_to_four_departments():
    for enterprise in Unit.objects.filter(depth=2, kind__code="subsidiary"):
        departments = Unit.objects.get_children(enterprise).filter(kind__code="department")
        assert 2 <= departments.count() <= 4, enterprise.code
        assert all(re.fullmatch(rf"{enterprise.code}-D0\d", d.code) for d in departments)


def test_the_heat_company_runs_thirteen_heat_stations():
    stations = units_of_kind("heat-station")
    assert stations.count() == 13
    assert {Unit.objects.get_parent(s).code for s in stations} == {"E01"}
    assert sorted(stations.values_list("code", flat=True)) == [f"E01-HS{i:02d}" for i in range(1, 14)]


def test_the_property_company_serves_twelve_residential_communities():
    communities = units_of_kind("community")
    assert communities.count() == 12
    assert {Unit.objects.get_parent(c).code for c in communities} == {"E02"}


def test_the_demo_has_offices_markets_buildings_and_a_fleet_of_about_a_hundred_vehicles():
    for kind in ("office", "market", "building", "fleet"):
        assert units_of_kind(kind).exists(), kind
    security_fleet = Unit.objects.get(code="E03-F01")
    assert "98" in security_fleet.name


def test_every_unit_names_a_person_in_charge_and_a_liaison_with_valid_phones():
    for unit in Unit.objects.all():
        assert unit.person_in_charge and unit.liaison, unit.code
        validate_phone(unit.person_in_charge_phone)
        validate_phone(unit.liaison_phone)


def test_there_are_about_two_thousand_people_in_every_category(demo_group):
    assert 1900 <= Person.objects.count() <= 2100
    assert demo_group.people == Person.objects.count()
    categories = Counter(Person.objects.values_list("category", flat=True))
    assert set(categories) == set(Category.values)
    assert categories[Category.EMPLOYEE] > Person.objects.count() / 2


def test_every_id_number_is_valid_unique_and_agrees_with_the_gender():
    seen = set()
    for person in Person.objects.all():
        validate_id_number(person.id_number)
        assert person.id_number not in seen
        seen.add(person.id_number)
        # GB 11643: the 17th character is odd for men and even for women.
        assert (int(person.id_number[16]) % 2 == 1) == (person.gender == Gender.MALE), person
        assert person.id_number_digest == blind_index(person.id_number)


def test_a_person_can_be_found_by_id_number_through_the_blind_index():
    from lianfang.people.selectors import person_search

    person = Person.objects.order_by("pk")[100]
    found = person_search(Person.objects.all(), person.id_number, viewer=user("admin"))
    assert list(found) == [person]


def test_phones_are_valid_and_employee_numbers_unique():
    phones = [p for p in Person.objects.values_list("phone", flat=True) if p]
    for phone in phones:
        validate_phone(phone)
    assert len(set(phones)) == len(phones)
    numbers = list(Person.objects.values_list("employee_no", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_people_carry_the_four_tags_and_front_line_staff_work_at_sites():
    tags = Counter(Person.objects.values_list("tags__code", flat=True))
    for code in ("party-member", "front-line", "overseas", "volunteer"):
        assert tags[code] > 0, code
    at_heat_stations = Person.objects.filter(unit__kind__code="heat-station").exclude(category=Category.FAMILY)
    front_line = at_heat_stations.filter(tags__code="front-line").count()
    assert front_line > at_heat_stations.count() / 2


def test_whereabouts_classes_have_the_dates_they_need():
    today = timezone.localdate()
    counts = Counter(Person.objects.values_list("whereabouts", flat=True))
    assert counts[Whereabouts.STAYED] > counts[Whereabouts.RETURNED] > counts[Whereabouts.NOT_RETURNED] > 0
    for person in Person.objects.filter(whereabouts=Whereabouts.RETURNED):
        assert person.returned_on is not None and person.returned_on <= today and person.returned_from
    for person in Person.objects.filter(whereabouts=Whereabouts.NOT_RETURNED):
        assert person.expected_return_on is not None and person.expected_return_on > today


def test_every_persona_logs_in_with_the_printed_password():
    for persona in demo.PERSONAS:
        assert authenticate(username=persona.username, password=demo.DEMO_PASSWORD) is not None, persona.username
    assert authenticate(username="admin", password="wrong-password") is None


def test_no_persona_is_a_superuser_the_group_office_works_through_its_role():
    for persona in demo.PERSONAS:
        account = user(persona.username)
        assert not account.is_superuser and not account.is_staff
        held = set(RoleAssignment.objects.filter(user=account).values_list("role", "unit__code"))
        assert held == {(persona.role, code) for code in persona.role_units}


def test_each_persona_has_their_own_person_record():
    for persona in demo.PERSONAS:
        person = Person.objects.get(user__username=persona.username)
        assert person.name == persona.name and person.unit.code == persona.home_unit


def subtree_people(*codes: str):
    paths = Unit.objects.filter(code__in=codes).values_list("path", flat=True)
    ids = set()
    for path in paths:
        ids |= set(Person.objects.filter(unit__path__startswith=path).values_list("pk", flat=True))
    return ids


def visible_people(username: str) -> set[int]:
    return set(Person.objects.restrict(user(username), Action.VIEW).values_list("pk", flat=True))


def visible_units(username: str) -> set[str]:
    return set(Unit.objects.restrict(user(username), Action.VIEW).values_list("code", flat=True))


def test_the_group_admin_and_the_leader_see_the_whole_group():
    everyone = set(Person.objects.values_list("pk", flat=True))
    assert visible_people("admin") == everyone
    assert visible_people("leader") == everyone
    assert visible_units("leader") == set(Unit.objects.values_list("code", flat=True))


def test_only_the_group_admin_may_change_people_and_see_the_audit_log():
    assert Person.objects.restrict(user("admin"), Action.CHANGE).count() == Person.objects.count()
    assert not Person.objects.restrict(user("leader"), Action.CHANGE).exists()
    assert ObjectChange.objects.restrict(user("admin"), Action.VIEW).exists()
    for persona in demo.PERSONAS:
        if persona.role != Role.GROUP_ADMIN:
            assert not ObjectChange.objects.restrict(user(persona.username), Action.VIEW).exists(), persona


def test_the_liaison_sees_only_the_heat_company_and_its_people():
    heat_company = subtree_people("E01")
    assert visible_people("liaison") == heat_company
    assert Person.objects.restrict(user("liaison"), Action.CHANGE).count() == len(heat_company)
    units = visible_units("liaison")
    assert "E01" in units and "E01-HS13" in units
    assert "E02" not in units and "G" not in units


def test_the_duty_officer_sees_the_security_company_where_the_duty_room_is():
    assert visible_people("duty") == subtree_people("E03")
    assert "E03-O01" in visible_units("duty")


def test_the_checkpoint_staff_see_only_their_community():
    assert visible_units("checkpoint") == {"E02-C01"}
    assert visible_people("checkpoint") == subtree_people("E02-C01")


def test_the_inspector_sees_the_three_key_units_but_not_their_people():
    units = visible_units("inspector")
    assert {"E01", "E02", "E03", "E02-C12"} <= units and "E04" not in units
    own = Person.objects.get(user__username="inspector")
    assert visible_people("inspector") == {own.pk}


def test_the_employee_sees_only_their_own_record():
    own = Person.objects.get(user__username="employee")
    assert visible_people("employee") == {own.pk}
    assert not visible_units("employee")


def test_the_load_is_in_the_change_log_as_one_operation_with_masked_snapshots():
    changes = ObjectChange.objects.all()
    assert changes.count() == Unit.objects.count() + Person.objects.count() + RoleAssignment.objects.count()
    assert changes.values("request_id").distinct().count() == 1
    person = Person.objects.order_by("pk").first()
    logged = ObjectChange.objects.get(content_type__model="person", object_id=person.pk)
    assert logged.user.username == "admin"
    assert person.id_number not in str(logged.postchange_data)
    assert logged.postchange_data["id_number"] == person.id_number_masked
    assert sorted(logged.postchange_data["tags"]) == sorted(person.tags.values_list("pk", flat=True))


def test_loading_again_changes_nothing():
    before = (Unit.objects.count(), Person.objects.count(), ObjectChange.objects.count())
    result = demo.load()
    assert result.already_loaded
    assert (Unit.objects.count(), Person.objects.count(), ObjectChange.objects.count()) == before


def test_the_logins_table_lists_every_persona_with_the_password():
    table = demo.logins_table()
    for persona in demo.PERSONAS:
        assert re.search(rf"^{persona.username}\s+{demo.DEMO_PASSWORD}\s", table, re.MULTILINE), persona.username


def test_the_same_seed_gives_the_same_people():
    day = datetime.date(2026, 2, 1)
    first, second = demo.Generator(7, day), demo.Generator(7, day)
    sample = [(first.name(Gender.MALE), first.id_number(Gender.FEMALE, min_age=20, max_age=60)) for _i in range(50)]
    again = [(second.name(Gender.MALE), second.id_number(Gender.FEMALE, min_age=20, max_age=60)) for _i in range(50)]
    assert sample == again
