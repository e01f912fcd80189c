"""Shared API pieces: the restricted base viewset, scoped fields, paging, the error format,
and the core endpoints (token, change log, audit events, jobs).

The scoping rules of DESIGN.md apply to the API exactly as to the pages:

* every queryset a viewset reads passes through ``restrict(user, "view")``; an object outside it
  is 404, so it cannot be discovered;
* an object inside the view scope but outside the scope of the request's action is 403;
* related fields in writes (``unit``, ``parent``) only accept units inside the writer's scope for
  the action, so an out-of-scope id is the same 400 "object does not exist" as a missing one;
* filter choices (``?unit=``) are restricted too, for the same reason.
"""

from __future__ import annotations

import datetime
import difflib
from decimal import Decimal
from typing import Any

from django.contrib.auth import authenticate, get_user_model, user_logged_in, user_logged_out
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.filters import ModelChoiceFilter, ModelMultipleChoiceFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from lianfang.core.models import AuditEvent, Job, ObjectChange
from lianfang.core.scoping import Action, policy
from lianfang.core.serializers import AuditEventSerializer, JobSerializer, ObjectChangeSerializer

# The scope action of each standard viewset action; custom actions declare theirs with
# ``@action(..., scope_action=Action.CHANGE)``.
VIEWSET_ACTIONS = {
    "list": Action.VIEW,
    "retrieve": Action.VIEW,
    "create": Action.ADD,
    "update": Action.CHANGE,
    "partial_update": Action.CHANGE,
    "destroy": Action.DELETE,
}
METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


# --- Errors -------------------------------------------------------------------------------------


def exception_handler(exc, context):
    """Django's ValidationError and PermissionDenied, raised by services, become 400 and 403, each
    with the service's own words.

    A service's ``ValidationError({"parent": ...})`` keeps its field names, so API clients see the
    same ``{"field": ["message"]}`` shape as for serializer errors; errors not tied to a field
    (model ``clean()``, constraints) come under ``non_field_errors``.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                (api_settings.NON_FIELD_ERRORS_KEY if key == "__all__" else key): messages
                for key, messages in exc.message_dict.items()
            }
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        # A service's refusal says who may do it ("only the receiving unit records a receipt"); keep it.
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    return drf_exception_handler(exc, context)


# --- Serializer pieces --------------------------------------------------------------------------


class StrictFieldsMixin:
    # Refuse input fields the serializer does not accept, so that nothing sent is silently ignored.
    #
    # A name the serializer does not know (a typo such as ``nmae``, or ``is_staff``) is reported as
    # unknown, with the fields the endpoint does take and the nearest one; a field the serializer
    # shows but does not write (``created``, ``id``) says that it cannot be written.
    # ``strict_field_hints`` maps a refused field to a message that says what to do instead.
    #
    # (A comment, not a docstring: the OpenAPI schema describes each serializer by the first
    # docstring in its classes, and this one would then describe every request body.)

    strict_field_hints: dict[str, Any] = {}

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            fields = self.fields  # type: ignore[attr-defined]
            writable = [name for name, field in fields.items() if not field.read_only]
            refused = sorted(set(data.keys()) - set(writable))
            if refused:
                hints = self.strict_field_hints
                raise serializers.ValidationError(
                    {name: [refused_field_message(name, fields, writable, hints)] for name in refused}
                )
        return super().to_internal_value(data)  # type: ignore[misc]


def refused_field_message(name: str, fields, writable: list[str], hints: dict[str, Any]) -> Any:
    """Why an input field was refused: the endpoint's hint, read-only, or unknown (naming the fields)."""
    if name in hints:
        return hints[name]
    if name in fields:
        return str(_("This field cannot be written."))
    if not writable:
        return _("Unknown field: %(field)s; this takes no fields.") % {"field": name}
    fields = ", ".join(writable)
    nearest = difflib.get_close_matches(str(name).lower(), writable, n=1, cutoff=0.7)
    if nearest:
        return _("Unknown field: %(field)s (did you mean %(nearest)s?); the fields are %(fields)s.") % {
            "field": name,
            "nearest": nearest[0],
            "fields": fields,
        }
    return _("Unknown field: %(field)s; the fields are %(fields)s.") % {"field": name, "fields": fields}


