"""Pages: the second factor after the password, "My sign-ins", and the office's sign-in security page."""

from __future__ import annotations

import base64

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from lianfang.accounts import selectors, services
from lianfang.accounts.forms import CodeForm, ServiceTokenForm, SignInSettingsForm
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.org.models import GroupSettings
from lianfang.org.scoping import has_any
from lianfang.org.services import can_change_group_settings

_PENDING = "_lianfang_totp_pending"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


def lockout_message(until=None) -> str:
    if until is None:
        minutes = round(settings.AXES_COOLOFF_TIME * 60)
        return _(
            "Too many failed sign-ins for this account from this address. Try again in %(minutes)d minutes, "
            "or ask the group office to unlock it."
        ) % {"minutes": minutes}
    return _(
        "Too many failed sign-ins for this account from this address. Try again after %(time)s, "
        "or ask the group office to unlock it."
    ) % {"time": timezone.localtime(until).strftime("%H:%M")}


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked account and address (AXES_LOCKOUT_CALLABLE)."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "accounts/locked_out.html", {"message": message}, status=403)


def _qr_svg(data: str) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=4, omitsize=True)


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """After the password: enter a code, or set up the authenticator app the first time."""
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        auth.logout(request)
        return locked_out(request)
    enrolled = selectors.has_confirmed_device(user)
    form = CodeForm(request.POST or None)
    device = None
    if not enrolled:
        device = TOTPDevice.objects.filter(pk=request.session.get(_PENDING), user=user, confirmed=False).first()
        if device is None:
            device = services.totp_device_start(actor=user)
            request.session[_PENDING] = device.pk
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if enrolled:
            accepted = services.one_time_code_check(user=user, code=code)
            if accepted is not None:
                otp_login(request, accepted)
                return redirect(_next(request))
            form.add_error("code", _("The code is wrong or has expired. Enter the code your app shows now."))
        else:
            assert device is not None
            try:
                codes = services.totp_device_confirm(actor=user, device=device, code=code)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                request.session.pop(_PENDING, None)
                device.refresh_from_db()
                otp_login(request, device)
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})
        # A wrong code counts toward the lockout like a wrong password.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            auth.logout(request)
            return locked_out(request)
    context = {"form": form, "enrolled": enrolled, "next": _next(request)}
    if device is not None:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor.html", context)


@login_required
def my_sign_ins(request: HttpRequest) -> HttpResponse:
    """My sign-ins: each browser signed in as me, to end one or all others."""
    current = request.session.session_key
    if request.method == "POST":
        if request.POST.get("end") == "others":
            ended = services.sessions_end(actor=request.user, user=request.user, keep_key=current)
            messages.success(request, _("%(count)d other sign-ins ended.") % {"count": ended})
        else:
            session = get_object_or_404(
                selectors.sign_ins_of(viewer=request.user, user=request.user), pk=request.POST.get("session") or 0
            )
            services.session_end(actor=request.user, session=session)
            if session.session_key == current:
                return redirect("login")
            messages.success(request, _("The sign-in was ended."))
        return redirect("accounts:sign-ins")
    sessions = selectors.sign_ins_of(viewer=request.user, user=request.user)
    return render(
        request,
        "accounts/sign_ins.html",
        {"sessions": sessions, "current": current, "verified": request.user.is_verified()},
    )


def _ensure_office(request: HttpRequest) -> None:
    if not (selectors.is_office(request.user) or has_any(request.user, "accounts.servicetoken", Action.VIEW)):
        raise PermissionDenied


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The office's sign-in security: who needs a second factor, lockouts, service tokens."""
    _ensure_office(request)
    user = request.user
    group_settings = GroupSettings.load()
    settings_form = None
    if can_change_group_settings(user):
        settings_form = SignInSettingsForm(
            request.POST if request.POST.get("form") == "settings" else None,
            initial={
                "two_factor_roles": group_settings.two_factor_roles,
                "idle_timeout_minutes": group_settings.idle_timeout_minutes,
            },
        )
    token_form = ServiceTokenForm(request.POST if request.POST.get("form") == "token" else None, user=user)
    new_key = None
    if request.method == "POST":
        try:
            if request.POST.get("form") == "settings" and settings_form is not None and settings_form.is_valid():
                services.sign_in_settings_update(actor=user, **settings_form.cleaned_data)
                messages.success(request, _("Sign-in settings saved."))
                return redirect("accounts:security")
            if request.POST.get("form") == "token" and token_form.is_valid():
                _token, new_key = services.service_token_issue(
                    actor=user,
                    name=token_form.cleaned_data["name"],
                    unit=token_form.cleaned_data["unit"],
                    endpoints=token_form.cleaned_data["endpoints"],
                    expires=token_form.expires(),
                )
                token_form = ServiceTokenForm(user=user)
        except ValidationError as exc:
            apply_service_errors(token_form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
    context = {
        "settings_form": settings_form,
        "token_form": token_form,
        "new_key": new_key,
        "tokens": selectors.tokens_for(viewer=user),
        "locks": selectors.locked_accounts(viewer=user),
        "is_office": selectors.is_office(user),
        "limit": settings.AXES_FAILURE_LIMIT,
        "api_names": _api_names(),
    }
    return render(request, "accounts/security.html", context)


def _api_names() -> list[tuple[str, str]]:
    """(name, address) of each list the API offers, for the token form: the names a token's endpoints
    may hold (a name allows every route of that part of the API)."""
    from django.urls import URLResolver, get_resolver

    names: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, prefix + str(pattern.pattern))
            elif pattern.name and pattern.name.endswith("-list") and prefix.startswith("api/v1/"):
                address = str(pattern.pattern).lstrip("^").rstrip("$")
                if "(" not in address and "<" not in address:
                    names.setdefault(pattern.name.removesuffix("-list"), address)

    walk(get_resolver(), "")
    return sorted(names.items(), key=lambda item: item[1])


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_for(viewer=request.user), pk=pk)
    try:
        services.service_token_revoke(actor=request.user, token=token)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        if not str(exc):
            raise
    else:
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:security")


@require_POST
@login_required
def unlock(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.account_unlock(actor=request.user, attempt_id=pk)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The account was unlocked at that address."))
    return redirect("accounts:security")


@require_POST
@login_required
def user_sign_ins_end(request: HttpRequest) -> HttpResponse:
    """The office ends every sign-in of one user (a lost phone, a person who left)."""
    if not selectors.is_office(request.user):
        raise PermissionDenied
    target = get_object_or_404(get_user_model(), username=request.POST.get("username", ""))
    if request.POST.get("reset_two_factor"):
        services.two_factor_reset(actor=request.user, user=target)
        messages.success(
            request,
            _("%(user)s's authenticator was removed; they set it up again at the next sign-in.")
            % {"user": target.get_username()},
        )
    else:
        ended = services.sessions_end(actor=request.user, user=target)
        messages.success(
            request, _("%(count)d sign-ins of %(user)s ended.") % {"count": ended, "user": target.get_username()}
        )
    return redirect("accounts:security")
