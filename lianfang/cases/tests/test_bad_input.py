"""Bad input from the issue, and its neighbours: each refused with a message that says what is wrong
(and what to do), and nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from lianfang.cases.choices import CaseStatus, ContactDegree, IsolationKind
from lianfang.cases.models import Case, Contact, FollowUp, Isolation
from lianfang.cases.services import cases, contacts
from lianfang.cases.services import isolation as isolation_services
from lianfang.core.models import ObjectChange
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .helpers import TODAY, Clock, days_before

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(monkeypatch):
    Clock(monkeypatch)
    tree = make_tree()
    manager = user_with_role(Role.CASE_MANAGER, tree.a, username="manager")
    person = PersonFactory(unit=tree.a1, name="王病例")
    colleague = PersonFactory(unit=tree.a1, name="李同事")
    case = cases.case_register(actor=manager, person=person, reported_on=days_before(3), isolated_on=days_before(2))
    return {"tree": tree, "manager": manager, "person": person, "colleague": colleague, "case": case}


def state():
    return (
        list(Case.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(Isolation.objects.order_by("pk").values()),
        FollowUp.objects.count(),
        ObjectChange.objects.count(),
        Message.objects.count(),
    )


def refused(call, field: str, *fragments: str) -> None:
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        call()
    messages = " ".join(info.value.message_dict.get(field, [])) if hasattr(info.value, "error_dict") else ""
    for fragment in fragments:
        assert fragment in messages, info.value.message_dict
    assert state() == before


def test_a_person_cannot_be_a_contact_of_their_own_case(w):
    refused(
        lambda: contacts.contact_add(
            actor=w["manager"], case=w["case"], person=w["person"], last_exposure_on=days_before(3)
        ),
        "person",
        "is the case itself",
        "choose someone else",
    )


def test_an_exposure_after_the_case_was_isolated_is_refused(w):
    refused(
        lambda: contacts.contact_add(
            actor=w["manager"], case=w["case"], person=w["colleague"], last_exposure_on=days_before(1)
        ),
        "last_exposure_on",
        f"isolated on {days_before(2).isoformat()}",
        "or an earlier day",
    )


def test_an_exposure_in_the_future_is_refused(w):
    case = cases.case_register(actor=w["manager"], person=w["colleague"])  # not isolated
    other = PersonFactory(unit=w["tree"].a1)
    refused(
        lambda: contacts.contact_add(
            actor=w["manager"], case=case, person=other, last_exposure_on=TODAY + datetime.timedelta(days=1)
        ),
        "last_exposure_on",
        "cannot be in the future",
    )


def test_the_same_person_cannot_be_listed_twice_for_a_case(w):
    contacts.contact_add(actor=w["manager"], case=w["case"], person=w["colleague"], last_exposure_on=days_before(3))
    refused(
        lambda: contacts.contact_add(
            actor=w["manager"],
            case=w["case"],
            person=w["colleague"],
            last_exposure_on=days_before(2),
            degree=ContactDegree.SECONDARY,
        ),
        "person",
        "李同事 is already a close contact",
    )


def test_a_secondary_contact_needs_a_close_contact_of_the_same_case(w):
    refused(
        lambda: contacts.contact_add(
            actor=w["manager"],
            case=w["case"],
            person=w["colleague"],
            last_exposure_on=days_before(3),
            degree=ContactDegree.SECONDARY,
        ),
        "via",
        "Choose the close contact",
    )


def test_an_isolation_cannot_end_before_it_starts(w):
    refused(
        lambda: isolation_services.isolation_order(
            actor=w["manager"],
            person=w["colleague"],
            kind=IsolationKind.HOME,
            start_on=TODAY,
            planned_end_on=days_before(1),
            end_change_reason="测试",
        ),
        "planned_end_on",
        "cannot end before it starts",
        TODAY.isoformat(),
    )


def test_another_end_than_the_standard_needs_a_reason(w):
    refused(
        lambda: isolation_services.isolation_order(
            actor=w["manager"],
            person=w["colleague"],
            kind=IsolationKind.HOME,
            planned_end_on=TODAY + datetime.timedelta(days=3),
        ),
        "end_change_reason",
        "The standard end is",
        "say why",
    )


def test_overlapping_isolations_of_one_person_are_refused_naming_the_existing_one(w):
    isolation_services.isolation_order(actor=w["manager"], person=w["colleague"], kind=IsolationKind.CENTRAL)
    refused(
        lambda: isolation_services.isolation_order(
            actor=w["manager"],
            person=w["colleague"],
            kind=IsolationKind.HOME,
            start_on=TODAY + datetime.timedelta(days=1),
        ),
        "start_on",
        "李同事 is already under centralised isolation",
        f"from {TODAY.isoformat()} to {(TODAY + datetime.timedelta(days=7)).isoformat()}",
        "release it",
    )


def test_a_new_isolation_may_start_on_the_day_the_last_was_released(w):
    first = isolation_services.isolation_order(
        actor=w["manager"], person=w["colleague"], kind=IsolationKind.HOME, start_on=days_before(3)
    )
    first = isolation_services.isolation_release(actor=w["manager"], isolation=first, released_on=TODAY)
    second = isolation_services.isolation_order(actor=w["manager"], person=w["colleague"], kind=IsolationKind.CENTRAL)
    assert second.start_on == first.released_on


def test_a_release_before_the_start_or_with_a_positive_test_is_refused(w):
    iso = isolation_services.isolation_order(actor=w["manager"], person=w["colleague"], kind=IsolationKind.HOME)
    refused(
        lambda: isolation_services.isolation_release(actor=w["manager"], isolation=iso, released_on=days_before(1)),
        "released_on",
        "before it starts",
    )
    refused(
        lambda: isolation_services.isolation_release(actor=w["manager"], isolation=iso, test_result="positive"),
        "test_result",
        "not a release",
    )


def test_a_follow_up_temperature_outside_34_to_43_is_refused(w):
    iso = isolation_services.isolation_order(actor=w["manager"], person=w["colleague"], kind=IsolationKind.HOME)
    refused(
        lambda: isolation_services.followup_record(actor=w["manager"], isolation=iso, slot=1, temperature="45"),
        "temperature",
        "between 34.0 and 43.0",
    )
    refused(
        lambda: isolation_services.followup_record(actor=w["manager"], isolation=iso, slot=3, temperature="36.5"),
        "slot",
        "reading 1 to 2",
    )


def test_a_transition_that_is_not_allowed_says_which_are(w):
    cases.case_transition(actor=w["manager"], case=w["case"], to_status=CaseStatus.EXCLUDED)
    refused(
        lambda: cases.case_transition(actor=w["manager"], case=w["case"], to_status=CaseStatus.CONFIRMED),
        "status",
        "excluded is closed",
    )
    case = cases.case_register(actor=w["manager"], person=w["colleague"], reported_on=days_before(1))
    refused(
        lambda: cases.case_transition(actor=w["manager"], case=case, to_status=CaseStatus.RECOVERED),
        "status",
        "can only become: confirmed, asymptomatic infection, excluded",
    )
    refused(
        lambda: cases.case_transition(actor=w["manager"], case=case, to_status=CaseStatus.CONFIRMED, on=days_before(2)),
        "on",
        f"cannot be before {days_before(1).isoformat()}",
    )


def test_a_second_active_case_for_the_same_person_is_refused(w):
    refused(
        lambda: cases.case_register(actor=w["manager"], person=w["person"]),
        "person",
        "already has an active case",
        w["case"].number,
    )


def test_an_external_case_needs_a_name_and_a_unit(w):
    refused(lambda: cases.case_register(actor=w["manager"], external_name="张三"), "unit", "Choose the unit")
    refused(lambda: cases.case_register(actor=w["manager"], unit=w["tree"].a1), "person", "give the name")


def test_the_case_cannot_be_dated_isolated_before_a_listed_exposure(w):
    case = cases.case_register(actor=w["manager"], person=w["colleague"], reported_on=days_before(1))
    other = PersonFactory(unit=w["tree"].a1, name="赵同事")
    contacts.contact_add(actor=w["manager"], case=case, person=other, last_exposure_on=TODAY)
    refused(
        lambda: cases.case_update(actor=w["manager"], case=case, isolated_on=days_before(1), fields=["isolated_on"]),
        "isolated_on",
        "赵同事 was last exposed on",
    )


def test_isolating_a_person_outside_your_units_is_not_found(w):
    outsider = PersonFactory(unit=w["tree"].b1, name="外单位")
    before = state()
    api = APIClient()
    api.force_authenticate(w["manager"])
    response = api.post(reverse("api:isolation-list"), {"person": outsider.pk, "kind": "home"}, format="json")
    assert response.status_code == 404
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(w["manager"])
    response = page.post(
        reverse("cases:isolation-create"),
        {"employee_no": outsider.employee_no, "kind": "home", "reason": "contact", "start_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert "There is nobody with this employee number in your units" in response.content.decode()
    assert state() == before


def test_the_api_answers_400_with_the_message(w):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(w["manager"])
    before = state()
    response = api.post(
        reverse("api:case-contact-list"),
        {"case": w["case"].pk, "person": w["person"].pk, "last_exposure_on": days_before(3).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "is the case itself" in response.json()["person"][0]
    assert state() == before
