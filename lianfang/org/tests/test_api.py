"""The units, unit kinds and role assignments API (/api/v1/)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit, UnitKind
from lianfang.testing import UserFactory, add_unit, user_with_role

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/units/"
ROLES = "/api/v1/role-assignments/"


def client_for(user) -> APIClient:
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def parent_of(unit: Unit) -> Unit:
    unit.refresh_from_db()
    return Unit.objects.get(path=unit.path[: -Unit.steplen])


def unit_url(unit: Unit, action: str = "") -> str:
    return f"{UNITS}{unit.pk}/" + (f"{action}/" if action else "")


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


@pytest.fixture
def liaison(tree):
    """A unit administrator / liaison of subsidiary A."""
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def office(tree):
    """A group office administrator."""
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


# --- Reading ------------------------------------------------------------------------------------


def test_a_liaison_lists_exactly_the_units_of_their_subtree_in_tree_order(tree, liaison):
    response = client_for(liaison).get(UNITS)

    assert response.status_code == 200
    assert response.json()["count"] == 4
    assert codes(response) == ["A", "A1", "A1S", "A2"]


def test_a_unit_shows_its_parent_only_when_the_viewer_may_see_the_parent(tree):
    liaison_a1 = user_with_role(Role.UNIT_ADMIN, tree.a1)

    rows = {row["code"]: row for row in client_for(liaison_a1).get(UNITS).json()["results"]}

    assert rows["A1S"]["parent"] == tree.a1.pk
    assert rows["A1"]["parent"] is None  # A is outside the liaison's scope


def test_the_office_sees_the_whole_tree_with_kinds_and_parents(tree, office):
    rows = {row["code"]: row for row in client_for(office).get(UNITS).json()["results"]}

    assert len(rows) == 7
    assert rows["G"]["parent"] is None
    assert rows["A1S"]["parent"] == tree.a1.pk
    assert rows["A1S"]["kind_code"] == "heat-station"


def test_the_unit_list_costs_the_same_few_queries_however_many_units_it_shows(
    tree, office, django_assert_max_num_queries
):
    for n in range(20):
        add_unit(tree.b1, f"B1-{n:02d}", f"站点{n}", "heat-station")
    client = client_for(office)

    with django_assert_max_num_queries(4):
        assert client.get(UNITS).json()["count"] == 27


def test_a_unit_outside_the_viewers_scope_is_not_found(tree, liaison):
    response = client_for(liaison).get(unit_url(tree.b1))

    assert response.status_code == 404


def test_units_can_be_searched_and_filtered_by_kind_activity_and_subtree(tree, office):
    client = client_for(office)
    Unit.objects.filter(pk=tree.a2.pk).update(is_active=False)

    assert codes(client.get(UNITS, {"q": "热力站"})) == ["A1S"]
    assert codes(client.get(UNITS, {"kind": UnitKind.objects.get(code="subsidiary").pk})) == ["A", "B"]
    assert codes(client.get(UNITS, {"within": tree.a1.pk})) == ["A1", "A1S"]
    assert codes(client.get(UNITS, {"is_active": "false"})) == ["A2"]
    assert codes(client.get(UNITS, {"ordering": "-code", "within": tree.b.pk})) == ["B1", "B"]


def test_a_subtree_filter_never_widens_the_viewers_scope(tree, liaison):
    response = client_for(liaison).get(UNITS, {"within": tree.group.pk})

    assert codes(response) == ["A", "A1", "A1S", "A2"]


def test_unit_kinds_are_listed_for_any_signed_in_user(tree):
    response = client_for(UserFactory()).get("/api/v1/unit-kinds/")

    assert response.status_code == 200
    assert "heat-station" in [row["code"] for row in response.json()["results"]]


# --- Adding and changing ------------------------------------------------------------------------


def test_a_liaison_adds_a_unit_under_a_unit_of_their_subtree(tree, liaison):
    response = client_for(liaison).post(
        UNITS,
        {
            "parent": tree.a1.pk,
            "code": "A1X",
            "name": "甲公司二号热力站",
            "kind": UnitKind.objects.get(code="heat-station").pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    unit = Unit.objects.get(code="A1X")
    assert parent_of(unit) == tree.a1
    assert response.json()["parent"] == tree.a1.pk
    assert ObjectChange.objects.filter(object_id=unit.pk, action=ChangeAction.CREATE, user=liaison).exists()


def test_adding_a_unit_under_a_unit_outside_the_writers_scope_looks_like_a_missing_unit(tree, liaison):
    kind = UnitKind.objects.get(code="department").pk
    client = client_for(liaison)

    outside = client.post(UNITS, {"parent": tree.b.pk, "code": "BX", "name": "x", "kind": kind}, format="json")
    missing = client.post(UNITS, {"parent": 999999, "code": "BX", "name": "x", "kind": kind}, format="json")

    assert outside.status_code == 400
    assert "does not exist" in outside.json()["parent"][0]
    assert outside.json()["parent"][0] == missing.json()["parent"][0].replace("999999", str(tree.b.pk))
    assert not Unit.objects.filter(code="BX").exists()


def test_a_duplicate_unit_code_is_refused_on_the_code_field(tree, liaison):
    kind = UnitKind.objects.get(code="department").pk

    response = client_for(liaison).post(
        UNITS, {"parent": tree.a.pk, "code": "B1", "name": "重复", "kind": kind}, format="json"
    )

    assert response.status_code == 400
    assert "code" in response.json()
    assert Unit.objects.filter(code="B1").count() == 1


def test_a_liaison_renames_a_unit_and_the_change_is_logged_with_the_request_id(tree, liaison):
    response = client_for(liaison).patch(unit_url(tree.a1), {"name": "甲公司办公室"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "甲公司办公室"
    tree.a1.refresh_from_db()
    assert tree.a1.name == "甲公司办公室"
    change = ObjectChange.objects.get(object_id=tree.a1.pk, action=ChangeAction.UPDATE)
    assert str(change.request_id) == response["X-Request-ID"]
    assert change.prechange_data["name"] == "甲公司综合部"


def test_an_update_refuses_read_only_and_unknown_fields_and_changes_nothing(tree, liaison):
    response = client_for(liaison).patch(
        unit_url(tree.a1),
        {"name": "新名字", "is_active": False, "parent": tree.b.pk, "created": "2020-01-01T00:00:00Z", "colour": "red"},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"is_active", "parent", "created", "colour"}
    assert "move" in errors["parent"][0]
    tree.a1.refresh_from_db()
    assert (tree.a1.name, tree.a1.is_active, parent_of(tree.a1)) == ("甲公司综合部", True, tree.a)


def test_a_leader_may_read_a_unit_but_not_change_it(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    client = client_for(leader)

    assert client.get(unit_url(tree.a1)).status_code == 200
    assert client.patch(unit_url(tree.a1), {"name": "x"}, format="json").status_code == 403
    assert client.post(unit_url(tree.a1, "deactivate")).status_code == 403
    tree.a1.refresh_from_db()
    assert (tree.a1.name, tree.a1.is_active) == ("甲公司综合部", True)


def test_a_unit_cannot_be_added_by_someone_who_may_add_units_nowhere(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    kind = UnitKind.objects.get(code="department").pk

    response = client_for(leader).post(UNITS, {"parent": tree.a.pk, "code": "AX", "name": "x", "kind": kind})

    assert response.status_code == 403
    assert not Unit.objects.filter(code="AX").exists()


# --- Moving, deactivating, deleting -------------------------------------------------------------


def test_moving_a_unit_takes_its_subtree_along(tree, liaison):
    response = client_for(liaison).post(unit_url(tree.a1, "move"), {"parent": tree.a2.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["parent"] == tree.a2.pk
    tree.a1s.refresh_from_db()
    assert parent_of(parent_of(tree.a1s)) == tree.a2


def test_a_unit_cannot_be_moved_under_its_own_subtree(tree, liaison):
    response = client_for(liaison).post(unit_url(tree.a1, "move"), {"parent": tree.a1s.pk}, format="json")

    assert response.status_code == 400
    assert "parent" in response.json()
    tree.a1.refresh_from_db()
    assert parent_of(tree.a1) == tree.a


def test_a_unit_cannot_be_moved_out_of_the_movers_scope(tree, liaison):
    response = client_for(liaison).post(unit_url(tree.a1, "move"), {"parent": tree.b.pk}, format="json")

    assert response.status_code == 400
    assert "does not exist" in response.json()["parent"][0]
    tree.a1.refresh_from_db()
    assert parent_of(tree.a1) == tree.a


def test_deactivating_a_unit_deactivates_its_subtree_and_activating_brings_the_unit_back(tree, liaison):
    client = client_for(liaison)

    response = client.post(unit_url(tree.a1, "deactivate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert set(Unit.objects.filter(is_active=False).values_list("code", flat=True)) == {"A1", "A1S"}

    response = client.post(unit_url(tree.a1, "activate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is True


def test_the_group_itself_cannot_be_deactivated(tree, office):
    response = client_for(office).post(unit_url(tree.group, "deactivate"))

    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    tree.group.refresh_from_db()
    assert tree.group.is_active


def test_deleting_a_unit_is_not_allowed_and_says_to_deactivate_it(tree, office):
    response = client_for(office).delete(unit_url(tree.a2))

    assert response.status_code == 405
    assert "deactivate" in response.json()["detail"]
    assert Unit.objects.filter(pk=tree.a2.pk, is_active=True).exists()


# --- Role assignments ---------------------------------------------------------------------------


def test_the_office_gives_a_role_and_the_user_then_sees_that_subtree(tree, office):
    newcomer = UserFactory(username="newcomer")

    response = client_for(office).post(
        ROLES, {"user": "newcomer", "unit": tree.b.pk, "role": Role.UNIT_ADMIN}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["user"] == "newcomer"
    assert codes(client_for(newcomer).get(UNITS)) == ["B", "B1"]


def test_the_office_takes_a_role_away_and_the_user_no_longer_sees_the_units(tree, office, liaison):
    assignment = RoleAssignment.objects.get(user=liaison)

    response = client_for(office).delete(f"{ROLES}{assignment.pk}/")

    assert response.status_code == 204
    assert client_for(liaison).get(UNITS).json()["count"] == 0


def test_a_liaison_sees_the_roles_of_their_subtree_but_may_not_grant_or_revoke(tree, liaison):
    colleague = user_with_role(Role.DUTY_OFFICER, tree.a1, username="duty-a1")
    user_with_role(Role.DUTY_OFFICER, tree.b1)
    assignment = RoleAssignment.objects.get(user=colleague)
    client = client_for(liaison)

    listed = client.get(ROLES).json()
    granted = client.post(ROLES, {"user": "duty-a1", "unit": tree.a1.pk, "role": Role.LEADER}, format="json")
    revoked = client.delete(f"{ROLES}{assignment.pk}/")

    assert sorted(row["user"] for row in listed["results"]) == ["duty-a1", "liaison-a"]
    assert (granted.status_code, revoked.status_code) == (403, 403)
    assert RoleAssignment.objects.filter(user=colleague).count() == 1


def test_a_role_on_a_unit_outside_the_granters_scope_is_refused(tree):
    office_a = user_with_role(Role.GROUP_ADMIN, tree.a)
    UserFactory(username="someone")

    response = client_for(office_a).post(
        ROLES, {"user": "someone", "unit": tree.b.pk, "role": Role.LEADER}, format="json"
    )

    assert response.status_code == 400
    assert "unit" in response.json()
    assert not RoleAssignment.objects.filter(user__username="someone").exists()


def test_the_same_role_cannot_be_given_twice(tree, office, liaison):
    response = client_for(office).post(
        ROLES, {"user": "liaison-a", "unit": tree.a.pk, "role": Role.UNIT_ADMIN}, format="json"
    )

    assert response.status_code == 400
    assert RoleAssignment.objects.filter(user=liaison).count() == 1


def test_a_role_for_an_unknown_user_or_an_unknown_role_is_refused_on_that_field(tree, office):
    UserFactory(username="someone")
    client = client_for(office)

    unknown_user = client.post(ROLES, {"user": "nobody", "unit": tree.a.pk, "role": Role.LEADER}, format="json")
    unknown_role = client.post(ROLES, {"user": "someone", "unit": tree.a.pk, "role": "king"}, format="json")

    assert "user" in unknown_user.json()
    assert "role" in unknown_role.json()
    assert not RoleAssignment.objects.filter(user__username="someone").exists()


def test_a_role_assignment_cannot_be_edited_only_revoked(tree, office, liaison):
    assignment = RoleAssignment.objects.get(user=liaison)

    response = client_for(office).patch(f"{ROLES}{assignment.pk}/", {"role": Role.GROUP_ADMIN}, format="json")

    assert response.status_code == 405
    assignment.refresh_from_db()
    assert assignment.role == Role.UNIT_ADMIN


def test_role_assignments_can_be_filtered_by_unit_and_role(tree, office, liaison):
    user_with_role(Role.LEADER, tree.b1, username="leader-b1")
    client = client_for(office)

    by_unit = client.get(ROLES, {"unit": tree.b1.pk}).json()
    by_role = client.get(ROLES, {"role": Role.UNIT_ADMIN}).json()

    assert [row["user"] for row in by_unit["results"]] == ["leader-b1"]
    assert [row["user"] for row in by_role["results"]] == ["liaison-a"]


def test_filtering_roles_by_a_unit_outside_the_scope_is_refused_like_a_missing_unit(tree, liaison):
    client = client_for(liaison)

    outside = client.get(ROLES, {"unit": tree.b1.pk})
    missing = client.get(ROLES, {"unit": 999999})

    assert outside.status_code == missing.status_code == 400
