"""The life of a case end to end, as the office and a case manager live it:

suspected → contacts added from the suggestions and notified → isolation → follow-ups (one missed,
flagged and notified once) → release — with the unit report's counts (prefill) checked at each step
and, once the health status engine exists, each person's colour.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.cases import selectors
from lianfang.cases.choices import CaseStatus, IsolationKind
from lianfang.cases.choices import TestResult as ReleaseTest
from lianfang.cases.models import Case, Contact, FollowUp, Isolation
from lianfang.cases.services import cases
from lianfang.cases.services import isolation as isolation_services
from lianfang.core.extensions import feed_counts
from lianfang.core.models import AuditEvent, AuditKind
from lianfang.health.choices import WorkMode
from lianfang.notify.choices import MessageKind
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .helpers import TODAY, Clock, checkin, colour_of, days_before, person_with_account, status_engine

pytestmark = pytest.mark.django_db

REPORT_KEYS = (
    "cases.new_suspected",
    "cases.new_confirmed",
    "cases.close_contacts",
    "isolation.central",
    "isolation.home",
    "cases.active",
)


def counts(unit, day):
    return feed_counts(unit, day, REPORT_KEYS)


@pytest.fixture
def world(monkeypatch):
    from lianfang.status.defaults import ensure_default_status_rules

    ensure_default_status_rules()
    clock = Clock(monkeypatch)
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    manager = user_with_role(Role.CASE_MANAGER, tree.a, username="manager")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    case_person = PersonFactory(unit=tree.a1, name="王病例")
    c1 = PersonFactory(unit=tree.a1, name="甲同事")
    c2 = person_with_account(tree.a1, name="乙同事")
    c3 = PersonFactory(unit=tree.a1, name="丙同事")
    remote = PersonFactory(unit=tree.a1, name="丁居家")
    other_unit = PersonFactory(unit=tree.a2, name="戊外部门")
    # The case was on site the last four days; colleagues shared 3, 2 and 1 of them.
    for n in range(1, 5):
        checkin(case_person, days_before(n))
    for n in (1, 2, 3):
        checkin(c1, days_before(n))
        checkin(other_unit, days_before(n))
    for n in (1, 2):
        checkin(c2, days_before(n))
    checkin(c3, days_before(4))
    for n in (1, 2, 3):
        checkin(remote, days_before(n), mode=WorkMode.REMOTE)
    return {
        "clock": clock,
        "tree": tree,
        "office": office,
        "manager": manager,
        "liaison": liaison,
        "case_person": case_person,
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "remote": remote,
        "other_unit": other_unit,
    }


def web(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def assert_colours(expected: dict) -> None:
    """Person → colour, once the status engine exists (the lead integrates both parts)."""
    if status_engine() is None:
        return
    assert {p.name: colour_of(p) for p in expected} == {p.name: c for p, c in expected.items()}


def test_the_life_of_a_case(world, django_capture_on_commit_callbacks):
    w = world
    tree, manager = w["tree"], w["manager"]
    client = web(manager)

    # 1. Suspected: registered on the page, numbered, the office alerted without the name.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:create"),
            {
                "who": "roster",
                "employee_no": w["case_person"].employee_no,
                "status": "suspected",
                "reported_on": TODAY.isoformat(),
                "onset_on": days_before(1).isoformat(),
                "treatment": "none",
            },
        )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert re.fullmatch(r"BL-2026-\d{4}", case.number)
    alert = Message.objects.get(recipient=w["office"], kind=MessageKind.CASE_ALERT)
    assert case.number in alert.title + alert.body and tree.a1.name in alert.title
    assert "王病例" not in alert.title + alert.body
    assert counts(tree.a, TODAY) == {
        "cases.new_suspected": 1,
        "cases.new_confirmed": 0,
        "cases.close_contacts": 0,
        "isolation.central": 0,
        "isolation.home": 0,
        "cases.active": 1,
    }
    assert counts(tree.b, TODAY)["cases.new_suspected"] == 0
    assert_colours({w["case_person"]: "red", w["c1"]: "green"})

    # 2. Suggestions: on site in the same unit on the same days, most shared days first.
    suggestions = selectors.contact_suggestions(viewer=manager, case=case)
    assert [(s.person.name, s.shared_days) for s in suggestions] == [("甲同事", 3), ("乙同事", 2)]
    # (丙 shared only a day before the infectious window; 丁 worked from home; 戊 is in another unit.)

    # 3. Two of them added in one action; each and their liaison notified to isolate.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:add-suggested", args=[case.pk]), {"people": [w["c1"].pk, w["c2"].pk]})
    assert response.status_code == 302
    contacts = {c.person.name: c for c in Contact.objects.select_related("person")}
    assert set(contacts) == {"甲同事", "乙同事"}
    assert contacts["甲同事"].last_exposure_on == days_before(1)
    assert all(c.notified_at is not None for c in contacts.values())
    assert Message.objects.filter(recipient=w["c2"].user, kind=MessageKind.CONTACT_NOTICE).count() == 1
    assert Message.objects.filter(recipient=w["liaison"], kind=MessageKind.CONTACT_NOTICE).count() == 2
    assert counts(tree.a, TODAY)["cases.close_contacts"] == 2
    assert_colours({w["c1"]: "yellow", w["c2"]: "yellow"})

    # 4. The case and one contact isolated (centralised: 7 days, then 3 of home monitoring).
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:isolation-create") + f"?contact={contacts['甲同事'].pk}",
            {
                "employee_no": w["c1"].employee_no,
                "kind": "central",
                "reason": "contact",
                "start_on": TODAY.isoformat(),
                "contact": contacts["甲同事"].pk,
            },
        )
        isolation_services.isolation_order(
            actor=manager, person=w["case_person"], kind=IsolationKind.HOSPITAL, reason="case", case=case
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    iso = Isolation.objects.get(person=w["c1"])
    assert (iso.planned_end_on, iso.monitoring_end_on) == (
        TODAY + datetime.timedelta(7),
        TODAY + datetime.timedelta(10),
    )
    assert iso.responsible == manager
    case.refresh_from_db()
    assert case.isolated_on == TODAY
    assert counts(tree.a, TODAY) | {} == {
        "cases.new_suspected": 1,
        "cases.new_confirmed": 0,
        "cases.close_contacts": 2,  # one isolated for the contact, one not yet but within observation
        "isolation.central": 1,
        "isolation.home": 0,
        "cases.active": 1,
    }
    assert_colours({w["case_person"]: "red", w["c1"]: "red", w["c2"]: "yellow"})

    # 5. Follow-ups. Day 0: both readings. Day 1 at 15:00: reading 1 only (reading 2 is due at 20:00).
    for slot in (1, 2):
        isolation_services.followup_record(actor=manager, isolation=iso, slot=slot, temperature="36.6")
    day1 = TODAY + datetime.timedelta(days=1)
    w["clock"].set(day1, 15)
    web(manager).post(
        reverse("cases:followup-record", args=[iso.pk]),
        {"date": day1.isoformat(), "slot": 1, "temperature": "36.8", "symptoms": ["cough"]},
    )
    assert FollowUp.objects.filter(isolation=iso).count() == 3
    row = next(r for r in selectors.followups_due(viewer=manager) if r.isolation == iso)
    assert [s.followup is not None for s in row.slots] == [True, False]
    assert not row.missed_earlier and not any(s.missed for s in row.slots)

    # Day 2 at 10:00: yesterday's reading 2 was never recorded → flagged on the page and notified once.
    day2 = TODAY + datetime.timedelta(days=2)
    w["clock"].set(day2, 10)
    row = next(r for r in selectors.followups_due(viewer=manager) if r.isolation == iso)
    assert [(m.date, m.slot) for m in row.missed_earlier] == [(day1, 2)]
    page = web(manager).get(reverse("cases:followups"))
    assert 'data-missed-earlier="1"' in page.content.decode()
    assert isolation_services.followups_notify_missed() == 2  # the contact's and the case's isolation
    assert isolation_services.followups_notify_missed() is None  # the day was done: nothing sent again
    missed = Message.objects.filter(recipient=manager, kind=MessageKind.FOLLOWUP_MISSED)
    assert missed.count() == 1 and "甲同事" in missed.get().body

    # 6. Release with a negative test: the order ends, the counts follow, the colour turns yellow
    #    for the home monitoring that follows centralised isolation.
    with django_capture_on_commit_callbacks(execute=True):
        response = web(manager).post(
            reverse("cases:isolation-release", args=[iso.pk]),
            {"released_on": day2.isoformat(), "test_result": ReleaseTest.NEGATIVE, "test_on": day1.isoformat()},
        )
    iso.refresh_from_db()
    assert iso.released_on == day2 and iso.release_test_result == ReleaseTest.NEGATIVE
    assert counts(tree.a, day1)["isolation.central"] == 1
    assert counts(tree.a, day2)["isolation.central"] == 0
    assert_colours({w["c1"]: "yellow", w["case_person"]: "red"})

    # 7. The case confirmed, then recovered: the report counts the day of each step once.
    with django_capture_on_commit_callbacks(execute=True):
        cases.case_transition(actor=manager, case=case, to_status=CaseStatus.CONFIRMED, on=day1)
    assert counts(tree.a, day1)["cases.new_confirmed"] == 1
    assert counts(tree.a, day2)["cases.new_confirmed"] == 0
    assert Message.objects.filter(recipient=w["office"], kind=MessageKind.CASE_ALERT).count() == 2

    # Every read of the case's details was recorded.
    client.get(reverse("cases:detail", args=[case.pk]))
    client.get(reverse("cases:graph", args=[case.pk]))
    reads = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ, user=manager)
    assert {e.detail.get("what") for e in reads} >= {"case", "contact_graph"}
