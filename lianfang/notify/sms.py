"""SMS to people who must act now (the leader on duty at 03:00 does not watch a chat group).

One public function, :func:`send_sms`, called by other apps (the command app for a missed clock).
It sends through the provider the deployment configures (``LIANFANG_SMS_PROVIDER``), writes one
:class:`~lianfang.notify.models.Delivery` per number (shown on the Deliveries page with the number
masked) and one audit event per call, and never raises because a provider refused or could not be
reached: what happened is in the result and on the page.

Mainland SMS is sent only from a template the provider approved, signed with an approved sign
name (签名). ``text`` fills the template's one variable ``content`` (Alibaba Cloud ``${content}``,
Tencent Cloud ``{1}``); ``template_params`` fills templates with several variables (Tencent Cloud
takes their values in order, or by their numbers when the keys are "1", "2", …).

Providers (each behind :class:`SmsProvider`: ``send(phones, params) -> {phone: Outcome}``):

* Alibaba Cloud SMS (dysmsapi ``SendSms``, version 2017-05-25), RPC style with signature version
  1.0: the parameters, with ``SignatureMethod=HMAC-SHA1``, ``SignatureVersion=1.0``, a fresh
  ``SignatureNonce`` and a UTC ``Timestamp``, are percent-encoded by RFC 3986 (``A-Z a-z 0-9 - _ . ~``
  kept, space as ``%20``), sorted by name and joined as the canonicalised query string;
  ``StringToSign = METHOD & %2F & percent(canonicalised)``; the signature is
  ``base64(HMAC-SHA1(key = secret + "&", StringToSign))``. One request per number, so that each
  number gets its own answer (the API answers once for a whole list). Sent as a form POST.
* Tencent Cloud SMS (``SendSms``, version 2021-01-11), signed with TC3-HMAC-SHA256: the canonical
  request (method, ``/``, empty query, the ``content-type`` and ``host`` headers, the signed header
  names, the SHA-256 of the JSON body) is hashed into the string to sign with the timestamp and the
  credential scope ``<UTC date>/sms/tc3_request``; the key is derived by HMAC-SHA256 chained over
  ``"TC3" + secret`` → date → ``sms`` → ``tc3_request``. Up to 200 numbers per request, with an
  answer for each.

Both answer HTTP 200 with an error code in the JSON when they refuse (a rate limit, a template not
approved), so a 200 alone is not success. A network failure, a timeout or a provider's internal
error is retried later by the delivery sweep (1, 5, 15 minutes); a refusal is final and shown to the
office, which can press "Retry now" once the cause is fixed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_event
from lianfang.core.masking import mask_phone
from lianfang.core.models import AuditKind
from lianfang.notify.choices import DeliveryChannel, DeliveryStatus
from lianfang.notify.models import Delivery
from lianfang.notify.robots import RobotError

NONE, ALIYUN, TENCENT = "none", "aliyun", "tencent"
PROVIDERS = (ALIYUN, TENCENT)
DEFAULT_ENDPOINTS = {ALIYUN: "https://dysmsapi.aliyuncs.com/", TENCENT: "https://sms.tencentcloudapi.com/"}
DEFAULT_REGIONS = {ALIYUN: "cn-hangzhou", TENCENT: "ap-guangzhou"}
ALIYUN_VERSION = "2017-05-25"
TENCENT_VERSION = "2021-01-11"
TENCENT_SERVICE = "sms"
TENCENT_BATCH = 200
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# What a provider answers is shown to the office; a misbehaving proxy must not fill the page.
MAX_ANSWER_CHARS = 500
# A delivery being sent now is not picked by the sweep for this long (longer than any timeout).
IN_FLIGHT = datetime.timedelta(minutes=2)
# A network failure is tried again after this long by the sweep (then as every delivery: 5, 15 minutes).
FIRST_RETRY = datetime.timedelta(minutes=1)

# A mainland mobile number, with or without +86 / 0086 / 86 in front.
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")


class SmsError(RobotError):
    """An attempt failed; the text is the provider's words (or why it could not be reached)."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Outcome:
    """What the provider said about one number."""

    ok: bool
    message: str
    ref: str = ""  # the provider's id for the message (BizId, SerialNo)
    retry: bool = False  # worth trying again later (network, provider outage)


@dataclass
class SmsResult:
    """Which numbers the provider accepted, which failed and why (number → the provider's message)."""

    provider: str
    accepted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    retrying: list[str] = field(default_factory=list)  # failed for now; the delivery sweep tries again
    deliveries: list[int] = field(default_factory=list)

    @property
    def sent(self) -> bool:
        """Every number was accepted."""
        return bool(self.accepted) and not self.failed


@dataclass(frozen=True)
class SmsConfig:
    provider: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template: str
    sdk_app_id: str
    region: str
    endpoint: str
    timeout: float


