"""Activating a unit undoes deactivating it (issue 11: it took 18 calls to undo one): the subtree
comes back with it, on the page and in the API, with the count in the message and the change log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.core.models import ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


def active(*units) -> list[bool]:
    return [Unit.objects.get(pk=u.pk).is_active for u in units]


def test_the_api_activates_the_subtree_that_deactivating_took_with_it(tree):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user_with_role(Role.GROUP_ADMIN, tree.group))
    assert client.post(f"/api/v1/units/{tree.a.pk}/deactivate/").status_code == 200
    assert active(tree.a, tree.a1, tree.a1s, tree.a2) == [False] * 4
    response = client.post(f"/api/v1/units/{tree.a.pk}/activate/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert active(tree.a, tree.a1, tree.a1s, tree.a2) == [True] * 4
    assert active(tree.b) == [True]
    entry = ObjectChange.objects.filter(object_id=str(tree.a.pk)).order_by("-pk").first()
    assert entry.postchange_data["is_active"] is True and entry.postchange_data["subtree_changed"] == 3


def test_activating_a_unit_under_a_deactivated_parent_is_still_refused(tree):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user_with_role(Role.GROUP_ADMIN, tree.group))
    client.post(f"/api/v1/units/{tree.a.pk}/deactivate/")
    assert client.post(f"/api/v1/units/{tree.a1.pk}/activate/").status_code == 400
    assert active(tree.a1, tree.a1s) == [False, False]


def test_the_page_says_how_many_sub_units_come_back_and_brings_them(tree):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    url = reverse("org:set-active", args=[tree.a1.pk])
    client.post(url, {"active": "0"})
    assert active(tree.a1, tree.a1s) == [False, False]
    assert "1 deactivated sub-unit will be activated too" in client.get(url).content.decode()
    page = client.post(url, {"active": "1"}, follow=True).content.decode()
    assert "and 1 sub-unit are active again" in page
    assert active(tree.a1, tree.a1s) == [True, True]
