"""Accounts and roles through the API (/api/v1/people/<id>/account/, /api/v1/role-assignments/):
the group office, or an HR system with its token, opens accounts for roster people and grants and
revokes roles on units, within its scope, every change in the change log."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/role-assignments/"
PASSWORD = "Lianfang-2026-secret"


def client_for(user) -> APIClient:
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def account_url(person: Person) -> str:
    return f"/api/v1/people/{person.pk}/account/"


@pytest.fixture
def office(tree):
    """The office of subsidiary A (group office role held on A): A's subtree is its scope."""
    return user_with_role(Role.GROUP_ADMIN, tree.a, username="office-a")


@pytest.fixture
def worker(tree):
    return PersonFactory(unit=tree.a1, name="王芳", employee_no="E0101")


def state() -> tuple:
    return (
        list(get_user_model().objects.order_by("pk").values_list("pk", "username")),
        list(Person.objects.order_by("pk").values_list("pk", "user_id")),
        list(RoleAssignment.objects.order_by("pk").values_list("pk", "user_id", "unit_id", "role")),
        ObjectChange.objects.count(),
    )


def test_the_office_opens_an_account_and_the_person_signs_in_with_the_employee_number(tree, office, worker):
    response = client_for(office).post(account_url(worker), {"password": PASSWORD}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["person"], body["username"], body["has_password"], body["activation_url"]) == (
        worker.pk,
        "E0101",
        True,
        None,
    )
    assert [(r["unit"], r["role"]) for r in body["roles"]] == [(tree.a1.pk, Role.EMPLOYEE)]
    assert response["Cache-Control"] == "no-store"
    token = APIClient().post("/api/v1/auth/token/", {"username": "E0101", "password": PASSWORD}, format="json")
    assert token.status_code == 200


def test_opening_an_account_is_in_the_change_log_under_the_persons_unit(tree, office, worker):
    response = client_for(office).post(account_url(worker), {}, format="json")

    assert response.status_code == 201
    changes = ObjectChange.objects.filter(user=office, request_id=response["X-Request-ID"])
    assert sorted((c.content_type.model, c.action, c.unit_id) for c in changes) == [
        ("person", ChangeAction.UPDATE, tree.a1.pk),
        ("roleassignment", ChangeAction.CREATE, tree.a1.pk),
    ]
    person_change = changes.get(content_type__model="person")
    assert person_change.postchange_data["account"] == "E0101"


def test_an_account_opened_without_a_password_gives_a_one_time_link_that_sets_it(tree, office, worker):
    response = client_for(office).post(account_url(worker), {}, format="json")

    assert response.status_code == 201
    assert response.json()["has_password"] is False
    link = response.json()["activation_url"]
    assert link.startswith("http://testserver/") and f"/{worker.pk}/" in link
    page = Client()
    path = link.removeprefix("http://testserver")
    assert page.get(path).status_code == 200
    done = page.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    worker.refresh_from_db()
    assert worker.user.check_password(PASSWORD)
    assert RoleAssignment.objects.filter(user=worker.user).count() == 1  # the role was not given twice
    assert Client().get(path).status_code == 410  # used once
    again = client_for(office).get(account_url(worker)).json()
    assert again["has_password"] is True and again["activation_url"] is None


