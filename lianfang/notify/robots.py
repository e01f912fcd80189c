"""Chat-group robots: DingTalk, WeCom and Feishu custom-robot webhooks.

Pure functions, no models: signing, message bodies, webhook address checks and one HTTP POST.
The services decide what to send and record each attempt in a ``Delivery``.

Signing, as the services document it:

* DingTalk (钉钉自定义机器人, "加签"): ``sign = urlencode(base64(HMAC-SHA256(key=secret,
  msg=timestamp_ms + "\\n" + secret)))``, appended to the webhook as ``&timestamp=…&sign=…``.
* Feishu (飞书自定义机器人, "签名校验"): ``sign = base64(HMAC-SHA256(key=timestamp_s + "\\n" +
  secret, msg=b""))``, sent in the JSON body with ``timestamp`` (seconds, as a string).
* WeCom (企业微信群机器人): not signed; the ``key`` in the webhook address is the secret.

All three answer HTTP 200 even when they refuse a message, with an error code in the JSON body
(DingTalk and WeCom ``errcode``, Feishu ``code``), so a 200 alone is not success.

@-mentions differ (Lianfang knows people's phone numbers, not their chat accounts):

* DingTalk mentions by phone number: ``"at": {"atMobiles": [...]}`` and ``@<number>`` in the text,
  in markdown as in text messages. DingTalk shows a member's name in place of the number and masks
  the number of someone who is not in the group.
* WeCom mentions by phone number only in *text* messages (``mentioned_mobile_list``); markdown
  messages can mention only WeCom user ids (``<@userid>``). A message with mentions is therefore
  sent as plain text, without the markdown marks.
* Feishu custom robots mention only by Feishu user id (``<at user_id="ou_…">``), never by phone
  number: no mentions, the message is sent as usual.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianfang.notify.choices import RobotKind

TIMEOUT_SECONDS = 10
# What a service answers is shown to the office; a misbehaving proxy must not fill the page.
MAX_ANSWER_CHARS = 1000

OFFICIAL_HOSTS: dict[str, tuple[str, ...]] = {
    RobotKind.DINGTALK: ("oapi.dingtalk.com",),
    RobotKind.WECOM: ("qyapi.weixin.qq.com",),
    RobotKind.FEISHU: ("open.feishu.cn", "open.larksuite.com"),
}
EXAMPLE_URLS: dict[str, str] = {
    RobotKind.DINGTALK: "https://oapi.dingtalk.com/robot/send?access_token=…",
    RobotKind.WECOM: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    RobotKind.FEISHU: "https://open.feishu.cn/open-apis/bot/v2/hook/…",
}


class RobotError(Exception):
    """The message did not reach the chat group; the text says why (shown to the office)."""


@dataclass(frozen=True)
class RobotAnswer:
    status: int
    body: str


# --- signing ------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (base64, before URL encoding)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the key is timestamp + newline + secret, the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


# Robot kinds that can @-mention a person by phone number (see the module's docstring).
MENTION_BY_PHONE: frozenset[str] = frozenset({RobotKind.DINGTALK, RobotKind.WECOM})


def supports_mentions(kind: str) -> bool:
    """Can a robot of this kind @-mention people by their phone numbers?"""
    return kind in MENTION_BY_PHONE


def plain_text(markdown: str) -> str:
    """Our robot markdown (headings and bold only) as plain text, for WeCom text messages."""
    lines = []
    for line in markdown.splitlines():
        stripped = line.lstrip("#").strip() if line.startswith("#") else line
        lines.append(stripped.replace("**", ""))
    return "\n".join(lines)


def signed_request(
    kind: str,
    webhook_url: str,
    secret: str,
    title: str,
    text: str,
    *,
    now: float | None = None,
    mention_phones: tuple[str, ...] | list[str] = (),
) -> tuple[str, dict[str, Any]]:
    """The address to POST to and the JSON body, signed when a secret is set.

    ``mention_phones`` @-mentions those numbers where the kind allows it (DingTalk, WeCom) and is
    ignored otherwise (Feishu).
    """
    now = time.time() if now is None else now
    phones = [p for p in mention_phones if p] if supports_mentions(kind) else []
    if kind == RobotKind.DINGTALK:
        url = webhook_url
        if secret:
            ts = int(now * 1000)
            sign = urllib.parse.quote_plus(dingtalk_sign(secret, ts))
            url = f"{webhook_url}{'&' if '?' in webhook_url else '?'}timestamp={ts}&sign={sign}"
        if phones:
            # DingTalk highlights a mention only where "@number" appears in the text.
            text = f"{text}\n\n{' '.join('@' + p for p in phones)}"
            return url, {
                "msgtype": "markdown",
                "markdown": {"title": title, "text": text},
                "at": {"atMobiles": phones, "isAtAll": False},
            }
        return url, {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if kind == RobotKind.WECOM:
        if phones:
            return webhook_url, {
                "msgtype": "text",
                "text": {"content": plain_text(text), "mentioned_mobile_list": phones},
            }
        return webhook_url, {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == RobotKind.FEISHU:
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return webhook_url, body
    raise ValueError(f"unknown robot kind {kind!r}")


# --- sending ------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: a webhook that redirects is misconfigured, and following it could
    carry the message (names of people) to a host nobody approved."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise RobotError(_("The robot address redirects to %(url)s; enter the final address.") % {"url": newurl})


_opener = urllib.request.build_opener(_NoRedirect())


def _service_error(kind: str, data: Any) -> str | None:
    """The service's refusal in its 200 answer, or None when it accepted the message."""
    if not isinstance(data, dict):
        return _("The robot answered something that is not JSON.")
    code = data.get("code", data.get("StatusCode")) if kind == RobotKind.FEISHU else data.get("errcode")
    if code == 0:
        return None
    msg = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
    return _("The robot refused the message: %(code)s %(msg)s") % {"code": code, "msg": msg}


