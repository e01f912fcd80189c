"""Service tokens: issued by the office after the second factor, limited to endpoints and a subtree."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from lianfang.accounts import services
from lianfang.accounts.models import ServiceToken
from lianfang.accounts.tests.conftest import client_at, code_for, enrolled, sign_in
from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def Verified(user, verified=True):
    """The actor as the request's user is after the second factor (django-otp's middleware sets this)."""
    user.is_verified = lambda: verified
    return user


def _issue(tree, office, **kw):
    fields = {"name": "HR system", "unit": tree.a, "endpoints": ["person"], "expires": None, **kw}
    return services.service_token_issue(actor=Verified(office), **fields)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group)


def api(key):
    return Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")


def test_a_token_reads_only_its_endpoints(tree, office):
    _token, key = _issue(tree, office)
    assert api(key).get("/api/v1/people/").status_code == 200
    response = api(key).get("/api/v1/units/")
    assert response.status_code == 403
    assert "endpoint" in response.json()["detail"]


def test_a_path_prefix_names_every_route_under_it(tree, office):
    _token, key = _issue(tree, office, endpoints=["units/"])
    assert api(key).get("/api/v1/units/").status_code == 200
    assert api(key).get("/api/v1/people/").status_code == 403


def test_a_token_sees_only_its_unit_subtree(tree, office):
    inside = PersonFactory(unit=tree.a1)
    outside = PersonFactory(unit=tree.b1)
    _token, key = _issue(tree, office)
    ids = {row["id"] for row in api(key).get("/api/v1/people/").json()["results"]}
    assert inside.pk in ids and outside.pk not in ids
    assert api(key).get(f"/api/v1/people/{outside.pk}/").status_code == 404


def test_an_expired_token_is_refused(tree, office):
    token, key = _issue(tree, office, expires=timezone.now() + datetime.timedelta(days=1))
    ServiceToken.objects.filter(pk=token.pk).update(expires=timezone.now() - datetime.timedelta(minutes=1))
    response = api(key).get("/api/v1/people/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_refused_and_the_revocation_is_logged(tree, office):
    token, key = _issue(tree, office)
    services.service_token_revoke(actor=Verified(office), token=token)
    assert api(key).get("/api/v1/people/").status_code == 401
    assert ObjectChange.objects.filter(object_id=token.pk, action=ChangeAction.UPDATE).exists()
    assert ObjectChange.objects.filter(object_id=token.pk, action=ChangeAction.CREATE).exists()


def test_only_a_digest_and_the_last_four_characters_are_kept(tree, office):
    token, key = _issue(tree, office)
    assert key not in str(ServiceToken.objects.filter(pk=token.pk).values().get())
    assert token.masked.endswith(key[-4:])


def test_issuing_needs_the_second_factor_and_the_office(tree, office):
    with pytest.raises(PermissionDenied):
        services.service_token_issue(
            actor=Verified(office, verified=False), name="x", unit=tree.a, endpoints=["person"], expires=None
        )
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    with pytest.raises(PermissionDenied):
        services.service_token_issue(actor=Verified(liaison), name="x", unit=tree.a, endpoints=["person"], expires=None)
    with pytest.raises(ValidationError):
        _issue(tree, office, endpoints=[])


def test_the_office_issues_on_the_page_sees_the_key_once_and_then_only_masked(tree, office):
    device = enrolled(office)
    client = client_at()
    sign_in(client, office)
    client.post(reverse("accounts:two-factor"), {"code": code_for(device)})
    response = client.post(
        reverse("accounts:security"),
        {"form": "token", "name": "HR", "unit": tree.a.pk, "endpoints": "person\nunits/", "days": "30"},
    )
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    again = client.get(reverse("accounts:security")).content.decode()
    assert key not in again and key[-4:] in again
    token = ServiceToken.objects.get()
    assert token.endpoints == ["person", "units/"] and token.expires is not None
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None


def test_personal_tokens_from_before_keep_working_with_the_owners_scope(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    PersonFactory(unit=tree.a1)
    key = Token.objects.create(user=liaison).key
    assert api(key).get("/api/v1/people/").status_code == 200
    assert api(key).get("/api/v1/units/").status_code == 200
