from __future__ import annotations

import uuid

from lianfang.core import context


def client_ip(request) -> str | None:
    # Only trust X-Forwarded-For behind the reverse proxy of a production deployment.
    from django.conf import settings

    if getattr(settings, "PRODUCTION", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives every request an id (echoed in ``X-Request-ID``) that audit rows carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(request_id=uuid.uuid4(), ip=client_ip(request), source="web")
        request.request_id = ctx.request_id
        with context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = str(ctx.request_id)
        return response
