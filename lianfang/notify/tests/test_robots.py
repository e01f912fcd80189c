"""Robot signing and sending, checked by a local receiver that verifies requests as the services do."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lianfang.notify import robots
from lianfang.notify.robots import RobotError, dingtalk_sign, feishu_sign, robot_post, validate_robot


@pytest.fixture(autouse=True)
def _in_english():
    """These tests read the English wording of messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


DING_SECRET = "SEC0123456789abcdef0123456789abcdef"
FEISHU_SECRET = "fS3cr3tKeyFromFeishu"


def test_the_dingtalk_signature_matches_the_documented_example_shape():
    sign = dingtalk_sign(DING_SECRET, 1577262236757)
    assert len(sign) == 44 and sign.endswith("=")  # base64 of 32 bytes


def test_a_signed_dingtalk_markdown_message_is_accepted(receivers):
    r = receivers("dingtalk", secret=DING_SECRET)
    answer = robot_post("dingtalk", r.webhook_url, DING_SECRET, "完成率", "### 甲公司\n\n已打卡 3/4")
    assert answer.status == 200
    assert r.received == [{"msgtype": "markdown", "markdown": {"title": "完成率", "text": "### 甲公司\n\n已打卡 3/4"}}]


def test_a_dingtalk_message_signed_with_the_wrong_secret_is_a_failure_with_the_services_answer(receivers):
    r = receivers("dingtalk", secret=DING_SECRET)
    with pytest.raises(RobotError, match="310000"):
        robot_post("dingtalk", r.webhook_url, "SECwrong", "t", "text")
    assert r.received == [] and len(r.refused) == 1


def test_a_dingtalk_robot_without_a_secret_is_refused_by_a_robot_that_requires_one(receivers):
    r = receivers("dingtalk", secret=DING_SECRET)
    with pytest.raises(RobotError, match="invalid timestamp"):
        robot_post("dingtalk", r.webhook_url, "", "t", "text")


@pytest.mark.parametrize("kind,secret", [("dingtalk", DING_SECRET), ("feishu", FEISHU_SECRET)])
def test_a_timestamp_more_than_an_hour_old_is_refused(receivers, monkeypatch, kind, secret):
    import time as real_time
    from types import SimpleNamespace

    r = receivers(kind, secret=secret)
    stale = real_time.time() - 3700
    # Only the sender's clock is wrong; the receiver keeps the real one.
    monkeypatch.setattr(robots, "time", SimpleNamespace(time=lambda: stale))
    with pytest.raises(RobotError, match="refused"):
        robot_post(kind, r.webhook_url, secret, "t", "text")
    assert r.received == []


def test_a_wecom_markdown_message_is_accepted(receivers):
    r = receivers("wecom")
    robot_post("wecom", r.webhook_url, "", "t", "**甲公司** 3/4")
    assert r.received == [{"msgtype": "markdown", "markdown": {"content": "**甲公司** 3/4"}}]


def test_a_wecom_webhook_with_a_wrong_key_is_a_failure(receivers):
    r = receivers("wecom")
    with pytest.raises(RobotError, match="93000"):
        robot_post("wecom", r.webhook_url.replace("test-key", "other"), "", "t", "x")


def test_a_signed_feishu_message_is_accepted(receivers):
    r = receivers("feishu", secret=FEISHU_SECRET)
    robot_post("feishu", r.webhook_url, FEISHU_SECRET, "t", "甲公司 3/4")
    (body,) = r.received
    assert body["msg_type"] == "text" and body["content"] == {"text": "甲公司 3/4"}
    assert body["sign"] == feishu_sign(FEISHU_SECRET, int(body["timestamp"]))


def test_a_feishu_message_with_a_wrong_signature_is_a_failure(receivers):
    r = receivers("feishu", secret=FEISHU_SECRET)
    with pytest.raises(RobotError, match="19021"):
        robot_post("feishu", r.webhook_url, "another-secret", "t", "x")


def test_an_http_error_is_a_failure(receivers):
    r = receivers("wecom", mode="http500")
    with pytest.raises(RobotError, match="500"):
        robot_post("wecom", r.webhook_url, "", "t", "x")


