"""The liaison chasing the people who have not checked in, on a 390 px phone and a desktop: tap to
call, remind them, copy the list for the chat group; and the office's missing units with whom to call.

Screenshots go to ``$LIANFANG_SCREENSHOTS`` (default: a temporary folder) for a person to look at.
"""

import os
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse

from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.testing import PersonFactory, UserFactory, make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(os.environ.get("LIANFANG_SCREENSHOTS") or tempfile.mkdtemp(prefix="lf-shots-"))
NAMES = ["张三伟", "李娜", "欧阳小明", "王建国", "赵敏", "钱多多", "孙悟空", "周杰", "吴晓红", "郑国强"]


@pytest.fixture
def world():
    tree = make_tree()
    Unit.objects.filter(pk=tree.a1.pk).update(liaison="王芳", liaison_phone="13900001111")
    Unit.objects.filter(pk=tree.b.pk).update(liaison="赵联络", liaison_phone="13900002222")
    for n, name in enumerate(NAMES):
        unit = tree.a1 if n < 6 else tree.a1s
        person = PersonFactory(unit=unit, name=name, phone=f"1381234{n:04d}", employee_no=f"HT01{n:02d}")
        if n % 3:
            person.user = UserFactory(username=f"HT01{n:02d}")
            person.save()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison")
    liaison.first_name = "王芳"
    liaison.save()
    return tree


def _context(chromium, live_server, *, width: int, language: str):
    mobile = width < 500
    context = chromium.new_context(
        base_url=live_server.url,
        locale="zh-CN" if language == "zh" else "en-US",
        extra_http_headers={"Accept-Language": "zh-hans" if language == "zh" else "en"},
        viewport={"width": width, "height": 844 if mobile else 900},
        is_mobile=mobile,
        has_touch=mobile,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_list_fits_a_390_px_phone_with_numbers_to_tap(chromium, live_server, world, language):
    context = _context(chromium, live_server, width=390, language=language)
    page = context.new_page()
    login(page, "liaison")
    page.goto("/health/non-reporters/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    call = page.locator("a.nr-tel[href='tel:13812340000']")
    assert call.is_visible() and call.bounding_box()["height"] >= 44  # a thumb-sized target
    assert page.locator("[data-unit='A1S'] [data-liaison]").inner_text().count("王芳") == 1
    page.screenshot(path=str(SHOTS / f"non-reporters-390-{language}.png"), full_page=True)
    context.close()


def test_a_liaison_reminds_the_list_and_copies_it_for_the_chat_group(chromium, live_server, world):
    context = _context(chromium, live_server, width=1280, language="zh")
    page = context.new_page()
    login(page, "liaison")
    page.goto("/health/non-reporters/")
    page.screenshot(path=str(SHOTS / "non-reporters-1280-zh.png"), full_page=True)

    page.locator("[data-copy]").click()
    page.wait_for_function("document.querySelector('.nr-copy-status').textContent.length > 0")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "张*伟" in copied and "欧**明" in copied and "张三伟" not in copied

    page.locator("button[name=scope][value=all]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".message-success").is_visible()
    assert Message.objects.filter(kind="checkin_nudge").count() == 6  # those with an account
    assert page.locator("[data-reminded]").first.is_visible()
    page.screenshot(path=str(SHOTS / "non-reporters-reminded-1280-zh.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_office_sees_whom_to_call_about_a_missing_report(chromium, live_server, world, language):
    user_with_role(Role.GROUP_ADMIN, world.group, username="office")
    for width in (390, 1280):
        context = _context(chromium, live_server, width=width, language=language)
        page = context.new_page()
        login(page, "office")
        page.goto(reverse("reporting:overview"))
        missing = page.locator("tr[data-unit='B'] [data-liaison]")
        assert "赵联络" in missing.inner_text()
        assert page.locator("tr[data-unit='B'] a[href='tel:13900002222']").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"overview-{width}-{language}.png"), full_page=True)
        context.close()
