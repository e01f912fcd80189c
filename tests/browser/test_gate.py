"""The gate on a phone (issue 13), as checkpoint staff use it: a pass shown on a phone is scanned with
the camera (Chromium's fake camera plays a generated QR code) and the answer fills the screen; with the
network cut the page checks passes itself, queues the records in IndexedDB, and uploads them exactly
once when the network is back, even when the first answer is lost; the employee's own pass page; a
visitor's declaration on their phone and their pass at the gate."""

from __future__ import annotations

import io
import re

import pytest
import segno
from django.utils import timezone
from PIL import Image

from lianfang.org.choices import Role
from lianfang.sites.choices import VisitStatus
from lianfang.sites.models import Entry, Visitor
from lianfang.sites.services import checkpoints as cp
from lianfang.sites.services.issue import phone_pass
from lianfang.sites.services.visitors import visit_pass
from lianfang.status.models import PersonStatus
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .conftest import CHROMIUM, CHROMIUM_ARGS, login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    gate = cp.checkpoint_create(actor=office, site=tree.a1s, name="东门")
    staff = user_with_role(Role.CHECKPOINT, tree.a1s, username="gatekeeper")
    PersonFactory(unit=tree.a1s, user=staff, name="刘国华")
    employee = user_with_role(None, None, username="zhang")
    worker = PersonFactory(unit=tree.a2, user=employee, name="张建伟", employee_no="A2-0001")
    yellow = PersonFactory(unit=tree.a2, name="李晓红", employee_no="A2-0002")
    now = timezone.now()
    PersonStatus.objects.create(person=yellow, unit=tree.a2, colour="yellow", since=now, computed=now)
    return {"tree": tree, "gate": gate, "worker": worker, "yellow": yellow, "office": office}


def gate_url(world) -> str:
    return f"/sites/checkpoints/{world['gate'].pk}/gate/"


def wait_for_verdict(page, decision: str):
    page.wait_for_selector(f"[data-result][data-decision='{decision}']:not([hidden])")
    return page.locator("[data-result]")


def test_the_employees_pass_shows_colour_and_name_at_arm_length_and_renews(phone_page, world):
    login(phone_page, "zhang")
    phone_page.goto("/sites/pass/")
    box = phone_page.locator("[data-pass]")
    assert box.get_attribute("data-colour") == "green"
    assert phone_page.locator(".pass-name").inner_text() == "张建伟"
    assert "绿" in phone_page.locator(".pass-colour").inner_text()
    size = phone_page.locator(".pass-name").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 30  # readable at arm's length
    first = phone_page.locator("[data-qr]").inner_html()
    phone_page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    phone_page.wait_for_function("(first) => document.querySelector('[data-qr]').innerHTML !== first", arg=first)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_a_typed_number_and_a_yellow_person_online(phone_page, world):
    login(phone_page, "gatekeeper")
    phone_page.goto(gate_url(world))
    phone_page.wait_for_selector("[data-gate][data-ready='1']")
    phone_page.fill("#gate-code", "A2-0001")
    phone_page.press("#gate-code", "Enter")
    result = wait_for_verdict(phone_page, "allow")
    assert "放行" in result.inner_text() and "张*伟" in result.inner_text()
    phone_page.fill("#gate-code", "A2-0002")
    phone_page.press("#gate-code", "Enter")
    result = wait_for_verdict(phone_page, "deny")
    assert "健康码" in result.inner_text()
    assert Entry.objects.filter(decision="deny", reason="colour").count() == 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def test_offline_the_gate_checks_alone_queues_and_uploads_exactly_once(chromium, live_server, world):
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, "gatekeeper")
    page.goto(gate_url(world))
    page.wait_for_selector("[data-gate][data-ready='1']")
    genuine = phone_pass(world["worker"]).text
    yellow = phone_pass(world["yellow"]).text

    context.set_offline(True)
    page.fill("#gate-code", genuine)  # a keyboard-wedge scanner types the code and Enter
    page.press("#gate-code", "Enter")
    assert "张*伟" in wait_for_verdict(page, "allow").inner_text()
    page.fill("#gate-code", yellow)
    page.press("#gate-code", "Enter")
    assert "健康码" in wait_for_verdict(page, "deny").inner_text()
    page.fill("#gate-code", genuine)  # the same pass again: a screenshot passed on
    page.press("#gate-code", "Enter")
    assert "已使用" in wait_for_verdict(page, "deny").inner_text()
    page.fill("#gate-code", genuine[:-6] + "AAAAAA")
    page.press("#gate-code", "Enter")
    wait_for_verdict(page, "deny")
    page.wait_for_selector("[data-gate][data-queued='4']")
    assert Entry.objects.count() == 0

    # The network comes back, but the first upload's answer is lost on the way: stored, not known.
    lost = {"n": 0}

    def lose_the_answer(route):
        if lost["n"] == 0:
            lost["n"] += 1
            route.fetch()  # reaches the server
            route.abort()  # the page never hears back
        else:
            route.continue_()

    page.route("**/gate/upload/", lose_the_answer)
    context.set_offline(False)
    with page.expect_event("requestfailed", predicate=lambda r: "/gate/upload/" in r.url):
        page.evaluate("window.dispatchEvent(new Event('online'))")
    assert page.locator("[data-gate]").get_attribute("data-queued") == "4"  # kept: no answer came
    assert Entry.objects.count() == 4
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the retry
    page.wait_for_selector("[data-gate][data-queued='0']", timeout=20_000)
    assert Entry.objects.count() == 4  # stored once
    rows = Entry.objects.order_by("at")
    assert [(e.decision, e.reason) for e in rows] == [
        ("allow", ""),
        ("deny", "colour"),
        ("deny", "replayed"),
        ("deny", "forged"),
    ]
    assert all(e.offline for e in rows) and rows[0].late_check == "passed"
    context.close()


