"""Responses with personal data are never cached (issue 11): ``Cache-Control: private, no-store`` on
every API response and every page a signed-in user gets; static files and the anonymous sign-in page
stay cacheable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.core.exports import csv_text_value
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_pages_of_a_signed_in_user_are_never_stored(tree):
    client = Client()
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    for url in ("/", reverse("org:detail", args=[tree.a1.pk]), reverse("health:non-reporters")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), (url, response.get("Cache-Control"))


def test_every_api_response_is_never_stored_whoever_asks(tree):
    signed_in = APIClient()
    signed_in.force_authenticate(user_with_role(Role.UNIT_ADMIN, tree.a1))
    for response in (
        signed_in.get("/api/v1/units/"),
        signed_in.get(f"/api/v1/units/{tree.a1.pk}/"),
        signed_in.get("/api/v1/units/999999/"),  # a 404 too
        APIClient().get("/api/v1/units/"),  # refused: still no-store
    ):
        assert no_store(response), (response.status_code, response.get("Cache-Control"))


def test_a_token_client_gets_no_store_too(tree):
    from rest_framework.authtoken.models import Token

    user = user_with_role(Role.UNIT_ADMIN, tree.a1)
    token = Token.objects.create(user=user)
    response = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v1/units/")
    assert no_store(response)


def test_static_files_and_anonymous_pages_stay_cacheable(tree):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory

    from lianfang.core.middleware import NoStoreMiddleware

    middleware = NoStoreMiddleware(lambda request: HttpResponse("x"))
    static = RequestFactory().get("/static/app.css")
    static.user = user_with_role(Role.UNIT_ADMIN, tree.a1)
    assert "no-store" not in middleware(static).get("Cache-Control", "")
    public = RequestFactory().get("/privacy/notice/")
    public.user = AnonymousUser()
    assert "no-store" not in middleware(public).get("Cache-Control", "")


def test_csv_cells_escape_text_but_keep_negative_numbers_as_numbers():
    assert csv_text_value(-5) == "-5"
    assert csv_text_value("-5") == "'-5"
    assert csv_text_value("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_text_value(None) == ""
