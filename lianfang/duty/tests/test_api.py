"""The API: posts and who is on duty, shifts (with refusals), the log, handovers and swaps; scope
for own unit, child, sibling and parent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.duty.models import Handover, Shift
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.org.choices import Role
from lianfang.testing import IN_SCOPE, SCOPE_RELATIONS, PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def tomorrow(n: int = 1) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
@pytest.mark.parametrize("role", [Role.UNIT_ADMIN, Role.DUTY_OFFICER, Role.DUTY_LEADER, Role.LEADER])
def test_posts_shifts_and_log_are_seen_in_the_own_unit_and_below_only(tree, relation, role):
    unit = getattr(tree, SCOPE_RELATIONS[relation])
    post = make_post(unit)
    shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=PersonFactory(unit=unit))
    client = api(user_with_role(role, tree.a1))
    expected = 200 if relation in IN_SCOPE else 404
    assert client.get(f"/api/v1/duty/posts/{post.pk}/").status_code == expected
    assert client.get(f"/api/v1/duty/shifts/{shift.pk}/").status_code == expected
    listed = [row["id"] for row in client.get("/api/v1/duty/shifts/").json()["results"]]
    assert (shift.pk in listed) == (relation in IN_SCOPE)
    now_ids = [row["post"] for row in client.get("/api/v1/duty/posts/on-duty/").json()]
    assert (post.pk in now_ids) == (relation in IN_SCOPE)


def test_employees_and_the_checkpoint_see_no_post(tree, post):
    for user in (UserFactory(), user_with_role(Role.CHECKPOINT, tree.a)):
        assert api(user).get("/api/v1/duty/posts/").json()["results"] == []


def test_on_duty_now_masks_phones_unless_the_caller_may_unmask(tree, post, staff, liaison):
    now = timezone.now()
    make_shift(
        post,
        now - datetime.timedelta(hours=1),
        now + datetime.timedelta(hours=23),
        leader=staff[0],
        officers=[staff[1]],
    )
    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    row = api(officer).get("/api/v1/duty/posts/on-duty/").json()[0]
    assert row["leader"]["name"] == staff[0].name and "****" in row["leader"]["phone"]
    assert row["duty_phone"] == "0913-2100000"
    assert api(liaison).get("/api/v1/duty/posts/on-duty/").json()[0]["leader"]["phone"] == staff[0].phone
    assert api(liaison).get("/api/v1/duty/posts/on-duty/", {"at": "yesterday"}).status_code == 400


def test_a_shift_is_created_through_the_api_and_refusals_say_why(tree, post, staff, liaison):
    client = api(liaison)
    body = {"post": post.pk, "starts_at": local(tomorrow()).isoformat(), "ends_at": local(tomorrow(2)).isoformat()}
    refused = client.post("/api/v1/duty/shifts/", body, format="json")
    assert refused.status_code == 400 and "needs a leader" in str(refused.json())
    outsider = PersonFactory(unit=tree.b1)
    assert client.post("/api/v1/duty/shifts/", {**body, "leader": outsider.pk}, format="json").status_code == 404
    created = client.post(
        "/api/v1/duty/shifts/", {**body, "leader": staff[0].pk, "officers": [staff[1].pk]}, format="json"
    )
    assert created.status_code == 201
    assert {m["role"] for m in created.json()["members"]} == {"leader", "officer"}
    clash = client.post("/api/v1/duty/shifts/", {**body, "officers": [staff[2].pk]}, format="json")
    assert clash.status_code == 400 and "already has a shift" in str(clash.json())
    assert client.post("/api/v1/duty/shifts/", {**body, "nmae": 1}, format="json").status_code == 400


def test_a_duty_officer_may_not_create_shifts(tree, post, staff):
    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    body = {
        "post": post.pk,
        "starts_at": local(tomorrow()).isoformat(),
        "ends_at": local(tomorrow(2)).isoformat(),
        "leader": staff[0].pk,
    }
    assert api(officer).post("/api/v1/duty/shifts/", body, format="json").status_code == 403
    assert not Shift.objects.exists()


def test_the_log_handover_and_accept_through_the_api(tree, post, staff):
    outgoing, incoming = user_with_role(Role.DUTY_OFFICER, tree.a), user_with_role(Role.DUTY_OFFICER, tree.a)
    now = timezone.now()
    shift = make_shift(
        post, now - datetime.timedelta(hours=23), now + datetime.timedelta(minutes=30), officers=[staff[1]]
    )
    entry = api(outgoing).post(
        "/api/v1/duty/log-entries/", {"post": post.pk, "kind": "report", "content": "向集团值班室报告"}, format="json"
    )
    assert entry.status_code == 201 and entry.json()["shift"] == shift.pk
    day = timezone.localdate().isoformat()
    assert len(api(incoming).get("/api/v1/duty/log-entries/", {"post": post.pk, "date": day}).json()["results"]) == 1
    assert (
        api(outgoing)
        .post("/api/v1/duty/log-entries/", {"post": post.pk, "kind": "nonsense", "content": "x"}, format="json")
        .status_code
        == 400
    )
    handed = api(outgoing).post(
        "/api/v1/duty/handovers/", {"shift": shift.pk, "phone_check": "ok", "open_items": "无"}, format="json"
    )
    assert handed.status_code == 201
    pk = handed.json()["id"]
    assert [h["id"] for h in api(incoming).get("/api/v1/duty/handovers/", {"status": "pending"}).json()["results"]] == [
        pk
    ]
    assert api(outgoing).post(f"/api/v1/duty/handovers/{pk}/accept/", {}, format="json").status_code == 403
    accepted = api(incoming).post(f"/api/v1/duty/handovers/{pk}/accept/", {"missing": "值班电话充电器"}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "incomplete"
    assert Handover.objects.get().received_by == incoming


def test_a_leader_may_read_the_log_but_not_write_it(tree, post):
    reader = user_with_role(Role.LEADER, tree.group)
    assert (
        api(reader)
        .post("/api/v1/duty/log-entries/", {"post": post.pk, "kind": "event", "content": "x"}, format="json")
        .status_code
        == 403
    )


def test_swaps_through_the_api(tree, post, staff, duty_leader):
    asker, taker = UserFactory(), UserFactory()
    staff[1].user, staff[2].user = asker, taker
    staff[1].save()
    staff[2].save()
    shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0], officers=[staff[1]])
    outsider = PersonFactory(unit=tree.b1)
    refused = api(asker).post(
        "/api/v1/duty/swaps/", {"shift": shift.pk, "person": staff[1].pk, "replacement": outsider.pk}, format="json"
    )
    assert refused.status_code == 400 and "within the unit" in str(refused.json())
    asked = api(asker).post(
        "/api/v1/duty/swaps/", {"shift": shift.pk, "person": staff[1].pk, "replacement": staff[2].pk}, format="json"
    )
    assert asked.status_code == 201
    pk = asked.json()["id"]
    assert api(asker).post(f"/api/v1/duty/swaps/{pk}/accept/").status_code == 403
    assert api(taker).post(f"/api/v1/duty/swaps/{pk}/accept/").json()["status"] == "accepted"
    approved = api(duty_leader).post(f"/api/v1/duty/swaps/{pk}/approve/", {"note": "同意"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert shift.members.filter(person=staff[2]).exists()


ANONYMOUS, NO_ROLE = "anonymous", "no-role"


@pytest.mark.parametrize("actor", [ANONYMOUS, NO_ROLE, *[r.value for r in Role]])
@pytest.mark.parametrize(
    ("endpoint", "label"),
    [
        ("duty/posts", "duty.dutypost"),
        ("duty/shifts", "duty.shift"),
        ("duty/log-entries", "duty.logentry"),
        ("duty/handovers", "duty.handover"),
        ("duty/swaps", "duty.swap"),
    ],
)
def test_every_role_lists_what_the_role_table_lets_it_view_in_its_subtree(tree, actor, endpoint, label):
    """Each role held on A1; a post with a shift, a log entry, a handover and a swap in A1's child (in
    scope) and in its sibling (never)."""
    from lianfang.duty.choices import PhoneCheck
    from lianfang.duty.models import LogEntry, Swap
    from lianfang.org.roles import role_allows

    rows = {}
    for relation in ("child", "sibling"):
        unit = getattr(tree, SCOPE_RELATIONS[relation])
        post = make_post(unit)
        a, b = PersonFactory(unit=unit), PersonFactory(unit=unit)
        shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=a)
        entry = LogEntry.objects.create(post=post, shift=shift, at=timezone.now(), kind="event", content="x")
        handover = Handover.objects.create(shift=shift, phone_check=PhoneCheck.OK)
        swap = Swap.objects.create(shift=shift, person=a, replacement=b)
        rows[relation] = {
            "duty/posts": post.pk,
            "duty/shifts": shift.pk,
            "duty/log-entries": entry.pk,
            "duty/handovers": handover.pk,
            "duty/swaps": swap.pk,
        }
    if actor == ANONYMOUS:
        assert APIClient().get(f"/api/v1/{endpoint}/").status_code == 401
        return
    user = user_with_role(None if actor == NO_ROLE else actor, tree.a1)
    body = api(user).get(f"/api/v1/{endpoint}/").json()
    seen = {row["id"] for row in body["results"]}
    allowed = actor != NO_ROLE and role_allows(actor, label, "view")
    assert seen == ({rows["child"][endpoint]} if allowed else set())
