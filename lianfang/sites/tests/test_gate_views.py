"""The gate's pages as their users meet them: the pass on a phone, the gate's answer, cards, keys."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.sites import passes
from lianfang.sites.models import PassKey
from lianfang.sites.services import checkpoints as cp
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(tree):
    user = user_with_role(None, None, username="zhang")
    PersonFactory(unit=tree.a2, user=user, name="张建伟", employee_no="A2-9")
    return user


def logged_in(user, lang="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def test_my_pass_shows_the_colour_and_full_name_and_a_code_the_gate_accepts(employee, tree, office, staff):
    page = logged_in(employee).get(reverse("sites:my-pass"))
    html = page.content.decode()
    assert page.status_code == 200 and "张建伟" in html and 'data-colour="green"' in html
    assert "<svg" in html
    token = logged_in(employee).get(reverse("sites:my-pass-token")).json()
    assert token["colour"] == "green" and token["svg"].startswith("<svg") and 10 <= token["refresh_in"] <= 60


def test_someone_not_on_the_roster_is_told_to_ask_the_liaison(tree):
    user = user_with_role(Role.INSPECTOR, tree.a, username="insp")
    assert logged_in(user, "en").get(reverse("sites:my-pass")).status_code == 404


def test_the_gate_answers_in_json_with_the_reason_in_words(tree, office, staff, employee):
    gate = cp.checkpoint_create(actor=office, site=tree.a1s, name="东门")
    client = logged_in(staff, "en")
    page = client.get(reverse("sites:gate", args=[gate.pk]))
    config = json.loads(page.context["config"] and json.dumps(page.context["config"]))
    assert config["keys"] == passes.public_keys() and config["checkpoint"]["max_temperature"] == 37.3
    answer = client.post(
        reverse("sites:gate-check", args=[gate.pk]),
        json.dumps({"code": "A2-9", "method": "typed", "temperature": "38.2"}),
        content_type="application/json",
    ).json()
    assert answer["decision"] == "deny" and answer["reason"] == "fever" and "Temperature" in answer["reason_text"]
    assert answer["name"] == "张*伟"
    bad = client.post(
        reverse("sites:gate-check", args=[gate.pk]),
        json.dumps({"code": "A2-9", "temperature": "abc"}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "temperature" in bad.json()["errors"]


def test_printing_cards_lists_staff_without_accounts_and_is_audited(tree, liaison, employee):
    PersonFactory(unit=tree.a1s, name="王师傅", employee_no="A1S-1")
    page = logged_in(liaison).get(reverse("sites:cards-print", args=[tree.a.pk]))
    html = page.content.decode()
    assert "王师傅" in html and "张建伟" not in html  # he has his phone
    event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
    assert event.detail["what"] == "pass_cards"


def test_the_office_rotates_and_withdraws_keys(office):
    client = logged_in(office, "en")
    client.get(reverse("sites:pass-keys"))
    first = PassKey.objects.get()
    client.post(reverse("sites:pass-keys"))
    assert PassKey.objects.filter(retired_at__isnull=True).exclude(pk=first.pk).count() == 1
    response = client.post(reverse("sites:pass-keys"), {"revoke": "1"}, follow=True)
    assert "Tick the box" in response.content.decode()
    client.post(reverse("sites:pass-keys"), {"revoke": "1", "understood": "1"})
    assert len(passes.public_keys()) == 1


def test_a_gate_device_checks_and_uploads_through_the_api(tree, office, staff, employee):
    from rest_framework.test import APIClient

    gate = cp.checkpoint_create(actor=office, site=tree.a1s, name="东门")
    device = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    device.force_authenticate(staff)
    url = f"/api/v1/sites/checkpoints/{gate.pk}/"
    answer = device.post(url + "check/", {"code": "A2-9", "method": "typed", "temperature": "36.4"}, format="json")
    assert answer.status_code == 200 and answer.json()["decision"] == "allow"
    record = {"client_id": "6f1d3c1e-8b7a-4a55-9a51-1d2b3c4d5e6f", "code": "A2-9", "at": timezone.now().isoformat()}
    first = device.post(url + "upload/", {"records": [record]}, format="json").json()
    again = device.post(url + "upload/", {"records": [record]}, format="json").json()
    assert first["stored"] == again["stored"] == [record["client_id"]]
    listed = device.get("/api/v1/sites/entries/", {"checkpoint": gate.pk}).json()
    assert listed["count"] == 2 and {e["person_name"] for e in listed["results"]} == {"张建伟"}
    # an inspector sees the checkpoint but may not keep its gate
    inspector = user_with_role(Role.INSPECTOR, tree.a, username="insp-api")
    device.force_authenticate(inspector)
    refused = device.post(url + "check/", {"code": "A2-9"}, format="json")
    assert refused.status_code == 403
