"""The API: list, create, detail, the actions, the levels; bad input and permissions (own unit,
child, sibling, parent; each role); out of scope is 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianfang.command.choices import MatterKind, MatterState
from lianfang.command.models import UrgentMatter
from lianfang.command.services import matters
from lianfang.org.choices import Role
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/urgent-matters/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def make(office, unit, level, **extra):
    return matters.matter_report(
        actor=office,
        unit=unit,
        kind=MatterKind.CHECKPOINT,
        severity=level,
        title=extra.get("title", "Gate barrier broken"),
        description="The barrier at gate 2 is broken; traffic held by hand.",
    )


def body(tree, levels, **extra):
    return {
        "unit": tree.a1s.pk,
        "kind": "suspected_case",
        "severity": levels["major"].pk,
        "title": "Fever at the gate",
        "description": "38.6 at the morning check; isolated.",
        **extra,
    }


def test_a_duty_officer_reports_a_matter_and_gets_its_number_and_clocks(tree, roster, levels, clock, station):
    response = client_for(station).post(URL, body(tree, levels), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("JJ-2026-")
    assert data["hops"][0]["unit"] == tree.a1s.pk
    assert [c["clock"] for c in data["clocks"]] == ["written", "followup"]  # acknowledged by its own duty room


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"description": "   "}, "description"),
        ({"kind": "flood"}, "kind"),
        ({"severity": 999999}, "severity"),
        ({"unit": 999999}, "unit"),
        ({"occurred_at": "2030-01-01T00:00:00Z"}, "occurred_at"),
        ({"number": "JJ-2026-9999"}, "number"),
    ],
)
def test_bad_input_is_refused_naming_the_field(tree, roster, levels, clock, station, change, field):
    response = client_for(station).post(URL, body(tree, levels, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not UrgentMatter.objects.exists()


def test_a_unit_outside_the_reporter_s_scope_is_refused_like_a_missing_one(tree, roster, levels, clock, station):
    response = client_for(station).post(URL, body(tree, levels, unit=tree.b1.pk), format="json")
    assert response.status_code == 400 and "unit" in response.json()


def test_the_actions_take_a_matter_up_and_resolve_it(tree, roster, levels, clock, office, station, sub_duty):
    matter = make(office, tree.a1, levels["significant"])  # received at subsidiary A
    api = client_for(sub_duty)
    assert api.post(f"{URL}{matter.pk}/acknowledge/", {"followup_minutes": 60}, format="json").status_code == 200
    again = api.post(f"{URL}{matter.pk}/acknowledge/", {}, format="json")
    assert again.status_code == 400 and "already acknowledged" in str(again.json())
    assert api.post(f"{URL}{matter.pk}/report/", {"text": "Repair team on its way."}, format="json").status_code == 201
    assert api.post(f"{URL}{matter.pk}/report/", {"text": ""}, format="json").status_code == 400
    resolved = api.post(f"{URL}{matter.pk}/resolve/", {"text": "Barrier repaired at 04:10."}, format="json")
    assert resolved.status_code == 200 and resolved.json()["state"] == MatterState.RESOLVED
    assert resolved.json()["clocks"] == []
    late = api.post(f"{URL}{matter.pk}/report/", {"text": "more"}, format="json")
    assert late.status_code == 400 and "resolved" in str(late.json())
    closed = client_for(office).post(f"{URL}{matter.pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == MatterState.CLOSED


def test_a_major_matter_cannot_be_resolved_below_the_group(tree, roster, levels, clock, office, sub_duty):
    matter = make(office, tree.a1, levels["major"])
    response = client_for(sub_duty).post(f"{URL}{matter.pk}/resolve/", {"text": "done"}, format="json")
    assert response.status_code == 400 and "forward it" in str(response.json())


def test_the_heat_station_cannot_act_for_the_subsidiary_s_level(tree, roster, levels, clock, office, station):
    matter = make(office, tree.a1s, levels["major"])
    client_for(office).post(f"{URL}{matter.pk}/forward/", {"text": "Up."}, format="json")
    response = client_for(station).post(f"{URL}{matter.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 403 and "甲公司" in str(response.json())
    # ... but it still adds what it knows (续报).
    assert (
        client_for(station).post(f"{URL}{matter.pk}/report/", {"text": "Ambulance left."}, format="json").status_code
        == 201
    )


def test_the_top_level_records_the_report_outside_and_cannot_forward(tree, roster, levels, clock, office):
    roster.duty_ids = {tree.group.pk}
    matter = make(office, tree.a1, levels["major"])
    api = client_for(office)
    forward = api.post(f"{URL}{matter.pk}/forward/", {"text": "Up."}, format="json")
    assert forward.status_code == 400 and "top level" in str(forward.json())
    bad = api.post(f"{URL}{matter.pk}/external-report/", {"recipient": ""}, format="json")
    assert bad.status_code == 400
    ok = api.post(
        f"{URL}{matter.pk}/external-report/", {"recipient": "市疫情防控指挥部", "channel": "phone"}, format="json"
    )
    assert ok.status_code == 201
    assert api.get(f"{URL}{matter.pk}/").json()["external_reported_at"]


def test_the_external_report_is_refused_before_the_matter_reaches_the_group(tree, roster, levels, clock, office):
    matter = make(office, tree.a1s, levels["major"])
    response = client_for(office).post(f"{URL}{matter.pk}/external-report/", {"recipient": "x"}, format="json")
    assert response.status_code == 400 and "not reached the group" in str(response.json())


def test_closing_an_open_matter_needs_a_reason_and_only_the_office_may(tree, roster, levels, clock, office, sub_duty):
    matter = make(office, tree.a1, levels["significant"])
    assert client_for(sub_duty).post(f"{URL}{matter.pk}/close/", {"reason": "x"}, format="json").status_code == 403
    response = client_for(office).post(f"{URL}{matter.pk}/close/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()


def test_the_list_filters_overdue_matters(tree, roster, levels, clock, office):
    make(office, tree.a1, levels["major"])
    api = client_for(office)
    assert api.get(URL, {"overdue": "1"}).json()["count"] == 0
    clock.advance(minutes=16)
    assert api.get(URL, {"overdue": "1"}).json()["count"] == 1
    assert api.get(URL, {"state": "nonsense"}).status_code == 400
    assert api.get(URL, {"unit": 99999999}).status_code == 400


def test_the_levels_are_listed_with_their_limits(tree, levels, office):
    rows = client_for(office).get("/api/v1/urgent-levels/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    major = next(r for r in rows if r["code"] == "major")
    assert (major["ack_minutes"], major["written_minutes"]) == (15, 30)


# --- the permission matrix ------------------------------------------------------------------------

VIEWERS = {
    Role.GROUP_ADMIN,
    Role.UNIT_ADMIN,
    Role.DUTY_OFFICER,
    Role.CHECKPOINT,
    Role.CASE_MANAGER,
    Role.MATERIALS_KEEPER,
    Role.INSPECTOR,
    Role.LEADER,
    "duty_leader",
}
REPORTERS = {
    Role.GROUP_ADMIN,
    Role.UNIT_ADMIN,
    Role.DUTY_OFFICER,
    Role.CHECKPOINT,
    Role.CASE_MANAGER,
    Role.MATERIALS_KEEPER,
    "duty_leader",
}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
def test_each_role_sees_matters_of_its_own_unit_and_below_and_nothing_else(
    tree, roster, levels, clock, office, role, relation
):
    matter = make(office, getattr(tree, SCOPE_RELATIONS[relation]), levels["significant"])
    user = user_with_role(role, tree.a1)
    api = client_for(user)
    detail = api.get(f"{URL}{matter.pk}/")
    listed = api.get(URL).json()["count"]
    if role in VIEWERS and relation in IN_SCOPE:
        assert detail.status_code == 200 and listed == 1
    else:
        assert detail.status_code == 404 and listed == 0
        assert api.post(f"{URL}{matter.pk}/acknowledge/", {}, format="json").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
def test_each_role_reports_only_where_it_may(tree, roster, levels, clock, role, relation):
    user = user_with_role(role, tree.a1)
    unit = getattr(tree, SCOPE_RELATIONS[relation])
    response = client_for(user).post(URL, body(tree, levels, unit=unit.pk), format="json")
    if role in REPORTERS and relation in IN_SCOPE:
        assert response.status_code == 201, response.content
    elif role in REPORTERS:
        assert response.status_code == 400  # a unit outside the scope is "does not exist"
    else:
        assert response.status_code == 403
    assert UrgentMatter.objects.count() == (1 if response.status_code == 201 else 0)


def test_anonymous_is_refused(db):
    assert APIClient().get(URL).status_code in (401, 403)
