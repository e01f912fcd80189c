"""Service tokens for machine clients and the list of a user's sign-ins (sessions)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.querysets import RestrictedManager

# (marker in the user agent, name), the first match wins: Edge and Opera also say "Chrome", Chrome
# also says "Safari", the WeChat and DingTalk browsers say all of them.
BROWSERS = (
    ("MicroMessenger", _("WeChat")),
    ("DingTalk", _("DingTalk")),
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("HarmonyOS", "HarmonyOS"),
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """A browser's user agent as people name it: "Chrome · Windows", "WeChat · iOS"; a program that
    is no browser by its first word ("python-requests"). No parsing library: a list to recognise is enough."""
    agent = user_agent or ""
    browser = next((str(name) for marker, name in BROWSERS if marker in agent), "")
    system = next((name for marker, name in SYSTEMS if marker in agent), "")
    if browser or system:
        return " · ".join(part for part in (browser, system) if part)
    return agent.split(" ")[0].split("/")[0][:40]


class ServiceToken(models.Model):
    """An API token for a machine client (an HR system feeding accounts), issued by the group office.

    It acts as the office administrator who issued it, narrowed to one unit subtree and to the named
    endpoints, until it expires or is revoked. Only a digest of the key is kept: the key is shown once.
    """

    name = models.CharField(_("name"), max_length=100)
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    last4 = models.CharField(_("last characters"), max_length=4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.PROTECT, related_name="service_tokens"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    endpoints = models.JSONField(
        _("endpoints"),
        default=list,
        help_text=_('API route names or path prefixes under /api/v1/, e.g. "person" or "people/"; empty: none.'),
    )
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    created = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"
    audit_exclude = ("key_digest",)

    class Meta:
        verbose_name = _("service token")
        verbose_name_plural = _("service tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ····{self.last4}"

    @property
    def masked(self) -> str:
        return f"····{self.last4}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)


class UserSession(models.Model):
    """One signed-in browser of a user ("My sign-ins"): ending it deletes the Django session."""

    session_key = models.CharField(_("session"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sign_ins"
    )
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(pgettext_lazy("network", "address"), null=True, blank=True)
    created = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)

    objects = RestrictedManager()
    # The person's unit; office accounts without a roster record are seen from the group only.
    scope_unit_field = "user__person__unit"

    class Meta:
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.user} · {self.ip or '—'}"

    @property
    def device(self) -> str:
        return device_label(self.user_agent)
