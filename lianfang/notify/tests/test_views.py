"""The inbox, robot and delivery pages as a user sees them (English pages for the wording)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel
from lianfang.notify.services import message_send
from lianfang.notify.tests.factories import robot
from lianfang.org.choices import Role
from lianfang.testing import UserFactory, user_with_role
from lianfang.web.context_processors import navigation

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_inbox_lists_newest_first_with_unread_in_bold(client):
    user = UserFactory()
    message_send(recipients=[user], kind="t", title="older")
    Message.objects.update(created=timezone.now() - datetime.timedelta(hours=1))
    message_send(recipients=[user], kind="t", title="newer")
    Message.objects.filter(title="older").update(read_at=timezone.now())
    client.force_login(user)
    html = client.get(reverse("notify:inbox"), **EN).content.decode()
    assert html.index("newer") < html.index("older")
    assert "<strong><a" in html.split("newer")[0][-200:]
    assert 'data-unread="1"' in html


def test_opening_a_message_marks_it_read_and_offers_its_link(client):
    user = UserFactory()
    message_send(recipients=[user], kind="t", title="Please check in", body="body", url="/health/checkin/")
    msg = Message.objects.get()
    client.force_login(user)
    resp = client.get(reverse("notify:message", args=[msg.pk]), **EN)
    assert resp.status_code == 200 and 'href="/health/checkin/"' in resp.content.decode()
    msg.refresh_from_db()
    assert msg.read_at is not None


def test_a_message_link_to_another_site_is_not_offered(client):
    user = UserFactory()
    message_send(recipients=[user], kind="t", title="x", url="https://evil.example.com/")
    client.force_login(user)
    resp = client.get(reverse("notify:message", args=[Message.objects.get().pk]))
    assert "evil.example.com" not in resp.content.decode()


def test_the_nav_badge_counts_unread_messages_and_mark_all_read_empties_it(client, rf):
    user = UserFactory()
    message_send(recipients=[user], kind="t", title="a")
    message_send(recipients=[user], kind="t", title="b")
    request = rf.get("/")
    request.user = user
    assert navigation(request)["nav"]["unread"]() == 2
    client.force_login(user)
    client.post(reverse("notify:read-all"))
    request.user = user
    assert navigation(request)["nav"]["unread"]() == 0


def test_adding_a_robot_with_a_bad_secret_shows_the_error_on_the_secret_field(client, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    client.force_login(liaison)
    resp = client.post(
        reverse("notify:robot-add"),
        {
            "unit": tree.a1.pk,
            "kind": "dingtalk",
            "name": "群",
            "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "secret": "abc",
            "is_active": "on",
        },
        **EN,
    )
    assert resp.status_code == 200
    assert "SEC" in str(resp.context["form"].errors["secret"])
    assert not RobotChannel.objects.exists()


def test_the_robot_page_never_shows_the_secret_and_the_test_button_shows_the_answer(client, tree, receivers):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    rec = receivers("feishu", secret="feishuSecret1")
    r = robot(tree.a, rec, kind="feishu", secret="feishuSecret1")
    client.force_login(office)
    html = client.get(reverse("notify:robot", args=[r.pk]), **EN).content.decode()
    assert "feishuSecret1" not in html and ">set<" in html
    edit = client.get(reverse("notify:robot-edit", args=[r.pk]), **EN).content.decode()
    assert "feishuSecret1" not in edit
    resp = client.post(reverse("notify:robot-test", args=[r.pk]), follow=True, **EN)
    assert "Test message sent" in resp.content.decode() and "success" in resp.content.decode()
    assert len(rec.received) == 1


def test_editing_a_robot_without_typing_the_secret_keeps_it(client, tree, receivers):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    rec = receivers("dingtalk", secret="SECabc")
    r = robot(tree.a, rec, kind="dingtalk", secret="SECabc")
    client.force_login(office)
    resp = client.post(
        reverse("notify:robot-edit", args=[r.pk]),
        {"unit": tree.a.pk, "kind": "dingtalk", "name": "new name", "webhook_url": r.webhook_url, "is_active": "on"},
    )
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.name == "new name" and r.secret == "SECabc"


def test_failed_deliveries_are_highlighted_with_their_error_and_a_retry_button(client, tree):
    Delivery.objects.create(
        channel="email",
        email="x@example.com",
        unit=tree.a1,
        kind="t",
        subject="chase",
        body="b",
        status=DeliveryStatus.FAILED,
        attempts=4,
        last_error="Connection refused",
    )
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    html = client.get(reverse("notify:deliveries"), **EN).content.decode()
    assert 'data-problems="1"' in html and "Connection refused" in html and "Retry now" in html
    assert 'data-status="failed"' in html


def test_the_badge_value_renders_as_a_number_in_a_template(rf):
    from django.template import engines

    user = UserFactory()
    message_send(recipients=[user], kind="t", title="a")
    request = rf.get("/")
    request.user = user
    template = engines["django"].from_string("{% if nav.unread %}[{{ nav.unread }}]{% endif %}")
    assert template.render(navigation(request), request) == "[1]"
