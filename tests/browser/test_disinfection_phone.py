"""Disinfection on a phone, as the heat station's staff do it (issue 13): the home page's to-do leads to
the site's rounds, one tap starts a round, finishing before the contact time is refused in Chinese with
the earliest time, and once it has acted the round is finished with a photo; nothing is wider than the
screen."""

import datetime

import pytest
from django.utils import timezone
from PIL import Image

from lianfang.org.choices import Role
from lianfang.sites import services
from lianfang.sites.defaults import ensure_default_disinfectants
from lianfang.sites.models import Disinfectant, DisinfectionLog
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    """Today at 09:00 (the date stays today's: the browser keeps the session cookie); ``advance``."""

    def __init__(self):
        self.now = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(9, 0)))

    def __call__(self):
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += datetime.timedelta(minutes=minutes)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(timezone, "now", c)  # the live server runs in this process: its clock too
    return c


@pytest.fixture
def station(clock, tmp_path):
    tree = make_tree()
    ensure_default_disinfectants()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    chlorine = Disinfectant.objects.get(concentration="500 mg/L")
    services.plan_create(actor=liaison, site=tree.a1s, area="control", agent=chlorine, times=["10:00", "16:00"])
    staff = user_with_role(Role.CHECKPOINT, tree.a1s, username="staff")
    PersonFactory(unit=tree.a1s, user=staff, name="王师傅")
    picture = tmp_path / "round.jpg"
    Image.new("RGB", (640, 480), (30, 140, 90)).save(picture, format="JPEG")
    return {"site": tree.a1s, "photo": picture}


def test_a_round_is_started_with_one_tap_and_finished_with_a_photo_once_the_disinfectant_has_acted(
    phone_page, station, clock
):
    page = phone_page
    login(page, "staff")
    page.goto("/")
    page.click("[data-todo='sites.rounds'] a")
    page.wait_for_load_state("networkidle")
    assert "甲公司一号热力站" in page.inner_text("h1")

    first = page.locator("[data-round]").first
    first.locator("form.round-start button").click()
    page.wait_for_load_state("networkidle")
    first = page.locator("[data-round]").first
    assert first.locator("[data-status]").inner_text() == "进行中"
    assert "09:30 起可以结束" in first.inner_text()

    clock.advance(12)
    first.locator("form.round-finish button").click()
    page.wait_for_load_state("networkidle")
    refusal = page.locator(".messages").inner_text()
    assert "作用时间不足" in refusal and "不少于 30 分钟" in refusal and "最早 09:30 可以结束" in refusal

    clock.advance(20)
    first = page.locator("[data-round]").first
    first.locator("input[type=file]").set_input_files(str(station["photo"]))
    first.locator("form.round-finish button").click()
    page.wait_for_load_state("networkidle")

    assert "本轮已登记" in page.locator(".messages").inner_text()
    first = page.locator("[data-round]").first
    assert first.locator("[data-status]").inner_text() == "已完成"
    assert "王师傅" in first.inner_text() and "查看照片" in first.inner_text()
    log = DisinfectionLog.objects.get()
    assert log.minutes == 32 and log.photo
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_record_sheet_opens_from_a_phone_with_the_day_s_rounds_and_lines_to_sign(phone_page, station, clock):
    login(phone_page, "staff")
    phone_page.goto(f"/sites/disinfection/sites/{station['site'].pk}/print/")

    assert "消毒记录表" in phone_page.inner_text("h1")
    assert phone_page.locator("table.sheet tbody tr").count() == 2
    assert "负责人（签字）" in phone_page.inner_text(".signature")
