"""Duty and urgent matters as the people on duty use them (issue 12): a duty officer logs a call and
hands over to the incoming officer, who takes over in another browser while the office watches; an
urgent matter reported at a heat station skips the subsidiary that did not answer and reaches the
group; the month roster read on a phone.

Screenshots of each step (to look at, not asserted: STYLE.md, 13) are written when
LIANFANG_SCREENSHOTS names a folder."""

import datetime
import os
import pathlib
import re

import pytest
from django.utils import timezone

from lianfang.command.models import Hop, UrgentMatter
from lianfang.command.services.escalation import escalation_scan
from lianfang.command.services.levels import ensure_default_levels
from lianfang.duty.choices import HandoverStatus
from lianfang.duty.models import Handover, LogEntry, Shift, ShiftConflict
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("LIANFANG_SCREENSHOTS", "")


def shot(page, name: str, full_page: bool = True) -> None:
    if SHOTS:
        pathlib.Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"duty-command-{name}.png"), full_page=full_page)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


class Clock:
    """The pages' clock (the live server runs in this process): ``clock.now`` is ``timezone.now()``."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # 17:00 today: the day shift ends at 18:00, so its handover is open (two hours before the end).
    # Today's date, for the browser keeps the session cookie by the real calendar.
    c = Clock(local(timezone.localdate(), 17, 0))
    monkeypatch.setattr(timezone, "now", c)
    return c


def person_with_login(unit, username: str, name: str, role: str | None = None, **fields):
    user = user_with_role(role, unit if role else None, username=username)
    return PersonFactory(unit=unit, user=user, name=name, **fields)


def another_browser(chromium, live_server, phone: bool = False):
    """Another person's browser (a context of its own: its own session), on a desk or a phone."""
    size = {"width": 375, "height": 740} if phone else {"width": 1280, "height": 900}
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=size, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(10_000)
    return context


def no_horizontal_scroll(page) -> bool:
    width = page.viewport_size["width"]
    return page.evaluate("document.scrollingElement.scrollWidth") <= width + 1


# --- 1. the duty log and the handover -------------------------------------------------------------


@pytest.fixture
def duty_day(clock):
    """Subsidiary A's duty room: the day shift (08:00–18:00, running) and the night shift after it."""
    tree = make_tree()
    today = clock.now.date()
    post = make_post(tree.a, phone="0913-2100000")
    leader = PersonFactory(unit=tree.a, name="赵带班")
    outgoing = person_with_login(tree.a1, "duty-out", "王值守", Role.DUTY_OFFICER)
    # The night officer keeps duty only by the roster (no role of their own on A).
    incoming = person_with_login(tree.a2, "duty-in", "李接班")
    day_shift = make_shift(post, local(today, 8), local(today, 18), leader=leader, officers=[outgoing])
    night_shift = make_shift(
        post, local(today, 18), local(today + datetime.timedelta(days=1), 8), leader=leader, officers=[incoming]
    )
    user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    return {"tree": tree, "post": post, "day": day_shift, "night": night_shift, "today": today}


