"""What the outings app tells the rest: the unit report's counts, the home page's to-dos, "My data",
and the purge of outings past the whereabouts' retention."""

from __future__ import annotations

import datetime
import decimal

import pytest

from lianfang.core.extensions import feed_counts, personal_data_for, todos_for
from lianfang.outings import services
from lianfang.outings.models import MonitoringReading, Outing, OutingStep
from lianfang.outings.tests.conftest import TODAY, WUCHANG, ask, day, risk_area
from lianfang.privacy import purge
from lianfang.privacy.choices import WHEREABOUTS
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db

FEEDS = ["outings.approved", "outings.filed", "outings.away", "outings.away_in_risk"]


def test_the_unit_report_counts_people_approved_filed_and_away_in_the_units_subtree(
    clock, tree, employee, leader, liaison, office
):
    mate = PersonFactory(unit=tree.a2, name="李四")
    plain = services.outing_approve(actor=leader, outing=ask(employee.user, employee, first=0, last=2))
    risky = ask(liaison, mate, place=WUCHANG, first=0, last=1)
    services.outing_approve(actor=leader, outing=risky)
    boss = PersonFactory(unit=tree.a, user=leader, name="高总")
    ask(leader, boss, first=0, last=0)  # filed
    risk_area(WUCHANG)
    services.destinations_check()

    assert feed_counts(tree.a, TODAY, FEEDS) == {
        "outings.approved": 2,
        "outings.filed": 1,
        "outings.away": 3,
        "outings.away_in_risk": 1,
    }
    assert feed_counts(tree.a1, TODAY, FEEDS)["outings.away"] == 1
    assert feed_counts(tree.b, TODAY, FEEDS) == dict.fromkeys(FEEDS, 0)
    assert feed_counts(tree.a, day(-1), FEEDS)["outings.away"] == 0
    # Back early: away on the days actually away only.
    services.outing_return(actor=employee.user, outing=plain, actual_from=day(0), actual_to=day(0))
    assert feed_counts(tree.a1, day(1), ["outings.away"]) == {"outings.away": 0}


def test_the_home_page_lists_the_outings_to_dos(clock, employee, leader):
    ask(employee.user, employee)

    todos = {t.key: t for t in todos_for(leader, TODAY)}

    assert todos["outings.approve"].title == "1 outing request to approve"
    assert todos["outings.approve"].url == "/outings/approvals/"


def test_my_data_lists_my_outings_and_readings(clock, employee, leader):
    outing = services.outing_approve(actor=leader, outing=ask(employee.user, employee, place=WUCHANG))
    risk_area(WUCHANG, since=day(-30))
    clock.advance(days=4)
    services.outing_return(actor=employee.user, outing=outing, actual_from=day(1), actual_to=day(3))
    services.reading_record(actor=employee.user, outing=outing, temperature=decimal.Decimal("36.4"))

    sections = {s.key: s for s in personal_data_for(employee)}

    row = dict(zip(sections["outings.outings"].headers, sections["outings.outings"].rows[0], strict=True))
    assert row["destination"] == "湖北省武汉市武昌区"
    assert row["state"] == "Back"
    assert row["enhanced monitoring until"] == day(10)
    assert sections["outings.readings"].rows == [[day(4), decimal.Decimal("36.4"), False]]


def test_outings_past_the_whereabouts_retention_go_with_their_steps_and_readings(clock, employee, leader):
    old = services.outing_approve(actor=leader, outing=ask(employee.user, employee, first=0, last=1))
    MonitoringReading.objects.create(
        outing=old, unit=old.unit, date=day(2), temperature=decimal.Decimal("36.5"), recorded_at=clock.now
    )
    young = ask(employee.user, employee, first=5, last=6)
    Outing.objects.filter(pk=old.pk).update(last_day=TODAY - datetime.timedelta(days=40))

    receipt = purge.run_retention(category=WHEREABOUTS, today=TODAY)

    assert list(Outing.objects.values_list("pk", flat=True)) == [young.pk]
    assert not MonitoringReading.objects.exists()
    assert list(OutingStep.objects.values_list("outing_id", flat=True)) == [young.pk]
    assert receipt.categories[WHEREABOUTS]["rows"]["outings.outing"] == 1
