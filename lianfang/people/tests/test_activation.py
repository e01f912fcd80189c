import re

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse

from lianfang.core.models import ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment
from lianfang.people import activation
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASSWORD = "Huoshen-Mountain-2020"


def _post(client, url, password=PASSWORD, again=None):
    return client.post(url, {"password1": password, "password2": again or password}, **EN)


def test_an_activation_link_creates_the_employee_account_once(client, tree):
    person = PersonFactory(unit=tree.a1, employee_no="HT0301")
    url = activation.activation_url(person)
    assert client.get(url, **EN).status_code == 200
    response = _post(client, url)
    assert response.status_code == 302 and response["Location"] == reverse("health:checkin")
    person.refresh_from_db()
    user = person.user
    assert user.username == "HT0301" and user.check_password(PASSWORD)
    assert RoleAssignment.objects.filter(user=user, unit=tree.a1, role=Role.EMPLOYEE).exists()
    assert ObjectChange.objects.filter(user=user, object_id=person.pk).exists()
    # Used: the same link no longer works, and nothing changes.
    client.logout()
    assert client.get(url).status_code == 410
    assert _post(client, url, password="Another-Password-99").status_code == 410
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # And the person signs in with the employee number.
    # (django-axes checks every authenticate(): it needs the request, as the login page passes it.)
    assert client.login(request=HttpRequest(), username="HT0301", password=PASSWORD)


def test_an_activation_link_expires(tree, settings, monkeypatch):
    person = PersonFactory(unit=tree.a1)
    token = activation.activation_tokens.make_token(person)
    settings.LIANFANG_ACTIVATION_DAYS = 14
    now = activation.activation_tokens._now()
    import datetime

    monkeypatch.setattr(activation.activation_tokens, "_now", lambda: now + datetime.timedelta(days=13))
    assert activation.activation_tokens.check_token(person, token)
    monkeypatch.setattr(activation.activation_tokens, "_now", lambda: now + datetime.timedelta(days=15))
    assert not activation.activation_tokens.check_token(person, token)


def test_a_tampered_token_or_another_persons_token_is_refused(client, tree):
    a, b = PersonFactory(unit=tree.a1), PersonFactory(unit=tree.a1)
    token = activation.activation_tokens.make_token(a)
    assert not activation.activation_tokens.check_token(b, token)
    assert client.get(reverse("health:activate", args=[b.pk, token])).status_code == 410
    assert client.get(reverse("health:activate", args=[a.pk, token[:-1] + "0"])).status_code in (200, 410)
    assert not activation.activation_tokens.check_token(a, "zzz-123")


def test_a_weak_password_is_refused_with_the_validators_message(client, tree):
    person = PersonFactory(unit=tree.a1)
    response = _post(client, activation.activation_url(person), password="123")
    assert response.status_code == 200 and response.context["form"].errors
    person.refresh_from_db()
    assert person.user is None and not get_user_model().objects.filter(username=person.employee_no).exists()


def test_two_different_passwords_are_refused(client, tree):
    person = PersonFactory(unit=tree.a1)
    response = _post(client, activation.activation_url(person), again="Something-else-2020")
    assert "password2" in response.context["form"].errors


def test_an_existing_account_with_the_employee_number_is_not_taken_over(client, tree):
    person = PersonFactory(unit=tree.a1, employee_no="HT0302")
    user_with_role(None, None, username="HT0302")
    response = _post(client, activation.activation_url(person))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.user is None


def test_the_liaison_lists_people_without_an_account_and_prints_their_codes(client, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    mine = PersonFactory(unit=tree.a1s, employee_no="A1S-001")
    PersonFactory(unit=tree.b1, employee_no="B1-001")
    client.force_login(liaison)
    page = client.get("/health/activation/", **EN)
    assert [p.employee_no for p in page.context["page"]] == ["A1S-001"]
    sheet = client.get("/health/activation/print/", **EN)
    assert sheet.status_code == 200
    body = sheet.content.decode()
    assert "<svg" in body and f"/health/activate/{mine.pk}/" in body and "B1-001" not in body
    link = re.search(r'href="(http://testserver/health/activate/[^"]+)"', body).group(1)
    client.logout()
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.DUTY_OFFICER, Role.LEADER, None])
def test_only_those_who_keep_the_roster_hand_out_codes(client, tree, role):
    client.force_login(user_with_role(role, tree.a1))
    assert client.get("/health/activation/").status_code == 403
    assert client.get("/health/activation/print/").status_code == 403


def test_a_liaison_cannot_print_codes_for_a_unit_outside_their_scope(client, tree):
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    assert client.get(f"/health/activation/print/?unit={tree.b1.pk}").status_code == 404
