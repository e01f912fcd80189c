"""Every page and every API session: the idle timeout, the sign-ins list, and the second factor.

django-otp's own ``OTPRequiredMixin`` / ``otp_required`` guard only the views that use them, and
signing in through another path (another login view, the activation page, an API session) skipped
them (django-otp issue #45). So the check sits here, once, in front of every request (ADR 0011).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.models import UserSession
from lianfang.accounts.selectors import idle_limit, requires_two_factor, sign_in_settings
from lianfang.core.middleware import client_ip

SEEN_KEY = "_lianfang_seen"
# The sign-ins list and the idle clock are written at most once a minute per session.
TOUCH_SECONDS = 60


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _open_paths() -> tuple[str, ...]:
    """Pages a signed-in user who still owes the second factor may open."""
    return (
        reverse("login"),
        reverse("logout"),
        reverse("healthz"),
        reverse("accounts:two-factor"),
        "/static/",
        "/i18n/",
    )


class SignInProtectionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        group_settings = sign_in_settings()
        ended = self._idle(request, user, group_settings)
        if ended is not None:
            return ended
        owes = requires_two_factor(user, group_settings) and not user.is_verified()
        if owes and not request.path.startswith(_open_paths()):
            return self._owe_second_factor(request)
        return self.get_response(request)

    def _idle(self, request: HttpRequest, user, group_settings) -> HttpResponse | None:
        now = time.time()
        seen = request.session.get(SEEN_KEY)
        limit = idle_limit(user, group_settings)
        if seen is not None and limit is not None and now - seen > limit.total_seconds():
            auth.logout(request)
            message = _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                "minutes": int(limit.total_seconds() // 60)
            }
            if _is_api(request):
                return JsonResponse({"detail": message}, status=401)
            messages.info(request, message)
            return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        if seen is None or now - seen > TOUCH_SECONDS:
            request.session[SEEN_KEY] = now
            if request.session.session_key:
                UserSession.objects.update_or_create(
                    session_key=request.session.session_key,
                    defaults={
                        "user": user,
                        "last_seen": timezone.now(),
                        "ip": client_ip(request),
                        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
                    },
                )
        return None

    def _owe_second_factor(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            if request.META.get("HTTP_AUTHORIZATION", "").split(" ")[0].lower() == "token":
                # A token request: DRF authenticates the token or refuses it, never falls back to this
                # session (any other scheme would, so only "Token" passes).
                return self.get_response(request)
            return JsonResponse(
                {
                    "detail": _(
                        "This session has not been confirmed with a one-time code. Sign in on the web and "
                        "enter the code from your authenticator app, or use an API token."
                    )
                },
                status=403,
            )
        return redirect(f"{reverse('accounts:two-factor')}?{urlencode({'next': request.get_full_path()})}")
