"""The dashboard: the viewer's scope only, from the day counts, on the page and in the API."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.org.choices import Role
from lianfang.reporting.selectors import dashboard
from lianfang.reporting.tests.test_bulletin import DAY, make_group
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


def test_the_office_sees_the_whole_group(tree):
    make_group(tree)
    office = user_with_role(Role.GROUP_ADMIN, tree.group)

    figures = dashboard.dashboard_figures(viewer=office, day=DAY)

    assert (figures["checkins"]["expected"], figures["checkins"]["reported"]) == (66, 55)
    assert figures["checkins"]["completion"] == 83.3
    assert (figures["reports"]["timely"], figures["reports"]["late"], figures["reports"]["missing"]) == (1, 1, 1)
    assert [r["code"] for r in figures["rows"]] == ["G", "A", "B", "C"]
    assert [u["code"] for u in figures["missing_units"]] == ["B"]


def test_a_liaison_sees_only_their_subtree(tree):
    make_group(tree)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)

    figures = dashboard.dashboard_figures(viewer=liaison, day=DAY)

    checkins = figures["checkins"]
    assert (checkins["expected"], checkins["reported"], checkins["fever"], checkins["flagged"]) == (25, 23, 1, 3)
    assert (checkins["units_with_people"], checkins["units_reached"]) == (2, 1)
    assert [(r["code"], r["own_staff"], r["expected"]) for r in figures["rows"]] == [
        ("A1", True, 20),
        ("A1S", False, 5),
    ]
    # A1 sends no report of its own (the subsidiary reports), so nothing is expected from it.
    assert figures["reports"]["expected"] == 0
    assert figures["trends"]["14"][-1]["completion"] == 92.0


def test_a_subsidiary_liaison_sees_its_report_status(tree):
    make_group(tree)

    figures = dashboard.dashboard_figures(viewer=user_with_role(Role.UNIT_ADMIN, tree.b), day=DAY)

    assert figures["reports"] == {
        "expected": 1,
        "timely": 0,
        "late": 0,
        "missing": 1,
        "zero": 0,
        "submitted": 0,
        "timely_rate": 0.0,
    }
    assert (figures["checkins"]["expected"], figures["checkins"]["reported"]) == (20, 14)


def test_the_dashboard_costs_the_same_few_queries_for_any_number_of_units(tree):
    from lianfang.reporting.tests.test_bulletin import stat
    from lianfang.testing import add_unit

    make_group(tree)
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    dashboard.dashboard_figures(viewer=office, day=DAY)  # warm caches (settings, grants)
    with CaptureQueriesContext(connection) as few:
        dashboard.dashboard_figures(viewer=office, day=DAY)
    for n in range(30):
        stat(add_unit(tree.b1, f"B1-{n}", f"站点{n}", "site"), DAY, 3, 2)
    with CaptureQueriesContext(connection) as many:
        dashboard.dashboard_figures(viewer=office, day=DAY)

    assert len(many) == len(few)
    assert not any("health_checkin" in q["sql"] for q in many.captured_queries)


def test_the_page_shows_the_viewers_figures_with_a_table_for_each_chart(client, tree):
    make_group(tree)
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get(reverse("reporting:dashboard"), {"date": DAY.isoformat()}).content.decode()

    assert 'data-total="completion">92.0%' in page
    assert 'data-unit="A1S"' in page and 'data-unit="B"' not in page
    for chart in ("completion-14", "fever-14", "timely_rate-14", "completion-30"):
        assert f'data-chart-table="{chart}"' in page
    assert "vendor/echarts/echarts.min.js" in page


def test_a_future_date_shows_today(client, tree):
    client.force_login(user_with_role(Role.GROUP_ADMIN, tree.group))
    future = timezone.localdate() + datetime.timedelta(days=3)

    response = client.get(reverse("reporting:dashboard"), {"date": future.isoformat()})

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


@pytest.mark.parametrize("role", [Role.CHECKPOINT, Role.EMPLOYEE, None])
def test_people_without_figures_to_see_are_refused(client, tree, role):
    user = user_with_role(role, tree.a1)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    assert client.get(reverse("reporting:dashboard")).status_code == 403
    assert api.get(reverse("api:dashboard-list")).status_code == 403


def test_the_api_gives_the_same_scoped_figures(tree):
    make_group(tree)
    api = APIClient()
    api.force_authenticate(user_with_role(Role.UNIT_ADMIN, tree.a1))

    body = api.get(reverse("api:dashboard-list"), {"date": DAY.isoformat()}).json()

    assert body["date"] == DAY.isoformat()
    assert (body["checkins"]["expected"], body["checkins"]["reported"]) == (25, 23)
    assert len(body["trends"]["30"]) == 30


def test_a_day_without_any_check_in_counts_is_a_gap_in_the_trends_not_a_zero(tree):
    make_group(tree)
    office = user_with_role(Role.GROUP_ADMIN, tree.group)

    figures = dashboard.dashboard_figures(viewer=office, day=DAY)
    before = figures["trends"]["30"][0]  # 29 days before DAY: nothing was recorded then

    assert (before["completion"], before["fever"], before["flagged"]) == (None, None, None)
    today = figures["trends"]["30"][-1]
    assert today["fever"] is not None and today["completion"] == 83.3