class MaskedCharField(serializers.CharField):
    """A personal identifier: written in full, always read back masked.

    The full value is only given by the audited ``reveal`` endpoint, so that a response body (in a
    log, a cache, a screenshot) never carries it by accident.
    """

    def __init__(self, *, mask, **kwargs):
        self.mask = mask
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.mask(value)


class ScopedUnitField(serializers.PrimaryKeyRelatedField):
    """A unit chosen in a write, limited to active units where the writer may ``action`` a ``model``.

    An out-of-scope id fails exactly like a missing one (400 "object does not exist"). On update,
    the object's current unit stays acceptable, so a full ``PUT`` that keeps it does not fail.
    """

    def __init__(self, *, scope_model: type[Model], scope_action: str = Action.ADD, **kwargs):
        self.scope_model = scope_model
        self.scope_action = scope_action
        kwargs.setdefault("queryset", policy().all_units())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        qs = policy().units_where(user, self.scope_model, self.scope_action).filter(is_active=True)
        current = getattr(getattr(self.parent, "instance", None), "unit_id", None)
        if current is not None:
            qs = qs | policy().all_units().filter(pk=current)
        return qs


class LooseDecimalField(serializers.DecimalField):
    """A number read as it was sent; the service decides what is acceptable and says why not."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 30)
        kwargs.setdefault("decimal_places", 10)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return Decimal(str(data).strip())
        except Exception:
            raise serializers.ValidationError(_("Enter a number.")) from None


def schema_requiring(serializer_class: type[serializers.Serializer], *names: str, name: str) -> type:
    """``serializer_class`` as the schema shows a create's body: the same fields, ``names`` required.

    For a create that shares its serializer with a partial update (where nothing is required) and
    whose view or service insists on these fields with its own words: the schema then says what a
    create needs, and the answer to a body without them stays the service's. ``name`` is the
    schema component's name (``RiskAreaCreate`` → ``RiskAreaCreateRequest``).
    """

    def get_fields(self):
        fields = serializer_class.get_fields(self)
        for field_name in names:
            fields[field_name].required = True
        return fields

    return type(f"{name}Serializer", (serializer_class,), {"get_fields": get_fields, "__module__": __name__})


def schema_one_of(
    serializer_class: type[serializers.Serializer], *, name: str, variants: dict[str, tuple[str, ...]]
) -> PolymorphicProxySerializer:
    """A create's body that needs one of several sets of fields (a person on the roster, or an
    external person's name and unit): ``oneOf`` the variants, each listing its required fields."""
    return PolymorphicProxySerializer(
        component_name=name,
        serializers=[
            schema_requiring(serializer_class, *names, name=f"{name}{variant}") for variant, names in variants.items()
        ],
        resource_type_field_name=None,
    )


# --- Paging and filtering -----------------------------------------------------------------------


class Pagination(PageNumberPagination):
    """``?page=2&page_size=200``; 50 rows a page unless asked, never more than 500."""

    page_size_query_param = "page_size"
    max_page_size = 500


# --- Integer query parameters -------------------------------------------------------------------

# What the database can hold in an id or an integer column (a 64-bit signed integer). A larger value in
# a filter made SQLite raise OverflowError (a 500); it is a 400 naming the parameter instead.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _out_of_range(name: str) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {name: [_("Give a whole number between %(min)d and %(max)d.") % {"min": INT_MIN, "max": INT_MAX}]}
    )


