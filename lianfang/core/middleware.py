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


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every API response and every page a signed-in user gets:
    they carry personal data, which neither a shared cache nor the browser's back button may keep.

    Static files (answered by WhiteNoise before this runs, or under ``STATIC_URL``) stay cacheable, and
    so do the pages an anonymous visitor sees (the sign-in page).
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else None

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info or ""
        if self.static_prefix and path.startswith(self.static_prefix):
            return response
        # Read after the view: the API authenticates (token, session) inside the view and sets the user.
        user = getattr(request, "user", None)
        if "no-store" in response.get("Cache-Control", ""):
            return response  # already never stored (a download, a revealed value): left as the view set it
        if path.startswith("/api/") or (user is not None and user.is_authenticated):
            from django.utils.cache import add_never_cache_headers

            add_never_cache_headers(response)  # private, no-store, no-cache, max-age=0 and an Expires
        return response
