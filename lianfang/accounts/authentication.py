"""API tokens: service tokens (limited to endpoints, a unit subtree and an expiry), and personal tokens.

A key that starts with ``lfs_`` is a service token, looked up by its digest; anything else is a
personal token of ``POST /api/v1/auth/token/`` (DRF's ``Token``, all the owner's endpoints and
scope, no expiry), read as before.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from lianfang.accounts.models import ServiceToken
from lianfang.accounts.services import SERVICE_TOKEN_PREFIX, token_digest
from lianfang.org.scoping import narrow_to_subtree
from lianfang.people.authentication import TokenAuthentication

API_PREFIX = "/api/v1/"


def endpoint_allowed(endpoints: list[str], url_name: str, path: str) -> bool:
    """Does one of the token's entries name this route?

    An entry is a route name (``person-list``), a route's base name (``person``: every route of the
    viewset) or a path prefix under /api/v1/ ending in "/" (``people/``, ``health/``).
    """
    relative = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
    for entry in endpoints:
        if entry.endswith("/"):
            if relative.startswith(entry.lstrip("/")):
                return True
        elif url_name and (url_name == entry or url_name.startswith(entry + "-")):
            return True
    return False


class ServiceTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if len(auth) == 2 and auth[0].lower() == self.keyword.lower().encode():
            try:
                key = auth[1].decode()
            except UnicodeError:
                key = ""
            if key.startswith(SERVICE_TOKEN_PREFIX):
                return self._service(request, key)
        return super().authenticate(request)

    def _service(self, request, key: str):
        token = ServiceToken.objects.select_related("user", "unit").filter(key_digest=token_digest(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.revoked is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires is not None and token.expires <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired. Ask the group office for a new one."))
        match = getattr(request._request, "resolver_match", None)
        url_name = match.url_name if match is not None else ""
        if not endpoint_allowed(token.endpoints, url_name or "", request.path):
            raise exceptions.PermissionDenied(_("This token may not call this endpoint."))
        user = token.user
        narrow_to_subtree(user, token.unit.path)
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ServiceToken.objects.filter(pk=token.pk).update(last_used=now)
        return (user, token)
