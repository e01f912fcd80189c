"""No integer filter can make the API fail (issue 11): every list endpoint of the schema, asked with a
value past the database's 64-bit range in each integer query parameter it declares, answers 400 with
a message naming the parameter (or an empty answer), never a server error."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def _integer_parameters() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            kind = parameter.get("schema", {})
            integer = kind.get("type") == "integer" or kind.get("items", {}).get("type") == "integer"
            if parameter.get("in") == "query" and integer and parameter["name"] not in ("page", "page_size"):
                found.append((path, parameter["name"]))
    return found


PARAMETERS = _integer_parameters()


def test_the_schema_declares_integer_filters_to_probe():
    paths = {path for path, _name in PARAMETERS}
    assert {"/api/v1/trips/", "/api/v1/statuses/", "/api/v1/status-changes/"} <= paths


@pytest.mark.parametrize("role", [Role.GROUP_ADMIN, Role.UNIT_ADMIN])
def test_an_integer_filter_past_the_databases_range_is_a_400_not_a_server_error(tree, role):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(user_with_role(role, tree.group if role == Role.GROUP_ADMIN else tree.a1))
    failures = []
    for path, name in PARAMETERS:
        for value in (HUGE, "-" + HUGE):
            response = client.get(path, {name: value})
            if response.status_code >= 500:
                failures.append((path, name, value, response.status_code))
            elif response.status_code == 400:
                assert name in response.json() or "detail" in response.json(), (path, name, response.json())
    assert failures == []


def test_the_answer_says_which_filter_is_out_of_range(tree):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(user_with_role(Role.GROUP_ADMIN, tree.group))
    for path in ("/api/v1/trips/", "/api/v1/statuses/", "/api/v1/status-changes/"):
        response = client.get(path, {"person": HUGE})
        assert response.status_code == 400, (path, response.status_code)
        assert "person" in response.json()
