"""The outings' pages as their users use them: the employee on a phone, the approver, the liaison
and the office; what each may open."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.outings import services
from lianfang.outings.choices import OutingState
from lianfang.outings.models import Outing
from lianfang.outings.tests.conftest import WUCHANG, ask, day, risk_area
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def form_data(**changes) -> dict:
    data = {
        "province": "42",
        "city": "4201",
        "district": WUCHANG,
        "date_from": str(day(1)),
        "date_to": str(day(3)),
        "reason": "探亲",
        "transport": "train",
        "transport_no": "g1234",
    }
    return {**data, **changes}


def test_an_employee_asks_from_a_phone_and_sees_where_the_request_went(clock, employee, leader):
    client = client_for(employee.user)

    assert client.get(reverse("outings:new")).status_code == 200
    response = client.post(reverse("outings:new"), form_data())

    outing = Outing.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("outings:detail", args=[outing.pk])
    assert (outing.place_code, outing.transport_no, outing.person) == (WUCHANG, "G1234", employee)
    page = client.get(response["Location"]).content.decode()
    assert "The request is sent to 甲公司 for approval." in page
    assert "Waiting for approval" in page
    mine = client.get(reverse("outings:mine")).content.decode()
    assert f'data-row="{outing.pk}"' in mine


def test_a_return_before_the_departure_is_shown_on_the_date_of_return(clock, employee, leader):
    response = client_for(employee.user).post(reverse("outings:new"), form_data(date_to=str(day(0))))

    assert response.status_code == 200
    assert response.context["form"].errors["date_to"] == [
        "The date of return cannot be before the date of departure: give a later day."
    ]
    assert not Outing.objects.exists()


def test_an_overlap_is_shown_on_the_date_of_departure_in_chinese(clock, employee, leader):
    ask(employee.user, employee, first=2, last=4)

    response = client_for(employee.user, "zh-hans").post(reverse("outings:new"), form_data())

    errors = response.context["form"].errors["date_from"][0]
    assert "您在这几天已有外出" in errors


def test_a_destination_left_empty_is_refused_on_the_province(clock, employee, leader):
    response = client_for(employee.user).post(reverse("outings:new"), form_data(province="", city="", district=""))

    assert "province" in response.context["form"].errors


def test_the_approver_approves_from_the_list_and_the_person_sees_it(clock, employee, leader):
    outing = ask(employee.user, employee)
    client = client_for(leader)

    page = client.get(reverse("outings:approvals"))
    assert page.status_code == 200 and f'data-row="{outing.pk}"' in page.content.decode()
    response = client.post(reverse("outings:act", args=[outing.pk, "approve"]), {"next": "approvals", "note": "同意"})

    assert response["Location"] == reverse("outings:approvals")
    outing.refresh_from_db()
    assert outing.state == OutingState.APPROVED
    assert 'data-total="0"' in client.get(reverse("outings:approvals")).content.decode()


def test_a_refusal_without_a_reason_is_refused_and_changes_nothing(clock, employee, leader):
    outing = ask(employee.user, employee)

    response = client_for(leader).post(reverse("outings:act", args=[outing.pk, "reject"]), follow=True)

    assert "Say why the outing is not approved" in response.content.decode()
    outing.refresh_from_db()
    assert outing.state == OutingState.PENDING


def test_the_return_page_confirms_the_days_and_starts_the_monitoring(clock, employee, leader, office):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)
    services.outing_approve(actor=leader, outing=outing)
    services.outing_approve(actor=office, outing=outing)
    clock.advance(days=3)
    client = client_for(employee.user)

    form = client.get(reverse("outings:return", args=[outing.pk]))
    assert form.context["form"].initial == {"actual_from": day(1), "actual_to": day(3)}
    response = client.post(
        reverse("outings:return", args=[outing.pk]), {"actual_from": day(1), "actual_to": day(3)}, follow=True
    )

    assert "Enhanced monitoring until 2026-12-17" in response.content.decode()
    clock.advance(days=1)
    page = client.get(reverse("outings:detail", args=[outing.pk])).content.decode()
    assert 'data-testid="reading"' in page
    client.post(reverse("outings:act", args=[outing.pk, "reading"]), {"temperature": "36.6"})
    assert str(outing.readings.get().temperature) == "36.6"


def test_people_see_only_what_they_may(clock, tree, employee, leader, office, liaison):
    outing = ask(employee.user, employee)
    stranger = PersonFactory(unit=tree.b1, user=user_with_role(None, None, username="stranger"))
    outsider_leader = user_with_role(Role.LEADER, tree.b, username="leader-b")

    assert client_for(stranger.user).get(reverse("outings:detail", args=[outing.pk])).status_code == 404
    assert client_for(outsider_leader).get(reverse("outings:detail", args=[outing.pk])).status_code == 404
    assert client_for(employee.user).get(reverse("outings:list")).status_code == 403
    assert client_for(employee.user).get(reverse("outings:approvals")).status_code == 403
    assert client_for(employee.user).get(reverse("outings:monitoring")).status_code == 403
    assert client_for(liaison).get(reverse("outings:settings")).status_code == 403
    assert client_for(office).get(reverse("outings:settings")).status_code == 200
    assert client_for(liaison).get(reverse("outings:monitoring")).status_code == 200
    listed = client_for(office).get(reverse("outings:list"))
    assert f'data-row="{outing.pk}"' in listed.content.decode() and 'data-total="1"' in listed.content.decode()
    assert client_for(outsider_leader).get(reverse("outings:list")).content.decode().count("data-row=") == 0
    # A post on someone else's outing out of scope finds nothing and changes nothing.
    response = client_for(outsider_leader).post(reverse("outings:act", args=[outing.pk, "approve"]))
    assert response.status_code == 404
    outing.refresh_from_db()
    assert outing.state == OutingState.PENDING


def test_the_office_filters_outings_to_risk_areas_and_its_reading_is_audited(clock, tree, employee, leader, office):
    risk_area(WUCHANG)
    risky = ask(employee.user, employee, place=WUCHANG, first=1, last=2)
    plain = ask(employee.user, employee, first=5, last=6)

    page = client_for(office).get(reverse("outings:list"), {"risk": "on"}).content.decode()

    assert f'data-row="{risky.pk}"' in page and f'data-row="{plain.pk}"' not in page
    event = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).last()
    assert event.detail["what"] == "outings" and event.detail["people"] == [employee.pk]


def test_a_liaison_asks_for_someone_without_a_phone(clock, tree, liaison, leader):
    old_wang = PersonFactory(unit=tree.a1s, name="老王")

    response = client_for(liaison).post(reverse("outings:new"), form_data(person=old_wang.pk))

    assert response.status_code == 302
    assert Outing.objects.get().person == old_wang


def test_the_settings_page_changes_the_route(clock, office):
    response = client_for(office).post(
        reverse("outings:settings"),
        {
            "approver_role": "unit_admin",
            "office_for_risk_areas": "on",
            "risk_levels": ["high"],
            "key_roles": ["duty_officer"],
            "expire_hours": "24",
            "remind_hours": "6",
            "record_trip": "on",
            "monitoring_days": "14",
            "monitoring_when": "always",
        },
    )

    assert response.status_code == 302
    from lianfang.outings.models import OutingSettings

    config = OutingSettings.load()
    assert (config.approver_role, config.risk_levels, config.monitoring_days, config.leaders_file_only) == (
        "unit_admin",
        ["high"],
        14,
        False,
    )


def test_the_home_page_shows_the_approvers_to_do(clock, employee, leader):
    ask(employee.user, employee)

    page = client_for(leader).get(reverse("home")).content.decode()

    assert "1 outing request to approve" in page
    assert reverse("outings:approvals") in page