def _qr_video(text: str, path) -> None:
    """A few seconds of a QR code as a .y4m file, what Chromium's fake camera plays in a loop."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    code = Image.open(buffer).convert("RGB")
    frame = Image.new("RGB", (640, 480), (255, 255, 255))
    side = min(440, code.width)
    frame.paste(code.resize((side, side)), ((640 - side) // 2, (480 - side) // 2))
    y, u, v = frame.convert("YCbCr").split()
    u, v = u.resize((320, 240)), v.resize((320, 240))
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(20):
            out.write(b"FRAME\n" + y.tobytes() + u.tobytes() + v.tobytes())


def test_a_pass_scanned_with_the_camera(chromium, live_server, world, tmp_path):
    video = tmp_path / "pass.y4m"
    _qr_video(phone_pass(world["worker"]).text, video)
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
        )
        context.grant_permissions(["camera"])
        context.set_default_timeout(20_000)
        page = context.new_page()
        login(page, "gatekeeper")
        page.goto(gate_url(world))
        page.wait_for_selector("[data-gate][data-ready='1']")
        page.click("[data-camera-start]")
        page.wait_for_selector("[data-gate][data-camera='on']")
        result = wait_for_verdict(page, "allow")
        assert "张*伟" in result.inner_text()
        page.screenshot(path=str(tmp_path / "gate-camera.png"))
    finally:
        browser.close()
    entry = Entry.objects.get()
    assert entry.method == "camera" and entry.person == world["worker"]


def test_a_visitor_declares_on_their_phone_and_their_pass_opens_the_gate_once(chromium, live_server, world):
    from lianfang.sites.services.visitors import visit_register

    host = world["worker"].user
    visit = visit_register(
        actor=world["office"],
        site=world["tree"].a1s,
        day=timezone.localdate(),
        name="赵立新",
        phone="13912340001",
        company="省住建厅",
        reason="供热保障调研",
        host=world["worker"],
    )
    assert host is not None
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    context.set_default_timeout(10_000)
    visitor_page = context.new_page()
    visitor_page.goto(f"/v/{visit.slug}/")
    visitor_page.check("input[name=truthful]")
    visitor_page.click("[data-testid=declaration-form] button[type=submit]")
    visitor_page.wait_for_selector(".visit-pass svg, [data-pass] svg, main svg")
    assert "单次有效" in visitor_page.content()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DECLARED
    context.close()

    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True
    )
    page = context.new_page()
    login(page, "gatekeeper")
    page.goto(gate_url(world))
    page.wait_for_selector("[data-gate][data-ready='1']")
    text = visit_pass(visit)
    page.fill("#gate-code", text)
    page.press("#gate-code", "Enter")
    assert "赵*新" in wait_for_verdict(page, "allow").inner_text()
    page.fill("#gate-code", text)  # the same pass once more
    page.press("#gate-code", "Enter")
    assert re.search("已使用", wait_for_verdict(page, "deny").inner_text())
    assert Visitor.objects.get(pk=visit.pk).status == VisitStatus.ENTERED
    context.close()
