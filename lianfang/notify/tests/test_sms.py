"""SMS through Alibaba Cloud and Tencent Cloud, against a local fake of each provider.

The fake checks every request the way the provider does: it recomputes the signature from what it
received and the shared secret (its own code, not :mod:`lianfang.notify.sms`'s), refuses a stale
timestamp or a reused nonce, and answers like the provider: success, a rate limit, a signature
error (HTTP 200 with an error code where the provider does that).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.notify import services, sms
from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

KEY_ID = "LTAI5tTestKeyId"
SECRET = "s3cr3t/with+odd=chars"
SIGN_NAME = "联防平台"
PHONE = "13812345678"
PHONE2 = "13987654321"
LIMIT_MESSAGE = "触发分钟级流控Permits:1"
TENCENT_LIMIT = "the number of SMS messages sent from a single mobile number within 30 seconds exceeds the upper limit"
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


# --- the fake providers ---------------------------------------------------------------------------


def rfc3986(value: str) -> str:
    """Percent-encoding written out character by character (independent of urllib's quote)."""
    out = []
    for ch in value:
        if ch in UNRESERVED:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def aliyun_expected_signature(secret: str, method: str, params: dict[str, str]) -> str:
    pairs = sorted((rfc3986(k), rfc3986(v)) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    to_sign = method + "&" + rfc3986("/") + "&" + rfc3986(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def tc3_expected_signature(
    secret: str, method: str, headers: dict[str, str], signed: str, body: bytes, ts: str, scope: str
) -> str:
    names = signed.split(";")
    canonical_headers = "".join(f"{n}:{headers.get(n, '').strip().lower()}\n" for n in names)
    canonical = f"{method}\n/\n\n{canonical_headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    to_sign = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    date, service, _term = scope.split("/")
    k = hmac.new(("TC3" + secret).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class FakeProvider:
    """``kind`` "aliyun" or "tencent"; ``mode`` "ok", "limit" (the numbers in ``limited``, or all), "slow"."""

    kind: str
    secret: str = SECRET
    mode: str = "ok"
    limited: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if fake.mode == "slow":
                    time.sleep(1.5)
                status, answer = (fake.aliyun if fake.kind == "aliyun" else fake.tencent)(headers, body)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # Alibaba Cloud dysmsapi SendSms
    def aliyun(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        request_id = "F655A8D5-B967-440B-8683-DAD6FF8DE990"
        checks = {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "AccessKeyId": KEY_ID,
        }
        for name, value in checks.items():
            if params.get(name) != value:
                self.refused.append(f"{name}={params.get(name)}")
                return 400, {"Code": "MissingParameter", "Message": name, "RequestId": request_id}
        stamp = datetime.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
        if abs((datetime.datetime.now(datetime.UTC) - stamp).total_seconds()) > 900:
            self.refused.append("timestamp")
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "expired", "RequestId": request_id}
        if params["SignatureNonce"] in self.nonces:
            self.refused.append("nonce")
            return 400, {"Code": "SignatureNonceUsed", "Message": "nonce used", "RequestId": request_id}
        self.nonces.add(params["SignatureNonce"])
        if params.get("Signature") != aliyun_expected_signature(self.secret, "POST", params):
            self.refused.append("signature")
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature does not match our calculation.",
                "RequestId": request_id,
            }
        self.received.append(params)
        if self.mode == "limit" and (not self.limited or params["PhoneNumbers"] in self.limited):
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": LIMIT_MESSAGE, "RequestId": request_id}
        return 200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": request_id}

    # Tencent Cloud SMS SendSms 2021-01-11
    def tencent(self, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        request_id = "a0aabda6-cf91-4f3e-a29f-a16f2a2fd7e8"

        def error(code: str, message: str) -> tuple[int, dict]:
            self.refused.append(code)
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}

        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return error("InvalidAction", "action or version")
        auth = headers.get("authorization", "")
        algorithm, _sep, rest = auth.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(","))
        secret_id, _sep, scope = parts.get("Credential", "").partition("/")
        ts = headers.get("x-tc-timestamp", "0")
        if algorithm != "TC3-HMAC-SHA256" or secret_id != KEY_ID:
            return error("AuthFailure.SecretIdNotFound", "secret id")
        if abs(time.time() - int(ts)) > 300:
            return error("AuthFailure.SignatureExpire", "expired")
        date = datetime.datetime.fromtimestamp(int(ts), datetime.UTC).strftime("%Y-%m-%d")
        if scope != f"{date}/sms/tc3_request" or not {"content-type", "host"} <= set(parts["SignedHeaders"].split(";")):
            return error("AuthFailure.InvalidAuthorization", "scope or signed headers")
        expected = tc3_expected_signature(self.secret, "POST", headers, parts["SignedHeaders"], body, ts, scope)
        if parts.get("Signature") != expected:
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        data = json.loads(body)
        self.received.append(data)
        statuses = []
        for number in data["PhoneNumberSet"]:
            if self.mode == "limit" and (not self.limited or number[-11:] in self.limited):
                statuses.append(
                    {
                        "SerialNo": "",
                        "PhoneNumber": number,
                        "Fee": 0,
                        "SessionContext": "",
                        "Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                        "Message": TENCENT_LIMIT,
                        "IsoCode": "CN",
                    }
                )
            else:
                statuses.append(
                    {
                        "SerialNo": "2028:f825e6b16e23f73f4123",
                        "PhoneNumber": number,
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                )
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}


@pytest.fixture
def fake(settings):
    """``fake("aliyun" | "tencent", **kw)`` starts a provider and points the settings at it."""
    started: list[FakeProvider] = []

    def start(kind: str, **kwargs) -> FakeProvider:
        provider = FakeProvider(kind=kind, **kwargs).start()
        started.append(provider)
        settings.LIANFANG_SMS_PROVIDER = kind
        settings.LIANFANG_SMS_ACCESS_KEY_ID = KEY_ID
        settings.LIANFANG_SMS_ACCESS_KEY_SECRET = SECRET
        settings.LIANFANG_SMS_SIGN_NAME = SIGN_NAME
        settings.LIANFANG_SMS_TEMPLATE = "SMS_465930112" if kind == "aliyun" else "1928374"
        settings.LIANFANG_SMS_SDK_APP_ID = "1400787878" if kind == "tencent" else ""
        settings.LIANFANG_SMS_ENDPOINT = provider.url
        settings.LIANFANG_SMS_TIMEOUT = 0.5
        return provider

    yield start
    for provider in started:
        provider.stop()


@pytest.fixture(autouse=True)
def _no_provider(settings):
    settings.LIANFANG_SMS_PROVIDER = "none"


@pytest.fixture(autouse=True)
def _in_english():
    """The results' words are asserted in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


# --- no provider, bad input, bad configuration ---------------------------------------------------


def test_without_a_provider_nothing_is_sent_and_the_delivery_says_why(tree):
    result = sms.send_sms([PHONE], "JJ-2026-0007 overdue", purpose="urgent_escalation", unit=tree.a1)
    assert result.provider == "none" and not result.sent and result.accepted == []
    assert result.failed == {PHONE: "Not sent: no SMS provider configured."}
    d = Delivery.objects.get(pk=result.deliveries[0])
    assert (d.channel, d.status, d.kind, d.unit) == ("sms", DeliveryStatus.FAILED, "urgent_escalation", tree.a1)
    assert d.last_error == "Not sent: no SMS provider configured." and d.attempts == 0


def test_a_number_that_is_not_a_mainland_mobile_is_refused_without_reaching_the_provider(fake):
    provider = fake("aliyun")
    result = sms.send_sms(["010-12345678", "+86 138-1234-5678"], "x", purpose="t")
    assert result.accepted == [PHONE]
    assert result.failed == {"010-12345678": "Not sent: not a mainland mobile number."}
    assert [p["PhoneNumbers"] for p in provider.received] == [PHONE]


def test_the_same_number_written_twice_gets_one_message(fake):
    provider = fake("aliyun")
    result = sms.send_sms([PHONE, f"+86{PHONE}", f"0086 {PHONE}"], "x", purpose="t")
    assert result.accepted == [PHONE] and len(provider.received) == 1 and len(result.deliveries) == 1


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"LIANFANG_SMS_PROVIDER": "yunpian"}, "aliyun, tencent or none"),
        ({"LIANFANG_SMS_PROVIDER": "aliyun", "LIANFANG_SMS_ACCESS_KEY_SECRET": ""}, "LIANFANG_SMS_ACCESS_KEY_SECRET"),
        ({"LIANFANG_SMS_PROVIDER": "tencent", "LIANFANG_SMS_SDK_APP_ID": ""}, "LIANFANG_SMS_SDK_APP_ID"),
        ({"LIANFANG_SMS_PROVIDER": "aliyun", "LIANFANG_SMS_ENDPOINT": "ftp://sms.example"}, "LIANFANG_SMS_ENDPOINT"),
    ],
)
def test_a_misconfigured_provider_raises_naming_the_setting(settings, changes, named):
    settings.LIANFANG_SMS_ACCESS_KEY_ID = KEY_ID
    settings.LIANFANG_SMS_ACCESS_KEY_SECRET = SECRET
    settings.LIANFANG_SMS_SIGN_NAME = SIGN_NAME
    settings.LIANFANG_SMS_TEMPLATE = "T"
    settings.LIANFANG_SMS_SDK_APP_ID = "1400"
    settings.LIANFANG_SMS_ENDPOINT = ""
    for name, value in changes.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=named):
        sms.send_sms([PHONE], "x", purpose="t")
    assert not Delivery.objects.exists()


def test_text_or_template_variables_are_required():
    with pytest.raises(ValueError):
        sms.send_sms([PHONE], purpose="t")


# --- Alibaba Cloud --------------------------------------------------------------------------------


def test_aliyun_accepts_a_correctly_signed_request_and_the_delivery_is_sent(fake, tree):
    provider = fake("aliyun")
    text = "紧急事项 JJ-2026-0007 超时未确认 * ~"
    result = sms.send_sms([PHONE, PHONE2], text, purpose="urgent_escalation", unit=tree.a)
    assert result.sent and result.accepted == [PHONE, PHONE2] and not provider.refused
    first = provider.received[0]
    assert first["SignName"] == SIGN_NAME and first["TemplateCode"] == "SMS_465930112"
    assert json.loads(first["TemplateParam"]) == {"content": text}
    assert first["Format"] == "JSON" and first["RegionId"] == "cn-hangzhou"
    d = Delivery.objects.get(pk=result.deliveries[0])
    assert d.status == DeliveryStatus.SENT and d.sent_at and d.external_id == "900619746936498440^0"


def test_aliyun_template_variables_are_sent_as_json(fake):
    provider = fake("aliyun")
    sms.send_sms([PHONE], purpose="t", template_params={"no": "JJ-2026-0007", "unit": "热力公司"})
    assert json.loads(provider.received[0]["TemplateParam"]) == {"no": "JJ-2026-0007", "unit": "热力公司"}


def test_aliyun_rate_limit_is_recorded_with_the_providers_message_and_not_raised(fake):
    fake("aliyun", mode="limit", limited={PHONE2})
    result = sms.send_sms([PHONE, PHONE2], "x", purpose="t")
    assert result.accepted == [PHONE] and result.retrying == []
    assert result.failed[PHONE2].startswith("isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控")
    d = Delivery.objects.get(pk=result.deliveries[1])
    assert d.status == DeliveryStatus.FAILED and "isv.BUSINESS_LIMIT_CONTROL" in d.last_error


def test_aliyun_with_a_wrong_secret_is_refused_by_the_provider(fake, settings):
    provider = fake("aliyun", secret="the-real-secret")
    result = sms.send_sms([PHONE], "x", purpose="t")
    assert provider.refused == ["signature"] and not provider.received
    assert result.failed[PHONE].startswith("SignatureDoesNotMatch:")


def test_aliyun_signature_matches_an_independent_computation():
    config = sms.SmsConfig("aliyun", KEY_ID, SECRET, SIGN_NAME, "SMS_1", "", "cn-hangzhou", "https://x/", 5)
    _url, body = sms.AliyunSms(config).request(PHONE, {"content": "a b*c~d/é"})
    params = dict(urllib.parse.parse_qsl(body.decode()))
    assert params["Signature"] == aliyun_expected_signature(SECRET, "POST", params)
    assert "%20" in body.decode() and "+" not in body.decode().replace("%2B", "")
    assert sms.percent_encode("a b*c~") == "a%20b%2Ac~"


# --- Tencent Cloud --------------------------------------------------------------------------------


def test_tencent_accepts_a_correctly_signed_request_with_every_number_in_one_call(fake):
    provider = fake("tencent")
    result = sms.send_sms([PHONE, PHONE2], purpose="t", template_params={"2": "热力公司", "1": "JJ-2026-0007"})
    assert result.sent and not provider.refused and len(provider.received) == 1
    data = provider.received[0]
    assert data["PhoneNumberSet"] == [f"+86{PHONE}", f"+86{PHONE2}"]
    assert data["TemplateParamSet"] == ["JJ-2026-0007", "热力公司"]
    assert (data["SmsSdkAppId"], data["SignName"], data["TemplateId"]) == ("1400787878", SIGN_NAME, "1928374")
    assert Delivery.objects.get(pk=result.deliveries[0]).external_id == "2028:f825e6b16e23f73f4123"


def test_tencent_limit_exceeded_fails_only_that_number(fake):
    fake("tencent", mode="limit", limited={PHONE})
    result = sms.send_sms([PHONE, PHONE2], "x", purpose="t")
    assert result.accepted == [PHONE2]
    assert result.failed[PHONE].startswith("LimitExceeded.PhoneNumberThirtySecondLimit:")
    statuses = dict(Delivery.objects.filter(pk__in=result.deliveries).values_list("phone", "status"))
    assert statuses == {PHONE: DeliveryStatus.FAILED, PHONE2: DeliveryStatus.SENT}


def test_tencent_with_a_wrong_secret_is_refused_by_the_provider(fake):
    provider = fake("tencent", secret="the-real-secret")
    result = sms.send_sms([PHONE], "x", purpose="t")
    assert provider.refused == ["AuthFailure.SignatureFailure"]
    assert result.failed[PHONE].startswith("AuthFailure.SignatureFailure:") and result.retrying == []


# --- timeouts and retries -------------------------------------------------------------------------


def test_a_timeout_is_recorded_and_retried_later_by_the_delivery_sweep(fake):
    provider = fake("aliyun", mode="slow")
    started = time.monotonic()
    result = sms.send_sms([PHONE], "x", purpose="t")
    assert time.monotonic() - started < 1.4
    assert result.retrying == [PHONE] and "could not be reached" in result.failed[PHONE]
    d = Delivery.objects.get(pk=result.deliveries[0])
    assert d.status == DeliveryStatus.RETRYING and d.next_attempt_at and d.attempts == 1

    provider.mode = "ok"
    services.deliveries_resend_due(now=d.next_attempt_at + datetime.timedelta(seconds=1))
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.attempts == 2 and d.external_id
    # The retry sent the same template variables.
    assert json.loads(provider.received[-1]["TemplateParam"]) == {"content": "x"}


def test_retry_now_after_a_refusal_sends_again(fake, tree):
    provider = fake("tencent", mode="limit")
    result = sms.send_sms([PHONE], "x", purpose="t", unit=tree.a1)
    d = Delivery.objects.get(pk=result.deliveries[0])
    assert d.status == DeliveryStatus.FAILED
    provider.mode = "ok"
    services.delivery_retry(actor=user_with_role(Role.GROUP_ADMIN, tree.group), delivery=d)
    services.delivery_attempt(delivery_id=d.pk)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT


# --- what people see: masking and the audit record ---------------------------------------------------


def test_the_deliveries_page_and_api_show_the_number_masked_and_the_database_holds_it_encrypted(client, tree):
    result = sms.send_sms([PHONE], "JJ-2026-0007", purpose="urgent_escalation", unit=tree.a1)
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a))
    html = client.get(reverse("notify:deliveries"), **EN).content.decode()
    assert "138****5678" in html and PHONE not in html and "No SMS provider configured" not in html
    assert "Not sent: no SMS provider configured." in html
    api = client.get("/api/v1/deliveries/", **EN).content.decode()
    assert "138****5678" in api and PHONE not in api
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM notify_delivery WHERE id = %s", [result.deliveries[0]])
        assert PHONE not in cursor.fetchone()[0]


def test_a_sibling_unit_does_not_see_the_sms(client, tree):
    sms.send_sms([PHONE], "x", purpose="t", unit=tree.a1)
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.b))
    html = client.get(reverse("notify:deliveries"), **EN).content.decode()
    assert "138****5678" not in html


def test_every_send_is_audited_with_masked_numbers(fake, tree):
    fake("aliyun", mode="limit", limited={PHONE2})
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    result = sms.send_sms([PHONE, PHONE2], "x", purpose="urgent_escalation", unit=tree.a1, actor=office)
    event = AuditEvent.objects.get(detail__what="sms")
    assert event.kind == AuditKind.EXPORT and event.user == office and event.unit == tree.a1
    assert event.detail["purpose"] == "urgent_escalation" and event.detail["provider"] == "aliyun"
    assert event.detail["numbers"] == ["138****5678", "139****4321"]
    assert (event.detail["accepted"], event.detail["failed"]) == (1, 1)
    assert event.detail["deliveries"] == result.deliveries
    assert PHONE not in json.dumps(event.detail)


def test_the_sms_test_command_sends_and_says_what_the_provider_answered(fake, capsys):
    fake("tencent")
    call_command("sms_test", PHONE)
    out = capsys.readouterr().out
    assert "138****5678: accepted" in out and "provider: tencent" in out
    assert Delivery.objects.get().kind == "sms_test"
