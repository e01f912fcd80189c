"""The API: the current notice, giving and withdrawing one's own consent, paper consent, my data,
and the check-in refused with the reason."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.health.tests.factories import employee, seed_answers
from lianfang.privacy.models import ConsentRecord

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_current_notice_is_readable_by_everyone_signed_in(tree, notice):
    person = employee(tree.a1)
    response = api(person.user).get("/api/v1/privacy/notices/current/")
    assert response.status_code == 200 and response.json()["version"] == 1


def test_only_the_office_writes_notices(tree, office, liaison):
    body = {"title": "告知书", "title_en": "Notice", "body": "正文", "body_en": "Text"}
    assert api(liaison).post("/api/v1/privacy/notices/", body, format="json").status_code == 403
    created = api(office).post("/api/v1/privacy/notices/", body, format="json")
    assert created.status_code == 201
    published = api(office).post(f"/api/v1/privacy/notices/{created.json()['id']}/publish/")
    assert published.status_code == 200 and published.json()["published_at"]


def test_the_api_check_in_is_refused_without_consent_and_accepted_after_it(tree, notice):
    person = employee(tree.a1)
    client = api(person.user)
    refused = client.post("/api/v1/checkins/", {"temperature": "36.5", "answers": seed_answers()}, format="json")
    assert refused.status_code == 400
    assert "No consent to the privacy notice" in str(refused.json())
    given = client.post("/api/v1/privacy/consents/give/", {"categories": ["health", "whereabouts"]}, format="json")
    assert given.status_code == 201 and len(given.json()) == 2
    accepted = client.post("/api/v1/checkins/", {"temperature": "36.5", "answers": seed_answers()}, format="json")
    assert accepted.status_code == 201
    withdrawn = client.post("/api/v1/privacy/consents/withdraw/", {}, format="json")
    assert withdrawn.status_code == 201
    again = client.post("/api/v1/checkins/", {"temperature": "36.6", "answers": seed_answers()}, format="json")
    assert again.status_code == 400 and "withdrawn" in str(again.json())


def test_a_liaison_attests_paper_consent_in_own_units_and_not_elsewhere(tree, notice, liaison):
    own, other = employee(tree.a1), employee(tree.b1)
    body = {"person": own.pk, "signed_on": timezone.localdate().isoformat()}
    assert api(liaison).post("/api/v1/privacy/consents/attest/", body, format="json").status_code == 201
    body["person"] = other.pk
    assert api(liaison).post("/api/v1/privacy/consents/attest/", body, format="json").status_code == 400
    assert not ConsentRecord.objects.filter(person=other).exists()
    employee_client = api(own.user)
    assert employee_client.post("/api/v1/privacy/consents/attest/", body, format="json").status_code == 403


def test_the_consent_list_holds_the_callers_scope(tree, notice, liaison):
    own, other = employee(tree.a1), employee(tree.b1)
    api(own.user).post("/api/v1/privacy/consents/give/", {}, format="json")
    api(other.user).post("/api/v1/privacy/consents/give/", {}, format="json")
    people = {row["person"] for row in api(liaison).get("/api/v1/privacy/consents/").json()["results"]}
    assert people == {own.pk}
    mine = {row["person"] for row in api(own.user).get("/api/v1/privacy/consents/").json()["results"]}
    assert mine == {own.pk}


def test_my_data_through_the_api(tree, notice):
    person = employee(tree.a1)
    api(person.user).post("/api/v1/privacy/consents/give/", {}, format="json")
    response = api(person.user).get("/api/v1/privacy/my-data/")
    assert response.status_code == 200
    sections = {s["key"]: s for s in response.json()["sections"]}
    assert len(sections["privacy.consents"]["rows"]) == 2
