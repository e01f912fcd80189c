"""The API sign-in (``POST /api/v1/auth/token/``) with the second factor for the roles that need it.

Without this, a user who must confirm sign-ins with a one-time code could get a token with the
password alone: the bypass through another sign-in path that ADR 0011 is about.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.settings import api_settings

from lianfang.accounts.selectors import has_confirmed_device, requires_two_factor
from lianfang.accounts.services import one_time_code_check
from lianfang.core.api import TokenRequestSerializer, TokenSerializer
from lianfang.core.api import TokenView as CoreTokenView


class TokenWithCodeRequestSerializer(TokenRequestSerializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The one-time code from the authenticator app (or a recovery code), for roles that need it.",
    )


class TokenView(CoreTokenView):
    @extend_schema(
        request=TokenWithCodeRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username, password or one-time code."),
            403: OpenApiResponse(description="The account must set up a second factor on the web first, or is locked."),
        },
        auth=[],
    )
    def post(self, request):
        data = TokenWithCodeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        user = authenticate(request._request, username=username, password=data.validated_data["password"])
        if user is None:
            raise exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Unable to log in with the username and password given.")]}
            )
        if requires_two_factor(user):
            if not has_confirmed_device(user):
                raise exceptions.PermissionDenied(
                    _("Your role signs in with a second factor: set it up on the web first, then ask for a token.")
                )
            if one_time_code_check(user=user, code=data.validated_data.get("code", "")) is None:
                # A wrong code counts toward the lockout like a wrong password.
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()}, request=request._request
                )
                raise exceptions.ValidationError({"code": [_("The one-time code is wrong or has expired.")]})
        token, _created = Token.objects.get_or_create(user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})
