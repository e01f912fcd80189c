from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record_event(kind=AuditKind.LOGIN, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_event(kind=AuditKind.LOGOUT, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The password is never kept; the name tried helps spot guessing.
    record_event(kind=AuditKind.LOGIN_FAILED, user_name=str(credentials.get("username", "")))
