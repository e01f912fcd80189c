"""Every count means one thing everywhere (docs/counts.md): for the same unit and day, the live
dashboard, the unit report's prefill, the status board and a bulletin built at the same moment show
the same number of people expected to check in, of people who checked in and of people at work."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from lianfang.core.extensions import feed_counts
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import seed_answers
from lianfang.health.tests.status_helpers import case, isolation, rules
from lianfang.org.choices import Role
from lianfang.people.choices import Category, EmploymentStatus
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.selectors.dashboard import dashboard_figures
from lianfang.reporting.services.bulletins import bulletin_build
from lianfang.status.engine import recompute_all
from lianfang.status.selectors import board
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_the_dashboard_the_report_the_status_board_and_the_bulletin_count_the_same_people(tree):
    rules()
    ensure_default_report_fields()
    today = timezone.localdate()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    # A subsidiary's day: staff and a family member, people on leave and who left (not expected),
    # a confirmed case and a person in isolation (checked in, never at work), some not yet checked in.
    staff = PersonFactory.create_batch(6, unit=tree.a1) + PersonFactory.create_batch(3, unit=tree.a1s)
    family = PersonFactory(unit=tree.a2, category=Category.FAMILY)
    PersonFactory(unit=tree.a2, employment_status=EmploymentStatus.ON_LEAVE)
    PersonFactory(unit=tree.a2, employment_status=EmploymentStatus.LEFT)
    sick = PersonFactory(unit=tree.a1)
    case(sick, "confirmed")
    isolated = PersonFactory(unit=tree.a1s)
    isolation(isolated, today - datetime.timedelta(days=1), today + datetime.timedelta(days=5), kind="home")
    recompute_all()
    checkins.unit_day_open(date=today)
    for person in [*staff[:7], family]:
        checkins.checkin_submit(
            actor=office, person=person, data=CheckInData(temperature="36.5", answers=seed_answers())
        )
    checkins.checkin_submit(
        actor=office,
        person=isolated,
        data=CheckInData(temperature="36.6", answers=seed_answers(), work_mode="home_isolation"),
    )
    checkins.checkin_submit(
        actor=office, person=sick, data=CheckInData(temperature="37.0", answers=seed_answers(), work_mode="on_leave")
    )

    expected, reported, at_work = 12, 10, 8  # 9 staff + family + case + isolated; on leave and left are not

    prefill = feed_counts(tree.a, today, ["checkin.expected", "checkin.reported", "checkin.on_site"])
    assert prefill == {"checkin.expected": expected, "checkin.reported": reported, "checkin.on_site": at_work}

    dashboard = dashboard_figures(viewer=user_with_role(Role.UNIT_ADMIN, tree.a), day=today)
    assert (dashboard["checkins"]["expected"], dashboard["checkins"]["reported"]) == (expected, reported)
    assert dashboard["checkins"]["on_site"] == at_work

    _rows, total = board(viewer=office, root=tree.a)
    assert total.total == expected

    bulletin = bulletin_build(actor=office, day=today)
    unit_a = next(s for s in bulletin.data["report_units"] if s["path"] == tree.a.path)
    assert (unit_a["expected_people"], unit_a["reported_people"]) == (expected, reported)
    row_a = next(r for r in bulletin.data["rows"] if r["unit_id"] == tree.a.pk)
    assert row_a["expected"] == expected
