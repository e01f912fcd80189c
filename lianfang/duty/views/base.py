from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from lianfang.core.scoping import Action
from lianfang.duty.models import ShiftMember
from lianfang.org.scoping import has_any


def ensure_duty_viewer(request: HttpRequest) -> None:
    """Pages of the duty app need a role that sees duty posts somewhere, or a place on a roster."""
    if has_any(request.user, "duty.dutypost", Action.VIEW):
        return
    if not ShiftMember.objects.filter(person__user=request.user).exists():
        raise PermissionDenied


def flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)
