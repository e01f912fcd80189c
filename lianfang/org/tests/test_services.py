import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.core.models import ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.services import role_assign, role_revoke, unit_create, unit_move, unit_set_active, unit_update
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, kind, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


def test_a_liaison_adds_a_site_under_their_own_unit(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    site = unit_create(actor=liaison, parent=tree.a1, code="A1S2", name="二号热力站", kind=kind("heat-station"))
    assert Unit.objects.get_parent(site) == tree.a1
    assert ObjectChange.objects.filter(object_id=site.pk, content_type__model="unit", action="create").exists()


def test_a_liaison_cannot_add_a_unit_under_another_subsidiary(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    with pytest.raises(PermissionDenied):
        unit_create(actor=liaison, parent=tree.b, code="BX", name="乙公司新部门", kind=kind("department"))
    assert not Unit.objects.filter(code="BX").exists()


def test_a_duplicate_unit_code_is_refused_on_the_code_field(tree, admin):
    with pytest.raises(ValidationError) as exc:
        unit_create(actor=admin, parent=tree.a, code="A1", name="重复", kind=kind("department"))
    assert "code" in exc.value.message_dict


def test_moving_a_unit_takes_its_subtree_and_people_along(tree, admin):
    person = PersonFactory(unit=tree.a1s)
    unit_move(actor=admin, unit=tree.a1, new_parent=tree.b)
    liaison_b = user_with_role(Role.UNIT_ADMIN, tree.b)
    assert set(Unit.objects.restrict(liaison_b).values_list("code", flat=True)) == {"B", "B1", "A1", "A1S"}
    assert list(Person.objects.restrict(liaison_b)) == [person]


def test_a_unit_cannot_be_moved_under_its_own_descendant(tree, admin):
    with pytest.raises(ValidationError):
        unit_move(actor=admin, unit=tree.a, new_parent=tree.a1s)


def test_a_liaison_cannot_move_their_unit_out_of_their_scope(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    with pytest.raises(PermissionDenied):
        unit_move(actor=liaison, unit=tree.a1, new_parent=tree.b)
    assert Unit.objects.get_parent(Unit.objects.get(pk=tree.a1.pk)) == tree.a


def test_deactivating_a_unit_deactivates_its_subtree_and_keeps_the_rows(tree, admin):
    unit_set_active(actor=admin, unit=tree.a1, active=False)
    assert set(Unit.objects.filter(is_active=False).values_list("code", flat=True)) == {"A1", "A1S"}


def test_a_child_cannot_be_reactivated_under_a_deactivated_parent(tree, admin):
    unit_set_active(actor=admin, unit=tree.a1, active=False)
    with pytest.raises(ValidationError):
        unit_set_active(actor=admin, unit=tree.a1s, active=True)


def test_a_leader_cannot_rename_a_unit(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    with pytest.raises(PermissionDenied):
        unit_update(actor=leader, unit=tree.a, name="改名")
    assert Unit.objects.get(pk=tree.a.pk).name == "甲公司"


def test_granting_a_role_takes_effect_at_once(tree, admin):
    user = user_with_role(None, None)
    assert not Unit.objects.restrict(user).exists()
    role_assign(actor=admin, user=user, unit=tree.b, role=Role.UNIT_ADMIN)
    assert set(Unit.objects.restrict(user).values_list("code", flat=True)) == {"B", "B1"}
    role_revoke(actor=admin, assignment=RoleAssignment.objects.get(user=user))
    user = type(user).objects.get(pk=user.pk)  # the next request loads the user afresh
    assert not Unit.objects.restrict(user).exists()


def test_a_liaison_cannot_grant_roles(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    user = user_with_role(None, None)
    with pytest.raises(PermissionDenied):
        role_assign(actor=liaison, user=user, unit=tree.a1, role=Role.UNIT_ADMIN)
