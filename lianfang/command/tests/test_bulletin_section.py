"""The bulletin's card on urgent matters: the day's matters by level, open at the end of the day,
overdue clocks and skipped levels, the same counts as the unit report's feeds, on the page, the
print view and the .xlsx summary, and readable in either language from the stored snapshot."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lianfang.command import feeds
from lianfang.command.choices import MatterKind
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.reporting.exports import bulletin_xlsx
from lianfang.reporting.services import bulletins as bulletin_services

pytestmark = pytest.mark.django_db


def report(actor, unit, level, title):
    return matters.matter_report(
        actor=actor, unit=unit, kind=MatterKind.SUSPECTED_CASE, severity=level, title=title, description="As found."
    )


@pytest.fixture
def day_of_matters(tree, roster, levels, clock, office, station, leaders, sms):
    """11:00 a major matter at the heat station, reported by the office for it (not acknowledged):
    it skips to subsidiary A at 11:31; 11:05 a general one at the station, resolved there at 11:10;
    the day before, a significant one at B, never acknowledged: it skips to the group in the same scan.
    At 12:02 neither the subsidiary nor the group has acknowledged."""
    clock.advance(days=-1)
    old = report(office, tree.b, levels["significant"], "Gatekeeper unreachable")
    clock.advance(days=1)
    major = report(office, tree.a1s, levels["major"], "Fever at the gate")
    clock.advance(minutes=5)
    general = report(station, tree.a1s, levels["general"], "Masks short at the station")
    clock.advance(minutes=5)
    matters.matter_resolve(actor=station, matter=general, text="Masks came from the subsidiary's store.")
    clock.advance(minutes=21)
    assert escalation_scan().skipped == 2
    clock.advance(minutes=31)  # 12:02: neither level that received them has acknowledged
    return {"old": old, "major": major, "general": general}


def test_the_card_counts_the_day_s_matters_by_level_and_lists_what_leaders_must_read(
    tree, day_of_matters, office, clock
):
    bulletin = bulletin_services.bulletin_build(actor=office, day=clock.now.date())
    section = bulletin.data["sections"]["command"]
    today = clock.now.date()
    assert section["reported"] == 2 == feeds.reported(tree.group, today)
    assert section["reported_major"] == 1 == feeds.reported_major(tree.group, today)
    assert {lv["code"]: lv["reported"] for lv in section["levels"]} == {
        "especially_major": 0,
        "major": 1,
        "significant": 0,
        "general": 1,
    }
    assert section["open_at_end"] == 2  # the major one and yesterday's; the general one was resolved
    assert section["overdue"] == 2 == feeds.overdue(tree.group, today)
    assert section["skipped"] == 1
    listed = {m["number"]: m for m in section["matters"]}
    major, old = day_of_matters["major"], day_of_matters["old"]
    assert listed[major.number]["skipped"] and listed[major.number]["overdue"]
    assert not listed[old.number]["today"]  # listed because its clock is overdue, not because it is new
    assert section["matters"][0]["number"] == major.number  # the most severe first


def test_the_card_shows_on_the_bulletin_page_and_the_print_view_in_the_reader_s_language(
    client, tree, day_of_matters, office, clock
):
    bulletin = bulletin_services.bulletin_build(actor=office, day=clock.now.date())
    client.force_login(office)
    major = day_of_matters["major"]
    for name in ("reporting:bulletin-detail", "reporting:bulletin-print"):
        url = reverse(name, args=[bulletin.pk])
        with translation.override("zh-hans"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "紧急事项" in page and major.number in page
        assert "越级" in page and "重大" in page
    english = client.get(
        reverse("reporting:bulletin-detail", args=[bulletin.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Skipped a level" in english and "Major" in english


def test_the_xlsx_summary_has_the_urgent_matter_lines(tree, day_of_matters, office, clock):
    bulletin = bulletin_services.bulletin_build(actor=office, day=clock.now.date())
    sheet = load_workbook(io.BytesIO(bulletin_xlsx(bulletin))).worksheets[0]
    lines = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert lines["Urgent matters reported"] == 2
    assert lines["Urgent matters reported: Major"] == 1
    assert lines["Urgent matters with an overdue clock"] == 2
    assert "Fever at the gate" in lines[day_of_matters["major"].number]


def test_a_bulletin_built_before_the_card_existed_still_shows(client, tree, office, clock, levels):
    bulletin = bulletin_services.bulletin_build(actor=office, day=clock.now.date())
    data = dict(bulletin.data)
    data.pop("sections")
    type(bulletin).objects.filter(pk=bulletin.pk).update(data=data)
    client.force_login(office)
    assert client.get(reverse("reporting:bulletin-detail", args=[bulletin.pk])).status_code == 200
    assert bulletin_xlsx(type(bulletin).objects.get(pk=bulletin.pk))


def test_a_past_day_counts_what_was_open_at_its_end(tree, day_of_matters, office, clock):
    yesterday = clock.now.date() - datetime.timedelta(days=1)
    section = bulletin_services.bulletin_build(actor=office, day=yesterday).data["sections"]["command"]
    assert section["reported"] == 1 and section["open_at_end"] == 1
