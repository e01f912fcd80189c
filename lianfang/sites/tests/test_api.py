"""The API: the catalogue, plans, rounds with their actions (start, finish with a photo, record, cancel,
terminal), the records and their photos; refusals in the service's words."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianfang.sites.models import DisinfectionLog, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.tests.conftest import DAY, photo
from lianfang.sites.tests.factories import twice_a_day

pytestmark = pytest.mark.django_db

ROUNDS = "/api/v1/sites/disinfection-rounds/"
PLANS = "/api/v1/sites/disinfection-plans/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def plan(tree, clock, agents, liaison):
    return twice_a_day(liaison, tree.a1s, agents["chlorine"])


def test_the_liaison_plans_a_site_and_its_rounds_are_listed(tree, clock, agents, liaison):
    response = client_for(liaison).post(
        PLANS,
        {"site": tree.a1s.pk, "area": "toilet", "agent": agents["chlorine"].pk, "times": ["10:00", "16:00"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["times"] == ["10:00", "16:00"]

    rounds = client_for(liaison).get(ROUNDS, {"site": tree.a1s.pk, "date": "2026-12-07"}).json()
    assert [(r["status"], r["minimum_minutes"], r["area"]) for r in rounds["results"]] == [
        ("pending", 30, "toilet"),
        ("pending", 30, "toilet"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"times": []}, "times"),
        ({"times": ["10:60"]}, "times"),
        ({"frequency": "weekly"}, "weekdays"),
        ({"kind": "terminal"}, "kind"),
        ({"area": None}, "area"),
        ({"nmae": "x"}, "nmae"),
    ],
)
def test_a_plan_that_cannot_work_is_refused_naming_the_field(tree, clock, agents, liaison, body, field):
    data = {"site": tree.a1s.pk, "area": "office", "agent": agents["chlorine"].pk, "times": ["10:00"], **body}

    response = client_for(liaison).post(PLANS, data, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not DisinfectionPlan.objects.exists()


def test_a_site_outside_the_scope_is_refused_like_a_missing_one(tree, clock, agents, liaison):
    response = client_for(liaison).post(
        PLANS, {"site": tree.b1.pk, "area": "office", "agent": agents["chlorine"].pk, "times": ["10:00"]}, format="json"
    )

    assert response.status_code == 400 and "site" in response.json()


def test_a_plan_is_retired_through_the_api(tree, clock, plan, liaison):
    clock.at("11:00")

    response = client_for(liaison).patch(f"{PLANS}{plan.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200 and response.json()["is_active"] is False
    assert DisinfectionSlot.objects.filter(plan=plan).count() == 1  # the 10:00 round, overdue, stays


def test_a_round_is_started_and_finished_with_a_photo(tree, clock, plan, staff):
    slot = DisinfectionSlot.objects.filter(day=DAY).order_by("due_at").first()
    api = client_for(staff)
    clock.at("09:00")

    started = api.post(f"{ROUNDS}{slot.pk}/start/", {}, format="json")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"

    clock.at("09:10")
    early = api.post(f"{ROUNDS}{slot.pk}/finish/", {"photo": photo()}, format="multipart")
    assert early.status_code == 400 and "at least 30 minutes" in early.json()["ended_at"][0]

    clock.at("09:45")
    done = api.post(f"{ROUNDS}{slot.pk}/finish/", {"photo": photo(), "note": "楼道也喷了"}, format="multipart")
    assert done.status_code == 200, done.content
    record = done.json()["record"]
    assert done.json()["status"] == "done" and record["minutes"] == 45 and record["operator_name"] == "王师傅"

    picture = api.get(record["photo"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"


def test_a_photo_that_is_not_an_image_is_refused_before_it_is_stored(tree, clock, plan, staff, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    slot = DisinfectionSlot.objects.filter(day=DAY).order_by("due_at").first()
    clock.at("11:00")

    response = client_for(staff).post(
        f"{ROUNDS}{slot.pk}/record/",
        {
            "started_at": "2026-12-07T09:00:00+08:00",
            "ended_at": "2026-12-07T09:40:00+08:00",
            "photo": SimpleUploadedFile("round.png", b"<svg onload=alert(1)>", content_type="image/png"),
        },
        format="multipart",
    )

    assert response.status_code == 400 and "not a photo" in str(response.json())
    assert not DisinfectionLog.objects.exists() and not (settings.MEDIA_ROOT / "sites").exists()


def test_the_rounds_are_filtered_by_status(tree, clock, plan, staff):
    clock.at("12:00")

    overdue = client_for(staff).get(ROUNDS, {"status": "overdue"}).json()
    pending = client_for(staff).get(ROUNDS, {"status": "pending"}).json()

    assert overdue["count"] == 1 and pending["count"] == 3  # today's 16:00 and tomorrow's two
    assert client_for(staff).get(ROUNDS, {"status": "late-ish"}).status_code == 400


def test_the_liaison_opens_a_terminal_disinfection(tree, clock, agents, liaison, staff):
    response = client_for(liaison).post(
        f"{ROUNDS}terminal/", {"site": tree.a1s.pk, "note": "乙公司病例 BL-2026-0003 曾到站"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "terminal"

    refused = client_for(staff).post(f"{ROUNDS}terminal/", {"site": tree.a1s.pk, "note": "x"}, format="json")
    assert refused.status_code == 403


def test_the_catalogue_is_read_by_the_staff_and_kept_by_the_office(tree, clock, agents, office, staff):
    rows = client_for(staff).get("/api/v1/sites/disinfectants/").json()["results"]
    assert {"concentration": "500 mg/L", "contact_minutes": 30}.items() <= rows[0].items()

    assert client_for(staff).post("/api/v1/sites/disinfectants/", {}, format="json").status_code == 403
    response = client_for(office).patch(
        f"/api/v1/sites/disinfectants/{agents['alcohol'].pk}/", {"contact_minutes": 3}, format="json"
    )
    assert response.status_code == 200 and response.json()["contact_minutes"] == 3


def test_records_are_listed_by_day(tree, clock, plan, staff):
    slot = DisinfectionSlot.objects.filter(day=DAY).order_by("due_at").first()
    clock.at("11:00")
    client_for(staff).post(
        f"{ROUNDS}{slot.pk}/record/",
        {"started_at": "2026-12-07T09:00:00+08:00", "ended_at": "2026-12-07T09:40:00+08:00"},
        format="json",
    )

    rows = client_for(staff).get("/api/v1/sites/disinfection-records/", {"date": "2026-12-07"}).json()

    assert rows["count"] == 1 and rows["results"][0]["photo"] is None
