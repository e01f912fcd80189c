"""The bulletin's card on duty: units keeping duty, the day's log entries, shifts not handed over or
not accepted, and the hours without a leader on duty or a duty officer — the same counts as the unit
report's feeds, on the page and in the .xlsx summary."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lianfang.duty import feeds
from lianfang.duty.choices import EntryKind, HandoverStatus, PhoneCheck
from lianfang.duty.models import Handover, LogEntry
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.reporting.exports import bulletin_xlsx
from lianfang.reporting.services import bulletins as bulletin_services
from lianfang.testing import PersonFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 2, 16)


@pytest.fixture
def duty_day(tree):
    """A keeps 24-hour duty from 08:00, handed over and accepted at 08:00 on DAY, with two log entries;
    B has only a day shift 08:00–20:00 on DAY, never handed over: 12 hours uncovered for each role."""
    a, b = make_post(tree.a), make_post(tree.b)
    a_people = [PersonFactory(unit=tree.a) for _ in range(4)]
    b_people = [PersonFactory(unit=tree.b) for _ in range(2)]
    night = make_shift(a, local(DAY - datetime.timedelta(days=1)), local(DAY), a_people[0], [a_people[1]])
    day_shift = make_shift(a, local(DAY), local(DAY + datetime.timedelta(days=1)), a_people[2], [a_people[3]])
    Handover.objects.create(
        shift=night, next_shift=day_shift, phone_check=PhoneCheck.OK, status=HandoverStatus.ACCEPTED
    )
    for hour in (9, 14):
        LogEntry.objects.create(post=a, shift=day_shift, at=local(DAY, hour), kind=EntryKind.CALL_IN, content="电话")
    make_shift(b, local(DAY, 8), local(DAY, 20), b_people[0], [b_people[1]])
    return {"a": a, "b": b}


def test_the_card_counts_duty_kept_logged_handed_over_and_uncovered(tree, duty_day, office):
    section = bulletin_services.bulletin_build(actor=office, day=DAY).data["sections"]["duty"]
    assert section["posts"] == 2
    assert section["log_entries"] == 2 == feeds.log_entries(tree.group, DAY)
    assert section["handovers_unaccepted"] == 1 == feeds.handovers_unaccepted(tree.group, DAY)
    assert section["shifts"] == [{"unit": tree.b.name, "from": "08:00", "until": "20:00", "waiting": False}]
    assert section["uncovered_leader_hours"] == section["uncovered_officer_hours"] == 12.0
    assert section["gap_units"] == [{"unit": tree.b.name, "leader": 12.0, "officer": 12.0}]


def test_the_card_shows_on_the_bulletin_page_and_in_the_xlsx(client, tree, duty_day, office):
    bulletin = bulletin_services.bulletin_build(actor=office, day=DAY)
    client.force_login(office)
    page = client.get(reverse("reporting:bulletin-detail", args=[bulletin.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "值班值守" in text and "未交班" in text and tree.b.name in text
    with translation.override("en"):
        sheet = load_workbook(io.BytesIO(bulletin_xlsx(bulletin))).worksheets[0]
    lines = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert lines["Duty log entries"] == 2
    assert lines["Hours with no leader on duty"] == 12.0
