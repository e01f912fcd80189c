"""The permission matrix of every notify endpoint, API and pages: role × where the object sits.

The role is held on A1; robots and deliveries sit in A1 (own), A1S (child), A2 (sibling) and A
(parent). In scope: 2xx; out of scope: 404 (nothing discovered); a role without the action: 403
(or 404 when it cannot even view). On any refusal nothing changed.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel
from lianfang.notify.services import message_send
from lianfang.org.models import RoleAssignment
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)


@pytest.fixture
def world(tree, receivers):
    rec = receivers("wecom")
    users = {}
    for actor in ACTORS[1:]:
        u = get_user_model()(username=f"holder-{actor}")
        u.set_unusable_password()
        u.save()
        if actor != NO_ROLE:
            RoleAssignment.objects.create(user=u, unit=tree.a1, role=actor)
        users[actor] = u
    robots, deliveries = {}, {}
    for relation, name in SCOPE_RELATIONS.items():
        unit = getattr(tree, name)
        robots[relation] = RobotChannel.objects.create(
            unit=unit, kind="wecom", name=f"robot-{relation}", webhook_url=rec.webhook_url
        )
        deliveries[relation] = Delivery.objects.create(
            channel="robot",
            robot=robots[relation],
            unit=unit,
            kind="t",
            body="x",
            status=DeliveryStatus.FAILED,
            attempts=4,
            last_error="boom",
        )
    return {"tree": tree, "users": users, "robots": robots, "deliveries": deliveries, "receiver": rec}


def may(actor: str, model: str, action: str, relation: str) -> bool:
    return actor not in (ANONYMOUS, NO_ROLE) and role_allows(actor, model, action) and relation in IN_SCOPE


def api(world, actor: str) -> APIClient:
    client = APIClient()
    if actor != ANONYMOUS:
        client.force_authenticate(world["users"][actor])
    return client


def state() -> list:
    return [
        list(RobotChannel.objects.order_by("pk").values_list("pk", "name", "webhook_url", "is_active")),
        list(Delivery.objects.order_by("pk").values_list("pk", "status", "attempts")),
    ]


def expect_refusal(resp, actor: str, viewable: bool) -> None:
    if actor == ANONYMOUS:
        assert resp.status_code in (401, 403)
    else:
        assert resp.status_code == (403 if viewable else 404), resp.content


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_robot_and_delivery_lists_hold_exactly_what_the_role_may_view(world, actor):
    client = api(world, actor)
    for url, model, objs in (
        ("/api/v1/robots/", "notify.robotchannel", world["robots"]),
        ("/api/v1/deliveries/", "notify.delivery", world["deliveries"]),
    ):
        resp = client.get(url)
        if actor == ANONYMOUS:
            assert resp.status_code in (401, 403)
            continue
        assert resp.status_code == 200
        ids = {row["id"] for row in resp.json()["results"]}
        assert ids == {o.pk for rel, o in objs.items() if may(actor, model, "view", rel)}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_robot_detail_change_test_and_delete_follow_the_scope(world, actor, relation):
    client, robot = api(world, actor), world["robots"][relation]
    url = f"/api/v1/robots/{robot.pk}/"
    viewable = may(actor, "notify.robotchannel", "view", relation)
    resp = client.get(url)
    assert resp.status_code == 200 if viewable else resp.status_code in (401, 403, 404)
    if viewable:
        assert resp.json()["has_secret"] is False and "secret" not in resp.json()

    before = state()
    resp = client.patch(url, {"name": "renamed"}, format="json")
    if may(actor, "notify.robotchannel", "change", relation):
        assert resp.status_code == 200 and resp.json()["name"] == "renamed"
    else:
        expect_refusal(resp, actor, viewable)
        assert state() == before

    received = len(world["receiver"].received)
    resp = client.post(url + "test/")
    if may(actor, "notify.robotchannel", "change", relation):
        assert resp.status_code == 200 and resp.json()["ok"] is True
        assert len(world["receiver"].received) == received + 1
    else:
        expect_refusal(resp, actor, viewable)
        assert len(world["receiver"].received) == received

    before = state()
    resp = client.delete(url)
    if may(actor, "notify.robotchannel", "delete", relation):
        assert resp.status_code == 204 and not RobotChannel.objects.filter(pk=robot.pk).exists()
    else:
        expect_refusal(resp, actor, viewable)
        assert state() == before


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_robot_can_be_added_only_in_the_add_scope(world, actor, relation):
    unit = getattr(world["tree"], SCOPE_RELATIONS[relation])
    before = state()
    resp = api(world, actor).post(
        "/api/v1/robots/",
        {"unit": unit.pk, "kind": "wecom", "name": "n", "webhook_url": world["receiver"].webhook_url},
        format="json",
    )
    if may(actor, "notify.robotchannel", "add", relation):
        assert resp.status_code == 201, resp.content
    elif actor == ANONYMOUS:
        assert resp.status_code in (401, 403)
    elif role_allows(actor, "notify.robotchannel", "add") if actor != NO_ROLE else False:
        assert resp.status_code == 400 and "unit" in resp.json()  # out of scope reads as "does not exist"
    else:
        assert resp.status_code == 403
    if resp.status_code != 201:
        assert state() == before


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_delivery_detail_and_retry_follow_the_scope(world, actor, relation, django_capture_on_commit_callbacks):
    client, delivery = api(world, actor), world["deliveries"][relation]
    viewable = may(actor, "notify.delivery", "view", relation)
    resp = client.get(f"/api/v1/deliveries/{delivery.pk}/")
    assert resp.status_code == 200 if viewable else resp.status_code in (401, 403, 404)
    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(f"/api/v1/deliveries/{delivery.pk}/retry/")
    if viewable and may(actor, "notify.robotchannel", "change", relation):
        assert resp.status_code == 200 and resp.json()["status"] == DeliveryStatus.RETRYING  # queued
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT  # and sent by the job once the request committed
    else:
        expect_refusal(resp, actor, viewable)
        assert state() == before


def test_a_robot_secret_is_write_only_and_the_webhook_token_is_masked(world):
    client = api(world, "group_admin")
    resp = client.post(
        "/api/v1/robots/",
        {
            "unit": world["tree"].a1.pk,
            "kind": "dingtalk",
            "name": "钉钉群",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
            "secret": "SECabc123",
        },
        format="json",
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["has_secret"] is True and "secret" not in body
    assert "abcdef123456" not in body["webhook_url"]


def test_a_malformed_robot_is_refused_by_the_api_with_the_field_named(world):
    resp = api(world, "group_admin").post(
        "/api/v1/robots/",
        {"unit": world["tree"].a1.pk, "kind": "dingtalk", "name": "x", "webhook_url": "https://example.com/hook"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert resp.status_code == 400 and "webhook_url" in resp.json()


# --- messages (own only) --------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_messages_are_only_ever_the_callers_own(world, actor):
    other = world["users"][NO_ROLE if actor != NO_ROLE else "employee"]
    message_send(recipients=[other], kind="t", title="not yours")
    client = api(world, actor)
    theirs = Message.objects.get(recipient=other)
    if actor == ANONYMOUS:
        assert client.get("/api/v1/messages/").status_code in (401, 403)
        return
    me = world["users"][actor]
    message_send(recipients=[me], kind="t", title="yours")
    mine = Message.objects.get(recipient=me)
    assert [m["id"] for m in client.get("/api/v1/messages/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/messages/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/messages/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/api/v1/messages/{mine.pk}/read/").json()["is_read"] is True
    assert client.post("/api/v1/messages/read-all/").json() == {"marked": 0}
    assert Message.objects.get(pk=theirs.pk).read_at is None


# --- pages ----------------------------------------------------------------------------------------


def page_client(client, world, actor):
    if actor != ANONYMOUS:
        client.force_login(world["users"][actor])
    return client


@pytest.mark.parametrize("actor", ACTORS)
def test_the_list_pages_are_open_to_the_roles_that_may_view(client, world, actor):
    c = page_client(client, world, actor)
    for name, model in (("notify:robots", "notify.robotchannel"), ("notify:deliveries", "notify.delivery")):
        resp = c.get(reverse(name))
        if actor == ANONYMOUS:
            assert resp.status_code == 302
        elif actor != NO_ROLE and role_allows(actor, model, "view"):
            assert resp.status_code == 200
        else:
            assert resp.status_code == 403
    resp = c.get(reverse("notify:inbox"))
    assert resp.status_code == (302 if actor == ANONYMOUS else 200)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_robot_pages_follow_the_scope(client, world, actor, relation):
    c = page_client(client, world, actor)
    robot, delivery = world["robots"][relation], world["deliveries"][relation]
    viewable = may(actor, "notify.robotchannel", "view", relation)
    changeable = may(actor, "notify.robotchannel", "change", relation)

    def check(resp, allowed_code):
        if actor == ANONYMOUS:
            assert resp.status_code == 302 and "/login/" in resp["Location"]
        elif changeable:
            assert resp.status_code == allowed_code
        else:
            assert resp.status_code == (403 if viewable else 404)

    before = state()
    check(c.get(reverse("notify:robot", args=[robot.pk])), 200)
    check(c.get(reverse("notify:robot-edit", args=[robot.pk])), 200)
    check(c.post(reverse("notify:robot-test", args=[robot.pk])), 302)
    check(c.post(reverse("notify:delivery-retry", args=[delivery.pk])), 302)
    if not changeable:
        assert state() == before
    check(c.post(reverse("notify:robot-delete", args=[robot.pk])), 302)
    if not changeable:
        assert state() == before
    else:
        assert not RobotChannel.objects.filter(pk=robot.pk).exists()
