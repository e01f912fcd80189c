"""REST API of the status rules and personal health statuses, registered from lianfang/api_urls.py.

* ``status-rules``: the office's ordered rules (``POST …/reorder/`` with ``{"order": [ids]}``).
* ``statuses``: the current colour of people in scope (``GET …/mine/`` for your own); ``reason``,
  ``reason_en``, ``until`` and ``rule`` are null unless the reader holds ``unmask`` on
  ``status.personstatus`` for the person's unit, or it is their own status. Reading others'
  reasons is audited.
* ``status-changes``: the history of statuses in scope.
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import (
    Pagination,
    RestrictedViewSet,
    StrictFieldsMixin,
    command,
    query_int,
    schema_requiring,
)
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.health.api.risk_areas import _check
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where
from lianfang.people.models import Person
from lianfang.status import selectors, services
from lianfang.status.choices import Colour
from lianfang.status.models import PersonStatus, StatusChange, StatusRule


class StatusRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusRule
        fields = [
            "id",
            "sort",
            "name",
            "condition",
            "colour",
            "reason",
            "reason_en",
            "hold_days",
            "is_active",
            "updated",
        ]
        read_only_fields = fields


class StatusRuleWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    condition = serializers.JSONField(
        required=False, help_text='{"fact": "<fact>", "within_days": n}; the facts are listed in docs/health-status.md.'
    )
    colour = serializers.ChoiceField(choices=Colour.choices, required=False)
    reason = serializers.CharField(max_length=60, required=False)
    reason_en = serializers.CharField(max_length=60, required=False, allow_blank=True)
    # Any JSON value: the service refuses anything but a whole number of days from 0 to 90, with its message.
    hold_days = serializers.JSONField(required=False, help_text="Whole days from 0 to 90.")
    sort = serializers.IntegerField(required=False, min_value=0, max_value=32000)
    is_active = serializers.BooleanField(required=False)


class ReorderSerializer(StrictFieldsMixin, serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), help_text="Rule ids, first rule first.")


@extend_schema_view(
    list=extend_schema(summary="List status rules (group office)"),
    retrieve=extend_schema(summary="One status rule (group office)"),
    create=extend_schema(
        summary="Add a status rule (group office)",
        request=schema_requiring(
            StatusRuleWriteSerializer, "name", "condition", "colour", "reason", name="StatusRuleCreate"
        ),
    ),
    partial_update=extend_schema(summary="Change a status rule (group office)", request=StatusRuleWriteSerializer),
)
class StatusRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The ordered rules of the status engine; changing them recomputes everyone in the background."""

    serializer_class = StatusRuleSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Set by ``@command``; not a RestrictedViewSet, so ``_check`` decides, not this.
    scope_action: str | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _check(request.user, "status.statusrule", Action.VIEW)

    def get_queryset(self):
        return selectors.status_rule_list(viewer=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return StatusRuleWriteSerializer
        if self.action == "reorder":
            return ReorderSerializer
        return StatusRuleSerializer

    def create(self, request, *args, **kwargs):
        _check(request.user, "status.statusrule", Action.ADD)
        serializer = StatusRuleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.status_rule_create(actor=request.user, **serializer.validated_data)
        return Response(StatusRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        _check(request.user, "status.statusrule", Action.CHANGE)
        serializer = StatusRuleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.status_rule_update(actor=request.user, rule=rule, **serializer.validated_data)
        return Response(StatusRuleSerializer(rule).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")

    @command(
        "Put the rules in this order (group office)",
        takes=ReorderSerializer,
        gives=StatusRuleSerializer,
        responses={200: StatusRuleSerializer(many=True)},
        scope_action=Action.CHANGE,
        detail=False,
        before=lambda view, request: _check(request.user, "status.statusrule", Action.CHANGE),
    )
    def reorder(self, request, data):
        return services.status_rules_reorder(actor=request.user, rule_ids=data["order"])


class PersonStatusSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    employee_no = serializers.CharField(source="person.employee_no", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    may_return_to_work = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField(help_text="Null unless you may read why (unmask, or your own).")
    reason_en = serializers.SerializerMethodField()
    until = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()

    class Meta:
        model = PersonStatus
        fields = [
            "id",
            "person",
            "person_name",
            "employee_no",
            "unit",
            "unit_name",
            "colour",
            "may_return_to_work",
            "reason",
            "reason_en",
            "until",
            "rule",
            "since",
            "computed",
        ]
        read_only_fields = fields

    def _shown(self, st: PersonStatus) -> bool:
        return self.context["policy"].may_read(st.person_id, st.unit)

    def get_may_return_to_work(self, st: PersonStatus) -> bool:
        return st.colour == Colour.GREEN

    def get_reason(self, st: PersonStatus) -> str | None:
        return st.reason if self._shown(st) else None

    def get_reason_en(self, st: PersonStatus) -> str | None:
        return st.reason_en if self._shown(st) else None

    def get_until(self, st: PersonStatus) -> datetime.date | None:
        return st.until if self._shown(st) else None

    def get_rule(self, st: PersonStatus) -> int | None:
        return st.rule_id if self._shown(st) else None


STATUS_FILTERS = [
    OpenApiParameter("colour", str, enum=Colour.values),
    OpenApiParameter("unit", int, description="A unit: its subtree only."),
    OpenApiParameter("person", int),
    OpenApiParameter("q", str, description="A name or an employee number."),
]


@extend_schema_view(
    list=extend_schema(summary="List health statuses", parameters=STATUS_FILTERS),
    retrieve=extend_schema(summary="One health status"),
)
class PersonStatusViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Current health statuses in scope; reasons only with unmask (or your own), each read audited."""

    queryset = PersonStatus.objects.select_related("person", "unit")
    serializer_class = PersonStatusSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("colour"):
            qs = qs.filter(colour=params["colour"])
        person = query_int(params, "person", invalid=_("Give a person id."))
        if person is not None:
            qs = qs.filter(person_id=person)
        if params.get("unit"):
            try:
                unit = units_where(self.request.user, PersonStatus, Action.VIEW).get(pk=int(params["unit"]))
            except (ValueError, Unit.DoesNotExist):
                raise Http404 from None
            qs = qs.filter(unit__path__startswith=unit.path)
        if params.get("q"):
            from django.db.models import Q

            text = params["q"].strip()
            qs = qs.filter(Q(person__name__icontains=text) | Q(person__employee_no__iexact=text))
        return qs.order_by("unit__path", "person__employee_no")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "policy": selectors.ReasonPolicy(self.request.user)}

    def _audit(self, rows) -> None:
        policy = selectors.ReasonPolicy(self.request.user)
        read = [st for st in rows if policy.may_read(st.person_id, st.unit) and not policy.is_own(st.person_id)]
        selectors.audit_reason_reads(viewer=self.request.user, statuses=read, where="api")

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        self._audit(rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        st = self.get_object()
        self._audit([st])
        return Response(self.get_serializer(st).data)

    @extend_schema(summary="Your own health status", responses={200: PersonStatusSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def mine(self, request):
        st = selectors.own_status(viewer=request.user)
        if st is None:
            raise Http404
        return Response(self.get_serializer(st).data)


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusChange
        fields = [
            "id",
            "person",
            "unit",
            "colour_before",
            "colour",
            "reason",
            "reason_en",
            "until",
            "rule",
            "cause",
            "changed",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="History of health statuses", parameters=[OpenApiParameter("person", int)]),
    retrieve=extend_schema(summary="One status change"),
)
class StatusChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Every change of a status (colour, reason or end date), for case managers, the office and the
    person themselves. Reading other people's history is audited."""

    queryset = StatusChange.objects.all()
    serializer_class = StatusChangeSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            person = query_int(self.request.query_params, "person", invalid=_("Give a person id."))
            if person is not None:
                qs = qs.filter(person_id=person)
        return qs

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        _audit_history(request.user, [r["person"] for r in rows])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        _audit_history(request.user, [response.data["person"]])
        return response


def _audit_history(user, person_ids: list[int]) -> None:
    own = Person.objects.filter(user=user).values_list("pk", flat=True).first()
    others = sorted({p for p in person_ids if p != own})
    if others:
        record_event(
            kind=AuditKind.SENSITIVE_READ,
            actor=user,
            object_repr=str(_("Health status history")),
            what="status_history",
            people=others[:500],
            count=len(others),
        )


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("status-rules", StatusRuleViewSet, basename="status-rule")
    router.register("statuses", PersonStatusViewSet, basename="status")
    router.register("status-changes", StatusChangeViewSet, basename="status-change")
