"""The second factor: enforced on every page and API session for the roles the office names."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lianfang.accounts.tests.conftest import PASSWORD, client_at, code_for, enrolled, sign_in
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.people import activation
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def test_an_office_administrator_without_a_device_is_sent_to_set_one_up_after_the_password(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    sign_in(client, admin)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor"))
    page = client.get(reverse("accounts:two-factor"))
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code is drawn here, no CDN
    assert b"data-secret" in page.content


def test_setting_up_confirms_with_a_code_and_shows_ten_recovery_codes_once(tree):
    admin = user_with_role(Role.UNIT_ADMIN, tree.a)
    client = client_at()
    sign_in(client, admin)
    client.get(reverse("accounts:two-factor"))
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    response = client.post(reverse("accounts:two-factor"), {"code": code_for(device), "next": "/"})
    assert response.status_code == 200
    assert response.content.count(b"data-code") == 10
    assert StaticToken.objects.filter(device__user=admin).count() == 10
    assert client.get("/").status_code == 200  # the session is now verified


def test_a_user_with_a_device_enters_a_code_and_may_then_open_pages(tree):
    admin = user_with_role(Role.CASE_MANAGER, tree.a)
    device = enrolled(admin)
    client = client_at()
    sign_in(client, admin)
    assert client.get("/").status_code == 302
    response = client.post(reverse("accounts:two-factor"), {"code": code_for(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    enrolled(admin)
    client = client_at()
    sign_in(client, admin)
    client.get(reverse("accounts:two-factor"))
    from django_otp.plugins.otp_static.models import StaticDevice

    static = StaticDevice.objects.create(user=admin, name="recovery", confirmed=True)
    static.token_set.create(token="12345678")
    assert client.post(reverse("accounts:two-factor"), {"code": "12345678"}).status_code == 302
    assert not StaticToken.objects.filter(token="12345678").exists()


def test_roles_the_office_did_not_name_are_not_asked_for_a_code(tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    leader = user_with_role(Role.LEADER, tree.group)
    for user in (employee, leader):
        client = client_at()
        sign_in(client, user)
        assert client.get("/").status_code == 200


def test_the_office_decides_which_roles_need_it(tree):
    leader = user_with_role(Role.LEADER, tree.group)
    settings_row = GroupSettings.load()
    settings_row.two_factor_roles = [Role.LEADER.value]
    settings_row.save()
    client = client_at()
    sign_in(client, leader)
    assert client.get("/").status_code == 302
    admin = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    client = client_at()
    sign_in(client, admin)
    assert client.get("/").status_code == 200


def test_an_api_request_from_an_unverified_session_is_refused_with_a_reason(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    sign_in(client, admin)
    response = client.get("/api/v1/units/")
    assert response.status_code == 403
    assert "one-time code" in response.json()["detail"]
    # Another scheme does not fall back to the session.
    response = client.get("/api/v1/units/", HTTP_AUTHORIZATION="Basic eDp5")
    assert response.status_code == 403


def test_the_api_works_from_the_same_session_once_verified(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    device = enrolled(admin)
    client = client_at()
    sign_in(client, admin)
    client.post(reverse("accounts:two-factor"), {"code": code_for(device)})
    assert client.get("/api/v1/units/").status_code == 200


def test_the_activation_page_that_signs_a_person_in_does_not_skip_the_second_factor(tree):
    person = PersonFactory(unit=tree.a1, user=None)
    token = activation.activation_tokens.make_token(person)
    # The person is also their unit's liaison: their role needs the second factor.
    client = client_at()
    response = client.post(
        reverse("health:activate", args=[person.pk, token]),
        {"password1": "a-Long-pass-2026", "password2": "a-Long-pass-2026"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    from lianfang.org.models import RoleAssignment

    RoleAssignment.objects.create(user=person.user, unit=tree.a1, role=Role.UNIT_ADMIN)
    response = client.get(reverse("health:checkin"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two-factor"))


def test_force_login_through_any_path_still_owes_the_code(tree):
    # Whatever view signs a user in (another login view, a test client, an admin site added later),
    # the session is not verified until a code is entered.
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    client.force_login(admin)
    assert client.get(reverse("accounts:sign-ins")).status_code == 302
    assert client.get("/api/v1/people/").status_code == 403


def test_the_token_endpoint_asks_for_the_code_from_a_role_that_needs_it(tree):
    admin = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    url = reverse("api:token")
    response = client.post(url, {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 403  # no device yet: set it up on the web first
    device = enrolled(admin)
    response = client.post(url, {"username": admin.username, "password": PASSWORD, "code": "000000"})
    assert response.status_code == 400 and "code" in response.json()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows guessing down after a wrong code
    response = client.post(url, {"username": admin.username, "password": PASSWORD, "code": code_for(device)})
    assert response.status_code == 200 and response.json()["token"]


def test_an_employee_gets_a_token_with_the_password_alone(tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    response = client_at().post(reverse("api:token"), {"username": employee.username, "password": PASSWORD})
    assert response.status_code == 200
