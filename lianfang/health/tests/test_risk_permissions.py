"""Permission matrix of every risk-area, status and trip endpoint, pages and API: every role (and
anonymous, and a user with no role) × where the object sits.

Each role is held on A1 (``tests/matrix_world.py``); each of A1 (own), A1S (child), A2 (sibling)
and A (parent) has a person with a yellow status, a status change and a trip. Expectations come
from ``ROLE_PERMISSIONS``: allowed and in scope → success; visible but not allowed → 403; not
visible → 404; group-wide objects (risk areas, rules) → 403 without the right. Reasons of statuses
are shown only with ``unmask``, and each read of them is audited. On any refusal nothing changed.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.core.scoping import Action
from lianfang.health.models import RiskArea, Trip
from lianfang.org.roles import role_allows
from lianfang.status.defaults import ensure_default_status_rules
from lianfang.status.models import PersonStatus, StatusChange, StatusRule
from lianfang.testing import ALL_ROLES, IN_SCOPE
from tests.matrix_world import ACTORS, ANONYMOUS, RELATIONS, World, module_world

pytestmark = pytest.mark.django_db

RISK, RULE, STATUS, CHANGE, TRIP, PERSON = (
    "health.riskarea",
    "status.statusrule",
    "status.personstatus",
    "status.statuschange",
    "health.trip",
    "people.person",
)


class Extra:
    area: RiskArea
    rule: StatusRule
    trips: dict[str, Trip]
    statuses: dict[str, PersonStatus]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    for built in module_world(django_db_blocker):
        with django_db_blocker.unblock():
            ensure_default_status_rules()
            extra = Extra()
            today = timezone.localdate()
            extra.area = RiskArea.objects.create(
                division_code="4201", name="武汉市", level="high", effective_from=today - datetime.timedelta(days=3)
            )
            extra.rule = StatusRule.objects.order_by("sort").first()
            extra.trips, extra.statuses = {}, {}
            now = timezone.now()
            for rel, person in built.people.items():
                extra.trips[rel] = Trip.objects.create(
                    person=person,
                    unit=person.unit,
                    place_code="610502",
                    place_name="临渭区",
                    date_from=today - datetime.timedelta(days=2),
                    date_to=today - datetime.timedelta(days=1),
                )
                extra.statuses[rel] = PersonStatus.objects.create(
                    person=person,
                    unit=person.unit,
                    colour="yellow",
                    reason="近期发热",
                    reason_en="Recent fever",
                    until=today,
                    since=now,
                    computed=now,
                )
                StatusChange.objects.create(
                    person=person, unit=person.unit, colour="yellow", reason="近期发热", cause="event", changed=now
                )
            built.extra = extra  # type: ignore[attr-defined]
        yield built


def state():
    """Every row a refused request must leave as it was."""
    return (
        list(RiskArea.objects.order_by("pk").values()),
        list(StatusRule.objects.order_by("pk").values()),
        list(Trip.objects.order_by("pk").values()),
        list(PersonStatus.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
    )


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def may_here(actor: str, label: str, action: str, rel: str) -> bool:
    return may(actor, label, action) and rel in IN_SCOPE


def user(world: World, actor: str):
    return get_user_model().objects.get(pk=world.users[actor])


def web(world: World, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(user(world, actor))
    return client


def api(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(user(world, actor))
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def office_only(world: World, actor: str, response, label: str, action: str, ok: int, before) -> None:
    """A group-wide object: allowed → ok; signed in without the right → 403, nothing changed."""
    if actor == ANONYMOUS:
        assert is_login_redirect(response) or response.status_code in (401, 403)
    elif may(actor, label, action):
        assert response.status_code == ok, response.content[:300]
        return
    else:
        assert response.status_code == 403, response.content[:300]
    assert state() == before


def scoped(world: World, actor: str, response, label: str, action: str, rel: str, ok: int, before, view=None) -> None:
    """A scoped object: allowed here → ok; visible only → 403; invisible → 404; refusals change nothing."""
    view_label = view or label
    if actor == ANONYMOUS:
        assert is_login_redirect(response) or response.status_code in (401, 403)
    elif may_here(actor, label, action, rel):
        assert response.status_code == ok, response.content[:300]
        return
    elif may_here(actor, view_label, Action.VIEW, rel):
        assert response.status_code == 403, response.content[:300]
    else:
        assert response.status_code == 404, response.content[:300]
    assert state() == before


# --- pages: risk areas ---------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_list_is_open_to_everyone_signed_in(world, actor):
    response = web(world, actor).get(reverse("health:risk-areas"))
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    assert response.status_code == 200
    assert 'data-area="4201"' in response.content.decode()
    assert (reverse("health:risk-area-create") in response.content.decode()) == may(actor, RISK, Action.ADD)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_create(world, actor):
    before = state()
    response = web(world, actor).post(
        reverse("health:risk-area-create"),
        {"province": "42", "city": "4201", "district": "420102", "level": "medium", "effective_from": "2022-11-01"},
    )
    office_only(world, actor, response, RISK, Action.ADD, 302, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_edit(world, actor):
    before = state()
    response = web(world, actor).post(
        reverse("health:risk-area-edit", args=[world.extra.area.pk]),
        {"province": "42", "city": "4201", "level": "low", "effective_from": "2022-11-01"},
    )
    office_only(world, actor, response, RISK, Action.CHANGE, 302, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_lift(world, actor):
    before = state()
    response = web(world, actor).post(reverse("health:risk-area-lift", args=[world.extra.area.pk]), {})
    office_only(world, actor, response, RISK, Action.CHANGE, 302, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_delete(world, actor):
    before = state()
    response = web(world, actor).post(reverse("health:risk-area-delete", args=[world.extra.area.pk]))
    office_only(world, actor, response, RISK, Action.DELETE, 302, before)


@pytest.mark.parametrize("name", ["health:risk-import", "health:risk-import-template"])
@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_import(world, actor, name):
    before = state()
    response = web(world, actor).get(reverse(name))
    office_only(world, actor, response, RISK, Action.IMPORT, 200, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_risk_export(world, actor):
    before = state()
    response = web(world, actor).get(reverse("health:risk-export"))
    office_only(world, actor, response, RISK, Action.EXPORT, 200, before)


# --- pages: statuses -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["health:status-board", "health:status-people", "health:status-return"])
@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_views_need_the_view_right(world, actor, name):
    before = state()
    response = web(world, actor).get(reverse(name))
    office_only(world, actor, response, STATUS, Action.VIEW, 200, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_people_lists_the_scope_and_shows_reasons_only_with_unmask(world, actor):
    if not may(actor, STATUS, Action.VIEW):
        return
    events = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    response = web(world, actor).get(reverse("health:status-people"))
    html = response.content.decode()
    listed = set(re.findall(r'data-person="([^"]+)"', html))
    expected = {world.people[rel].employee_no for rel in RELATIONS if rel in IN_SCOPE}
    assert listed == expected
    shown = "Recent fever" in html
    assert shown == may(actor, STATUS, Action.UNMASK)
    after = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    assert after - events == (1 if shown else 0)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_board_unit_filter_outside_the_scope_is_404(world, actor, rel):
    if not may(actor, STATUS, Action.VIEW):
        return
    response = web(world, actor).get(reverse("health:status-board"), {"unit": world.units[rel].pk})
    assert response.status_code == (200 if rel in IN_SCOPE else 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_rules(world, actor):
    before = state()
    response = web(world, actor).get(reverse("health:status-rules"))
    office_only(world, actor, response, RULE, Action.VIEW, 200, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_rule_create(world, actor):
    before = state()
    response = web(world, actor).post(
        reverse("health:status-rule-create"),
        {"name": "新规则", "fact": "fever", "within_days": "2", "colour": "red", "reason": "高烧", "hold_days": "1"},
    )
    office_only(world, actor, response, RULE, Action.ADD, 302, before)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        (
            "health:status-rule-edit",
            {"name": "改", "fact": "isolated", "colour": "red", "reason": "隔离", "hold_days": "0"},
        ),
        ("health:status-rule-move", {"direction": "down"}),
        ("health:status-rule-active", {"active": "0"}),
    ],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_rule_changes(world, actor, name, data):
    before = state()
    response = web(world, actor).post(reverse(name, args=[world.extra.rule.pk]), data)
    office_only(world, actor, response, RULE, Action.CHANGE, 302, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_status_recompute(world, actor):
    before = state()
    response = web(world, actor).post(reverse("health:status-recompute"))
    office_only(world, actor, response, STATUS, Action.CHANGE, 302, before)


# --- pages: epidemiological history and trips ------------------------------------------------------


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_person_history(world, actor, rel):
    before = state()
    response = web(world, actor).get(reverse("health:person-history", args=[world.people[rel].pk]))
    scoped(world, actor, response, TRIP, Action.VIEW, rel, 200, before, view=PERSON)
    if response.status_code == 200:
        assert "临渭区" in response.content.decode()
        assert ("Recent fever" in response.content.decode()) == may(actor, STATUS, Action.UNMASK)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_trip_create(world, actor, rel):
    before = state()
    today = timezone.localdate()
    response = web(world, actor).post(
        reverse("health:trip-create", args=[world.people[rel].pk]),
        {"kind": "trip", "province": "42", "city": "4201", "date_from": today, "date_to": today},
    )
    scoped(world, actor, response, TRIP, Action.ADD, rel, 302, before, view=PERSON)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_trip_edit(world, actor, rel):
    before = state()
    trip = world.extra.trips[rel]
    response = web(world, actor).post(
        reverse("health:trip-edit", args=[trip.pk]),
        {"kind": "trip", "province": "61", "city": "6105", "date_from": trip.date_from, "date_to": trip.date_to},
    )
    scoped(world, actor, response, TRIP, Action.CHANGE, rel, 302, before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_trip_delete(world, actor, rel):
    before = state()
    response = web(world, actor).post(reverse("health:trip-delete", args=[world.extra.trips[rel].pk]))
    scoped(world, actor, response, TRIP, Action.DELETE, rel, 302, before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_person_detail_shows_the_colour_and_the_reason_only_with_unmask(world, actor, rel):
    if not may_here(actor, PERSON, Action.VIEW, rel):
        return
    response = web(world, actor).get(reverse("people:detail", args=[world.people[rel].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert ('data-testid="status-block"' in html) == may_here(actor, STATUS, Action.VIEW, rel)
    assert ("Recent fever" in html) == may_here(actor, STATUS, Action.UNMASK, rel)


# --- API: risk areas -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_risk_list_is_open_to_everyone_signed_in(world, actor):
    response = api(world, actor).get("/api/v1/risk-areas/")
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    assert [r["division_code"] for r in response.json()["results"]] == ["4201"]


@pytest.mark.parametrize("actor", ACTORS)
def test_api_risk_create(world, actor):
    before = state()
    response = api(world, actor).post(
        "/api/v1/risk-areas/",
        {"division_code": "420102", "level": "high", "effective_from": "2022-11-01"},
        format="json",
    )
    office_only(world, actor, response, RISK, Action.ADD, 201, before)


@pytest.mark.parametrize(
    ("method", "suffix", "action", "ok"),
    [
        ("patch", "", Action.CHANGE, 200),
        ("post", "lift/", Action.CHANGE, 200),
        ("delete", "", Action.DELETE, 204),
    ],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_risk_writes(world, actor, method, suffix, action, ok):
    before = state()
    url = f"/api/v1/risk-areas/{world.extra.area.pk}/{suffix}"
    response = getattr(api(world, actor), method)(url, {"level": "low"} if method == "patch" else {}, format="json")
    office_only(world, actor, response, RISK, action, ok, before)


# --- API: rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_rule_list(world, actor):
    before = state()
    response = api(world, actor).get("/api/v1/status-rules/")
    office_only(world, actor, response, RULE, Action.VIEW, 200, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_api_rule_create(world, actor):
    before = state()
    response = api(world, actor).post(
        "/api/v1/status-rules/",
        {"name": "高烧", "condition": {"fact": "fever"}, "colour": "red", "reason": "高烧", "hold_days": 0},
        format="json",
    )
    office_only(world, actor, response, RULE, Action.ADD, 201, before)


@pytest.mark.parametrize("actor", ACTORS)
def test_api_rule_change_and_reorder(world, actor):
    before = state()
    client = api(world, actor)
    response = client.patch(f"/api/v1/status-rules/{world.extra.rule.pk}/", {"hold_days": 1}, format="json")
    office_only(world, actor, response, RULE, Action.CHANGE, 200, before)
    before = state()
    response = client.post("/api/v1/status-rules/reorder/", {"order": [world.extra.rule.pk]}, format="json")
    office_only(world, actor, response, RULE, Action.CHANGE, 200, before)


def test_api_rule_with_an_unknown_fact_or_endless_hold_is_a_400_with_the_message(world):
    client = api(world, "group_admin")
    before = state()
    response = client.post(
        "/api/v1/status-rules/",
        {"name": "x", "condition": {"fact": "blood_type"}, "colour": "red", "reason": "x", "hold_days": 0},
        format="json",
    )
    assert response.status_code == 400 and "blood_type" in response.json()["condition"][0]
    response = client.patch(f"/api/v1/status-rules/{world.extra.rule.pk}/", {"hold_days": "infinity"}, format="json")
    assert response.status_code == 400 and "0 to 90" in response.json()["hold_days"][0]
    assert state() == before


# --- API: statuses and history ---------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_status_list_holds_the_scope_and_reasons_only_with_unmask(world, actor):
    events = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    response = api(world, actor).get("/api/v1/statuses/")
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    rows = response.json()["results"]
    expected = {world.extra.statuses[rel].pk for rel in RELATIONS if may_here(actor, STATUS, Action.VIEW, rel)}
    assert {r["id"] for r in rows} == expected
    unmask = may(actor, STATUS, Action.UNMASK)
    assert all((r["reason"] == "近期发热") == unmask and (r["until"] is not None) == unmask for r in rows)
    assert all(r["colour"] == "yellow" and r["may_return_to_work"] is False for r in rows)
    audited = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count() - events
    assert audited == (1 if unmask and rows else 0)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_status_detail(world, actor, rel):
    response = api(world, actor).get(f"/api/v1/statuses/{world.extra.statuses[rel].pk}/")
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == (200 if may_here(actor, STATUS, Action.VIEW, rel) else 404)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_status_history(world, actor, rel):
    person = world.people[rel].pk
    response = api(world, actor).get("/api/v1/status-changes/", {"person": person})
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
        return
    count = len(response.json()["results"])
    assert count == (1 if may_here(actor, CHANGE, Action.VIEW, rel) else 0)


# --- API: trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_trip_list(world, actor):
    response = api(world, actor).get("/api/v1/trips/")
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
        return
    ids = {r["id"] for r in response.json()["results"]}
    assert ids == {world.extra.trips[rel].pk for rel in RELATIONS if may_here(actor, TRIP, Action.VIEW, rel)}


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_trip_detail(world, actor, rel):
    response = api(world, actor).get(f"/api/v1/trips/{world.extra.trips[rel].pk}/")
    if actor == ANONYMOUS:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == (200 if may_here(actor, TRIP, Action.VIEW, rel) else 404)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_trip_create(world, actor, rel):
    before = state()
    today = timezone.localdate().isoformat()
    response = api(world, actor).post(
        "/api/v1/trips/",
        {"person": world.people[rel].pk, "place_code": "4201", "date_from": today, "date_to": today},
        format="json",
    )
    scoped(world, actor, response, TRIP, Action.ADD, rel, 201, before, view=PERSON)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_trip_change(world, actor, rel):
    before = state()
    response = api(world, actor).patch(f"/api/v1/trips/{world.extra.trips[rel].pk}/", {"note": "改"}, format="json")
    scoped(world, actor, response, TRIP, Action.CHANGE, rel, 200, before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_trip_delete(world, actor, rel):
    before = state()
    response = api(world, actor).delete(f"/api/v1/trips/{world.extra.trips[rel].pk}/")
    scoped(world, actor, response, TRIP, Action.DELETE, rel, 204, before)
