"""Receivers: a sign-in joins the user's sign-ins list; a lockout writes one audit event."""

from __future__ import annotations

from axes.helpers import get_failure_limit
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from lianfang.accounts.models import UserSession
from lianfang.accounts.selectors import forget_sign_in_settings
from lianfang.core.audit import record_event
from lianfang.core.middleware import client_ip
from lianfang.core.models import AuditKind
from lianfang.org.models import GroupSettings


def remember_session(request, user) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if not key:
        return  # the API token endpoint signs in without a session
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "ip": client_ip(request),
        },
    )


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    if request is not None:
        remember_session(request, user)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    # Axes signals again on every attempt while locked; the audit keeps the moment it locked.
    if getattr(request, "axes_failures_since_start", None) != get_failure_limit(request, request.axes_credentials):
        return
    record_event(
        kind=AuditKind.LOGIN_FAILED,
        user_name=username or "",
        object_repr=username or "",
        event="locked_out",
        address=ip_address,
    )


@receiver(post_save, sender=GroupSettings)
def _settings_saved(sender, **kwargs):
    forget_sign_in_settings()