def test_a_liaison_may_hand_out_activation_codes_but_not_open_accounts_and_nothing_is_written(tree, worker):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")
    before = state()

    response = client_for(liaison).post(account_url(worker), {"password": PASSWORD}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Only the group office opens accounts and grants roles."
    assert state() == before


def test_a_leader_who_may_only_read_people_is_refused_before_anything_is_read(tree, worker):
    leader = user_with_role(Role.LEADER, tree.group, username="leader")
    before = state()

    response = client_for(leader).post(account_url(worker), {"passwrd": "x"}, format="json")

    assert response.status_code == 403
    assert state() == before


def test_a_person_outside_the_offices_scope_is_not_found(tree, office):
    outsider = PersonFactory(unit=tree.b1, name="乙员工")
    before = state()

    response = client_for(office).post(account_url(outsider), {}, format="json")

    assert response.status_code == 404
    assert "乙员工" not in response.content.decode()
    assert state() == before


def test_a_person_gets_one_account_only(tree, office, worker):
    client = client_for(office)
    client.post(account_url(worker), {}, format="json")
    before = state()

    response = client.post(account_url(worker), {"password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["王芳 already has an account: grant roles to it instead."]
    assert state() == before


def test_an_account_whose_username_is_taken_is_refused_and_names_the_username(tree, office, worker):
    get_user_model().objects.create(username="e0101")

    response = client_for(office).post(account_url(worker), {}, format="json")

    assert response.status_code == 400
    assert "An account named E0101" in response.json()["non_field_errors"][0]
    assert Person.objects.get(pk=worker.pk).user is None


def test_someone_who_has_left_gets_no_account(tree, office):
    gone = PersonFactory(unit=tree.a1, name="离职者", employment_status=EmploymentStatus.LEFT)

    response = client_for(office).post(account_url(gone), {}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "离职者 has left (Left): accounts are opened for people who work here."
    ]


def test_a_weak_password_is_refused_on_the_password_field(tree, office, worker):
    response = client_for(office).post(account_url(worker), {"password": "123"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert Person.objects.get(pk=worker.pk).user is None


def test_a_username_cannot_be_chosen_and_says_why(tree, office, worker):
    response = client_for(office).post(account_url(worker), {"username": "wangfang"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"username": ["The username is the person's employee number."]}


def test_a_person_without_an_account_has_none_to_show(tree, office, worker):
    response = client_for(office).get(account_url(worker))

    assert response.status_code == 404
    assert response.json()["detail"] == "王芳 has no account."


def test_the_account_lists_only_the_roles_the_viewer_may_see(tree, office, worker):
    client_for(office).post(account_url(worker), {}, format="json")
    RoleAssignment.objects.create(user=Person.objects.get(pk=worker.pk).user, unit=tree.b1, role=Role.LEADER)

    body = client_for(office).get(account_url(worker)).json()

    assert [r["unit_name"] for r in body["roles"]] == ["甲公司综合部"]


def test_a_liaison_reads_the_account_and_gets_the_activation_link_to_hand_out(tree, office, worker):
    client_for(office).post(account_url(worker), {}, format="json")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison-a1")
    leader = user_with_role(Role.LEADER, tree.a, username="leader-a")

    for_liaison = client_for(liaison).get(account_url(worker)).json()
    for_leader = client_for(leader).get(account_url(worker)).json()

    assert for_liaison["username"] == for_leader["username"] == "E0101"
    assert for_liaison["activation_url"] is not None
    assert for_leader["activation_url"] is None


# --- Roles for the new account, as an HR system feeds them ---------------------------------------


def test_an_hr_feed_opens_an_account_grants_a_role_and_revokes_it_each_change_audited(tree, office, worker):
    client = client_for(office)
    client.post(account_url(worker), {}, format="json")

    granted = client.post(ROLES, {"user": "E0101", "unit": tree.a1.pk, "role": Role.UNIT_ADMIN}, format="json")
    assert granted.status_code == 201, granted.json()
    assignment = RoleAssignment.objects.get(pk=granted.json()["id"])
    revoked = client.delete(f"{ROLES}{assignment.pk}/")

    assert revoked.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    logged = ObjectChange.objects.filter(content_type__model="roleassignment", object_id=assignment.pk, user=office)
    assert sorted(logged.values_list("action", flat=True)) == [ChangeAction.CREATE, ChangeAction.DELETE]
    assert set(logged.values_list("unit", flat=True)) == {tree.a1.pk}


def test_a_role_on_a_unit_outside_the_offices_scope_is_refused_like_a_unit_that_does_not_exist(tree, office, worker):
    client = client_for(office)
    client.post(account_url(worker), {}, format="json")
    before = state()

    outside = client.post(ROLES, {"user": "E0101", "unit": tree.b1.pk, "role": Role.LEADER}, format="json")
    missing = client.post(ROLES, {"user": "E0101", "unit": 999999, "role": Role.LEADER}, format="json")

    assert outside.status_code == missing.status_code == 400
    assert outside.json()["unit"] == [m.replace("999999", str(tree.b1.pk)) for m in missing.json()["unit"]]
    assert state() == before