def test_the_officer_logs_a_call_hands_over_and_the_incoming_officer_takes_over_while_the_office_watches(
    page, chromium, live_server, clock, duty_day
):
    post, day_shift, today = duty_day["post"], duty_day["day"], duty_day["today"]
    login(page, "duty-out")
    page.goto(f"/duty/posts/{post.pk}/log/")
    form = page.locator("form", has=page.locator("textarea[name=content]"))
    form.locator("select[name=kind]").select_option("call_in")
    form.locator("input[name=at]").fill(f"{today:%Y-%m-%d}T16:20")
    form.locator("input[name=counterpart]").fill("甲公司一号热力站 站长")
    form.locator("textarea[name=content]").fill("一号热力站报告：夜班两名员工发热，已在家隔离。")
    form.locator("textarea[name=action]").fill("已通知综合部安排顶班，并报总带班领导。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    entry = LogEntry.objects.get()
    assert entry.shift == day_shift and entry.recorded_by_person.name == "王值守"
    row = page.locator(f"tr[data-entry='{entry.pk}']")
    assert row.locator("td").nth(0).inner_text() == "16:20"
    assert row.locator("td").nth(1).inner_text() == "接听来电"
    assert "站长" in row.inner_text() and "已通知综合部安排顶班" in row.inner_text()
    assert "王值守" in row.inner_text()
    shot(page, "1-log-entry")

    # Handing over: open items and the duty phone check, offered because the shift ends within two hours.
    card = page.locator(f"[data-shift='{day_shift.pk}']")
    card.locator("summary", has_text="交班").click()
    card.locator("textarea[name=h-open_items]").fill("热力站两名发热员工待明早复测体温。")
    card.locator("select[name=h-phone_check]").select_option("ok")
    card.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    handover = Handover.objects.get()
    assert handover.next_shift == duty_day["night"] and handover.status == HandoverStatus.PENDING
    card = page.locator(f"[data-shift='{day_shift.pk}']")
    assert "待接班确认" in card.inner_text() and "值班电话已检查，畅通" in card.inner_text()
    assert "热力站两名发热员工待明早复测体温" in card.inner_text()
    assert card.locator("form[action$='/accept/']").count() == 0  # who handed over does not take over
    shot(page, "1-handed-over")

    # The office sees the handover waiting.
    office = another_browser(chromium, live_server)
    office_page = office.new_page()
    login(office_page, "office")
    office_page.goto("/duty/coverage/")
    waiting = office_page.locator(f"[data-handover='{handover.pk}']")
    assert waiting.is_visible() and "甲公司" in waiting.inner_text()
    shot(office_page, "1-office-waiting")

    # The incoming officer, at 17:40 on their own phone, before their shift starts, takes over.
    clock.now = local(today, 17, 40)
    incoming = another_browser(chromium, live_server, phone=True)
    phone = incoming.new_page()
    login(phone, "duty-in")
    phone.goto(f"/duty/posts/{post.pk}/log/?date={today:%Y-%m-%d}")
    card = phone.locator(f"[data-shift='{day_shift.pk}']")
    assert "热力站两名发热员工待明早复测体温" in card.inner_text()
    card.locator("button[type=submit]", has_text="确认接班").click()
    phone.wait_for_load_state("networkidle")
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.ACCEPTED and handover.received_by.username == "duty-in"
    assert phone.get_by_text("您已确认接班。").is_visible()
    assert "已接班" in phone.locator(f"[data-shift='{day_shift.pk}']").inner_text()
    assert no_horizontal_scroll(phone)
    shot(phone, "1-taken-over-phone")
    incoming.close()

    # The office: nothing waiting any more; the day's log says the shift was handed over and accepted.
    office_page.goto("/duty/coverage/")
    assert office_page.locator(f"[data-handover='{handover.pk}']").count() == 0
    office_page.goto(f"/duty/posts/{post.pk}/log/?date={today:%Y-%m-%d}")
    card = office_page.locator(f"[data-shift='{day_shift.pk}']")
    assert "已接班" in card.inner_text()
    people = card.locator("[data-handover-people]").inner_text()
    assert "王值守 17:00" in people and "李接班 17:40" in people
    shot(office_page, "1-office-accepted")
    office.close()


# --- 2. an urgent matter that skips a level ---------------------------------------------------------


@pytest.fixture
def duty_rooms(clock):
    """The heat station A1S and subsidiary A keep duty, with a leader on duty rostered at each; the
    group is the top. 10:00 today."""
    clock.now = local(timezone.localdate(), 10, 0)
    ensure_default_levels()  # a transactional test before this one may have flushed them
    tree = make_tree()
    start, end = clock.now - datetime.timedelta(hours=2), clock.now + datetime.timedelta(hours=22)
    leaders = {}
    for unit, username, name in [(tree.a1s, "leader-station", "孙站长"), (tree.a, "leader-a", "钱带班")]:
        leaders[unit.code] = person_with_login(unit, username, name, Role.LEADER, phone=f"1390000{unit.pk:04d}")
        officer = PersonFactory(unit=unit)
        make_shift(make_post(unit), start, end, leader=leaders[unit.code], officers=[officer])
    user_with_role(Role.DUTY_OFFICER, tree.a1s, username="station")
    user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    return {"tree": tree, "leaders": leaders}


def test_a_major_matter_at_a_heat_station_skips_the_silent_subsidiary_and_reaches_the_group(
    page, phone_page, chromium, live_server, clock, duty_rooms
):
    tree = duty_rooms["tree"]
    # The heat station's duty officer reports on a phone.
    login(phone_page, "station")
    phone_page.goto("/urgent/new/")
    assert phone_page.locator("select[name=unit]").input_value() == str(tree.a1s.pk)
    # At 03:00 on a phone: each choice a line of its own, a finger-sized target.
    for option in phone_page.locator("#id_severity label, #id_kind label").all():
        box = option.bounding_box()
        assert box["height"] >= 40 and box["width"] > 300
    phone_page.locator("input[name=kind][value=suspected_case]").check()
    phone_page.locator("#id_severity label", has_text=re.compile(r"^\s*重大")).click()
    phone_page.fill("input[name=title]", "一号热力站值班员发热")
    phone_page.fill("textarea[name=description]", "夜班值班员体温38.6℃，已单独隔离在值班室，等待转运。")
    assert no_horizontal_scroll(phone_page)
    shot(phone_page, "2-report-form-phone")
    phone_page.click("form.urgent-form button[type=submit]")
    phone_page.wait_for_load_state("networkidle")

    matter = UrgentMatter.objects.get()
    assert matter.severity.code == "major"
    assert phone_page.locator("h1").inner_text().startswith(matter.number)
    # Its own duty room reported it, so the heat station has it acknowledged; its written report runs.
    written = phone_page.locator("[data-clock=written]").first
    assert "甲公司一号热力站" in written.inner_text() and "剩余 30 分钟" in written.inner_text()
    assert "is-overdue" not in written.get_attribute("class")
    assert no_horizontal_scroll(phone_page)
    shot(phone_page, "2-reported-phone")
    phone_page.goto("/urgent/")
    assert "甲公司一号热力站" in phone_page.locator(f"tr[data-number='{matter.number}'] ol.path").inner_text()
    assert no_horizontal_scroll(phone_page)
    shot(phone_page, "2-board-phone")
    phone_page.go_back()

    # Ten minutes on, the heat station sends it up with its written report.
    clock.now += datetime.timedelta(minutes=10)
    phone_page.reload()
    phone_page.fill("textarea[name=text]", "已联系120转运，同班两人居家观察。")
    phone_page.locator("button", has_text="报送上一级").click()
    phone_page.wait_for_load_state("networkidle")
    at_a = Hop.objects.get(matter=matter, unit=tree.a)
    ack = phone_page.locator("[data-clock=ack]").first
    assert "甲公司 ·" in ack.inner_text() and "剩余 15 分钟" in ack.inner_text()

    # Subsidiary A does not acknowledge. The minute scan past its deadline tells its leader on duty,
    # and the office's board shows the clock overdue at A.
    clock.now = at_a.ack_due + datetime.timedelta(minutes=1)
    assert escalation_scan(now=clock.now).ack_missed == 1
    login(page, "office")
    page.goto("/urgent/")
    row = page.locator(f"tr[data-number='{matter.number}']")
    overdue = row.locator("[data-clock=ack]")
    assert "is-overdue" in overdue.get_attribute("class") and "甲公司" in overdue.inner_text()
    assert "已超时 1 分钟" in overdue.inner_text()
    shot(page, "2-board-overdue")

    # Past the deadline and the level's grace: the scan sends it up by itself, past A, to the group.
    clock.now = at_a.skip_ack_at + datetime.timedelta(minutes=1)
    assert escalation_scan(now=clock.now).skipped == 1
    page.goto("/urgent/")
    row = page.locator(f"tr[data-number='{matter.number}']")
    path = row.locator("ol.path li")
    assert path.all_inner_texts()[-2:] == ["甲公司", "联防集团 已越级"]
    assert "is-skipped" in path.nth(1).get_attribute("class")  # A struck through
    assert "联防集团" in row.locator("[data-clock=ack]").inner_text()
    shot(page, "2-board-skipped")

    row.locator("a", has_text=matter.number).click()
    page.wait_for_load_state("networkidle")
    skipped = page.locator("tr[data-level=A]")
    assert "被越级" in skipped.inner_text()
    assert skipped.locator(".clock.is-overdue").count() >= 1  # A's missed clock stays marked
    assert "带班领导" in skipped.inner_text()  # its leader on duty was told
    group = page.locator("tr[data-level=G]")
    assert "越级上报" in group.inner_text() and "正在办理" in group.inner_text()
    shot(page, "2-detail-skipped")

    # A's leader on duty finds it in the inbox and opens the matter from there.
    leader = another_browser(chromium, live_server, phone=True)
    inbox = leader.new_page()
    login(inbox, "leader-a")
    inbox.goto("/notify/")
    # Received when the heat station sent it up; then overdue, to acknowledge and for the written report.
    assert inbox.locator("table.inbox tbody tr", has_text=matter.number).count() == 3
    message = inbox.locator("table.inbox tbody tr", has_text=f"超时：甲公司未确认接报紧急事项 {matter.number}")
    assert message.count() == 1
    shot(inbox, "2-leader-inbox")
    message.locator("a").click()
    inbox.wait_for_load_state("networkidle")
    inbox.click("article a.btn-primary")
    inbox.wait_for_load_state("networkidle")
    assert inbox.locator("h1").inner_text().startswith(matter.number)
    # Told once a clock, though the scan ran twice.
    assert Message.objects.filter(recipient__username="leader-a", kind="urgent_overdue").count() == 2
    leader.close()


# --- 3. the month roster on a phone ----------------------------------------------------------------


@pytest.fixture
def roster_month(clock):
    """Subsidiary A's day-and-night roster for this month and the first days of the next: three leaders
    and four officers in turn, two officers on weekend nights, one person who can no longer come."""
    clock.now = local(timezone.localdate(), 10, 0)
    tree = make_tree()
    post = make_post(tree.a, phone="0913-2100000", pattern="day_night", night_starts=datetime.time(20))
    leaders = [PersonFactory(unit=tree.a, name=n) for n in ("赵振华", "欧阳明远", "司马青云")]
    officers = [PersonFactory(unit=tree.a1, name=n) for n in ("王值守", "李晓梅", "张建国", "端木子涵")]
    first = clock.now.date().replace(day=1)
    after = (first + datetime.timedelta(days=32)).replace(day=1) + datetime.timedelta(days=7)
    day, n = first, 0
    while day < after:
        for start, end in (
            (local(day, 8), local(day, 20)),
            (local(day, 20), local(day + datetime.timedelta(days=1), 8)),
        ):
            crew = [officers[n % 4]] + ([officers[(n + 1) % 4]] if day.weekday() >= 5 and start.hour == 20 else [])
            shift = make_shift(post, start, end, leader=leaders[n % 3], officers=crew)
            n += 1
        day += datetime.timedelta(days=1)
    ShiftConflict.objects.create(shift=shift, person=crew[0], label="红码，不得到岗（健康状态 2 天前变更）")
    user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    return {"post": post, "first": first}


def test_the_month_roster_reads_on_a_phone_with_today_s_people_and_the_next_month_a_tap_away(
    phone_page, clock, roster_month
):
    post, first = roster_month["post"], roster_month["first"]
    today = clock.now.date()
    login(phone_page, "liaison")
    phone_page.goto(f"/duty/posts/{post.pk}/")

    assert no_horizontal_scroll(phone_page)
    days = phone_page.locator("ol.roster-days > li")
    assert days.count() == ((first + datetime.timedelta(days=32)).replace(day=1) - first).days
    today_card = phone_page.locator(f"li.roster-day.is-today[data-day='{today:%Y-%m-%d}']")
    day_shift = today_card.locator("a.roster-shift").first
    on_duty = Shift.objects.get(post=post, starts_at=local(today, 8))
    leader, officers = on_duty.members.get(role="leader").person.name, on_duty.members.filter(role="officer")
    assert "08:00–20:00" in day_shift.inner_text()
    assert leader in day_shift.inner_text()
    assert all(m.person.name in day_shift.inner_text() for m in officers)
    # One column of days the width of the phone; names on their own lines, not cut.
    box = today_card.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert phone_page.evaluate(
        "[...document.querySelectorAll('.roster-shift .who')].every(e => e.scrollWidth <= e.clientWidth + 1)"
    )
    shot(phone_page, "3-roster-top-phone", full_page=False)
    # A month is a long list on a phone: "Today" jumps to today's card.
    phone_page.locator("[data-jump=today]").click()
    top = today_card.bounding_box()["y"]
    assert 0 <= top < 740 and "今日" in today_card.locator(".roster-date").inner_text()
    shot(phone_page, "3-roster-today-phone", full_page=False)

    phone_page.locator("a[rel=next]").first.click()
    phone_page.wait_for_load_state("networkidle")
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    assert f"month={following:%Y-%m}" in phone_page.url
    assert f"{following:%Y-%m}" in phone_page.locator("h1").inner_text()
    assert phone_page.locator(f"li.roster-day[data-day='{following:%Y-%m-%d}'] a.roster-shift").count() == 2
    assert phone_page.locator("li.roster-day.is-today").count() == 0
    conflict = phone_page.locator(".roster-shift .conflict")
    assert conflict.count() == 1 and "红码" in conflict.inner_text()
    assert phone_page.locator("[data-jump=today]").count() == 0
    assert no_horizontal_scroll(phone_page)
    shot(phone_page, "3-roster-next-month-phone", full_page=False)
    conflict.scroll_into_view_if_needed()
    shot(phone_page, "3-roster-conflict-phone", full_page=False)
