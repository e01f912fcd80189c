"""The bulletin and dashboard API: the office's workflow, the leader's reading, the scope matrix."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.reporting.models import Bulletin
from lianfang.reporting.services import bulletins as bulletin_services
from lianfang.reporting.tests.test_bulletin import DAY, make_group
from lianfang.reporting.tests.test_bulletin_views import state
from lianfang.testing import ALL_ROLES, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def bulletin(tree, office) -> Bulletin:
    make_group(tree)
    return bulletin_services.bulletin_build(actor=office, day=DAY)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def test_the_office_edits_publishes_and_reopens_through_the_api(bulletin, office, tree):
    leader = user_with_role(Role.LEADER, tree.group, "leader")
    client = api(office)

    edited = client.patch(url("bulletin-detail", bulletin.pk), {"summary": "平稳"}, format="json")
    assert edited.status_code == 200 and edited.json()["summary"] == "平稳"
    published = client.post(url("bulletin-publish", bulletin.pk))
    assert published.status_code == 200
    assert (published.json()["status"], published.json()["published_by"]) == ("published", "office")
    assert Message.objects.filter(recipient=leader, kind="bulletin_published").count() == 1

    refused = client.post(url("bulletin-rebuild", bulletin.pk))
    assert refused.status_code == 400 and "status" in refused.json()
    no_reason = client.post(url("bulletin-reopen", bulletin.pk), {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    reopened = client.post(url("bulletin-reopen", bulletin.pk), {"reason": "补报"}, format="json")
    assert reopened.json()["status"] == "draft"


def test_the_detail_carries_the_figures_and_the_list_does_not(bulletin, office):
    client = api(office)

    detail = client.get(url("bulletin-detail", bulletin.pk)).json()
    listed = client.get(url("bulletin-list")).json()["results"]

    assert detail["data"]["totals"]["completion"] == 83.3
    assert [b["id"] for b in listed] == [bulletin.pk] and "data" not in listed[0]


def test_the_summary_is_the_only_field_that_can_be_written(bulletin, office):
    response = api(office).patch(url("bulletin-detail", bulletin.pk), {"status": "published"}, format="json")

    assert response.status_code == 400 and "status" in response.json()
    assert Bulletin.objects.get(pk=bulletin.pk).status == "draft"


def test_build_creates_todays_draft(tree, office):
    response = api(office).post(url("bulletin-build"))

    assert response.status_code == 200 and response.json()["status"] == "draft"


def test_the_exports_download_from_the_api(bulletin, tree):
    client = api(user_with_role(Role.LEADER, tree.group))

    xlsx = client.get(url("bulletin-export", bulletin.pk, "xlsx"))
    pdf = client.get(url("bulletin-export", bulletin.pk, "pdf"))

    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content).startswith(b"PK")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("holder", ["group", "a"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_bulletin_endpoint_obeys_the_scope_and_the_role(tree, bulletin, role, holder):
    user = user_with_role(role, getattr(tree, holder))
    on_group = holder == "group"
    can_view = on_group and role in (Role.GROUP_ADMIN, Role.LEADER)
    can_change = on_group and role == Role.GROUP_ADMIN
    client = api(user)
    before = state(bulletin)
    pk = bulletin.pk

    listed = client.get(url("bulletin-list")).json()["results"]
    assert [b["id"] for b in listed] == ([pk] if can_view else [])
    assert client.get(url("bulletin-detail", pk)).status_code == (200 if can_view else 404)
    for fmt in ("xlsx", "pdf"):
        assert client.get(url("bulletin-export", pk, fmt)).status_code == (200 if can_view else 404)
    denied = 403 if can_view else 404
    assert client.patch(url("bulletin-detail", pk), {"summary": "x"}, format="json").status_code == (
        200 if can_change else denied
    )
    assert client.post(url("bulletin-rebuild", pk)).status_code == (200 if can_change else denied)
    assert client.post(url("bulletin-publish", pk)).status_code == (200 if can_change else denied)
    reopen = client.post(url("bulletin-reopen", pk), {"reason": "x"}, format="json")
    assert reopen.status_code == (200 if can_change else denied)
    assert client.post(url("bulletin-build")).status_code == (200 if can_change else 403)
    if not can_change:
        assert state(bulletin) == before and Bulletin.objects.count() == 1


def test_an_anonymous_caller_gets_nothing(bulletin):
    client = APIClient()

    assert client.get(url("bulletin-list")).status_code in (401, 403)
    assert client.post(url("bulletin-publish", bulletin.pk)).status_code in (401, 403)
    assert client.get(url("dashboard-list")).status_code in (401, 403)
    assert Bulletin.objects.get(pk=bulletin.pk).status == "draft"
