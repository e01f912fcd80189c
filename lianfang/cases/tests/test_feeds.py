"""The unit daily report and the group bulletin count cases, contacts and isolation from the records."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from lianfang.cases.choices import CaseStatus, IsolationKind
from lianfang.cases.services import cases, contacts
from lianfang.cases.services import isolation as isolation_services
from lianfang.core.extensions import report_feeds
from lianfang.org.choices import Role
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.selectors import bulletins as bulletin
from lianfang.reporting.services import reports
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .helpers import TODAY, Clock, days_before

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(monkeypatch):
    Clock(monkeypatch, hour=11)
    ensure_default_report_fields()
    tree = make_tree()
    return {
        "tree": tree,
        "office": user_with_role(Role.GROUP_ADMIN, tree.group, username="office"),
        "liaison_a": user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a"),
        "liaison_b": user_with_role(Role.UNIT_ADMIN, tree.b, username="liaison-b"),
    }


def test_the_case_sources_replace_the_typed_placeholders():
    for key in (
        "cases.new_suspected",
        "cases.new_confirmed",
        "cases.new_asymptomatic",
        "cases.close_contacts",
        "isolation.home",
        "isolation.central",
        "isolation.hospital",
        "cases.active",
        "cases.recovered",
    ):
        assert report_feeds.get(key).count.__module__ == "lianfang.cases.feeds", key


def test_reports_are_prefilled_from_the_records_and_the_bulletin_sums_them(w):
    tree, office = w["tree"], w["office"]
    sick_a = PersonFactory(unit=tree.a1)
    case_a = cases.case_register(actor=office, person=sick_a, reported_on=TODAY)
    cases.case_register(actor=office, person=PersonFactory(unit=tree.b1), status=CaseStatus.CONFIRMED)
    contact = contacts.contact_add(
        actor=office, case=case_a, person=PersonFactory(unit=tree.a2), last_exposure_on=days_before(1)
    )
    isolation_services.isolation_order(actor=office, person=contact.person, kind=IsolationKind.HOME)
    isolation_services.isolation_order(actor=office, person=sick_a, kind=IsolationKind.CENTRAL, case=case_a)
    typed = {"headcount": 3, "at_work": 2, "fever_today": 0}

    # A new case blocks the zero report: the records say something happened.
    with pytest.raises(ValidationError):
        reports.unit_report_submit_zero(actor=w["liaison_a"], unit=tree.a, date=TODAY)
    report_a = reports.unit_report_submit(actor=w["liaison_a"], unit=tree.a, date=TODAY, values=typed)
    report_b = reports.unit_report_submit(actor=w["liaison_b"], unit=tree.b, date=TODAY, values=typed)
    assert {
        k: report_a.values[k]
        for k in ("new_suspected", "new_confirmed", "close_contacts", "home_isolation", "central_isolation")
    } == {
        "new_suspected": 1,
        "new_confirmed": 0,
        "close_contacts": 1,
        "home_isolation": 1,
        "central_isolation": 1,
    }
    assert report_b.values["new_confirmed"] == 1 and report_b.values["new_suspected"] == 0

    figures = bulletin.bulletin_figures(day=TODAY)
    assert figures["cases"] | {} == {
        "new_suspected": 1,
        "new_confirmed": 1,
        "new_asymptomatic": 0,
        "home_isolation": 1,
        "central_isolation": 1,
        "close_contacts": 1,
        "reports_with_values": 2,
    }
    assert figures["date"] == TODAY.isoformat()
    assert datetime.date.fromisoformat(figures["date"]) == TODAY


def test_the_person_responsible_for_an_isolation_sees_the_readings_to_record_on_the_home_page(tree):
    from django.test import Client

    from lianfang.health.tests.status_helpers import isolation, today
    from lianfang.testing import PersonFactory, UserFactory

    responsible = UserFactory()
    isolation(PersonFactory(unit=tree.a1), today(), today() + datetime.timedelta(days=6), responsible=responsible)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(responsible)
    html = client.get("/").content.decode()
    assert 'data-todo="cases.followups"' in html
    assert "follow-up readings to record today" in html
