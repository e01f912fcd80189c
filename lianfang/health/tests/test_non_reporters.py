"""The non-reporter list as a liaison uses it: tap to call (audited once per view), units with their
liaison, the list to copy into the chat group, pages instead of a cap."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.health.tests.factories import employee
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = reverse("health:non-reporters")


def unmask_events():
    return list(AuditEvent.objects.filter(kind=AuditKind.UNMASK))


def test_a_liaison_taps_a_number_to_call_and_the_list_writes_one_audit_event_for_all_of_them(client, tree):
    for n in range(3):
        PersonFactory(unit=tree.a1, phone=f"1381234567{n}")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")
    client.force_login(liaison)
    html = client.get(URL, **EN).content.decode()
    for n in range(3):
        assert f'href="tel:1381234567{n}"' in html
    (event,) = unmask_events()
    assert event.user == liaison
    assert event.detail["people"] == 3 and event.detail["field"] == "phone"
    assert event.detail["source"] == "non_reporters"
    client.get(URL, **EN)  # every view of the list is one more event, never one per row
    assert len(unmask_events()) == 2


def test_a_duty_officer_sees_masked_numbers_without_a_call_link_and_nothing_is_audited(client, tree):
    PersonFactory(unit=tree.a1, phone="13812345678")
    client.force_login(user_with_role(Role.DUTY_OFFICER, tree.a1))
    html = client.get(URL, **EN).content.decode()
    assert "138****5678" in html
    assert "tel:138" not in html and "13812345678" not in html
    assert unmask_events() == []


def test_people_without_a_phone_write_no_audit_event(client, tree):
    PersonFactory(unit=tree.a1, phone="")
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    assert client.get(URL, **EN).status_code == 200
    assert unmask_events() == []


def test_each_unit_heading_names_its_liaison_and_a_site_without_one_shows_its_departments(client, tree):
    tree.a1.liaison, tree.a1.liaison_phone = "王芳", "13900001111"
    tree.a1.save()
    PersonFactory(unit=tree.a1, name="张三伟")
    PersonFactory(unit=tree.a1s, name="李四")
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    response = client.get(URL, **EN)
    html = response.content.decode()
    groups = {g["unit"].code: g for g in response.context["groups"]}
    assert groups["A1"]["liaison"]["name"] == "王芳" and groups["A1"]["liaison"]["unit"] is None
    assert groups["A1S"]["liaison"]["name"] == "王芳" and groups["A1S"]["liaison"]["unit"] == tree.a1
    assert 'href="tel:13900001111"' in html

    client.force_login(user_with_role(Role.DUTY_OFFICER, tree.a1))
    html = client.get(URL, **EN).content.decode()
    assert "王芳" in html and "139****1111" in html and "tel:139" not in html


def test_the_copy_list_masks_every_name_and_groups_them_by_unit(client, tree):
    PersonFactory(unit=tree.a1, name="张三伟")
    PersonFactory(unit=tree.a1, name="李四")
    PersonFactory(unit=tree.a2, name="欧阳小明")
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    response = client.get(URL, **EN)  # the page's language: what the liaison sees is what they paste
    text = response.context["copy_text"]
    lines = text.splitlines()
    assert lines[0].startswith("Not yet checked in on ") and ": 3 people. Please check in now." in lines[0]
    assert lines[1] == "甲公司综合部 (2): 张*伟、李*"
    assert lines[2] == "甲公司运营部 (1): 欧**明"
    for full in ("张三伟", "李四", "欧阳小明"):
        assert full not in text
    html = response.content.decode()
    assert 'id="nr-copy-text"' in html and "data-copy" in html


def test_the_list_pages_through_everyone_instead_of_stopping_at_a_cap(client, tree):
    for _ in range(120):
        PersonFactory(unit=tree.a1, phone="")
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    first = client.get(URL, **EN)
    assert first.context["count"] == 120 and len(first.context["rows"]) == 50
    assert "Page 1 of 3" in first.content.decode()
    last = client.get(URL + "?page=3", **EN)
    assert len(last.context["rows"]) == 20
    # The unit heading counts the whole unit, not the page.
    assert last.context["groups"][0]["count"] == 120
    # Links to the next page carry the filters once, without piling up page parameters.
    html = client.get(f"{URL}?unit={tree.a1.pk}&page=2", **EN).content.decode()
    links = re.findall(r'href="\?([^"]*page=\d)"', html)
    assert links and all(link.count("page=") == 1 for link in links)


def test_a_leader_reads_the_list_without_the_remind_button(client, tree):
    employee(tree.a1)
    client.force_login(user_with_role(Role.LEADER, tree.group))
    response = client.get(URL, **EN)
    assert response.status_code == 200
    assert not response.context["can_remind"]
    assert 'name="scope"' not in response.content.decode()


def test_a_past_day_offers_no_reminder(client, tree):
    import datetime

    from django.utils import timezone

    employee(tree.a1)
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.get(f"{URL}?date={yesterday}", **EN)
    assert not response.context["can_remind"]
    assert "only for today" in response.content.decode()
