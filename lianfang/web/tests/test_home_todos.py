"""The home page lists what each app says the user has to do today, with one tap to do it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.health.tests.factories import employee
from lianfang.health.tests.status_helpers import checkin, today
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def home_of(user) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_an_employee_who_has_not_checked_in_is_asked_to_and_the_to_do_goes_once_done(tree):
    me = employee(tree.a1)
    html = home_of(me.user)
    assert 'data-todo="health.checkin"' in html
    assert f'href="{reverse("health:checkin")}"' in html
    checkin(me, today())
    assert 'data-todo="health.checkin"' not in home_of(me.user)


def test_a_liaison_sees_who_has_not_checked_in_and_the_units_report_with_its_deadline(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    for _ in range(3):
        PersonFactory(unit=tree.a1)
    checkin(PersonFactory(unit=tree.a1), today())
    html = home_of(liaison)
    assert "3 people have not checked in yet" in html
    assert 'data-todo="reporting.report"' in html
    assert "Daily report of 甲公司" in html