def robot_post(
    kind: str, webhook_url: str, secret: str, title: str, text: str, *, mention_phones: tuple[str, ...] | list[str] = ()
) -> RobotAnswer:
    """Send one message; return the service's answer or raise :class:`RobotError`."""
    url, body = signed_request(kind, webhook_url, secret, title, text, mention_phones=mention_phones)
    request = urllib.request.Request(  # noqa: S310  (the scheme and host were checked on save)
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise RobotError(_("The robot answered HTTP %(status)s.") % {"status": exc.code}) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RobotError(_("The robot could not be reached: %(reason)s") % {"reason": reason}) from exc
    answer = raw.decode("utf-8", errors="replace")[:MAX_ANSWER_CHARS]
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    error = _service_error(kind, data)
    if error:
        raise RobotError(f"{error} ({answer})")
    return RobotAnswer(status=status, body=answer)


# --- checking a configuration -------------------------------------------------------------------


def allowed_hosts(kind: str) -> tuple[str, ...]:
    """The service's own hosts, plus ``LIANFANG_ROBOT_ALLOWED_HOSTS`` (intranet proxies, tests)."""
    return OFFICIAL_HOSTS.get(kind, ()) + tuple(getattr(settings, "LIANFANG_ROBOT_ALLOWED_HOSTS", ()))


def validate_robot(kind: str, webhook_url: str, secret: str) -> None:
    """Refuse a webhook address or secret that cannot work, with a message on the field concerned."""
    errors: dict[str, str] = {}
    parts = urllib.parse.urlsplit(webhook_url.strip())
    host = (parts.hostname or "").lower()
    extra = tuple(h.lower() for h in getattr(settings, "LIANFANG_ROBOT_ALLOWED_HOSTS", ()))
    example = EXAMPLE_URLS.get(kind, "")
    if host not in allowed_hosts(kind) and host not in extra:
        errors["webhook_url"] = _(
            "This is not a %(service)s robot address. Copy the webhook from the group's robot settings; "
            "it looks like %(example)s"
        ) % {"service": RobotKind(kind).label, "example": example}
    elif parts.scheme != "https" and host not in extra:
        errors["webhook_url"] = _("The robot address must start with https://.")
    elif parts.username or parts.password:
        errors["webhook_url"] = _("The robot address must not contain a user name or password.")
    elif host not in extra:
        query = urllib.parse.parse_qs(parts.query)
        if kind == RobotKind.DINGTALK and not query.get("access_token"):
            errors["webhook_url"] = _("The DingTalk address has no access_token; copy the whole webhook.")
        elif kind == RobotKind.WECOM and not query.get("key"):
            errors["webhook_url"] = _("The WeCom address has no key; copy the whole webhook.")
        elif kind == RobotKind.FEISHU and not parts.path.startswith("/open-apis/bot/v2/hook/"):
            errors["webhook_url"] = _(
                "The Feishu address should contain /open-apis/bot/v2/hook/; copy the whole webhook."
            )

    if secret:
        if kind == RobotKind.WECOM:
            errors["secret"] = _("WeCom robots are not signed: leave the secret empty.")
        elif kind == RobotKind.DINGTALK and not (secret.startswith("SEC") and secret.isalnum()):
            errors["secret"] = _(
                "A DingTalk secret starts with SEC followed by letters and digits; copy it from the robot's "
                "security settings (加签)."
            )
        elif any(c.isspace() for c in secret) or len(secret) > 200:
            errors["secret"] = _("The secret must be one word without spaces; copy it again from the robot settings.")
    if errors:
        raise ValidationError(errors)


def mask_webhook(url: str) -> str:
    """The webhook with its token hidden (the token alone lets anyone post to the group)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    masked_query = urllib.parse.urlencode([(k, _mask_token(v)) for k, v in query], safe="*…")
    path = parts.path
    if "/hook/" in path:
        head, _sep, token = path.rpartition("/hook/")
        path = f"{head}/hook/{_mask_token(token)}"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, masked_query, ""))


def _mask_token(value: str) -> str:
    return value[:4] + "…" if len(value) > 4 else "…"
