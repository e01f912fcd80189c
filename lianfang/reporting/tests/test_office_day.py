"""The office's day with the dashboard and the bulletin: names that lead to the unit's report and
check-ins, a publish that asks while units still have time to report, the draft on the home page's
to-dos, and trends that neither invent zeros nor pass a morning's count off as a whole day.

The group is test_bulletin's (A zero report on time, B only a draft: missing, C late), on DAY, with
the clock at 10:00 that day unless a test moves it (the report deadline is 15:00).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.reporting.choices import BulletinStatus, ReportStatus
from lianfang.reporting.models import Bulletin, UnitDailyReport
from lianfang.reporting.selectors import dashboard
from lianfang.reporting.services import bulletins as bulletin_services
from lianfang.testing import user_with_role

from .test_bulletin import DAY, make_group

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


class Clock:
    """``timezone.now`` at a time of DAY the test chooses (the group's time, Shanghai)."""

    def __init__(self, monkeypatch, hour: int = 10, minute: int = 0, day: datetime.date = DAY):
        self.set(hour, minute, day)
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, hour: int, minute: int = 0, day: datetime.date = DAY) -> None:
        self.moment = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def group(tree):
    return make_group(tree)


@pytest.fixture
def draft(clock, group, office) -> Bulletin:
    return bulletin_services.bulletin_build(actor=office, day=DAY)


def page_of(user, url: str, **params) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(url, params).content.decode()


