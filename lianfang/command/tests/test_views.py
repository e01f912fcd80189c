"""The pages: the board with its clocks (overdue in red), the report form on a phone, a matter's
page and its actions, the levels; permissions (own, child, sibling, parent; out of scope 404)."""

from __future__ import annotations

import pytest
from django.test import Client

from lianfang.command.choices import MatterKind, MatterState
from lianfang.command.models import UrgentMatter
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.org.choices import Role
from lianfang.testing import SCOPE_RELATIONS, user_with_role

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def make(office, unit, level):
    return matters.matter_report(
        actor=office,
        unit=unit,
        kind=MatterKind.SUSPECTED_CASE,
        severity=level,
        title="Fever at the gate",
        description="38.6 at the morning check.",
    )


def test_the_board_shows_each_clock_and_overdue_in_red(tree, roster, levels, clock, office):
    matter = make(office, tree.a1, levels["major"])
    page = browser(office).get("/urgent/").content.decode()
    assert matter.number in page and "15 min left" in page and "is-overdue" not in page
    clock.advance(minutes=20)
    page = browser(office).get("/urgent/").content.decode()
    assert "is-overdue" in page and "overdue 5 min" in page
    assert "甲公司" in page  # the path up the tree


def test_a_duty_officer_reports_from_the_phone_form(tree, roster, levels, clock, station):
    client = browser(station)
    form = client.get("/urgent/new/")
    assert form.status_code == 200 and 'type="radio"' in form.content.decode()
    response = client.post(
        "/urgent/new/",
        {
            "unit": tree.a1s.pk,
            "kind": "checkpoint",
            "severity": levels["significant"].pk,
            "title": "Gate scanner down",
            "description": "The code scanner at gate 1 is down; registering by hand.",
        },
    )
    matter = UrgentMatter.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/urgent/{matter.pk}/"


def test_the_report_form_says_what_is_missing(tree, roster, levels, clock, station):
    response = browser(station).post("/urgent/new/", {"unit": tree.a1s.pk, "kind": "checkpoint"})
    assert response.status_code == 200 and not UrgentMatter.objects.exists()
    assert "This field is required" in response.content.decode()


def test_the_matter_page_acts_and_refuses_with_the_reason(tree, roster, levels, clock, office, sub_duty):
    matter = make(office, tree.a1, levels["major"])
    client = browser(sub_duty)
    page = client.get(f"/urgent/{matter.pk}/").content.decode()
    assert "Acknowledge for 甲公司" in page and "Forward to the level above" in page
    assert "Resolve with this final report" not in page  # a major matter goes up to the group
    client.post(f"/urgent/{matter.pk}/acknowledge/", {})
    followed = client.post(f"/urgent/{matter.pk}/resolve/", {"text": "done"}, follow=True).content.decode()
    assert "goes up to the group" in followed
    client.post(f"/urgent/{matter.pk}/forward/", {"text": "Isolated, clinic informed."})
    page = browser(office).get(f"/urgent/{matter.pk}/").content.decode()
    assert "forwarded" in page and "Record the report outside the group" in page
    assert browser(office).post(f"/urgent/{matter.pk}/nonsense/", {}).status_code == 404


def test_a_level_that_was_skipped_keeps_its_missed_clocks_marked_on_the_matter_s_page(
    tree, roster, levels, clock, office
):
    matter = make(office, tree.a1, levels["major"])  # received by A, which keeps duty
    page = browser(office).get(f"/urgent/{matter.pk}/").content.decode()
    assert "data-missed" not in page
    clock.advance(minutes=31)  # 15 to acknowledge, 15 of grace
    assert escalation_scan().skipped == 1
    page = browser(office).get(f"/urgent/{matter.pk}/").content.decode()
    level_a = page.split('data-level="A"')[1].split("</tr>")[0]
    assert 'data-missed="ack"' in level_a and 'data-missed="written"' in level_a and "skipped" in level_a
    level_group = page.split('data-level="G"')[1].split("</tr>")[0]
    assert "data-missed" not in level_group  # the group's clocks have just started


def test_the_office_closes_a_false_alarm(tree, roster, levels, clock, office):
    matter = make(office, tree.a1, levels["significant"])
    browser(office).post(f"/urgent/{matter.pk}/close/", {"reason": "False alarm."})
    matter.refresh_from_db()
    assert matter.state == MatterState.CLOSED


@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
@pytest.mark.parametrize("role", [Role.DUTY_OFFICER, Role.UNIT_ADMIN, Role.LEADER, Role.EMPLOYEE])
def test_a_matter_page_is_found_in_scope_only(tree, roster, levels, clock, office, role, relation):
    matter = make(office, getattr(tree, SCOPE_RELATIONS[relation]), levels["significant"])
    client = browser(user_with_role(role, tree.a1))
    detail = client.get(f"/urgent/{matter.pk}/")
    board = client.get("/urgent/")
    if role == Role.EMPLOYEE:
        assert detail.status_code == 404 and board.status_code == 403
    elif relation in ("own", "child"):
        assert detail.status_code == 200 and matter.number in board.content.decode()
    else:
        assert detail.status_code == 404 and matter.number not in board.content.decode()
        assert client.post(f"/urgent/{matter.pk}/acknowledge/", {}).status_code == 404


def test_the_report_form_is_refused_to_those_who_may_not_report(tree, levels, clock):
    assert browser(user_with_role(Role.LEADER, tree.a1)).get("/urgent/new/").status_code == 403


def test_only_the_office_edits_the_levels(tree, levels, office, sub_duty):
    major = levels["major"]
    data = {
        "pk": major.pk,
        "name": "重大",
        "name_en": "Major",
        "ack_minutes": 10,
        "written_minutes": 20,
        "grace_minutes": 15,
        "followup_minutes": 60,
        "external_minutes": 120,
        "must_reach_top": "on",
        "is_active": "on",
    }
    assert browser(sub_duty).post("/urgent/levels/", data).status_code == 403
    assert browser(office).post("/urgent/levels/", data).status_code == 302
    major.refresh_from_db()
    assert (major.ack_minutes, major.written_minutes) == (10, 20)
    bad = browser(office).post("/urgent/levels/", {**data, "written_minutes": 5}, follow=True).content.decode()
    assert "cannot be due before the acknowledgement" in bad
    assert ">Major<" in browser(sub_duty).get("/urgent/levels/").content.decode()


def test_the_home_page_tells_the_duty_room_a_matter_waits_for_it(tree, roster, levels, clock, office, sub_duty):
    from lianfang.core.extensions import todos_for

    make(office, tree.a1, levels["major"])
    [todo] = [t for t in todos_for(sub_duty, clock.now.date()) if t.key == "command.levels"]
    assert todo.count == 1 and todo.urgent and todo.url == "/urgent/"
    assert not [t for t in todos_for(office, clock.now.date()) if t.key == "command.levels"]


def test_the_unit_report_counts_the_day_s_matters_and_overdue_clocks(tree, roster, levels, clock, office):
    from django.utils import timezone

    from lianfang.core.extensions import feed_counts

    make(office, tree.a1, levels["major"])
    day = timezone.localdate(clock.now)
    keys = ["command.reported", "command.reported_major", "command.overdue"]
    assert feed_counts(tree.a, day, keys) == {"command.reported": 1, "command.reported_major": 1, "command.overdue": 0}
    clock.advance(minutes=16)
    assert feed_counts(tree.a, day, keys)["command.overdue"] == 1
    assert feed_counts(tree.b, day, keys)["command.reported"] == 0