def sms_config() -> SmsConfig | None:
    """The deployment's SMS settings, or None when no provider is configured.

    Raises ImproperlyConfigured naming what is missing when a provider is chosen but cannot work.
    """
    provider = (getattr(settings, "LIANFANG_SMS_PROVIDER", "") or NONE).strip().lower()
    if provider == NONE:
        return None
    if provider not in PROVIDERS:
        raise ImproperlyConfigured(f"LIANFANG_SMS_PROVIDER is {provider!r}: use aliyun, tencent or none.")
    values = {
        name: str(getattr(settings, f"LIANFANG_SMS_{name}", "") or "").strip()
        for name in ("ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "TEMPLATE", "SDK_APP_ID", "REGION", "ENDPOINT")
    }
    required = ["ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SIGN_NAME", "TEMPLATE"]
    if provider == TENCENT:
        required.append("SDK_APP_ID")
    missing = [f"LIANFANG_SMS_{name}" for name in required if not values[name]]
    if missing:
        raise ImproperlyConfigured(f"LIANFANG_SMS_PROVIDER is {provider}: set {', '.join(missing)}.")
    endpoint = values["ENDPOINT"] or DEFAULT_ENDPOINTS[provider]
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ImproperlyConfigured(f"LIANFANG_SMS_ENDPOINT {endpoint!r} is not an http(s) address.")
    timeout = float(getattr(settings, "LIANFANG_SMS_TIMEOUT", 5) or 5)
    return SmsConfig(
        provider=provider,
        access_key_id=values["ACCESS_KEY_ID"],
        access_key_secret=values["ACCESS_KEY_SECRET"],
        sign_name=values["SIGN_NAME"],
        template=values["TEMPLATE"],
        sdk_app_id=values["SDK_APP_ID"],
        region=values["REGION"] or DEFAULT_REGIONS[provider],
        endpoint=endpoint,
        timeout=timeout,
    )


def normalize_phone(value: str) -> str | None:
    """``13812345678`` for a mainland mobile number written in any usual way, else None."""
    compact = re.sub(r"[\s\-()]", "", value or "")
    match = _MOBILE.match(compact)
    return match.group(1) if match else None


# --- signing ------------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Alibaba Cloud signs it: only ``A-Z a-z 0-9 - _ . ~`` stay as they are."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """Alibaba Cloud RPC signature 1.0 (HMAC-SHA1) of ``params`` (without ``Signature``)."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(
    secret_id: str, secret_key: str, *, host: str, payload: bytes, timestamp: int, service: str = TENCENT_SERVICE
) -> str:
    """The ``Authorization`` header of a Tencent Cloud API 3.0 POST (TC3-HMAC-SHA256, JSON body)."""
    date = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical_headers = f"content-type:{JSON_CONTENT_TYPE}\nhost:{host.lower()}\n"
    canonical_request = "\n".join(
        ["POST", "/", "", canonical_headers, signed_headers, hashlib.sha256(payload).hexdigest()]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac256(f"TC3{secret_key}".encode(), date)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


# --- HTTP ---------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A provider never redirects; following one could carry numbers to a host nobody configured."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise SmsError(_("The SMS provider's address redirects to %(url)s; correct the endpoint.") % {"url": newurl})


_opener = urllib.request.build_opener(_NoRedirect())


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST and return (status, text). 4xx answers are returned (they carry the provider's error);
    a 5xx, a timeout or an unreachable host raise a retryable :class:`SmsError`."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (operator's setting)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(64 * 1024).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        text = exc.read(64 * 1024).decode("utf-8", errors="replace") if exc.fp else ""
        if exc.code >= 500:
            raise SmsError(
                _("The SMS provider answered HTTP %(status)s.") % {"status": exc.code} + _excerpt(text), retry=True
            ) from exc
        return exc.code, text
    except SmsError:
        raise
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SmsError(_("The SMS provider could not be reached: %(reason)s") % {"reason": reason}, retry=True) from exc


def _excerpt(text: str) -> str:
    text = text.strip()
    return f" ({text[:MAX_ANSWER_CHARS]})" if text else ""


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


# --- providers ----------------------------------------------------------------------------------


class SmsProvider(Protocol):
    name: str

    def send(self, phones: list[str], params: dict[str, str]) -> dict[str, Outcome]:
        """Send the configured template with ``params`` to mainland numbers (``13812345678``)."""
        ...


class AliyunSms:
    """Alibaba Cloud SMS, dysmsapi ``SendSms``."""

    name = ALIYUN

    def __init__(self, config: SmsConfig) -> None:
        self.config = config

    def request(self, phone: str, params: dict[str, str], *, now: float | None = None) -> tuple[str, bytes]:
        """The address and the signed form body for one number."""
        c = self.config
        stamp = datetime.datetime.fromtimestamp(time.time() if now is None else now, datetime.UTC)
        query = {
            "AccessKeyId": c.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": c.region,
            "SignName": c.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": c.template,
            "Timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_VERSION,
        }
        if params:
            query["TemplateParam"] = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        query["Signature"] = aliyun_signature(c.access_key_secret, "POST", query)
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        return c.endpoint, body.encode()

    def send(self, phones: list[str], params: dict[str, str]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for phone in phones:
            url, body = self.request(phone, params)
            try:
                status, text = _post(url, body, {"Content-Type": FORM_CONTENT_TYPE}, self.config.timeout)
            except SmsError as exc:
                out[phone] = Outcome(False, str(exc), retry=exc.retry)
                continue
            data = _json(text)
            if not isinstance(data, dict):
                out[phone] = Outcome(False, _("The SMS provider answered something that is not JSON.") + _excerpt(text))
                continue
            code, message = str(data.get("Code", "")), str(data.get("Message", ""))
            if status == 200 and code == "OK":
                out[phone] = Outcome(True, f"{code} {message}".strip(), ref=str(data.get("BizId", ""))[:100])
            else:
                retry = code in ("ServiceUnavailable", "InternalError") or code.startswith("isp.SYSTEM")
                out[phone] = Outcome(False, f"{code}: {message}"[:MAX_ANSWER_CHARS], retry=retry)
        return out


class TencentSms:
    """Tencent Cloud SMS, ``SendSms`` 2021-01-11."""

    name = TENCENT

    def __init__(self, config: SmsConfig) -> None:
        self.config = config

    @staticmethod
    def param_list(params: dict[str, str]) -> list[str]:
        """Template variables in order: by number when the keys are "1", "2", …, else as given."""
        if params and all(k.isdigit() for k in params):
            return [params[k] for k in sorted(params, key=int)]
        return list(params.values())

    def request(
        self, phones: list[str], params: dict[str, str], *, now: float | None = None
    ) -> tuple[str, bytes, dict[str, str]]:
        """The address, the JSON body and the signed headers for up to 200 numbers."""
        c = self.config
        timestamp = int(time.time() if now is None else now)
        host = urllib.parse.urlsplit(c.endpoint).netloc
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{p}" for p in phones],
                "SmsSdkAppId": c.sdk_app_id,
                "SignName": c.sign_name,
                "TemplateId": c.template,
                "TemplateParamSet": self.param_list(params),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Authorization": tc3_authorization(
                c.access_key_id, c.access_key_secret, host=host, payload=payload, timestamp=timestamp
            ),
            "Content-Type": JSON_CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": c.region,
        }
        return c.endpoint, payload, headers

    def send(self, phones: list[str], params: dict[str, str]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for start in range(0, len(phones), TENCENT_BATCH):
            batch = phones[start : start + TENCENT_BATCH]
            out.update(self._send_batch(batch, params))
        return out

    def _send_batch(self, phones: list[str], params: dict[str, str]) -> dict[str, Outcome]:
        url, payload, headers = self.request(phones, params)
        try:
            _status, text = _post(url, payload, headers, self.config.timeout)
        except SmsError as exc:
            return {p: Outcome(False, str(exc), retry=exc.retry) for p in phones}
        data = _json(text)
        response = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(response, dict):
            message = _("The SMS provider answered something that is not JSON.") + _excerpt(text)
            return {p: Outcome(False, message) for p in phones}
        error = response.get("Error")
        if isinstance(error, dict):
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            retry = code.startswith("InternalError") or code == "RequestLimitExceeded"
            return {p: Outcome(False, f"{code}: {message}"[:MAX_ANSWER_CHARS], retry=retry) for p in phones}
        out: dict[str, Outcome] = {}
        for item in response.get("SendStatusSet") or []:
            phone = normalize_phone(str(item.get("PhoneNumber", "")))
            if phone not in phones:
                continue
            code, message = str(item.get("Code", "")), str(item.get("Message", ""))
            if code.lower() == "ok":
                out[phone] = Outcome(True, f"{code} {message}".strip(), ref=str(item.get("SerialNo", ""))[:100])
            else:
                out[phone] = Outcome(False, f"{code}: {message}"[:MAX_ANSWER_CHARS])
        for phone in phones:
            out.setdefault(phone, Outcome(False, _("The SMS provider did not answer for this number.")))
        return out


def get_provider(config: SmsConfig) -> SmsProvider:
    return AliyunSms(config) if config.provider == ALIYUN else TencentSms(config)


# --- sending ------------------------------------------------------------------------------------


def _params(text: str | None, template_params: Mapping[str, Any] | None) -> dict[str, str]:
    if template_params is not None:
        return {str(k): str(v) for k, v in template_params.items()}
    if text is None:
        raise ValueError("send_sms needs text or template_params")
    return {"content": text}


def send_sms(
    phones: Iterable[str],
    text: str | None = None,
    *,
    purpose: str,
    template_params: Mapping[str, Any] | None = None,
    unit=None,
    actor=None,
) -> SmsResult:
    """Send one SMS to each number and record it; returns which numbers were accepted and which failed.

    ``purpose`` is the kind of message (e.g. ``"urgent_escalation"``), shown on the Deliveries page;
    ``unit`` decides who sees the deliveries there (the unit's administrators and the office; none:
    the office only); ``actor`` is who asked for it (None for a job). Numbers that are not mainland
    mobile numbers fail without being sent. Never raises because a provider refused or could not be
    reached; raises ImproperlyConfigured if a provider is chosen but its settings are incomplete.
    Call it outside a transaction that may roll back (e.g. in ``transaction.on_commit`` or a job):
    an SMS once sent cannot be taken back.
    """
    params = _params(text, template_params)
    body = text if text is not None else " · ".join(f"{k}: {v}" for k, v in params.items())
    config = sms_config()
    provider = config.provider if config else NONE
    now = timezone.now()
    result = SmsResult(provider=provider)

    wanted: dict[str, str | None] = {}
    for raw in phones:
        raw = (raw or "").strip()
        if raw:
            wanted.setdefault(normalize_phone(raw) or raw, normalize_phone(raw))
    rows: dict[str, Delivery] = {}
    to_send: list[str] = []
    for key, phone in wanted.items():
        if phone is None:
            error, status = _("Not sent: not a mainland mobile number."), DeliveryStatus.FAILED
        elif config is None:
            error, status = _("Not sent: no SMS provider configured."), DeliveryStatus.FAILED
        else:
            error, status = "", DeliveryStatus.PENDING
            to_send.append(phone)
        rows[key] = Delivery.objects.create(
            channel=DeliveryChannel.SMS,
            phone=key[:30],
            unit=unit,
            kind=purpose[:40],
            subject=(text or body)[:200],
            body=body,
            template_params=params,
            status=status,
            attempts=1 if status == DeliveryStatus.PENDING else 0,
            next_attempt_at=now + IN_FLIGHT if status == DeliveryStatus.PENDING else None,
            last_error=error,
        )
        if error:
            result.failed[key] = error

    outcomes = get_provider(config).send(to_send, params) if config and to_send else {}
    for phone in to_send:
        outcome = outcomes.get(phone) or Outcome(False, _("The SMS provider did not answer for this number."))
        _record_outcome(rows[phone], outcome, now=now)
        if outcome.ok:
            result.accepted.append(phone)
        else:
            result.failed[phone] = outcome.message
            if outcome.retry:
                result.retrying.append(phone)
    result.deliveries = [row.pk for row in rows.values()]

    record_event(
        kind=AuditKind.EXPORT,
        actor=actor,
        unit=unit,
        object_repr=_("SMS: %(purpose)s") % {"purpose": purpose},
        what="sms",
        purpose=purpose,
        provider=provider,
        numbers=[mask_phone(k) for k in wanted],
        accepted=len(result.accepted),
        failed=len(result.failed),
        deliveries=result.deliveries,
    )
    return result


def _record_outcome(delivery: Delivery, outcome: Outcome, *, now: datetime.datetime) -> None:
    rows = Delivery.objects.filter(pk=delivery.pk)
    if outcome.ok:
        rows.update(
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            next_attempt_at=None,
            external_id=outcome.ref,
            last_error="",
        )
    elif outcome.retry:
        rows.update(status=DeliveryStatus.RETRYING, next_attempt_at=now + FIRST_RETRY, last_error=outcome.message)
    else:
        rows.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=outcome.message)


def sms_deliver(delivery: Delivery) -> None:
    """One more attempt of an SMS delivery (the delivery sweep, "Retry now"); raises :class:`SmsError`.

    The caller records the status; the provider's message id is stored here.
    """
    try:
        config = sms_config()
    except ImproperlyConfigured as exc:
        raise SmsError(str(exc)) from exc
    if config is None:
        raise SmsError(_("Not sent: no SMS provider configured."))
    phone = normalize_phone(delivery.phone)
    if phone is None:
        raise SmsError(_("Not sent: not a mainland mobile number."))
    params = {str(k): str(v) for k, v in (delivery.template_params or {}).items()}
    outcome = get_provider(config).send([phone], params).get(phone)
    if outcome is None or not outcome.ok:
        message = outcome.message if outcome else _("The SMS provider did not answer for this number.")
        raise SmsError(message, retry=bool(outcome and outcome.retry))
    Delivery.objects.filter(pk=delivery.pk).update(external_id=outcome.ref)
