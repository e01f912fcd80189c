"""The case status form: the person chooses the new status; nothing closes a case by default."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.cases.choices import CaseStatus
from lianfang.cases.models import Case
from lianfang.cases.services import cases
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .helpers import Clock, days_before

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(monkeypatch):
    Clock(monkeypatch)
    tree = make_tree()
    manager = user_with_role(Role.CASE_MANAGER, tree.a, username="manager")
    case = cases.case_register(
        actor=manager,
        person=PersonFactory(unit=tree.a1, name="王病例"),
        status=CaseStatus.CONFIRMED,
        reported_on=days_before(3),
        isolated_on=days_before(3),
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(manager)
    return case, client


def status_select(html: str) -> str:
    return re.search(r'<select name="status"[^>]*>.*?</select>', html, re.S).group(0)


def test_the_status_form_of_a_confirmed_case_preselects_no_status(confirmed):
    case, client = confirmed

    for url in (reverse("cases:detail", args=[case.pk]), reverse("cases:transition", args=[case.pk])):
        select = status_select(client.get(url).content.decode())
        values = re.findall(r'<option value="([^"]*)"', select)
        chosen = re.findall(r'<option value="([^"]*)"[^>]* selected', select)
        # The browser shows the first option when none is selected: the empty "choose" line.
        assert values == ["", "recovered", "deceased"]
        assert chosen in ([], [""])


def test_sending_the_form_without_choosing_a_status_changes_nothing_and_says_to_choose(confirmed):
    case, client = confirmed

    response = client.post(reverse("cases:transition", args=[case.pk]), {"status": "", "on": days_before(0)})

    assert response.status_code == 200
    assert "Choose the case&#x27;s new status." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CONFIRMED


def test_choosing_recovered_closes_the_case(confirmed):
    case, client = confirmed

    response = client.post(reverse("cases:transition", args=[case.pk]), {"status": "recovered", "on": days_before(0)})

    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECOVERED
