"""The dashboard's "on duty now" card: the duty rooms in the viewer's scope, the group duty room
first, who is on duty with the room's phone, the rooms with nobody, and never a person's own phone."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.org.choices import Role
from lianfang.reporting.selectors.dashboard import duty_now
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def rooms(tree):
    """The group duty room and A's are staffed now; B's room has a shift with no leader."""
    now = timezone.now()
    start, end = now - datetime.timedelta(hours=2), now + datetime.timedelta(hours=6)
    group, a, b = (
        make_post(tree.group, phone="029-88880000"),
        make_post(tree.a, phone="0913-2100000"),
        make_post(tree.b),
    )
    make_shift(
        group,
        start,
        end,
        PersonFactory(unit=tree.group, name="贾带班", phone="13900001111"),
        [PersonFactory(unit=tree.group, name="易值班")],
    )
    make_shift(a, start, end, PersonFactory(unit=tree.a, name="甲带班"), [PersonFactory(unit=tree.a, name="甲值班")])
    make_shift(b, start, end, None, [PersonFactory(unit=tree.b, name="乙值班")])
    return {"group": group, "a": a, "b": b}


def test_the_office_sees_the_group_duty_room_first_and_the_rooms_with_nobody(tree, rooms):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    card = duty_now(viewer=office)
    assert [r["post"] for r in card["rows"]] == [rooms["group"], rooms["a"], rooms["b"]]
    assert card["rows"][0]["duty"].leader.name == "贾带班"
    assert card["total"] == 3 and card["uncovered"] == 1  # B: no leader on duty


def test_a_subsidiary_s_liaison_sees_only_its_own_room(tree, rooms):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    card = duty_now(viewer=liaison)
    assert [r["post"] for r in card["rows"]] == [rooms["a"]] and card["uncovered"] == 0


def test_a_role_that_sees_no_duty_post_has_no_card(tree, rooms):
    assert duty_now(viewer=user_with_role(Role.CASE_MANAGER, tree.group)) is None


def test_the_card_is_on_the_dashboard_with_the_room_s_phone_and_not_the_people_s(client, tree, rooms):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client.force_login(office)
    with translation.override("zh-hans"):
        page = client.get(reverse("reporting:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-panel="duty"' in page
    assert "贾带班" in page and "甲值班" in page
    assert 'href="tel:029-88880000"' in page
    assert "13900001111" not in page  # the leader's own mobile stays on the duty page
    assert "1 个值班室此刻无带班领导或无值班人员" in page
    assert "查看全部 3 个值班室及值班人员电话" in page