def post_as(user, url: str, data: dict | None = None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.post(url, data or {})


# --- publishing while units still have time ------------------------------------------------------


def test_publishing_before_the_deadline_with_a_unit_missing_asks_first_and_says_how_many_and_which(draft, office):
    response = post_as(office, reverse("reporting:bulletin-publish", args=[draft.pk]))

    assert response.status_code == 302 and response["Location"].endswith("?confirm=publish#publish-confirm")
    assert Bulletin.objects.get(pk=draft.pk).status == BulletinStatus.DRAFT
    assert not Message.objects.exists()
    page = page_of(office, reverse("reporting:bulletin-detail", args=[draft.pk]), confirm="publish")
    assert "1 unit has not submitted its report yet" in page
    assert "Reports are due by 15:00." in page
    assert re.search(r'data-list="still-due"><li data-unit="B">乙公司</li></ul>', page)
    assert 'data-action="publish-anyway"' in page


def test_publishing_anyway_publishes_with_the_unit_counted_as_missing(draft, office):
    response = post_as(office, reverse("reporting:bulletin-publish", args=[draft.pk]), {"confirm": "1"})

    assert response.status_code == 302 and "confirm" not in response["Location"]
    bulletin = Bulletin.objects.get(pk=draft.pk)
    assert bulletin.status == BulletinStatus.PUBLISHED
    assert [u["code"] for u in bulletin.data["missing_units"]] == ["B"]


def test_after_the_deadline_the_bulletin_is_published_at_once(draft, office, clock):
    clock.set(15, 1)

    response = post_as(office, reverse("reporting:bulletin-publish", args=[draft.pk]))

    assert response.status_code == 302 and "confirm" not in response["Location"]
    assert Bulletin.objects.get(pk=draft.pk).status == BulletinStatus.PUBLISHED


def test_once_every_unit_has_reported_the_bulletin_is_published_without_asking(draft, office, group):
    UnitDailyReport.objects.filter(unit=group.tree.b, date=DAY).update(
        status=ReportStatus.SUBMITTED, submitted_at=timezone.now()
    )

    post_as(office, reverse("reporting:bulletin-publish", args=[draft.pk]))

    assert Bulletin.objects.get(pk=draft.pk).status == BulletinStatus.PUBLISHED


def test_a_draft_says_which_units_reported_after_its_figures_were_built(draft, office, group):
    UnitDailyReport.objects.filter(unit=group.tree.b, date=DAY).update(
        status=ReportStatus.SUBMITTED, submitted_at=timezone.now()
    )

    page = page_of(office, reverse("reporting:bulletin-detail", args=[draft.pk]))

    assert "乙公司 submitted its report after these figures were built" in page


def test_the_summary_box_is_several_lines_high(draft, office):
    page = page_of(office, reverse("reporting:bulletin-detail", args=[draft.pk]))

    assert re.search(r'<textarea name="summary" cols="40" rows="8"', page)


# --- the home page's to-do ----------------------------------------------------------------------


def test_the_office_s_home_page_offers_the_bulletin_draft_to_review_and_publish(draft, office):
    home = page_of(office, reverse("home"))

    assert 'data-todo="reporting.bulletin"' in home
    assert f'href="{reverse("reporting:bulletin-detail", args=[draft.pk])}"' in home
    assert "bulletin draft is ready: review and publish it" in home
    assert "Figures as of 10:00." in home


def test_the_to_do_goes_once_the_bulletin_is_published_and_a_leader_never_has_it(draft, office, tree):
    leader = user_with_role(Role.LEADER, tree.group, username="leader")
    assert 'data-todo="reporting.bulletin"' not in page_of(leader, reverse("home"))

    bulletin_services.bulletin_publish(actor=office, bulletin=draft)

    assert 'data-todo="reporting.bulletin"' not in page_of(office, reverse("home"))


# --- the dashboard: names that lead somewhere ------------------------------------------------------


def test_on_the_dashboard_a_unit_s_name_leads_to_its_check_ins_and_its_status_to_its_report(clock, group, office):
    page = page_of(office, reverse("reporting:dashboard"), date=DAY.isoformat())
    tree = group.tree
    completion = f"{reverse('health:completion')}?unit={{}}&amp;date={DAY.isoformat()}"

    row_a = re.search(r'<tr data-unit="A">(.*?)</tr>', page, re.S).group(1)
    a_report = UnitDailyReport.objects.get(unit=tree.a, date=DAY)
    assert f'href="{completion.format(tree.a.pk)}"' in row_a
    assert f'href="{reverse("reporting:detail", args=[a_report.pk])}"' in row_a
    # B has only a draft: its link opens the unit's report page for the day, where it is filled in.
    missing = re.search(r'<ul class="unit-report-list" data-list="missing">(.*?)</ul>', page, re.S).group(1)
    assert f'href="{reverse("reporting:report")}?unit={tree.b.pk}&amp;date={DAY.isoformat()}"' in missing
    assert f'href="{completion.format(tree.b.pk)}"' in missing
    late = re.search(r'data-list="late">(.*?)</ul>', page, re.S).group(1)
    assert "submitted 16:00" in late


def test_the_links_of_the_dashboard_open_for_the_leader_and_the_inspector(clock, group, tree):
    for role in (Role.LEADER, Role.INSPECTOR):
        user = user_with_role(role, tree.group)
        client = Client()
        client.force_login(user)
        page = client.get(reverse("reporting:dashboard"), {"date": DAY.isoformat()}).content.decode()
        links = set(re.findall(r'href="([^"]+)" data-link="(?:report|completion)"', page))
        assert links, role
        for href in links:
            assert client.get(href.replace("&amp;", "&")).status_code == 200, (role, href)


# --- trends: gaps, and today as of now -----------------------------------------------------------


def test_days_without_any_figure_are_gaps_in_the_trend_not_zeros(clock, group, office):
    figures = dashboard.dashboard_figures(viewer=office, day=DAY)
    days = {row["date"]: row for row in figures["trends"]["14"]}

    empty = days[(DAY - datetime.timedelta(days=5)).isoformat()]
    assert empty["completion"] is None and empty["fever"] is None and empty["timely_rate"] is None
    # The day before DAY has check-ins and one report: real figures, not gaps.
    yesterday = days[(DAY - datetime.timedelta(days=1)).isoformat()]
    assert yesterday["completion"] == 100.0 and yesterday["timely_rate"] is not None


def test_today_s_last_point_on_the_dashboard_is_marked_as_of_the_time_it_was_counted(clock, group, office):
    clock.set(9, 47)

    page = page_of(office, reverse("reporting:dashboard"))

    assert 'data-partial="as of 09:47"' in page
    assert "(as of 09:47)" in page
    assert re.search(r'<tr data-partial><th scope="row">2026-02-16 <span class="muted">\(as of 09:47\)', page)


def test_a_past_day_on_the_dashboard_is_complete_and_not_marked(clock, group, office):
    clock.set(10, 0, day=DAY + datetime.timedelta(days=1))

    page = page_of(office, reverse("reporting:dashboard"), date=DAY.isoformat())

    assert "data-partial" not in page and "data-as-of" not in page


def test_a_bulletin_built_during_its_day_marks_its_last_point_as_of_the_build(draft, office):
    page = page_of(office, reverse("reporting:bulletin-detail", args=[draft.pk]))

    assert 'data-partial="as of 10:00"' in page


def test_report_statuses_carry_the_report_to_open(clock, group, office):
    figures = dashboard.dashboard_figures(viewer=office, day=DAY)
    by_code = {row["code"]: row for row in figures["late_units"] + figures["missing_units"]}

    assert by_code["C"]["report_id"] == UnitDailyReport.objects.get(unit=group.c, date=DAY).pk
    assert by_code["B"]["report_id"] is None
