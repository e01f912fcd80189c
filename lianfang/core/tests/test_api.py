"""The API's shared behaviour: sign-in by token or session, errors, paging, audit, jobs, schema and docs."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lianfang.core.api import TokenThrottle, exception_handler
from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, Job, JobStatus, ObjectChange
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where
from lianfang.people.models import Person
from lianfang.testing import UserFactory, user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Lianfang-2026"  # lianfang.testing.UserFactory's
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()  # the token endpoint's throttle counts in the cache


def client_for(user=None, **kwargs) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    if user is not None:
        client.force_authenticate(user)
    return client


# --- Tokens and sessions ------------------------------------------------------------------------


def test_a_token_is_given_for_the_right_password_and_then_opens_the_api(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")

    response = APIClient().post(TOKEN, {"username": "liaison-a", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=liaison).key == token
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/units/").json()["count"] == 4
    assert AuditEvent.objects.filter(kind=AuditKind.LOGIN, user=liaison).count() == 1


def test_a_wrong_password_gets_no_token_and_is_recorded_as_a_failed_login(tree):
    UserFactory(username="liaison-a")

    response = client_for().post(TOKEN, {"username": "liaison-a", "password": "guess"}, format="json")

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["Unable to log in with the username and password given."]
    assert not Token.objects.exists()
    event = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert event.user_name == "liaison-a"
    assert "guess" not in str(event.detail)


def test_a_deactivated_account_gets_no_token(tree):
    UserFactory(username="gone", is_active=False)

    response = client_for().post(TOKEN, {"username": "gone", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_asking_for_a_token_without_a_password_names_the_missing_field():
    response = client_for().post(TOKEN, {"username": "someone"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_password_guessing_is_slowed_down(db, monkeypatch):
    monkeypatch.setattr(TokenThrottle, "rate", "3/min")  # 20/min in real life; each guess costs a hash
    client = client_for()

    statuses = [client.post(TOKEN, {"username": "x", "password": "y"}, format="json").status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]


def test_deleting_the_token_logs_out_and_the_token_stops_working(tree):
    user = UserFactory()
    token = Token.objects.create(user=user)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.delete(TOKEN).status_code == 204

    assert not Token.objects.filter(user=user).exists()
    assert client.get("/api/v1/units/").status_code == 401
    assert AuditEvent.objects.filter(kind=AuditKind.LOGOUT, user=user).exists()


def test_an_anonymous_request_is_told_to_authenticate_with_a_token(tree):
    response = client_for().get("/api/v1/people/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_signed_in_browser_session_opens_the_api_and_writes_need_the_csrf_token(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_for(enforce_csrf_checks=True)
    client.force_login(office)

    assert client.get("/api/v1/units/").json()["count"] == 7
    response = client.patch(f"/api/v1/units/{tree.a1.pk}/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    tree.a1.refresh_from_db()
    assert tree.a1.name == "甲公司综合部"


def test_a_superuser_sees_and_may_do_everything_and_the_reveal_is_still_audited(tree, superuser):
    person = Person.objects.create(unit=tree.b1, name="乙", employee_no="S1", phone="13912345678")
    client = client_for(superuser)

    assert client.get("/api/v1/units/").json()["count"] == 7
    assert client.get(f"/api/v1/people/{person.pk}/reveal/", {"field": "phone"}).json()["value"] == "13912345678"
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASK, user=superuser).count() == 1


# --- Errors and paging --------------------------------------------------------------------------


def test_a_service_validation_error_keeps_its_field_names_and_other_errors_are_non_field_errors():
    by_field = exception_handler(ValidationError({"parent": ["Bad parent."], "__all__": ["Bad."]}), {})
    plain = exception_handler(ValidationError("Nope."), {})

    assert by_field.status_code == plain.status_code == 400
    assert by_field.data == {"parent": ["Bad parent."], "non_field_errors": ["Bad."]}
    assert plain.data == {"non_field_errors": ["Nope."]}


def test_a_non_numeric_id_is_not_found(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)

    assert client_for(office).get("/api/v1/units/abc/").status_code == 404


def test_a_page_never_holds_more_than_500_rows(tree):
    office = user_with_role(Role.UNIT_ADMIN, tree.a)
    Person.objects.bulk_create([Person(unit=tree.a1, name=f"p{i}", employee_no=f"B{i:04d}") for i in range(501)])

    page = client_for(office).get("/api/v1/people/", {"page_size": 1000}).json()

    assert page["count"] == 501
    assert len(page["results"]) == 500


def test_units_where_a_user_may_add_people_are_their_add_scope_only(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    leader = user_with_role(Role.LEADER, tree.group)

    assert set(units_where(liaison, Person, Action.ADD)) == {tree.a1, tree.a1s}
    assert not units_where(leader, Person, Action.ADD).exists()
    assert not units_where(AnonymousUser(), Person, Action.VIEW).exists()


# --- Change log and audit events ----------------------------------------------------------------


def _change(unit: Unit) -> ObjectChange:
    return ObjectChange.objects.create(
        request_id="00000000-0000-0000-0000-000000000001",
        action=ChangeAction.UPDATE,
        content_type_id=1,
        object_id=unit.pk,
        object_repr=str(unit),
        unit=unit,
    )


def test_the_change_log_shows_an_office_administrator_the_changes_of_their_subtree(tree):
    office_a = user_with_role(Role.GROUP_ADMIN, tree.a)
    inside, outside = _change(tree.a1s), _change(tree.b1)
    client = client_for(office_a)

    listed = client.get("/api/v1/audit/changes/").json()

    assert [row["id"] for row in listed["results"]] == [inside.pk]
    assert client.get(f"/api/v1/audit/changes/{outside.pk}/").status_code == 404


def test_the_change_log_is_closed_to_a_liaison(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    change = _change(tree.a1)
    client = client_for(liaison)

    assert client.get("/api/v1/audit/changes/").json()["count"] == 0
    assert client.get(f"/api/v1/audit/changes/{change.pk}/").status_code == 404


def test_a_write_through_the_api_appears_in_the_change_log_with_its_request_id(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_for(office)

    written = client.patch(f"/api/v1/units/{tree.a1.pk}/", {"short_name": "综合部"}, format="json")
    changes = client.get("/api/v1/audit/changes/", {"request_id": written["X-Request-ID"]}).json()["results"]

    assert len(changes) == 1
    assert changes[0]["object_type"] == "org.unit"
    assert changes[0]["postchange_data"]["short_name"] == "综合部"


def test_audit_events_are_shown_to_the_office_and_filtered_by_kind(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    UserFactory(username="liaison-a")
    client_for().post(TOKEN, {"username": "liaison-a", "password": "wrong"}, format="json")
    client = client_for(office)

    failed = client.get("/api/v1/audit/events/", {"kind": AuditKind.LOGIN_FAILED}).json()["results"]

    assert [row["user_name"] for row in failed] == ["liaison-a"]
    assert client_for(user_with_role(Role.LEADER, tree.group)).get("/api/v1/audit/events/").json()["count"] == 0


def test_the_audit_log_is_read_only(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    change = _change(tree.a1)
    client = client_for(office)

    assert client.delete(f"/api/v1/audit/changes/{change.pk}/").status_code == 405
    assert client.post("/api/v1/audit/events/", {}, format="json").status_code == 405
    assert ObjectChange.objects.filter(pk=change.pk).exists()


# --- Jobs ---------------------------------------------------------------------------------------


def test_a_user_sees_their_own_jobs_and_nobody_elses(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    mine = Job.objects.create(kind="roster_import", created_by=liaison, unit=tree.a, payload=b"secret", total=10)
    theirs = Job.objects.create(kind="roster_import", created_by=office, unit=tree.a)
    client = client_for(liaison)

    listed = client.get("/api/v1/jobs/").json()["results"]

    assert [row["id"] for row in listed] == [mine.pk]
    assert listed[0]["url"].endswith(f"/api/v1/jobs/{mine.pk}/")
    assert "payload" not in listed[0]
    assert client.get(f"/api/v1/jobs/{theirs.pk}/").status_code == 404


def test_a_finished_job_reports_its_result_and_errors(tree):
    user = UserFactory()
    job = Job.objects.create(
        kind="roster_import",
        created_by=user,
        status=JobStatus.FAILED,
        errors=[{"row": 3, "column": "身份证号", "message": "bad"}],
    )

    body = client_for(user).get(f"/api/v1/jobs/{job.pk}/").json()

    assert (body["status"], body["is_finished"], body["errors"][0]["row"]) == ("failed", True, 3)


# --- Schema, docs and the root ------------------------------------------------------------------


def test_the_api_root_lists_the_endpoints(tree):
    body = client_for(UserFactory()).get("/api/v1/").json()

    assert {"units", "people", "role-assignments", "audit/changes", "audit/events", "jobs", "tags"} <= set(body)


def test_the_openapi_schema_describes_every_endpoint(db):
    response = client_for().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/units/{id}/move/",
        "/api/v1/people/{id}/reveal/",
        "/api/v1/role-assignments/{id}/",
        "/api/v1/audit/events/",
        "/api/v1/jobs/{id}/",
        "/api/v1/people/import/",
        "/api/v1/people/export/",
    ]:
        assert path in paths


def test_the_swagger_ui_loads_only_assets_served_by_lianfang_itself(db):
    response = client_for().get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/") or asset.startswith("/api/v1/"), asset
    assert "cdn" not in html.lower() and "https://" not in html


def test_the_swagger_ui_does_not_send_the_schema_to_the_online_validator(db):
    # Swagger UI's default badge loads https://validator.swagger.io/validator?url=<our schema>.
    html = client_for().get("/api/v1/docs/").content.decode()

    assert '"validatorUrl": null' in html


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/people/" in target.read_text(encoding="utf-8")
