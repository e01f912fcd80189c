"""The permission matrix of checkpoints and the gate: every role (held on A1) × where the checkpoint
sits (A1, its child A1S, its sibling A2, its parent A) × anonymous and no role, from the role table:

* a checkpoint out of scope answers 404 whatever the role;
* the gate page and its answers (check, upload, keys) need the right to record entries at the site
  (403 in scope without it), and a refused write stores nothing;
* the lists hold exactly what the role may view; the pass keys open for the office only.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.roles import role_allows
from lianfang.sites.models import Checkpoint, Entry
from lianfang.sites.services import checkpoints as cp
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, PersonFactory, make_tree, user_with_role

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
CHECKPOINT, ENTRY = "sites.checkpoint", "sites.entry"


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def expected(actor: str, label: str, action: str, relation: str, ok: int = 200) -> int:
    if not (may(actor, CHECKPOINT, Action.VIEW) and relation in IN_SCOPE):
        return 404
    return ok if may(actor, label, action) else 403


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            tree = make_tree()
            office = user_with_role(Role.GROUP_ADMIN, tree.group, username="gate-matrix-office")
            gates = {
                relation: cp.checkpoint_create(actor=office, site=getattr(tree, name), name=f"门-{relation}")
                for relation, name in SCOPE_RELATIONS.items()
            }
            users = {NO_ROLE: user_with_role(None, None, username="gate-matrix-none").pk}
            for role in ALL_ROLES:
                users[role] = user_with_role(role, tree.a1, username=f"gate-matrix-{role}").pk
            worker = PersonFactory(unit=tree.a1, employee_no="GM-1")
            yield {"tree": tree, "gates": gates, "users": users, "worker": worker}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def client_for(world, actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world["users"][actor]))
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_the_gate_and_its_answers_open_only_for_the_sites_checkpoint_staff(world, actor, relation):
    gate = world["gates"][relation]
    client = client_for(world, actor)
    want = expected(actor, ENTRY, Action.ADD, relation)
    before = Entry.objects.count()
    responses = {
        "page": client.get(reverse("sites:gate", args=[gate.pk])),
        "keys": client.get(reverse("sites:gate-keys", args=[gate.pk])),
        "check": client.post(
            reverse("sites:gate-check", args=[gate.pk]),
            json.dumps({"code": "GM-1", "method": "typed"}),
            content_type="application/json",
        ),
        "upload": client.post(
            reverse("sites:gate-upload", args=[gate.pk]),
            json.dumps(
                {"records": [{"client_id": str(uuid.uuid4()), "code": "GM-1", "at": timezone.now().isoformat()}]}
            ),
            content_type="application/json",
        ),
    }
    for name, response in responses.items():
        if actor == ANONYMOUS:
            assert is_login_redirect(response), name
        else:
            assert response.status_code == want, (name, response.status_code)
    if want != 200:
        assert Entry.objects.count() == before


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_editing_a_checkpoint_needs_the_right_to_change_it(world, actor, relation):
    gate = world["gates"][relation]
    client = client_for(world, actor)
    form = {
        "name": "改名",
        "directions": "both",
        "required_colour": "green",
        "takes_temperature": "on",
        "max_temperature": "37.3",
        "offline_policy": "admit",
        "visitors_allowed": "on",
        "is_active": "on",
    }
    response = client.post(reverse("sites:checkpoint-edit", args=[gate.pk]), form)
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    assert response.status_code == expected(actor, CHECKPOINT, Action.CHANGE, relation, ok=302)
    renamed = Checkpoint.objects.get(pk=gate.pk).name == "改名"
    assert renamed == (response.status_code == 302)
    Checkpoint.objects.filter(pk=gate.pk).update(name=gate.name)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_checkpoint_list_shows_exactly_those_in_scope(world, actor):
    response = client_for(world, actor).get(reverse("sites:checkpoints"))
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    if not may(actor, CHECKPOINT, Action.VIEW):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    shown = set(map(int, re.findall(r'data-row="(\d+)"', response.content.decode())))
    assert shown == {world["gates"][r].pk for r in IN_SCOPE}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_entries_and_the_keys_open_for_their_roles_only(world, actor):
    client = client_for(world, actor)
    for name, label in (("sites:entries", ENTRY), ("sites:pass-keys", "sites.passkey")):
        response = client.get(reverse(name))
        if actor == ANONYMOUS:
            assert is_login_redirect(response)
        else:
            assert response.status_code == (200 if may(actor, label, Action.VIEW) else 403), name


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_printed_cards_are_for_the_units_the_role_may_export_people_of(world, actor, relation):
    unit = getattr(world["tree"], SCOPE_RELATIONS[relation])
    response = client_for(world, actor).get(reverse("sites:cards-print", args=[unit.pk]))
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    if not (may(actor, "org.unit", Action.VIEW) and relation in IN_SCOPE):
        assert response.status_code == 404
    else:
        assert response.status_code == (200 if may(actor, "people.person", Action.EXPORT) else 403)
