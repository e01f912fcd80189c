"""The request a piece of code runs for: who, which request id, from where.

Services read it to stamp audit rows without every caller passing the request around.
Jobs and commands set it with :func:`bind` so their writes carry an id too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    ip: str | None = None
    source: str = "web"


_current: ContextVar[RequestContext | None] = ContextVar("lianfang_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        # Outside a request (shell, test, migration): one id per call site is better than none.
        return RequestContext(source="system")
    return ctx


@contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
