"""Password policy: ten characters at least for the roles that sign in with a second factor."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PRIVILEGED_MIN_LENGTH = 10


class PrivilegedPasswordValidator:
    """Django's MinimumLengthValidator (8) holds for everyone; the office's named roles need 10."""

    def __init__(self, min_length: int = PRIVILEGED_MIN_LENGTH) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        from lianfang.accounts.selectors import is_privileged

        if user is None or getattr(user, "pk", None) is None or len(password) >= self.min_length:
            return
        if is_privileged(user):
            raise ValidationError(
                ngettext(
                    "Your role needs a password of at least %(min_length)d character.",
                    "Your role needs a password of at least %(min_length)d characters.",
                    self.min_length,
                )
                % {"min_length": self.min_length},
                code="password_too_short_for_role",
            )

    def get_help_text(self) -> str:
        return _(
            "Office administrators, unit administrators and case managers need at least %(min_length)d characters."
        ) % {"min_length": self.min_length}
