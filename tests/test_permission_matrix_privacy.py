"""The permission matrix of the privacy app's pages and API: every role × where the person sits.

The office's pages (notices, legal bases, emergencies, the chain check) need the right on the group
itself, which no role held on A1 has; the consent register and paper consent follow
``privacy.consentrecord`` in ``lianfang.org.roles``; "My data" is only ever the caller's own.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.org.roles import role_allows
from lianfang.privacy import services
from lianfang.privacy.models import ConsentRecord
from lianfang.testing import ALL_ROLES, IN_SCOPE, UserFactory
from tests.matrix_world import ACTORS, ANONYMOUS, RELATIONS, World, module_world

pytestmark = pytest.mark.django_db

LABEL = "privacy.consentrecord"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


@pytest.fixture
def notice(world):
    root = UserFactory(username="privacy-root", is_superuser=True)
    draft = services.notice_create(actor=root, title="告知书", title_en="Notice", body="正文", body_en="Text")
    return services.notice_publish(actor=root, notice=draft)


def may(actor: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, LABEL, action)


def page_client(world: World, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world.users[actor]))
    return client


def api_client(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(get_user_model().objects.get(pk=world.users[actor]))
    return client


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "name",
    [
        "privacy:notices",
        "privacy:bases",
        "privacy:emergencies",
        "privacy:chain",
        "privacy:retention",
        "privacy:receipts",
    ],
)
def test_the_office_pages_need_the_right_on_the_group_itself(world, name, actor):
    response = page_client(world, actor).get(reverse(name))

    if actor == ANONYMOUS:
        assert response.status_code == 302 and reverse("login") in response["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("actor", ACTORS)
def test_the_register_lists_exactly_the_people_of_the_roles_units(world, actor, notice):
    response = page_client(world, actor).get(reverse("privacy:register"))

    if actor == ANONYMOUS:
        assert response.status_code == 302
        return
    if not may(actor, Action.VIEW):
        assert response.status_code == 403
        return
    page = response.content.decode()
    for relation in RELATIONS:
        shown = f'data-row="{world.people[relation].pk}"' in page
        assert shown == (relation in IN_SCOPE), relation


@pytest.mark.parametrize("actor", ACTORS)
def test_the_paper_consent_page_opens_only_for_who_may_attest(world, actor, notice):
    response = page_client(world, actor).get(reverse("privacy:paper"))

    if actor == ANONYMOUS:
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if may(actor, Action.ADD) else 403)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_paper_consent_is_attested_only_in_the_roles_units_and_a_refusal_writes_nothing(world, actor, relation, notice):
    person = world.people[relation]
    body = {"person": person.pk, "signed_on": timezone.localdate().isoformat()}

    response = api_client(world, actor).post("/api/v1/privacy/consents/attest/", body, format="json")

    if actor == ANONYMOUS:
        expected = 401
    elif not may(actor, Action.ADD):
        expected = 403
    else:
        expected = 201 if relation in IN_SCOPE else 400  # out of scope: no such person among those visible
    assert response.status_code == expected, response.content
    assert ConsentRecord.objects.filter(person=person).exists() == (expected == 201)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_consent_list_holds_exactly_the_records_of_the_roles_units(world, actor, notice):
    root = get_user_model().objects.get(username="privacy-root")
    for relation in RELATIONS:
        services.consent_attest_paper(actor=root, person=world.people[relation], signed_on=timezone.localdate())

    response = api_client(world, actor).get("/api/v1/privacy/consents/", {"page_size": 500})

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    people = {row["person"] for row in response.json()["results"]}
    expected = {world.people[r].pk for r in RELATIONS if r in IN_SCOPE} if may(actor, Action.VIEW) else set()
    assert people == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_my_data_is_nobody_elses(world, actor):
    page = page_client(world, actor).get(reverse("privacy:my-data"), {"person": world.people["own"].pk})
    api = api_client(world, actor).get("/api/v1/privacy/my-data/")

    if actor == ANONYMOUS:
        assert page.status_code == 302 and api.status_code == 401
    else:  # the holders of roles have no person record: nothing of anyone's
        assert page.status_code == 404 and api.status_code == 404


@pytest.mark.parametrize("actor", ACTORS)
def test_notices_are_read_by_everyone_signed_in_and_written_by_the_office_only(world, actor, notice):
    client = api_client(world, actor)
    read = client.get("/api/v1/privacy/notices/current/")
    write = client.post(
        "/api/v1/privacy/notices/", {"title": "t", "title_en": "t", "body": "b", "body_en": "b"}, format="json"
    )

    assert read.status_code == (401 if actor == ANONYMOUS else 200)
    assert write.status_code == (401 if actor == ANONYMOUS else 403)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "path", ["/api/v1/privacy/retention/", "/api/v1/privacy/purge-receipts/", "/api/v1/privacy/stand-downs/"]
)
def test_retention_receipts_and_stand_downs_are_the_group_offices_alone(world, actor, path):
    response = api_client(world, actor).get(path)

    assert response.status_code == (401 if actor == ANONYMOUS else 403)


@pytest.mark.parametrize("actor", ACTORS)
def test_no_role_below_the_group_sets_a_retention_runs_a_purge_or_stands_down_and_a_refusal_writes_nothing(
    world, actor
):
    from lianfang.privacy.models import EmergencyPeriod, PurgeReceipt, RetentionPolicy, StandDown

    root = UserFactory(username="privacy-root-2", is_superuser=True)
    period = services.emergency_open(actor=root, name="疫情", declared_by="卫健委", starts_on=timezone.localdate())
    proposed = services.stand_down_propose(actor=root, period=period)
    client = api_client(world, actor)
    pages = page_client(world, actor)

    answers = [
        client.post("/api/v1/privacy/retention/set/", {"category": "health", "days": 60}, format="json"),
        client.post("/api/v1/privacy/purge-receipts/dry-run/", {}, format="json"),
        client.post("/api/v1/privacy/stand-downs/", {"period": period.pk}, format="json"),
        client.post(f"/api/v1/privacy/stand-downs/{proposed.pk}/confirm/", {}, format="json"),
        pages.post(reverse("privacy:retention"), {"category": "health", "days": 60}),
        pages.post(reverse("privacy:purge-dry-run")),
        pages.post(reverse("privacy:stand-down-confirm", args=[proposed.pk])),
    ]

    expected_api = 401 if actor == ANONYMOUS else 403
    assert [a.status_code for a in answers[:4]] == [expected_api] * 4
    assert all(a.status_code in (302, 403) for a in answers[4:])
    if actor != ANONYMOUS:
        assert all(a.status_code == 403 for a in answers[4:])
    assert not RetentionPolicy.objects.exists() and not PurgeReceipt.objects.exists()
    assert StandDown.objects.get().confirmed_at is None and EmergencyPeriod.objects.get(pk=period.pk).is_open
