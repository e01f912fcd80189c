"""Employee account activation: a one-time link (or QR code) the liaison hands out, no e-mail needed.

The liaison prints activation QR codes for the people of their unit who have no account yet; the
person scans theirs, sets a password, and from then on signs in with their employee number (the
username) and that password. The token works like Django's password-reset token: an HMAC of the
person and of state that changes once the link is used (the account it created, its password and
last login), with a time stamp, so it is invalid after use and after ``LIANFANG_ACTIVATION_DAYS``.
Nothing is stored for a token: printing new codes does not invalidate old ones until one is used.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment
from lianfang.org.scoping import can
from lianfang.people.models import Person

ACTIVATION_DAYS = int(getattr(settings, "LIANFANG_ACTIVATION_DAYS", 14))


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for activating a person's account; one use, limited life."""

    key_salt = "lianfang.people.activation.ActivationTokenGenerator"

    @property
    def timeout(self) -> int:
        return int(getattr(settings, "LIANFANG_ACTIVATION_DAYS", ACTIVATION_DAYS)) * 24 * 3600

    def _make_hash_value(self, person, timestamp) -> str:  # type: ignore[override]
        # Once the person has an account, its id, password hash and last login enter the hash: the
        # token that created it no longer matches, and neither does any other printed before.
        user = person.user if person.user_id else None
        password = user.password if user else ""
        last_login = (
            "" if user is None or user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        )
        return f"{person.pk}|{person.employee_no}|{person.user_id}|{password}|{last_login}|{timestamp}"

    def check_token(self, person, token) -> bool:  # type: ignore[override]
        """Django's check, with the activation lifetime instead of PASSWORD_RESET_TIMEOUT."""
        if not (person and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(person, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= self.timeout


activation_tokens = ActivationTokenGenerator()


def activation_url(person: Person) -> str:
    """The path of the person's activation page (the QR code holds it with the site's address)."""
    return reverse("health:activate", args=[person.pk, activation_tokens.make_token(person)])  # type: ignore[arg-type]


def people_without_account(*, viewer, unit=None):
    """Active people in the viewer's scope who have no account, for whom the viewer may hand out
    activation codes (those allowed to change people: liaisons and the office)."""
    from lianfang.org.scoping import units_where
    from lianfang.people.choices import EmploymentStatus

    units = units_where(viewer, Person, Action.CHANGE)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    return (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(unit__in=units, user__isnull=True, employment_status=EmploymentStatus.ACTIVE)
        .select_related("unit")
        .order_by("unit__path", "employee_no")
    )


def ensure_may_hand_out(*, actor, person: Person) -> None:
    if not can(actor, Action.CHANGE, Person, person.unit):
        raise PermissionDenied


@transaction.atomic
def person_activate(*, person: Person, token: str, password: str):
    """Create the person's account from a valid activation token.

    The username is the employee number; the account gets the employee role on the person's unit.
    The actor is the new user (the person themselves); the change log records the account, the
    link on the person and the role.
    """
    person = Person.objects.select_for_update(of=("self",)).select_related("user", "unit").get(pk=person.pk)
    if not activation_tokens.check_token(person, token):
        raise ValidationError(
            _("This activation link was already used or has expired: ask your liaison for a new one.")
        )
    if person.user_id is not None:
        # An account opened through the API without a password: the link sets its first password.
        if not person.user.has_usable_password():
            return _set_first_password(person.user, password)
        # Not reachable with a valid token; kept as the database's last word.
        raise ValidationError(_("This person already has an account."))
    User = get_user_model()
    username = person.employee_no
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("An account named %(username)s already exists: ask the group office to link it.") % {"username": username}
        )
    user = User(username=username, first_name=person.name[:150])
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    user.set_password(password)
    user.save()
    before = snapshot(person)
    person.user = user
    person.save(update_fields=["user"])
    record_change(actor=user, obj=person, action=ChangeAction.UPDATE, before=before)
    role = RoleAssignment.objects.create(user=user, unit=person.unit, role=Role.EMPLOYEE)
    record_change(actor=user, obj=role, action=ChangeAction.CREATE)
    return user


def _set_first_password(user, password: str):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
