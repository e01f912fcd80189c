"""The OpenAPI schema says what a create needs: a client generated from it, or a person reading
/api/v1/docs/, must see which fields are required before the server refuses a body without them."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

# Collection actions whose body may be empty (a day defaults to today), so nothing is required.
# Actions whose every field has a default: yourself, today, every category, every kind of data.
NOTHING_REQUIRED = {
    "/api/v1/checkins/same-as-yesterday/",
    "/api/v1/privacy/consents/give/",
    "/api/v1/privacy/consents/withdraw/",
    "/api/v1/privacy/purge-receipts/dry-run/",
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def body_of(schema: dict[str, Any], path: str, method: str = "post") -> dict[str, Any] | None:
    body = schema["paths"][path][method].get("requestBody")
    if body is None:
        return None
    content = body["content"]
    media = content.get("application/json") or content["multipart/form-data"]  # uploads are multipart only
    return resolve(schema, media["schema"])


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return resolve(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    return node


def required_of(schema: dict[str, Any], body: dict[str, Any]) -> list[set[str]]:
    """The required fields of each form the body may take (one, or each of a ``oneOf``)."""
    if "oneOf" in body:
        return [set(resolve(schema, variant).get("required", [])) for variant in body["oneOf"]]
    return [set(body.get("required", []))]


def test_a_check_in_needs_the_temperature_and_nothing_else(schema):
    body = body_of(schema, "/api/v1/checkins/")

    assert required_of(schema, body) == [{"temperature"}]
    assert {"person", "date", "work_mode"} <= set(body["properties"])  # optional: yourself, today


def test_a_case_needs_a_roster_person_or_an_external_persons_name_and_unit(schema):
    body = body_of(schema, "/api/v1/cases/")

    assert required_of(schema, body) == [{"person"}, {"external_name", "unit"}]


def test_a_close_contact_needs_its_case_the_last_exposure_and_a_person_or_a_name(schema):
    body = body_of(schema, "/api/v1/case-contacts/")

    assert required_of(schema, body) == [
        {"case", "last_exposure_on", "person"},
        {"case", "last_exposure_on", "external_name"},
    ]


def test_a_transfer_needs_both_units_and_its_lines_each_with_an_item_and_a_quantity(schema):
    body = body_of(schema, "/api/v1/transfers/")

    assert {"from_unit", "to_unit", "lines"} <= required_of(schema, body)[0]
    line = resolve(schema, body["properties"]["lines"]["items"])
    assert {"item", "quantity"} <= set(line["required"])


def test_a_unit_report_and_a_zero_report_need_the_unit(schema):
    report = body_of(schema, "/api/v1/reports/")
    zero = body_of(schema, "/api/v1/reports/zero-report/")

    assert required_of(schema, report) == [{"unit"}]
    assert required_of(schema, zero) == [{"unit"}]


def test_the_office_s_configuration_lists_what_a_new_record_needs(schema):
    needs = {
        "/api/v1/checkin-questions/": {"code", "text", "kind"},
        "/api/v1/risk-areas/": {"division_code", "level", "effective_from"},
        "/api/v1/status-rules/": {"name", "condition", "colour", "reason"},
        "/api/v1/trips/": {"date_from", "date_to"},
        "/api/v1/role-assignments/": {"user", "unit", "role"},
        "/api/v1/people/": {"unit", "name", "employee_no"},
    }

    for path, fields in needs.items():
        assert required_of(schema, body_of(schema, path)) == [fields], path


def test_a_partial_update_requires_nothing(schema):
    body = body_of(schema, "/api/v1/risk-areas/{id}/", "patch")

    assert required_of(schema, body) == [set()]


def test_every_create_that_takes_a_body_says_what_it_requires(schema):
    silent = []
    for path, operations in schema["paths"].items():
        if "{" in path or "post" not in operations or path in NOTHING_REQUIRED:
            continue
        body = body_of(schema, path)
        if body is not None and not all(required_of(schema, body)):
            silent.append(path)

    assert silent == []
