"""Writes for sign-in protection. Each checks who may do it, writes in one transaction and is audited."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Sequence

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lianfang.accounts.models import ServiceToken, UserSession
from lianfang.accounts.selectors import is_office, sign_ins_of
from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import ensure_can, ensure_in_scope
from lianfang.org.services import can_change_group_settings

SERVICE_TOKEN_PREFIX = "lfs_"  # noqa: S105  (a marker, not a secret)
RECOVERY_CODES = 10


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- the second factor ----------------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, actor) -> TOTPDevice:
    """A new, unconfirmed authenticator for the actor (a previous unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, actor, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns the recovery codes, shown once.

    Any earlier authenticator and recovery codes of the actor are replaced.
    """
    if device.user_id != actor.pk or device.confirmed:
        raise PermissionDenied
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError({"code": _("The code is wrong or has expired. Enter the code your app shows now.")})
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=actor).delete()
    static = StaticDevice.objects.create(user=actor, name="recovery codes", confirmed=True)
    codes = [f"{secrets.randbelow(10**8):08d}" for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    record_event(kind=AuditKind.LOGIN, actor=actor, event="two_factor_enrolled")
    return codes


def one_time_code_check(*, user, code: str):
    """The device that accepts the code (an authenticator's code or an unused recovery code), or None."""
    code = (code or "").strip().replace(" ", "")
    if not code:
        return None
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(code):  # a recovery code works once: verify_token deletes it
            return static
    return None


@transaction.atomic
def two_factor_reset(*, actor, user) -> None:
    """The office removes a user's authenticator (a lost phone): they enrol again at the next sign-in."""
    if not is_office(actor) or not getattr(actor, "is_verified", lambda: True)():
        raise PermissionDenied
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record_event(kind=AuditKind.LOGOUT, actor=actor, object_repr=user.get_username(), event="two_factor_reset")
    sessions_end(actor=actor, user=user)


# --- lockout --------------------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, actor, attempt_id: int) -> None:
    """Lift a lockout of one account at one address (django-axes), audited."""
    if not is_office(actor):
        raise PermissionDenied
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        raise ValidationError(_("This lockout has already ended."))
    axes_reset(username=attempt.username, ip=attempt.ip_address)
    record_event(
        kind=AuditKind.LOGIN_FAILED,
        actor=actor,
        object_repr=attempt.username or "",
        event="unlocked",
        username=attempt.username,
        address=attempt.ip_address,
    )


# --- service tokens -------------------------------------------------------------------------------


def _must_have_signed_in_with_second_factor(actor) -> None:
    if settings.LIANFANG_TWO_FACTOR_ENFORCED and not getattr(actor, "is_verified", lambda: False)():
        raise PermissionDenied(_("Confirm your sign-in with a one-time code before issuing or revoking tokens."))


@transaction.atomic
def service_token_issue(
    *,
    actor,
    name: str,
    unit: Unit,
    endpoints: Sequence[str],
    expires: datetime.datetime | None,
) -> tuple[ServiceToken, str]:
    """Issue a token; returns it with the key, which is shown this once and never stored."""
    ensure_can(actor, Action.ADD, ServiceToken, unit)
    _must_have_signed_in_with_second_factor(actor)
    endpoints = [e.strip() for e in endpoints if e and e.strip()]
    if not endpoints:
        raise ValidationError({"endpoints": _("Name at least one endpoint the client may call.")})
    if expires is not None and expires <= timezone.now():
        raise ValidationError({"expires": _("The expiry must be in the future.")})
    key = SERVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken(
        name=name.strip(),
        key_digest=token_digest(key),
        last4=key[-4:],
        user=actor,
        unit=unit,
        endpoints=endpoints,
        expires=expires,
    )
    token.full_clean()
    token.save()
    record_change(actor=actor, obj=token, action=ChangeAction.CREATE)
    ensure_in_scope(actor, token, Action.VIEW)
    return token, key


@transaction.atomic
def service_token_revoke(*, actor, token: ServiceToken) -> ServiceToken:
    token = ServiceToken.objects.select_for_update().get(pk=token.pk)
    ensure_can(actor, Action.CHANGE, ServiceToken, token.unit)
    _must_have_signed_in_with_second_factor(actor)
    if token.revoked is not None:
        return token
    before = snapshot(token)
    token.revoked = timezone.now()
    token.save(update_fields=["revoked"])
    record_change(actor=actor, obj=token, action=ChangeAction.UPDATE, before=before)
    return token


# --- sessions -------------------------------------------------------------------------------------


def _end(sessions) -> int:
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


@transaction.atomic
def session_end(*, actor, session: UserSession) -> None:
    """End one sign-in of the actor's own (or, for the office, anyone's)."""
    if not sign_ins_of(viewer=actor, user=session.user).filter(pk=session.pk).exists():
        raise PermissionDenied
    _end(UserSession.objects.filter(pk=session.pk))
    record_event(kind=AuditKind.LOGOUT, actor=actor, object_repr=session.user.get_username(), event="session_ended")


@transaction.atomic
def sessions_end(*, actor, user, keep_key: str | None = None) -> int:
    """End all sign-ins of ``user`` but ``keep_key`` (the actor's current one: "end all others")."""
    if actor.pk != user.pk and not is_office(actor):
        raise PermissionDenied
    sessions = UserSession.objects.filter(user=user)
    if keep_key:
        sessions = sessions.exclude(session_key=keep_key)
    ended = _end(sessions)
    record_event(
        kind=AuditKind.LOGOUT, actor=actor, object_repr=user.get_username(), event="sessions_ended", count=ended
    )
    return ended


# --- settings -------------------------------------------------------------------------------------


@transaction.atomic
def sign_in_settings_update(*, actor, two_factor_roles: Sequence[str], idle_timeout_minutes: int) -> GroupSettings:
    if not can_change_group_settings(actor):
        raise PermissionDenied
    valid = set(Role.values)
    roles = sorted({r for r in two_factor_roles if r in valid})
    group_settings = GroupSettings.objects.select_for_update().get(pk=GroupSettings.load().pk)
    before = snapshot(group_settings)
    group_settings.two_factor_roles = roles
    group_settings.idle_timeout_minutes = idle_timeout_minutes
    group_settings.full_clean()
    group_settings.save()
    record_change(actor=actor, obj=group_settings, action=ChangeAction.UPDATE, before=before)
    return group_settings
