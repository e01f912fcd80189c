"""Shared API pieces: the restricted base viewset and the error format."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from lianfang.org.choices import Action

METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


def exception_handler(exc, context):
    """Django's ValidationError and PermissionDenied, raised by services, become 400 and 403."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class StrictFieldsMixin:
    """Refuse input fields the serializer does not accept, so a typo or a forbidden field
    (``is_staff``, ``created_by``) is reported instead of silently ignored."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data.keys()) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["This field cannot be written."] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class RestrictedViewSet(viewsets.GenericViewSet):
    """Base viewset: the queryset is restricted to what the user may do with this HTTP method.

    An object outside the user's view scope is 404; inside the view scope but outside the
    scope of the method's action, 403.
    """

    queryset_action_override: dict[str, str] = {}

    def action_for_request(self) -> str:
        return self.queryset_action_override.get(self.action, METHOD_ACTIONS.get(self.request.method, Action.VIEW))

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, Action.VIEW)

    def get_object(self):
        obj = super().get_object()  # 404 when outside the view scope
        action = self.action_for_request()
        if action != Action.VIEW:
            model = type(obj)
            if not model._default_manager.restrict(self.request.user, action).filter(pk=obj.pk).exists():
                raise exceptions.PermissionDenied()
        return obj