def test_a_redirect_to_another_host_is_not_followed(receivers):
    r = receivers("wecom", mode="redirect")
    with pytest.raises(RobotError, match="redirects"):
        robot_post("wecom", r.webhook_url, "", "t", "x")


def test_an_unreachable_robot_is_a_failure(receivers):
    r = receivers("wecom")
    url = r.webhook_url
    r.stop()
    with pytest.raises(RobotError, match="could not be reached"):
        robot_post("wecom", url, "", "t", "x")


# --- configuration checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,url,secret",
    [
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc", "SECabc123"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc", ""),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6", ""),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0a1b2c", "abcDEF123"),
        ("feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/0a1b2c", ""),
    ],
)
def test_real_service_addresses_are_accepted(kind, url, secret):
    validate_robot(kind, url, secret)


@pytest.mark.parametrize(
    "kind,url,secret,field,words",
    [
        ("dingtalk", "http://oapi.dingtalk.com/robot/send?access_token=abc", "", "webhook_url", "https://"),
        ("dingtalk", "https://evil.example.com/robot/send?access_token=abc", "", "webhook_url", "not a DingTalk"),
        ("dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "", "webhook_url", "not a DingTalk"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send", "", "webhook_url", "access_token"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc", "abc123", "secret", "SEC"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "", "webhook_url", "key"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", "SECabc", "secret", "not signed"),
        ("feishu", "https://open.feishu.cn/other", "", "webhook_url", "/open-apis/bot/v2/hook/"),
        ("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", "two words", "secret", "without spaces"),
        ("feishu", "https://user:pw@open.feishu.cn/open-apis/bot/v2/hook/x", "", "webhook_url", "user name"),
    ],
)
def test_malformed_robot_configuration_is_refused_with_a_message_on_the_field(kind, url, secret, field, words):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        validate_robot(kind, url, secret)
    assert field in exc.value.message_dict
    assert words in " ".join(exc.value.message_dict[field])


def test_a_host_in_the_allowed_list_may_be_used_over_http(settings):
    settings.LIANFANG_ROBOT_ALLOWED_HOSTS = ["robot-proxy.intranet"]
    validate_robot("dingtalk", "http://robot-proxy.intranet/robot/send?access_token=abc", "SECabc")


# --- @-mentions: by phone number on DingTalk and WeCom, never on Feishu ---------------------------


def test_a_dingtalk_mention_names_the_numbers_in_at_and_in_the_text(receivers):
    r = receivers("dingtalk", secret=DING_SECRET)
    robot_post("dingtalk", r.webhook_url, DING_SECRET, "请打卡", "### 请打卡", mention_phones=["13812345678"])
    (body,) = r.received
    assert body["at"] == {"atMobiles": ["13812345678"], "isAtAll": False}
    assert body["markdown"]["text"].endswith("@13812345678")  # DingTalk highlights only what the text names


def test_a_wecom_mention_is_sent_as_text_with_the_mobile_list_because_markdown_cannot_mention(receivers):
    r = receivers("wecom")
    robot_post("wecom", r.webhook_url, "", "t", "### 请打卡\n\n**甲公司** 3 人", mention_phones=["13812345678"])
    (body,) = r.received
    assert body == {
        "msgtype": "text",
        "text": {"content": "请打卡\n\n甲公司 3 人", "mentioned_mobile_list": ["13812345678"]},
    }


def test_a_feishu_robot_cannot_mention_by_number_so_the_message_goes_without(receivers):
    r = receivers("feishu")
    robot_post("feishu", r.webhook_url, "", "t", "请打卡", mention_phones=["13812345678"])
    (body,) = r.received
    assert body == {"msg_type": "text", "content": {"text": "请打卡"}}
    assert "13812345678" not in str(body)


def test_only_dingtalk_and_wecom_support_mentions():
    assert robots.supports_mentions("dingtalk") and robots.supports_mentions("wecom")
    assert not robots.supports_mentions("feishu")
