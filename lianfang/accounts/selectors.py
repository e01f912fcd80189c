"""Reads for sign-in protection: who must use a second factor, idle limits, tokens, sign-ins, locks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from lianfang.accounts.models import ServiceToken, UserSession
from lianfang.core.scoping import Action
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import can, roles_of

SETTINGS_CACHE_KEY = "lianfang:sign-in-settings"


@dataclass(frozen=True)
class SignInSettings:
    two_factor_roles: frozenset[str]
    idle_timeout_minutes: int


def sign_in_settings() -> SignInSettings:
    """The office's sign-in settings, cached: every signed-in request asks (signals.py forgets them on save)."""
    value = cache.get(SETTINGS_CACHE_KEY)
    if value is None:
        row = GroupSettings.load()
        value = SignInSettings(frozenset(row.two_factor_roles or ()), row.idle_timeout_minutes)
        cache.set(SETTINGS_CACHE_KEY, value, 300)
    return value


def forget_sign_in_settings() -> None:
    cache.delete(SETTINGS_CACHE_KEY)


def is_privileged(user, group_settings: SignInSettings | None = None) -> bool:
    """Does the user hold a role the office named for the second factor (or is a superuser)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    roles = roles_of(user)  # the grants every scope check reads, loaded once per request
    if not roles:
        return False
    group_settings = group_settings or sign_in_settings()
    return bool(roles & group_settings.two_factor_roles)


def requires_two_factor(user, group_settings: SignInSettings | None = None) -> bool:
    """Must this user confirm the sign-in with a one-time code before anything else?"""
    return bool(settings.LIANFANG_TWO_FACTOR_ENFORCED) and is_privileged(user, group_settings)


def idle_limit(user, group_settings: SignInSettings | None = None) -> datetime.timedelta | None:
    """How long a session of this user may stay idle, or None when it may not time out."""
    if not getattr(user, "is_authenticated", False) or (not user.is_superuser and not roles_of(user)):
        return None
    group_settings = group_settings or sign_in_settings()
    if not group_settings.idle_timeout_minutes or not is_privileged(user, group_settings):
        return None
    return datetime.timedelta(minutes=group_settings.idle_timeout_minutes)


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_office(user) -> bool:
    """The group office: may end others' sign-ins and unlock accounts (a grant at the group)."""
    root = Unit.objects.filter(depth=1).order_by("path").first()
    return root is not None and can(user, Action.DELETE, UserSession, root)


def tokens_for(*, viewer) -> QuerySet[ServiceToken]:
    return ServiceToken.objects.restrict(viewer, Action.VIEW).select_related("unit", "user")


def sign_ins_of(*, viewer, user) -> QuerySet[UserSession]:
    """The user's own sign-ins, or another user's when the viewer may end them."""
    qs = UserSession.objects.filter(user=user)
    if viewer.pk == user.pk:
        return qs
    return qs & UserSession.objects.restrict(viewer, Action.DELETE)


def locked_accounts(*, viewer) -> list[dict[str, Any]]:
    """Account and address pairs locked out now (failures at the limit within the cool-off time)."""
    if not is_office(viewer):
        return []
    limit = settings.AXES_FAILURE_LIMIT
    since = timezone.now() - datetime.timedelta(hours=settings.AXES_COOLOFF_TIME)
    rows = AccessAttempt.objects.filter(failures_since_start__gte=limit, attempt_time__gte=since).order_by(
        "-attempt_time"
    )
    return [
        {
            "id": row.pk,
            "username": row.username,
            "ip": row.ip_address,
            "failures": row.failures_since_start,
            "last": row.attempt_time,
            "until": row.attempt_time + datetime.timedelta(hours=settings.AXES_COOLOFF_TIME),
        }
        for row in rows
    ]
