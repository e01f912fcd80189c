"""The group bulletin in a browser: the office builds, writes the summary and publishes; a leader reads it."""

import pytest
from django.utils import timezone

from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.reporting.models import Bulletin
from lianfang.reporting.tests.test_bulletin import make_group
from lianfang.testing import make_tree, user_with_role

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    make_group(tree, day=timezone.localdate())
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    leader = user_with_role(Role.LEADER, tree.group, username="leader")
    return {"tree": tree, "office": office, "leader": leader}


def test_the_office_publishes_the_bulletin_and_a_leader_reads_it(page, chromium, live_server, world):
    login(page, "office")
    page.goto("/reports/bulletins/")
    page.click("[data-action=build]")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-total=completion]").inner_text().strip() == "83.3%"
    assert page.locator("[data-list=missing] [data-unit=B]").is_visible()
    # The charts are drawn by the locally served ECharts.
    page.wait_for_selector("[data-chart][data-drawn=true]")

    page.fill("textarea[name=summary]", "今日总体平稳，乙公司未报。")
    page.click("[data-form=summary] button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("[data-action=publish]")
    page.wait_for_load_state("networkidle")
    # Before the report deadline B still has time to report: the page asks first (issue 10).
    if page.locator("[data-action=publish-anyway]").count():
        page.click("[data-action=publish-anyway]")
        page.wait_for_load_state("networkidle")
    assert page.locator("[data-status=published]").is_visible()
    bulletin = Bulletin.objects.get()
    assert bulletin.status == "published"
    assert Message.objects.filter(recipient=world["leader"], kind="bulletin_published").exists()

    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    reader = context.new_page()
    try:
        login(reader, "leader")
        reader.goto("/reports/bulletins/")
        reader.click(f"[data-row='{bulletin.pk}'] a")
        reader.wait_for_load_state("networkidle")
        assert "今日总体平稳，乙公司未报。" in reader.locator("[data-summary]").inner_text()
        assert reader.locator("[data-status=published]").is_visible()
        assert reader.locator("[data-action=publish]").count() == 0
        assert reader.locator("[data-unit=C] th").inner_text().strip() == "丙公司"
    finally:
        context.close()
