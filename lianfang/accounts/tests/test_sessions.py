"""Sign-ins are listed and can be ended; office sessions end after the idle timeout; password policy."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from lianfang.accounts.middleware import SEEN_KEY
from lianfang.accounts.models import UserSession
from lianfang.accounts.tests.conftest import client_at, sign_in
from lianfang.core.models import AuditEvent
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_two_factor_off")]


@pytest.fixture
def _two_factor_off(settings):
    settings.LIANFANG_TWO_FACTOR_ENFORCED = False


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _age_session(client, seconds):
    session = client.session
    session[SEEN_KEY] = time.time() - seconds
    session.save()


def test_my_sign_ins_lists_each_browser_and_ends_one(tree):
    user = user_with_role(Role.LEADER, tree.group)
    phone, laptop = client_at("10.0.0.1"), client_at("10.0.0.2")
    sign_in(phone, user)
    sign_in(laptop, user)
    page = laptop.get(reverse("accounts:sign-ins"))
    assert page.status_code == 200
    assert {s.ip for s in page.context["sessions"]} == {"10.0.0.1", "10.0.0.2"}
    phone_row = UserSession.objects.get(ip="10.0.0.1")
    laptop.post(reverse("accounts:sign-ins"), {"session": phone_row.pk})
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    assert phone.get("/").status_code == 302  # the phone is signed out
    assert laptop.get("/").status_code == 200


def test_end_all_other_sign_ins_keeps_this_one(tree):
    user = user_with_role(Role.LEADER, tree.group)
    clients = [client_at(f"10.0.0.{i}") for i in range(1, 4)]
    for c in clients:
        sign_in(c, user)
    clients[0].post(reverse("accounts:sign-ins"), {"end": "others"})
    assert clients[0].get("/").status_code == 200
    assert all(c.get("/").status_code == 302 for c in clients[1:])


def test_nobody_ends_someone_elses_sign_in_from_their_own_page(tree):
    user = user_with_role(Role.LEADER, tree.group)
    other = user_with_role(Role.LEADER, tree.a, username="other")
    victim = client_at()
    sign_in(victim, other)
    row = UserSession.objects.get(user=other)
    attacker = client_at()
    sign_in(attacker, user)
    assert attacker.post(reverse("accounts:sign-ins"), {"session": row.pk}).status_code == 404
    assert victim.get("/").status_code == 200


def test_the_office_ends_all_sessions_of_a_user(tree):
    user = user_with_role(Role.LEADER, tree.a, username="leaver")
    their = client_at()
    sign_in(their, user)
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    client = client_at()
    client.force_login(office)
    response = client.post(reverse("accounts:user-sign-ins-end"), {"username": "leaver"})
    assert response.status_code == 302
    assert their.get("/").status_code == 302
    assert AuditEvent.objects.filter(detail__event="sessions_ended", user=office).exists()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    client.force_login(liaison)
    assert client.post(reverse("accounts:user-sign-ins-end"), {"username": "leaver"}).status_code == 403


def test_an_office_session_ends_after_the_idle_timeout(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    sign_in(client, office)
    assert client.get("/").status_code == 200
    _age_session(client, 31 * 60)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get("/").status_code == 302


def test_an_idle_api_session_is_refused_too(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    sign_in(client, office)
    client.get("/")
    _age_session(client, 31 * 60)
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert "without activity" in response.json()["detail"]


def test_an_active_office_session_and_an_employee_session_stay(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_at()
    sign_in(client, office)
    client.get("/")
    _age_session(client, 10 * 60)
    assert client.get("/").status_code == 200
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    phone = client_at()
    sign_in(phone, employee)
    phone.get("/")
    _age_session(phone, 5 * 3600)
    assert phone.get("/").status_code == 200


@override_settings(LIANFANG_TWO_FACTOR_ENFORCED=False)
def test_privileged_roles_need_ten_characters_and_others_the_usual_eight(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    with pytest.raises(ValidationError) as exc:
        validate_password("Qx7-vb9#k", office)
    assert any("at least 10" in m for m in exc.value.messages)
    validate_password("Qx7-vb9#k", employee)
    validate_password("Qx7-vb9#kLm", office)
    with pytest.raises(ValidationError):
        validate_password("1234567890123", office)  # numeric
    with pytest.raises(ValidationError):
        validate_password("password1234", office)  # common


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Chrome · Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 "
            "MicroMessenger/8.0.40",
            "WeChat · iOS",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
            "Safari · macOS",
        ),
        ("python-requests/2.31.0", "python-requests"),
        ("", ""),
    ],
)
def test_a_sign_in_names_its_browser_and_system_in_short(agent, label):
    assert UserSession(user_agent=agent).device == label


def test_my_sign_ins_marks_this_device_and_keeps_the_full_agent_in_a_title(tree):
    user = user_with_role(Role.LEADER, tree.group)
    client = client_at("10.0.0.1")
    sign_in(client, user)
    agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
    page = client.get(reverse("accounts:sign-ins"), HTTP_USER_AGENT=agent).content.decode()
    assert 'title="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"' in page
    assert "Chrome · Linux" in page and "(this device)" in page and 'class="table-wrap"' in page
