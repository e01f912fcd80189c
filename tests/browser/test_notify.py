"""The inbox in a browser: a reminder arrives, the person opens it, it is read and links on."""

import pytest

from lianfang.notify.models import Message
from lianfang.notify.services import message_send
from lianfang.testing import UserFactory, make_tree

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_opens_a_reminder_from_the_inbox_and_it_is_marked_read(page):
    make_tree()
    user = UserFactory(username="zhang")
    message_send(recipients=[user], kind="other", title="通知：明日例会", body="请准时参加。")
    message_send(
        recipients=[user],
        kind="checkin_reminder",
        title="请完成今日健康打卡",
        body="您今天还没有打卡。",
        url="/health/checkin/",
    )
    login(page, "zhang")
    page.goto("/notify/")
    assert page.locator("[data-unread]").get_attribute("data-unread") == "2"
    rows = page.locator("table.inbox tbody tr")
    assert rows.first.inner_text().startswith("请完成今日健康打卡")  # newest first
    assert page.locator("tr.is-unread strong", has_text="请完成今日健康打卡").is_visible()

    page.click("text=请完成今日健康打卡")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1", has_text="请完成今日健康打卡").is_visible()
    assert page.locator("article a[href='/health/checkin/']").is_visible()

    page.goto("/notify/")
    assert page.locator("[data-unread]").get_attribute("data-unread") == "1"
    assert page.locator("tr.is-read", has_text="请完成今日健康打卡").is_visible()
    page.click("form[action$='read-all/'] button")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-unread]").get_attribute("data-unread") == "0"
    assert not Message.objects.filter(read_at__isnull=True).exists()
