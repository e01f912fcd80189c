"""The office's pages and API for retention, purge receipts and the stand-down, and the nightly job."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent
from lianfang.org.choices import Role
from lianfang.privacy import services
from lianfang.privacy.models import EmergencyPeriod, PrivacySettings, PurgeReceipt, RetentionPolicy, StandDown
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office-2")


def page(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_retention_page_lists_every_category_with_its_limits(office):
    response = page(office).get(reverse("privacy:retention"))

    assert response.status_code == 200
    body = response.content.decode()
    for key in ("health", "whereabouts", "cases", "care"):
        assert f'data-category="{key}"' in body
    assert "14–365 days" in body


def test_a_retention_below_the_floor_is_refused_on_the_page_with_the_limits(office):
    response = page(office).post(reverse("privacy:retention"), {"category": "health", "days": "3"}, follow=True)

    assert "at least 14 days (and at most 365)" in response.content.decode()
    assert not RetentionPolicy.objects.exists()


def test_the_office_sets_a_retention_and_the_grace_period_on_the_page(office):
    client = page(office)
    client.post(reverse("privacy:retention"), {"category": "health", "days": "60"})
    client.post(reverse("privacy:retention"), {"standdown_grace_days": "45"})

    assert RetentionPolicy.objects.get(category="health").days == 60
    assert PrivacySettings.load().standdown_grace_days == 45


def test_the_api_refuses_a_retention_above_the_ceiling_naming_the_limits(office):
    response = api(office).post(
        "/api/v1/privacy/retention/set/", {"category": "whereabouts", "days": 400}, format="json"
    )

    assert response.status_code == 400
    assert "at most 180 days" in str(response.json())
    ok = api(office).post("/api/v1/privacy/retention/set/", {"category": "whereabouts", "days": 20}, format="json")
    assert ok.status_code == 200 and ok.json()["days"] == 20


def test_a_dry_run_from_the_page_shows_its_receipt_and_the_receipts_export(office):
    client = page(office)
    response = client.post(reverse("privacy:purge-dry-run"), follow=True)

    assert response.status_code == 200 and "Dry run" in response.content.decode()
    receipt = PurgeReceipt.objects.get()
    assert receipt.dry_run and receipt.actor == office
    listing = client.get(reverse("privacy:receipts"))
    assert f'data-row="{receipt.pk}"' in listing.content.decode()
    export = client.get(reverse("privacy:receipts"), {"format": "xlsx"})
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][0] == "Run" and {r[5] for r in rows[1:]} >= {"Health check-ins and answers"}
    assert AuditEvent.objects.filter(kind="export", detail__what="purge_receipts").exists()


def test_the_api_dry_run_writes_a_dry_run_receipt(office):
    response = api(office).post("/api/v1/privacy/purge-receipts/dry-run/", {}, format="json")

    assert response.status_code == 201 and response.json()["dry_run"] is True
    assert api(office).get("/api/v1/privacy/purge-receipts/").json()["count"] == 1


def test_two_administrators_stand_down_on_the_page(office, second):
    period = services.emergency_open(
        actor=office, name="春季疫情", declared_by="卫健委", starts_on=timezone.localdate()
    )
    page(office).post(reverse("privacy:stand-down-propose", args=[period.pk]), {"ends_on": "", "note": "结束"})
    stand_down = StandDown.objects.get()

    own = page(office).post(reverse("privacy:stand-down-confirm", args=[stand_down.pk]), follow=True)
    assert "second office administrator" in own.content.decode()
    assert EmergencyPeriod.objects.get().is_open

    shown = page(second).get(reverse("privacy:emergencies")).content.decode()
    assert 'data-stand-down="proposed"' in shown and "Confirm the stand-down" in shown
    asked = page(second).post(reverse("privacy:stand-down-confirm", args=[stand_down.pk]), follow=True)
    assert 'data-confirm="stand-down"' in asked.content.decode()
    stand_down.refresh_from_db()
    assert not stand_down.is_confirmed, "the first click only asks"
    page(second).post(reverse("privacy:stand-down-confirm", args=[stand_down.pk]), {"confirm": "1"})

    stand_down.refresh_from_db()
    assert stand_down.is_confirmed and not EmergencyPeriod.objects.get().is_open
    assert stand_down.purge_on == timezone.localdate() + datetime.timedelta(days=30)
    after = page(office).get(reverse("privacy:emergencies")).content.decode()
    assert stand_down.purge_on.isoformat() in after


def test_two_administrators_stand_down_through_the_api(office, second):
    period = services.emergency_open(
        actor=office, name="春季疫情", declared_by="卫健委", starts_on=timezone.localdate()
    )
    proposed = api(office).post("/api/v1/privacy/stand-downs/", {"period": period.pk}, format="json")
    assert proposed.status_code == 201 and proposed.json()["confirmed"] is False
    pk = proposed.json()["id"]

    refused = api(office).post(f"/api/v1/privacy/stand-downs/{pk}/confirm/", {}, format="json")
    assert refused.status_code == 400 and "second office administrator" in str(refused.json())

    confirmed = api(second).post(f"/api/v1/privacy/stand-downs/{pk}/confirm/", {}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    assert confirmed.json()["purge_on"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


def test_the_other_administrator_has_the_confirmation_as_a_to_do(office, second):
    from lianfang.privacy.selectors import todos_for

    period = services.emergency_open(
        actor=office, name="春季疫情", declared_by="卫健委", starts_on=timezone.localdate()
    )
    services.stand_down_propose(actor=office, period=period)

    assert [t.key for t in todos_for(second, timezone.localdate())] == ["privacy.stand_down"]
    assert todos_for(office, timezone.localdate()) == []


def test_the_nightly_job_runs_once_a_night_from_two_oclock(office):
    from django.core.cache import cache

    cache.clear()
    night = timezone.make_aware(datetime.datetime(2026, 3, 2, 1, 40))
    assert services.purge_nightly_due(now=night) is None
    receipts = services.purge_nightly_due(now=night + datetime.timedelta(hours=1))
    assert receipts and receipts[-1].trigger == "nightly"
    assert services.purge_nightly_due(now=night + datetime.timedelta(hours=2)) is None
    assert PurgeReceipt.objects.count() == 1
