"""Permission matrix of every daily-report endpoint, API and pages: role × where the object sits.

Each role is held on A1 ("own"); reports and raised items sit in A1, its child A1S, its sibling A2
and its parent A (``lianfang.testing.SCOPE_RELATIONS``). The reporting tier is set to the tier of
the unit under test, so every relation can hold a report. Expectations come from
``ROLE_PERMISSIONS``: allowed and in scope → success; visible but not allowed → 403; not visible →
404; a collection write by a role that may do it nowhere → 403. On any refusal nothing changed.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.models import ObjectChange
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.org.roles import role_allows
from lianfang.reporting.choices import RaisedKind
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, add_unit, make_tree, user_with_role

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
DAY = datetime.date(2026, 3, 2)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
REPORT, RAISED = "reporting.unitdailyreport", "reporting.raiseditem"


class World:
    def __init__(self, actor: str):
        ensure_default_report_fields()
        self.tree = make_tree()
        self.department = add_unit(self.tree.group, "GD", "集团物资部", "department")
        self.units = {rel: getattr(self.tree, attr) for rel, attr in SCOPE_RELATIONS.items()}
        self.reports = {}
        self.items = {}
        for rel, unit in self.units.items():
            # Yesterday's report, a draft with a problem raised from an earlier submission.
            report = UnitDailyReport.objects.create(unit=unit, date=DAY - datetime.timedelta(days=1), values={})
            self.reports[rel] = report
            self.items[rel] = RaisedItem.objects.create(
                report=report, unit=unit, kind=RaisedKind.PROBLEM, text="缺口罩"
            )
        self.role = actor if actor in ALL_ROLES else None
        self.user = None if actor == ANONYMOUS else user_with_role(self.role, self.tree.a1, f"actor-{actor}")

    def may(self, model: str, action: str, rel: str) -> bool:
        return self.role is not None and role_allows(self.role, model, action) and rel in IN_SCOPE

    def may_anywhere(self, model: str, action: str) -> bool:
        return self.role is not None and role_allows(self.role, model, action)

    def use_tier_of(self, rel: str) -> None:
        settings = GroupSettings.load()
        settings.reporting_tier = self.units[rel].kind.tier
        settings.save()

    def api(self) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            client.force_authenticate(self.user)
        return client

    def web(self) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            client.force_login(self.user)
        return client


def state():
    """Everything a refused request must leave as it was."""
    return (
        list(UnitDailyReport.objects.order_by("pk").values()),
        list(RaisedItem.objects.order_by("pk").values()),
        list(ReportField.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
    )


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def expect_write(world: World, model: str, action: str, rel: str, ok: int, *, collection: bool = False) -> set[int]:
    if world.user is None:
        return {401, 403}
    if world.may(model, action, rel):
        return {ok}
    if collection:
        # A unit outside the add scope is "does not exist" (400); no add anywhere is 403 at once.
        return {400} if world.may_anywhere(model, action) else {403}
    return {403} if world.may(model, Action.VIEW, rel) else {404}


def check(response, expected: set[int], before):
    assert response.status_code in expected, response.content[:300]
    if response.status_code >= 400:
        assert state() == before


# --- API: reports -------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_report_list_holds_exactly_what_the_role_may_view(actor):
    world = World(actor)
    response = world.api().get(reverse("api:unitreport-list"))
    if world.user is None:
        assert response.status_code in {401, 403}
        return
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {world.reports[rel].pk for rel in RELATIONS if world.may(REPORT, Action.VIEW, rel)}


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_report_detail(actor, rel):
    world = World(actor)
    response = world.api().get(reverse("api:unitreport-detail", args=[world.reports[rel].pk]))
    expected = {401, 403} if world.user is None else {200 if world.may(REPORT, Action.VIEW, rel) else 404}
    assert response.status_code in expected


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_report_create(actor, rel):
    world = World(actor)
    world.use_tier_of(rel)
    before = state()
    response = world.api().post(
        reverse("api:unitreport-list"), {"unit": world.units[rel].pk, "date": DAY.isoformat()}, format="json"
    )
    check(response, expect_write(world, REPORT, Action.ADD, rel, 201, collection=True), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_zero_report(actor, rel):
    world = World(actor)
    world.use_tier_of(rel)
    before = state()
    response = world.api().post(
        reverse("api:unitreport-zero-report"), {"unit": world.units[rel].pk, "date": DAY.isoformat()}, format="json"
    )
    check(response, expect_write(world, REPORT, Action.ADD, rel, 200, collection=True), before)
    if response.status_code == 200:
        assert response.json()["is_zero_report"] and response.json()["timeliness"] == "timely"


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_report_update(actor, rel):
    world = World(actor)
    world.use_tier_of(rel)
    before = state()
    response = world.api().patch(
        reverse("api:unitreport-detail", args=[world.reports[rel].pk]), {"values": {"at_work": 5}}, format="json"
    )
    check(response, expect_write(world, REPORT, Action.CHANGE, rel, 200), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_report_submit(actor, rel):
    world = World(actor)
    world.use_tier_of(rel)
    before = state()
    values = {"at_work": 5, "fever_today": 0, "new_suspected": 0, "new_confirmed": 0, "new_asymptomatic": 0}
    response = world.api().post(
        reverse("api:unitreport-submit", args=[world.reports[rel].pk]), {"values": values}, format="json"
    )
    check(response, expect_write(world, REPORT, Action.CHANGE, rel, 200), before)
    if response.status_code == 200:
        assert response.json()["status"] == "submitted"
        assert response.json()["timeliness"] == "late"  # yesterday's report, submitted today


@pytest.mark.parametrize("actor", ACTORS)
def test_api_day_status_lists_the_reporting_units_in_scope(actor):
    world = World(actor)
    world.use_tier_of("own")  # departments report: A1, A2, B1 and GD
    response = world.api().get(reverse("api:unitreport-status"), {"date": DAY.isoformat()})
    if world.user is None:
        assert response.status_code in {401, 403}
        return
    assert response.status_code == 200
    codes = {row["unit_code"] for row in response.json()["units"]}
    assert codes == ({"A1"} if world.may_anywhere(REPORT, Action.VIEW) else set())
    assert response.json()["totals"]["missing"] == len(codes)


# --- API: the template --------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [*ACTORS, "office-on-root"])
def test_api_report_fields(actor):
    world = World(actor if actor != "office-on-root" else Role.GROUP_ADMIN)
    if actor == "office-on-root":
        world.user = user_with_role(Role.GROUP_ADMIN, world.tree.group, "office-root")
    client = world.api()
    before = state()
    listing = client.get(reverse("api:reportfield-list"))
    created = client.post(
        reverse("api:reportfield-list"), {"code": "x1", "label": "新", "kind": "count"}, format="json"
    )
    field = ReportField.objects.get(code="remote")
    changed = client.patch(reverse("api:reportfield-detail", args=[field.pk]), {"required": True}, format="json")
    if world.user is None:
        assert {listing.status_code, created.status_code, changed.status_code} <= {401, 403}
        assert state() == before
        return
    may_read = actor == "office-on-root" or world.may_anywhere(REPORT, Action.VIEW)
    assert listing.status_code == 200 and (listing.json()["count"] > 0) == may_read
    if actor == "office-on-root":
        assert created.status_code == 201 and changed.status_code == 200
    else:
        assert created.status_code == 403
        assert changed.status_code == (403 if may_read else 404)
        assert state() == before


# --- API: raised items --------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_api_raised_list_holds_exactly_what_the_role_may_view(actor):
    world = World(actor)
    response = world.api().get(reverse("api:raiseditem-list"))
    if world.user is None:
        assert response.status_code in {401, 403}
        return
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {world.items[rel].pk for rel in RELATIONS if world.may(RAISED, Action.VIEW, rel)}


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_raised_route(actor, rel):
    world = World(actor)
    before = state()
    response = world.api().post(
        reverse("api:raiseditem-route", args=[world.items[rel].pk]), {"routed_to": world.department.pk}, format="json"
    )
    check(response, expect_write(world, RAISED, Action.CHANGE, rel, 200), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_raised_status(actor, rel):
    world = World(actor)
    before = state()
    response = world.api().post(
        reverse("api:raiseditem-status", args=[world.items[rel].pk]), {"status": "in_progress"}, format="json"
    )
    check(response, expect_write(world, RAISED, Action.CHANGE, rel, 200), before)


def test_api_a_department_sees_and_progresses_only_what_is_routed_to_it():
    world = World(NO_ROLE)
    head = user_with_role(Role.UNIT_ADMIN, world.department, "head")
    world.items["own"].routed_to = world.department
    world.items["own"].save()
    client = APIClient()
    client.force_authenticate(head)
    ids = {row["id"] for row in client.get(reverse("api:raiseditem-list")).json()["results"]}
    assert ids == {world.items["own"].pk}
    url = reverse("api:raiseditem-status", args=[world.items["own"].pk])
    assert client.post(url, {"status": "in_progress"}, format="json").status_code == 200
    before = state()
    route = reverse("api:raiseditem-route", args=[world.items["own"].pk])
    assert client.post(route, {"routed_to": world.department.pk}, format="json").status_code == 403
    other = reverse("api:raiseditem-status", args=[world.items["sibling"].pk])
    assert client.post(other, {"status": "in_progress"}, format="json").status_code == 404
    assert state() == before


# --- pages --------------------------------------------------------------------------------------


def expect_page(world: World, model: str, rel: str) -> int:
    if not world.may_anywhere(model, Action.VIEW):
        return 403
    return 200 if world.may(model, Action.VIEW, rel) else 404


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_report_form_and_zero_button(actor, rel):
    world = World(actor)
    world.use_tier_of(rel)
    client = world.web()
    url = reverse("reporting:report") + f"?unit={world.units[rel].pk}&date={DAY.isoformat()}"
    page = client.get(url)
    before = state()
    posted = client.post(url, {"action": "zero"})
    if world.user is None:
        assert page.status_code == 302 and posted.status_code == 302  # to the login page
        assert state() == before
        return
    assert page.status_code == expect_page(world, REPORT, rel)
    if page.status_code == 200 and world.may(REPORT, Action.ADD, rel):
        assert posted.status_code == 302
        assert UnitDailyReport.objects.get(unit=world.units[rel], date=DAY).is_zero_report
    else:
        assert posted.status_code == page.status_code if page.status_code != 200 else posted.status_code == 403
        assert state() == before


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_report_detail(actor, rel):
    world = World(actor)
    response = world.web().get(reverse("reporting:detail", args=[world.reports[rel].pk]))
    if world.user is None:
        assert response.status_code == 302
        return
    assert response.status_code == (200 if world.may(REPORT, Action.VIEW, rel) else 404)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_overview(actor):
    world = World(actor)
    response = world.web().get(reverse("reporting:overview"))
    if world.user is None:
        assert response.status_code == 302
        return
    assert response.status_code == (200 if world.may_anywhere(REPORT, Action.VIEW) else 403)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_template_editor_is_the_group_office_s(actor):
    world = World(actor)
    before = state()
    client = world.web()
    page = client.get(reverse("reporting:template"))
    posted = client.post(reverse("reporting:template"), {"code": "x", "kind": "count", "label": "x", "sort": "1"})
    assert page.status_code in ({302} if world.user is None else {403})  # nobody here holds a role on the root
    assert posted.status_code == page.status_code
    assert state() == before


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_raised_detail_and_route(actor, rel):
    world = World(actor)
    client = world.web()
    url = reverse("reporting:raised-detail", args=[world.items[rel].pk])
    page = client.get(url)
    before = state()
    posted = client.post(url, {"action": "route", "routed_to": world.department.pk})
    if world.user is None:
        assert page.status_code == 302 and posted.status_code == 302
        return
    visible = world.may(RAISED, Action.VIEW, rel)
    assert page.status_code == (200 if visible else 404)
    if world.may(RAISED, Action.CHANGE, rel):
        assert posted.status_code == 302
    else:
        assert posted.status_code == (403 if visible else 404)
        assert state() == before
