import pytest
from django.core.exceptions import PermissionDenied

from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.scoping import can
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_a_role_on_a_unit_covers_its_subtree_and_nothing_else(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    visible = set(Unit.objects.restrict(liaison, "view").values_list("code", flat=True))
    assert visible == {"A", "A1", "A1S", "A2"}


def test_a_group_admin_on_the_root_sees_every_unit(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    assert Unit.objects.restrict(admin, "view").count() == Unit.objects.count()


def test_an_anonymous_user_sees_nothing(tree):
    from django.contrib.auth.models import AnonymousUser

    assert not Unit.objects.restrict(AnonymousUser(), "view").exists()


def test_people_are_scoped_through_their_unit(tree):
    PersonFactory(unit=tree.a1s)
    PersonFactory(unit=tree.b1)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    assert [p.unit.code for p in Person.objects.restrict(liaison, "view")] == ["A1S"]


def test_an_employee_sees_only_their_own_record(tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    me = PersonFactory(unit=tree.a1, user=employee)
    PersonFactory(unit=tree.a1)
    assert list(Person.objects.restrict(employee, "view")) == [me]
    assert not Person.objects.restrict(employee, "change").exists()


def test_a_leader_may_view_but_not_change(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    assert can(leader, "view", Person, tree.a1)
    assert not can(leader, "change", Person, tree.a1)


def test_a_write_that_leaves_the_actor_scope_is_rolled_back(tree):
    from lianfang.people.services import person_update

    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    person = PersonFactory(unit=tree.a1)
    with pytest.raises(PermissionDenied):
        person_update(actor=liaison, person=person, unit=tree.b1)
    person.refresh_from_db()
    assert person.unit == tree.a1
