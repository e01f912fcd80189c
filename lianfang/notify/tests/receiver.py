"""A local stand-in for the DingTalk, WeCom and Feishu robot endpoints, for tests.

It checks requests the way the real services do: it recomputes the signature from the shared
secret, refuses timestamps more than an hour away, and answers HTTP 200 with the service's error
JSON when it refuses (which is what makes a robot failure easy to miss).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ONE_HOUR = 3600


@dataclass
class Receiver:
    """The robot a test talks to. ``mode`` = "ok", "http500", "redirect" or "down"."""

    kind: str
    secret: str = ""
    key: str = "test-key"
    mode: str = "ok"
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def webhook_url(self) -> str:
        if self.kind == "dingtalk":
            return f"{self.base}/robot/send?access_token={self.key}"
        if self.kind == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={self.key}"
        return f"{self.base}/open-apis/bot/v2/hook/{self.key}"

    # --- the services' checks -------------------------------------------------------------------

    def check(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        if self.kind == "dingtalk":
            if query.get("access_token") != [self.key]:
                return {"errcode": 300001, "errmsg": "token is not exist"}
            if self.secret:
                ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
                if not ts.isdigit() or abs(now * 1000 - int(ts)) > ONE_HOUR * 1000:
                    return {"errcode": 310000, "errmsg": "invalid timestamp"}
                expected = base64.b64encode(
                    hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256).digest()
                ).decode()
                if not hmac.compare_digest(expected, sign):
                    return {"errcode": 310000, "errmsg": "sign not match"}
            if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("text"):
                return {"errcode": 40035, "errmsg": "missing parameter"}
            at = body.get("at", {})
            if at and not isinstance(at.get("atMobiles", []), list):
                return {"errcode": 40035, "errmsg": "missing parameter"}
            return {"errcode": 0, "errmsg": "ok"}
        if self.kind == "wecom":
            if query.get("key") != [self.key]:
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            # Markdown, or text (the only kind that can mention people by phone number).
            if body.get("msgtype") == "markdown" and body.get("markdown", {}).get("content"):
                return {"errcode": 0, "errmsg": "ok"}
            if body.get("msgtype") == "text" and body.get("text", {}).get("content"):
                if "mentioned_mobile_list" in body["text"] and not isinstance(
                    body["text"]["mentioned_mobile_list"], list
                ):
                    return {"errcode": 40058, "errmsg": "invalid mentioned_mobile_list"}
                return {"errcode": 0, "errmsg": "ok"}
            return {"errcode": 40008, "errmsg": "invalid message type"}
        # Feishu
        if not path.endswith("/" + self.key):
            return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
        if self.secret:
            ts, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
            if not ts.isdigit() or abs(now - int(ts)) > ONE_HOUR:
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
            expected = base64.b64encode(
                hmac.new(f"{ts}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(expected, sign):
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        if body.get("msg_type") != "text" or not body.get("content", {}).get("text"):
            return {"code": 9499, "msg": "Bad Request"}
        return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"}

    # --- the server -----------------------------------------------------------------------------

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if receiver.mode == "http500":
                    self.send_response(500)
                    self.end_headers()
                    return
                if receiver.mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "https://attacker.example.com/collect")
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                answer = receiver.check(parts.path, query, body)
                code = answer.get("errcode", answer.get("code"))
                (receiver.received if code == 0 else receiver.refused).append(body)
                data = json.dumps(answer).encode()
                self.send_response(200)  # the services answer 200 even when they refuse
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