def query_int(params, name: str, *, invalid: str | None = None) -> int | None:
    """``?name=`` as an integer within the database's range, None when left out; anything else is a 400
    that names the parameter (``invalid`` is the message for text that is no number)."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise exceptions.ValidationError({name: [invalid or _("Give a whole number.")]}) from None
    if not INT_MIN <= value <= INT_MAX:
        raise _out_of_range(name)
    return value


# The days a query may ask about: the year 145 is a typo, and its times would carry the local mean
# time of old time-zone tables (+08:05:43), which no client expects.
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2099, 12, 31)


def query_date(params, name: str = "date") -> datetime.date | None:
    """``?name=`` as a day (YYYY-MM-DD), None when left out; anything else is a 400 that names the
    parameter, in the same ``{"date": ["…"]}`` shape as every other refusal of input."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        day = serializers.DateField().run_validation(raw)
    except exceptions.ValidationError as exc:
        raise exceptions.ValidationError({name: exc.detail}) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise exceptions.ValidationError(
            {name: [_("Give a day between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY}]}
        )
    return day


def ensure_integers_in_range(params, names) -> None:
    """Refuse any of ``names`` whose value (or one of its comma-separated values) is a whole number
    outside the database's range; other text is left to the filter's own validation."""
    for name in names:
        for raw in params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]:
            for part in str(raw or "").split(","):
                part = part.strip()
                if part.lstrip("+-").isdigit() and not INT_MIN <= int(part) <= INT_MAX:
                    raise _out_of_range(name)


class RestrictedFilterBackend(DjangoFilterBackend):
    """The model's shared FilterSet, with every model choice restricted to what the user may view.

    Without this a ``?unit=<id>`` filter would answer 400 for a missing unit and 200 for an
    out-of-scope one, and the browsable API would list every unit in its filter form.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        # Every filter that takes a number or an id (a model choice) refuses one past the database's range.
        ensure_integers_in_range(
            request.query_params,
            [
                name
                for name, flt in filterset.filters.items()
                if isinstance(flt, NumberFilter | ModelChoiceFilter | ModelMultipleChoiceFilter)
            ],
        )
        extra = view.filter_querysets(request) if hasattr(view, "filter_querysets") else {}
        for name, flt in filterset.filters.items():
            if name in extra:
                flt.queryset = extra[name]
                continue
            base = getattr(flt, "queryset", None)
            if isinstance(base, QuerySet) and hasattr(base, "restrict"):
                flt.queryset = base.restrict(request.user, Action.VIEW)
        return filterset


# --- Viewsets -----------------------------------------------------------------------------------


class RestrictedViewSet(viewsets.GenericViewSet):
    """Base viewset: the queryset is restricted to what the user may view.

    An object outside the user's view scope is 404; inside the view scope but outside the scope of
    the request's action (``VIEWSET_ACTIONS`` or the custom action's ``scope_action``), 403. A
    collection action (``create``, an import, an export) by a user who may do it nowhere is 403
    before the input is read.
    """

    pagination_class = Pagination
    filter_backends = [RestrictedFilterBackend, OrderingFilter]
    lookup_value_regex = r"\d+"
    # Set per custom action through ``@action(scope_action=...)``.
    scope_action: str | None = None

    def action_for_request(self) -> str:
        if self.scope_action:
            return self.scope_action
        default = METHOD_ACTIONS.get(self.request.method or "GET", Action.VIEW)
        return VIEWSET_ACTIONS.get(self.action or "", default)

    def get_queryset(self):
        qs: Any = super().get_queryset()  # a RestrictedQuerySet: every model served here has one
        return qs.restrict(self.request.user, Action.VIEW)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A collection action (create, import, export) by someone who may do it nowhere: 403 at once.
        # Detail actions are checked against the object in ``get_object``.
        action = self.action_for_request()
        if self.action and not self.detail and action != Action.VIEW:  # no action: 405 follows
            model = self.get_queryset().model
            if not policy().has_any(request.user, model._meta.label_lower, action):
                raise exceptions.PermissionDenied()

    def get_object(self):
        obj = super().get_object()  # 404 when outside the view scope
        action = self.action_for_request()
        if action != Action.VIEW:
            model = type(obj)
            if not model._default_manager.restrict(self.request.user, action).filter(pk=obj.pk).exists():
                raise exceptions.PermissionDenied()
        return obj

    def refetch(self, obj: Model) -> Model:
        """The object as this viewset reads it (annotations, related rows) after a service wrote it."""
        return self.get_queryset().get(pk=obj.pk)

    def respond(self, obj: Model, *, status_code: int = status.HTTP_200_OK, serializer_class=None) -> Response:
        """The response to a write: the object re-read and serialized as the list and detail show it."""
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(self.refetch(obj), context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)


class ExplainedDenials:
    """A detail action refused on the object says who can act, not only "not allowed"."""

    def denial_message(self, obj) -> str | None:
        return None

    def get_object(self):
        try:
            return super().get_object()  # type: ignore[misc]
        except exceptions.PermissionDenied:
            obj = RestrictedViewSet.get_queryset(self).get(pk=self.kwargs["pk"])  # type: ignore[arg-type]
            raise exceptions.PermissionDenied(detail=self.denial_message(obj)) from None


# --- Commands: an action that runs one service --------------------------------------------------


def command(
    summary: str,
    *,
    takes: type[serializers.Serializer] | None = None,
    gives: Any = None,
    status_code: int = status.HTTP_200_OK,
    reread: bool = False,
    scope_action: str | None = Action.VIEW,
    url_path: str | None = None,
    detail: bool = True,
    responses: dict[int, Any] | None = None,
    before: Any = None,
):
    """A POST action on a viewset that runs one service: ``@command("Ship the transfer", takes=…,
    gives=TransferSerializer)`` above ``def ship(self, request, transfer, data): return
    services.transfer_ship(actor=request.user, transfer=transfer, **data)``.

    The decorator writes what every such action repeats: the schema (summary, request, responses),
    the route (``url_path`` and ``url_name`` from the method's name, dashes for underscores), no
    filters and no paging, the object looked up through the viewset (404 out of scope; 403 when
    ``scope_action`` is not allowed on it — the services check the finer rules and say who may act),
    the input parsed with ``takes`` (400 naming each field), and the answer: the returned object
    serialized with ``gives`` (``reread``: re-read through the viewset first, as list and detail show
    it), a ``Response`` returned as it is, or 204 when the service returns nothing. A service's
    ``ValidationError`` and ``PermissionDenied`` become 400 and 403 with their own words
    (:func:`exception_handler`).

    The decorated method is called as ``method(self, request, obj, data)`` for a detail action and
    ``method(self, request, data)`` otherwise; ``data`` is the validated input (``{}`` without
    ``takes``). ``before(view, request)``, when given, runs first — a permission check that must
    answer 403 before the input is read.
    """

    def decorator(method):
        name = method.__name__.replace("_", "-")
        path = url_path or name
        if responses is not None:
            schema_responses = responses
        elif gives is not None:
            schema_responses = {status_code: gives}
        else:
            schema_responses = {status.HTTP_204_NO_CONTENT: None}

        def run(self, request, *args, **kwargs):
            if before is not None:
                before(self, request)
            obj = self.get_object() if detail else None
            data: Any = {}
            if takes is not None:
                parsed = takes(data=request.data, context=self.get_serializer_context())
                parsed.is_valid(raise_exception=True)
                data = parsed.validated_data
            result = method(self, request, obj, data) if detail else method(self, request, data)
            if isinstance(result, Response):
                return result
            if result is None or gives is None:
                return Response(status=status.HTTP_204_NO_CONTENT)
            if reread:
                return self.respond(result, status_code=status_code, serializer_class=gives)
            many = isinstance(result, list | tuple)
            return Response(gives(result, many=many, context=self.get_serializer_context()).data, status=status_code)

        run.__name__ = method.__name__
        run.__doc__ = method.__doc__
        run.__qualname__ = method.__qualname__
        # ``scope_action`` is read by RestrictedViewSet; a plain viewset has no such attribute.
        extra = {"scope_action": scope_action} if scope_action is not None else {}
        routed = action(
            detail=detail,
            methods=["post"],
            url_path=path,
            url_name=path,
            filter_backends=[],
            pagination_class=None,
            **extra,
        )(run)
        return extend_schema(summary=summary, request=takes, responses=schema_responses)(routed)

    return decorator


# --- Core endpoints -----------------------------------------------------------------------------


class TokenThrottle(AnonRateThrottle):
    """Slow down password guessing against the token endpoint (per client address)."""

    scope = "token"
    rate = "20/min"


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenView(APIView):
    """POST a username and password for an API token; DELETE the token to log out everywhere.

    Obtaining a token is a login: the same ``user_logged_in`` / ``user_login_failed`` signals as the
    login page fire, so both appear in the audit events. The token is DRF's own bookkeeping, not
    domain data, so it is written here rather than through a service.
    """

    throttle_classes = [TokenThrottle]

    def get_authenticators(self):
        # A stale token or session must not stand in the way of getting a new one.
        # (``request`` is None while the schema is generated.)
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: OpenApiResponse(description="Wrong username or password.")},
        auth=[],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # ``authenticate`` with the request sends ``user_login_failed`` on a wrong password.
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Unable to log in with the username and password given.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadOnlyRestrictedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    pass


@extend_schema_view(
    list=extend_schema(summary="List changes (change log)"),
    retrieve=extend_schema(summary="One change with the data before and after"),
)
class ObjectChangeViewSet(ReadOnlyRestrictedViewSet):
    """The change log: every write to every object, scoped by the object's unit."""

    queryset = ObjectChange.objects.select_related("content_type")
    serializer_class = ObjectChangeSerializer
    ordering_fields = ["time", "id"]
    filterset_fields = {
        "action": ["exact"],
        "unit": ["exact"],
        "user": ["exact"],
        "request_id": ["exact"],
        "object_id": ["exact"],
        "time": ["gte", "lt"],
    }

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"user": users_seen_in(self.get_queryset())}


@extend_schema_view(
    list=extend_schema(summary="List audit events (logins, imports, exports, unmasks)"),
    retrieve=extend_schema(summary="One audit event"),
)
class AuditEventViewSet(ReadOnlyRestrictedViewSet):
    """Audit events: logins, failed logins, logouts, imports, exports and unmasks."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    ordering_fields = ["time", "id"]
    filterset_fields = {
        "kind": ["exact"],
        "unit": ["exact"],
        "user": ["exact"],
        "user_name": ["exact"],
        "request_id": ["exact"],
        "time": ["gte", "lt"],
    }

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"user": users_seen_in(self.get_queryset())}


def users_seen_in(qs: QuerySet) -> QuerySet:
    """Users named in rows the viewer may see: the only users a ``?user=`` filter may name."""
    return get_user_model().objects.filter(pk__in=qs.exclude(user=None).values("user"))


@extend_schema_view(
    list=extend_schema(summary="List my background jobs"),
    retrieve=extend_schema(summary="One of my background jobs (poll it until it is finished)"),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The background jobs (imports, exports) the user started. Nobody else's.

    Not unit-scoped on purpose: a job's result and errors belong to whoever submitted the file,
    and the office reads imports through the audit events instead.
    """

    serializer_class = JobSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    ordering_fields = ["created", "id"]
    filterset_fields = ["kind", "status"]
    filter_backends = [DjangoFilterBackend, OrderingFilter]

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return Job.objects.none()
        return Job.objects.filter(created_by=user).order_by("-created", "-id")
