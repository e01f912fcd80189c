""" "Remind these people now" on the non-reporter list: who gets what, masked names in the chat
group, @-mentions only where the robot can and the office allows, once per unit per 10 minutes."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.health.services.reminders import non_reporters_remind
from lianfang.notify.choices import MessageKind
from lianfang.notify.models import Delivery, Message, UnitReminder
from lianfang.notify.tests.factories import check_in, person, robot
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = reverse("health:non-reporters")
DING_SECRET = "SEC0123456789abcdef"


@pytest.fixture
def day():
    return timezone.localdate()


@pytest.fixture
def world(tree, day):
    """A1: 张三伟 checked in; 李四 and 赵六六 (accounts) and 王五 (no account) have not. A2: 钱一 has not."""
    w = {"tree": tree}
    w["done"] = person(tree.a1, "张三伟")
    check_in(w["done"], day)
    w["li"] = person(tree.a1, "李四")
    w["zhao"] = person(tree.a1, "赵六六")
    w["wang"] = person(tree.a1, "王五", account=False)
    w["qian"] = person(tree.a2, "钱一")
    for p, phone in ((w["li"], "13800000001"), (w["zhao"], "13800000002"), (w["wang"], "13800000003")):
        p.phone = phone
        p.save(update_fields=["phone"])
    w["liaison"] = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")
    w["liaison"].first_name = "王芳"
    w["liaison"].save()
    return w


def nudges() -> dict[str, int]:
    return {
        m.recipient.username: 1
        for m in Message.objects.filter(kind=MessageKind.CHECKIN_NUDGE).select_related("recipient")
    }


def test_a_liaison_reminds_everyone_on_the_list_in_their_inbox_and_the_units_chat_group(
    client, world, receivers, django_capture_on_commit_callbacks
):
    rec = receivers("wecom")
    robot(world["tree"].a1, rec, name="综合部群")
    client.force_login(world["liaison"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}?unit={world['tree'].a1.pk}", {"scope": "all"}, follow=True, **EN)
    assert nudges() == {"u-李四-A1": 1, "u-赵六六-A1": 1}  # 王五 has no account; A2 is not on this list
    message = Message.objects.get(recipient__username="u-李四-A1")
    assert message.url == "/health/checkin/" and "王芳" in message.body
    (sent,) = rec.received
    text = sent["markdown"]["content"]
    for masked in ("李*", "赵*六", "王*"):
        assert masked in text
    for full in ("李四", "赵六六", "王五", "张三"):
        assert full not in text
    shown = response.content.decode()
    assert "Reminded 3 people." in shown and "2 inbox messages sent." in shown
    assert "1 person has no account and got no message: call them." in shown
    assert "综合部群" in shown


def test_only_the_ticked_people_are_reminded(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["liaison"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"scope": "selected", "person": [world["li"].pk]}, **EN)
    assert nudges() == {"u-李四-A1": 1}


def test_pressing_remind_the_ticked_ones_with_nobody_ticked_sends_nothing_and_says_so(client, world):
    client.force_login(world["liaison"])
    response = client.post(URL, {"scope": "selected"}, follow=True, **EN)
    assert "Tick the people to remind first" in response.content.decode()
    assert not Message.objects.exists() and not UnitReminder.objects.exists()


def test_a_second_reminder_within_ten_minutes_is_refused_and_says_when_the_next_is_possible(world, day):
    liaison, a1 = world["liaison"], world["tree"].a1
    first = timezone.now().replace(second=0, microsecond=0)
    non_reporters_remind(actor=liaison, date=day, unit=a1, now=first)
    sent = Message.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        non_reporters_remind(actor=liaison, date=day, unit=a1, now=first + datetime.timedelta(minutes=4))
    next_at = timezone.localtime(first + datetime.timedelta(minutes=10)).strftime("%H:%M")
    assert f"The next reminder is possible at {next_at}." in refused.value.messages[0]
    assert Message.objects.count() == sent
    # Ten minutes later it goes again.
    non_reporters_remind(actor=liaison, date=day, unit=a1, now=first + datetime.timedelta(minutes=10, seconds=1))
    assert Message.objects.count() == 2 * sent


def test_a_unit_reminded_recently_is_left_out_of_a_wider_reminder_and_named(world, day):
    liaison, tree = world["liaison"], world["tree"]
    now = timezone.now()
    non_reporters_remind(actor=liaison, date=day, unit=tree.a1, now=now)
    result = non_reporters_remind(actor=liaison, date=day, unit=tree.a, now=now + datetime.timedelta(minutes=2))
    assert result.people == 1  # only 钱一 of A2
    assert list(result.skipped) == [tree.a1.name]
    assert Message.objects.filter(recipient__username="u-钱一-A2").count() == 1


def test_the_list_shows_when_a_unit_was_last_reminded(client, world, day):
    non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a1)
    client.force_login(world["liaison"])
    html = client.get(f"{URL}?unit={world['tree'].a1.pk}", **EN).content.decode()
    assert "data-reminded" in html and "next possible at" in html
    # Every unit on this list is waiting: the buttons say until when instead of offering a refusal.
    assert "data-blocked" in html and 'value="all" class="btn btn-primary" disabled' in html
    # A wider list still has A2 to remind.
    html = client.get(URL, **EN).content.decode()
    assert "data-blocked" not in html


def test_nothing_to_send_is_refused_with_a_clear_message_and_counts_no_reminder(world, day):
    # 王五 has no account, and A1 has no robot.
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a1, person_ids=[world["wang"].pk])
    assert "Nothing could be sent" in refused.value.messages[0]
    assert not UnitReminder.objects.exists() and not Message.objects.exists()


def test_a_person_without_an_account_is_still_reminded_through_the_chat_group(
    world, day, receivers, django_capture_on_commit_callbacks
):
    rec = receivers("wecom")
    robot(world["tree"].a, rec)  # the subsidiary's group is the nearest for A1
    with django_capture_on_commit_callbacks(execute=True):
        result = non_reporters_remind(
            actor=world["liaison"], date=day, unit=world["tree"].a1, person_ids=[world["wang"].pk]
        )
    assert result.messages == 0 and result.robot_messages == 1
    assert "王*" in rec.received[0]["markdown"]["content"]


def test_the_nearest_chat_group_gets_the_message_not_every_group_above_it(
    world, day, receivers, django_capture_on_commit_callbacks
):
    rec_a, rec_a1 = receivers("wecom"), receivers("wecom", key="a1-key")
    robot(world["tree"].a, rec_a, name="甲公司群")
    robot(world["tree"].a1, rec_a1, name="综合部群")
    with django_capture_on_commit_callbacks(execute=True):
        non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a)
    (a1_message,) = rec_a1.received
    (a_message,) = rec_a.received
    assert "李*" in a1_message["markdown"]["content"] and "李*" not in a_message["markdown"]["content"]
    assert "钱*" in a_message["markdown"]["content"]


def test_dingtalk_mentions_the_people_by_number_when_the_office_enabled_it(
    world, day, receivers, django_capture_on_commit_callbacks
):
    settings = GroupSettings.load()
    settings.robot_mentions = True
    settings.save()
    rec = receivers("dingtalk", secret=DING_SECRET)
    robot(world["tree"].a1, rec, kind="dingtalk", secret=DING_SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        result = non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a1)
    (body,) = rec.received
    assert sorted(body["at"]["atMobiles"]) == ["13800000001", "13800000002", "13800000003"]
    assert result.mentioned == 3
    # The numbers are looked up when sending, never stored with the delivery.
    delivery = Delivery.objects.get(kind=MessageKind.ROBOT_NUDGE)
    assert "1380000000" not in delivery.body and len(delivery.mention_people) == 3


def test_wecom_mentions_by_mobile_list_in_a_text_message(world, day, receivers, django_capture_on_commit_callbacks):
    settings = GroupSettings.load()
    settings.robot_mentions = True
    settings.save()
    rec = receivers("wecom")
    robot(world["tree"].a1, rec)
    with django_capture_on_commit_callbacks(execute=True):
        non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a1)
    (body,) = rec.received
    assert body["msgtype"] == "text"
    assert sorted(body["text"]["mentioned_mobile_list"]) == ["13800000001", "13800000002", "13800000003"]
    assert "李*" in body["text"]["content"] and "###" not in body["text"]["content"]


@pytest.mark.parametrize("kind,enabled", [("dingtalk", False), ("feishu", True)])
def test_no_mentions_when_the_office_has_not_enabled_them_or_the_robot_cannot(
    world, day, receivers, django_capture_on_commit_callbacks, kind, enabled
):
    settings = GroupSettings.load()
    settings.robot_mentions = enabled
    settings.save()
    rec = receivers(kind)
    robot(world["tree"].a1, rec, kind=kind)
    with django_capture_on_commit_callbacks(execute=True):
        result = non_reporters_remind(actor=world["liaison"], date=day, unit=world["tree"].a1)
    (body,) = rec.received
    assert result.mentioned == 0
    assert "at" not in body and "1380000000" not in str(body)


def test_chat_group_and_inbox_messages_are_in_the_groups_language_whatever_the_liaisons_page_shows(
    client, world, receivers, django_capture_on_commit_callbacks
):
    rec = receivers("wecom")
    robot(world["tree"].a1, rec)
    client.force_login(world["liaison"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}?unit={world['tree'].a1.pk}", {"scope": "all"}, **EN)
    title = Message.objects.filter(kind=MessageKind.CHECKIN_NUDGE).first().title
    assert title.startswith("请完成今日")
    assert rec.received  # the chat-group text is built under the same language switch


def test_a_leader_who_may_only_read_the_list_cannot_remind(client, world, day):
    leader = user_with_role(Role.LEADER, world["tree"].group)
    client.force_login(leader)
    assert client.post(URL, {"scope": "all"}).status_code == 403
    with pytest.raises(PermissionDenied):
        non_reporters_remind(actor=leader, date=day)
    assert not Message.objects.exists()


def test_a_reminder_for_another_day_is_refused(world, day):
    with translation.override("en"), pytest.raises(ValidationError, match="only for today"):
        non_reporters_remind(actor=world["liaison"], date=day - datetime.timedelta(days=1))


def test_people_who_checked_in_since_the_page_loaded_are_not_reminded(world, day):
    check_in(world["li"], day)
    result = non_reporters_remind(
        actor=world["liaison"], date=day, unit=world["tree"].a1, person_ids=[world["li"].pk, world["zhao"].pk]
    )
    assert result.people == 1 and nudges() == {"u-赵六六-A1": 1}


def test_a_liaison_cannot_remind_people_outside_their_units(world, day):
    other = user_with_role(Role.UNIT_ADMIN, world["tree"].b)
    with pytest.raises(ValidationError):
        non_reporters_remind(actor=other, date=day, person_ids=[world["li"].pk])
    assert not Message.objects.exists()
