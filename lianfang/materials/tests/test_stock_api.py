"""The stock API as a client uses it: recording, refusals with their reasons, days of supply, counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Movement, StockTake
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def api(tree):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user_with_role(Role.MATERIALS_KEEPER, tree.a1, "keeper"))
    return client


def test_an_issue_beyond_stock_is_a_400_that_says_what_is_on_hand(tree, api):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    response = api.post(
        reverse("api:movement-list"),
        {"unit": tree.a1.pk, "item": masks.pk, "kind": "issue", "quantity": 500},
        format="json",
    )
    assert response.status_code == 400
    assert "has only 300 pieces (只)" in response.json()["quantity"][0]
    response = api.post(
        reverse("api:movement-list"),
        {"unit": tree.a1.pk, "item": masks.pk, "kind": "issue", "quantity": "2.5"},
        format="json",
    )
    assert response.status_code == 400 and "whole" in response.json()["quantity"][0]
    response = api.post(
        reverse("api:movement-list"),
        {"unit": tree.a1.pk, "item": masks.pk, "kind": "transfer_out", "quantity": 5},
        format="json",
    )
    assert response.status_code == 400 and "kind" in response.json()
    assert Movement.objects.count() == 1


def test_recording_an_issue_answers_with_the_balance_after(tree, api):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    response = api.post(
        reverse("api:movement-list"),
        {
            "unit": tree.a1.pk,
            "item": masks.pk,
            "kind": "issue",
            "quantity": 120,
            "front_line": True,
            "reference": "L-1",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["quantity"], body["balance_after"], body["front_line"], body["created_by_name"]) == (
        "-120.00",
        "180.00",
        True,
        "keeper",
    )


def test_stock_lists_days_of_supply_and_filters_by_subtree(tree, api):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 1000, date=TODAY - datetime.timedelta(days=20))
    put(tree.a1, masks, MovementKind.ISSUE, 140, date=TODAY)
    put(tree.a1s, masks, MovementKind.PURCHASE, 10, date=TODAY - datetime.timedelta(days=20))
    response = api.get(reverse("api:stock-list"), {"unit": tree.a1s.pk})
    rows = response.json()["results"]
    assert [r["unit_code"] for r in rows] == ["A1S"]
    assert rows[0]["level"] == "low" and rows[0]["days_of_supply"] is None
    row = api.get(reverse("api:stock-list"), {"unit": tree.a1.pk, "item": masks.pk}).json()["results"][0]
    assert (row["on_hand"], row["daily_use"], row["days_of_supply"], row["level"]) == ("860.00", "20.00", "43.0", "ok")
    assert api.get(reverse("api:stock-list"), {"unit": tree.b1.pk}).status_code == 400  # out of scope


def test_a_count_books_its_variance_and_a_second_the_same_day_is_refused(tree, api):
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 100)
    payload = {"unit": tree.a1.pk, "lines": [{"item": masks.pk, "counted": 97}]}
    response = api.post(reverse("api:stocktake-list"), payload, format="json")
    assert response.status_code == 201
    line = response.json()["lines"][0]
    assert (line["book"], line["counted"], line["variance"]) == ("100.00", "97.00", "-3.00")
    again = api.post(reverse("api:stocktake-list"), payload, format="json")
    assert again.status_code == 400 and "already counted" in again.json()["date"][0]
    assert StockTake.objects.count() == 1
