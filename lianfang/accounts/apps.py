from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in safely: the second factor, lockout, service tokens, sessions (issue 11, ADR 0011)."""

    name = "lianfang.accounts"
    label = "accounts"
    verbose_name = _("Sign-in protection")

    def ready(self) -> None:
        from lianfang.accounts import signals  # noqa: F401
