"""Failed sign-ins lock an account at one address (django-axes); the office unlocks."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from lianfang.accounts.tests.conftest import PASSWORD, client_at, enrolled, sign_in
from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _fail(client, user, times):
    for _i in range(times):
        response = sign_in(client, user, password="wrong-password")
    return response


def test_repeated_wrong_passwords_lock_the_account_at_that_address_with_a_clear_message(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    client = client_at("10.0.0.7")
    response = _fail(client, leader, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 403
    assert "ask the group office to unlock" in response.content.decode()
    # Even the right password is refused now from here.
    assert sign_in(client, leader).status_code == 403
    events = AuditEvent.objects.filter(kind=AuditKind.LOGIN_FAILED, detail__event="locked_out")
    assert events.count() == 1
    assert events.get().user_name == leader.username


def test_the_same_account_from_another_address_is_not_locked(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    _fail(client_at("10.0.0.7"), leader, settings.AXES_FAILURE_LIMIT)
    other = client_at("10.0.0.8")
    assert sign_in(other, leader).status_code == 302
    assert other.get("/").status_code == 200


def test_another_account_behind_the_same_address_is_not_locked(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    colleague = user_with_role(Role.LEADER, tree.a)
    client = client_at("10.0.0.7")
    _fail(client, leader, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client_at("10.0.0.7"), colleague).status_code == 302


def test_wrong_one_time_codes_count_toward_the_lockout(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.a)
    enrolled(admin)
    client = client_at("10.0.0.9")
    sign_in(client, admin)
    for _i in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("accounts:two-factor"), {"code": "000000"})
    assert response.status_code == 403
    assert "unlock" in response.content.decode()
    assert not client.get("/").wsgi_request.user.is_authenticated  # signed out
    assert sign_in(client_at("10.0.0.9"), admin).status_code == 403


def test_the_token_endpoint_counts_and_locks_too(tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    client = client_at("10.0.0.5")
    for _i in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("api:token"), {"username": employee.username, "password": "nope-nope"})
    response = client.post(reverse("api:token"), {"username": employee.username, "password": PASSWORD})
    assert response.status_code == 403
    assert "unlock" in response.json()["detail"]


@override_settings(LIANFANG_TWO_FACTOR_ENFORCED=False)
def test_the_office_sees_the_lock_and_unlocks_it_audited(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    _fail(client_at("10.0.0.7"), leader, settings.AXES_FAILURE_LIMIT)
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    client = client_at("10.1.1.1")
    client.force_login(office)
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    locks = page.context["locks"]
    assert [(lock["username"], lock["ip"]) for lock in locks] == [(leader.username, "10.0.0.7")]
    response = client.post(reverse("accounts:unlock", args=[locks[0]["id"]]))
    assert response.status_code == 302
    assert sign_in(client_at("10.0.0.7"), leader).status_code == 302
    assert AuditEvent.objects.filter(detail__event="unlocked", user=office).exists()


@override_settings(LIANFANG_TWO_FACTOR_ENFORCED=False)
def test_a_unit_administrator_cannot_unlock(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    client = client_at()
    client.force_login(liaison)
    assert client.get(reverse("accounts:security")).status_code == 403
    assert client.post(reverse("accounts:unlock", args=[1])).status_code == 403
