"""What the other apps ask of disinfection: the report feeds (due, done, overdue, terminal not done) over a
unit's subtree, the home page's to-dos, the bulletin's card; and the job that makes the day's rounds."""

from __future__ import annotations

import datetime

import pytest

from lianfang.core.extensions import bulletin_sections, feed_counts, personal_data_for, todos_for
from lianfang.org.choices import Role
from lianfang.sites import selectors, services, tasks
from lianfang.sites.tests.conftest import DAY, local
from lianfang.sites.tests.factories import twice_a_day
from lianfang.testing import add_unit, user_with_role

pytestmark = pytest.mark.django_db

KEYS = ["sites.disinfection_due", "sites.disinfection_done", "sites.disinfection_overdue", "sites.terminal_open"]


def counts(unit, day=DAY):
    return tuple(feed_counts(unit, day, KEYS).values())


@pytest.fixture
def two_sites(tree, clock, agents, liaison, staff):
    """The heat station A1S twice a day; a second station under A2 once a day by 12:00. At 11:00 the
    station's 10:00 round was done, the other station's is still to come."""
    a2s = add_unit(tree.a2, "A2S", "甲公司二号热力站", "heat-station")
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    twice_a_day(liaison, a2s, agents["chlorine"], times=["12:00"])
    clock.at("11:00")
    first = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    services.log_record(actor=staff, slot=first, started_at=local(DAY, "09:00"), ended_at=local(DAY, "09:35"))
    return a2s


def test_the_feeds_count_a_unit_s_subtree_for_the_day(tree, clock, two_sites):
    assert counts(tree.a) == (3, 1, 0, 0)
    assert counts(tree.a1) == (2, 1, 0, 0)
    assert counts(tree.b) == (0, 0, 0, 0)

    clock.at("16:30")

    assert counts(tree.a) == (3, 1, 2, 0)  # the station's 16:00 and the other's 12:00 are overdue


def test_a_past_day_is_counted_as_it_stood_at_its_end(tree, clock, two_sites, staff):
    clock.advance(days=1)
    assert counts(tree.a) == (3, 1, 2, 0)
    late = selectors.site_day(site=tree.a1s, day=DAY)[1].slot

    services.log_record(  # recorded the next morning from the paper sheet, done at 23:00
        actor=staff, slot=late, started_at=local(DAY, "23:00"), ended_at=local(DAY, "23:40")
    )

    assert counts(tree.a) == (3, 2, 1, 0)


def test_an_open_terminal_disinfection_is_counted_until_it_is_done(tree, clock, agents, liaison, staff):
    slot = services.terminal_open(actor=liaison, site=tree.a1s, note="病例 BL-2026-0003 曾到站")

    assert counts(tree.a)[3] == 1 and counts(tree.group)[3] == 1 and counts(tree.b)[3] == 0
    assert counts(tree.a, DAY + datetime.timedelta(days=1))[3] == 1

    clock.at("12:00")
    services.log_record(actor=staff, slot=slot, started_at=local(DAY, "10:00"), ended_at=local(DAY, "10:40"))
    assert counts(tree.a)[3] == 0


def test_the_site_staff_see_overdue_rounds_and_the_rounds_still_to_do(tree, clock, two_sites, staff):
    mine = [(t.key, t.count, t.urgent, t.due) for t in todos_for(staff, DAY) if t.key.startswith("sites.")]
    assert mine == [("sites.rounds", 1, False, local(DAY, "16:00"))]

    clock.at("16:10")
    overdue = next(t for t in todos_for(staff, DAY) if t.key == "sites.overdue")

    assert overdue.urgent and overdue.count == 1 and overdue.url.endswith(f"/{tree.a1s.pk}/?date=2026-12-07")


def test_the_liaison_sees_the_overdue_rounds_of_all_the_unit_s_sites(tree, clock, two_sites, liaison):
    clock.at("16:10")

    overdue = next(t for t in todos_for(liaison, DAY) if t.key == "sites.overdue")

    assert overdue.count == 2 and "2 sites" in overdue.detail and overdue.url == "/sites/disinfection/"


def test_the_group_office_and_other_roles_get_no_disinfection_to_do(tree, clock, two_sites, office):
    clock.at("16:10")
    inspector = user_with_role(Role.INSPECTOR, tree.a)

    for user in (office, inspector):
        assert not [t for t in todos_for(user, DAY) if t.key.startswith("sites.")]


def test_the_bulletin_card_shows_the_group_s_rounds_by_subsidiary(tree, clock, two_sites):
    clock.at("16:30")
    section = bulletin_sections.get("sites")

    figures = section.build(tree.group, DAY)

    assert (figures["due"], figures["done"], figures["overdue"]) == (3, 1, 2)
    assert figures["by_unit"] == [
        {"unit": tree.a.name, "due": 3, "done": 1, "overdue": 2, "percent": 33.3},
    ]
    assert {s["site"] for s in figures["overdue_sites"]} == {tree.a1s.name, "甲公司二号热力站"}
    rows = section.rows(figures)
    assert ["Disinfection rounds overdue", 2] in rows


def test_the_job_makes_today_s_and_tomorrow_s_rounds_once(tree, clock, agents, liaison):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.advance(days=1)

    made = tasks.make_disinfection_rounds.call_local()
    again = tasks.make_disinfection_rounds.call_local()

    assert (made, again) == (2, 0)


def test_the_bulletin_card_shows_the_figures_it_kept(tree, clock, two_sites):
    from django.template.loader import render_to_string

    clock.at("16:30")
    figures = bulletin_sections.get("sites").build(tree.group, DAY)

    html = render_to_string("sites/_bulletin.html", {"section": figures})

    assert 'data-disinfection="overdue">2<' in html and "甲公司二号热力站" in html and tree.a.name in html


def test_my_data_lists_the_rounds_the_person_did(tree, clock, two_sites, staff):
    from lianfang.people.models import Person

    person = Person.objects.get(user=staff)

    section = next(s for s in personal_data_for(person) if s.key == "sites.disinfection")

    assert len(section.rows) == 1 and section.rows[0][0] == tree.a1s.name
