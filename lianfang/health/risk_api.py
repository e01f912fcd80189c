"""REST API of risk areas, status rules, personal health statuses and trips (issue 4), registered
from :func:`lianfang.health.api.register`.

* ``risk-areas``: read by everyone signed in (filters ``level``, ``on`` — in force on a day —, ``q``);
  created, changed, lifted (``POST …/lift/``) and deleted (only if never used) by the group office.
* ``status-rules``: the office's ordered rules (``POST …/reorder/`` with ``{"order": [ids]}``).
* ``statuses``: the current colour of people in scope (``GET …/mine/`` for your own); ``reason``,
  ``reason_en``, ``until`` and ``rule`` are null unless the reader holds ``unmask`` on
  ``health.personstatus`` for the person's unit, or it is their own status. Reading others'
  reasons is audited.
* ``status-changes``: the history of statuses in scope.
* ``trips``: trips and exposures, scoped by unit; a person adds their own.
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import Pagination, RestrictedViewSet, StrictFieldsMixin
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind
from lianfang.health import risk_selectors, risk_services
from lianfang.health.choices import Colour, RiskLevel, Transport, TripKind
from lianfang.health.models import PersonStatus, RiskArea, StatusChange, StatusRule, Trip
from lianfang.org.choices import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any, units_where
from lianfang.people.models import Person


def _check(user, label: str, action_name: str) -> None:
    if not has_any(user, label, action_name):
        raise exceptions.PermissionDenied(_("Only the group prevention office may do this."))


def _date_param(request, name: str) -> datetime.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [_("Give the date as YYYY-MM-DD.")]}) from None


# --- risk areas -----------------------------------------------------------------------------------


class RiskAreaSerializer(serializers.ModelSerializer):
    in_force_today = serializers.SerializerMethodField()

    class Meta:
        model = RiskArea
        fields = [
            "id",
            "division_code",
            "name",
            "level",
            "effective_from",
            "lifted_on",
            "source",
            "note",
            "in_force_today",
            "created",
        ]
        read_only_fields = fields

    def get_in_force_today(self, area: RiskArea) -> bool:
        today = self.context["today"]
        return area.effective_from <= today and (area.lifted_on is None or area.lifted_on > today)


class RiskAreaWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    division_code = serializers.CharField(max_length=12, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    effective_from = serializers.DateField(required=False)
    lifted_on = serializers.DateField(required=False, allow_null=True)
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LiftSerializer(StrictFieldsMixin, serializers.Serializer):
    lifted_on = serializers.DateField(required=False, help_text="Today in the group's time zone if left out.")


@extend_schema_view(
    list=extend_schema(
        summary="List risk areas",
        parameters=[
            OpenApiParameter("level", str, enum=RiskLevel.values),
            OpenApiParameter("on", datetime.date, description="Only areas in force on this day."),
            OpenApiParameter("q", str, description="A division code prefix or part of a name."),
        ],
    ),
    retrieve=extend_schema(summary="One risk area"),
    create=extend_schema(summary="Add a risk area (group office)", request=RiskAreaWriteSerializer),
    partial_update=extend_schema(summary="Change a risk area (group office)", request=RiskAreaWriteSerializer),
    destroy=extend_schema(summary="Delete a risk area no check-in or trip fell in (group office)"),
)
class RiskAreaViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The group-wide risk list: read by everyone signed in, written by the group office."""

    serializer_class = RiskAreaSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        request = self.request
        if getattr(self, "swagger_fake_view", False):
            return RiskArea.objects.none()
        return risk_selectors.risk_area_list(
            viewer=request.user,
            level=request.query_params.get("level") or None,
            on=_date_param(request, "on") if self.action == "list" else None,
            q=request.query_params.get("q") or None,
        )

    def get_serializer_context(self):
        from django.utils import timezone

        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return RiskAreaWriteSerializer
        if self.action == "lift":
            return LiftSerializer
        return RiskAreaSerializer

    def _out(self, area: RiskArea, code: int = status.HTTP_200_OK) -> Response:
        return Response(RiskAreaSerializer(area, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        _check(request.user, "health.riskarea", Action.ADD)
        serializer = RiskAreaWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vd = serializer.validated_data
        for name in ("division_code", "level", "effective_from"):
            if name not in vd:
                raise exceptions.ValidationError({name: [_("This field is required.")]})
        area = risk_services.risk_area_create(actor=request.user, **vd)
        return self._out(area, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        area = self.get_object()
        _check(request.user, "health.riskarea", Action.CHANGE)
        serializer = RiskAreaWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        area = risk_services.risk_area_update(actor=request.user, area=area, **serializer.validated_data)
        return self._out(area)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")

    def destroy(self, request, *args, **kwargs):
        area = self.get_object()
        _check(request.user, "health.riskarea", Action.DELETE)
        risk_services.risk_area_delete(actor=request.user, area=area)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Lift a risk area from a day on (group office)", responses={200: RiskAreaSerializer})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        area = self.get_object()
        _check(request.user, "health.riskarea", Action.CHANGE)
        serializer = LiftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        area = risk_services.risk_area_lift(
            actor=request.user, area=area, lifted_on=serializer.validated_data.get("lifted_on")
        )
        return self._out(area)


# --- status rules ---------------------------------------------------------------------------------


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
    create=extend_schema(summary="Add a status rule (group office)", request=StatusRuleWriteSerializer),
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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _check(request.user, "health.statusrule", Action.VIEW)

    def get_queryset(self):
        return risk_selectors.status_rule_list(viewer=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return StatusRuleWriteSerializer
        if self.action == "reorder":
            return ReorderSerializer
        return StatusRuleSerializer

    def create(self, request, *args, **kwargs):
        _check(request.user, "health.statusrule", Action.ADD)
        serializer = StatusRuleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = risk_services.status_rule_create(actor=request.user, **serializer.validated_data)
        return Response(StatusRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        _check(request.user, "health.statusrule", Action.CHANGE)
        serializer = StatusRuleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = risk_services.status_rule_update(actor=request.user, rule=rule, **serializer.validated_data)
        return Response(StatusRuleSerializer(rule).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")

    @extend_schema(
        summary="Put the rules in this order (group office)", responses={200: StatusRuleSerializer(many=True)}
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def reorder(self, request):
        _check(request.user, "health.statusrule", Action.CHANGE)
        serializer = ReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rules = risk_services.status_rules_reorder(actor=request.user, rule_ids=serializer.validated_data["order"])
        return Response(StatusRuleSerializer(rules, many=True).data)


# --- statuses -------------------------------------------------------------------------------------


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
        if params.get("person"):
            try:
                qs = qs.filter(person_id=int(params["person"]))
            except ValueError:
                raise exceptions.ValidationError({"person": [_("Give a person id.")]}) from None
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
        return {**super().get_serializer_context(), "policy": risk_selectors.ReasonPolicy(self.request.user)}

    def _audit(self, rows) -> None:
        policy = risk_selectors.ReasonPolicy(self.request.user)
        read = [st for st in rows if policy.may_read(st.person_id, st.unit) and not policy.is_own(st.person_id)]
        risk_selectors.audit_reason_reads(viewer=self.request.user, statuses=read, where="api")

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
        st = risk_selectors.own_status(viewer=request.user)
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
        raw = self.request.query_params.get("person")
        if raw and self.action == "list":
            try:
                qs = qs.filter(person_id=int(raw))
            except ValueError:
                raise exceptions.ValidationError({"person": [_("Give a person id.")]}) from None
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


# --- trips ----------------------------------------------------------------------------------------


class TripSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Trip
        fields = [
            "id",
            "person",
            "person_name",
            "unit",
            "kind",
            "place_code",
            "place_name",
            "date_from",
            "date_to",
            "transport",
            "transport_no",
            "note",
            "source",
            "created",
        ]
        read_only_fields = fields


class TripWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    person = serializers.IntegerField(required=False, help_text="Leave out to record your own trip.")
    kind = serializers.ChoiceField(choices=TripKind.choices, required=False)
    place_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    place_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    transport = serializers.ChoiceField(choices=Transport.choices, required=False, allow_blank=True)
    transport_no = serializers.CharField(max_length=20, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    strict_field_hints = {"unit": _("The unit is the person's unit."), "source": _("The source is set by the server.")}


@extend_schema_view(
    list=extend_schema(summary="List trips and exposures", parameters=[OpenApiParameter("person", int)]),
    retrieve=extend_schema(summary="One trip or exposure"),
    create=extend_schema(summary="Record a trip or exposure", request=TripWriteSerializer),
    partial_update=extend_schema(summary="Change a trip or exposure", request=TripWriteSerializer),
    destroy=extend_schema(summary="Delete a trip or exposure"),
)
class TripViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RestrictedViewSet,
):
    """Trips and exposures (the epidemiological history), scoped by unit; everyone sees and adds
    their own. Reading other people's trips is audited."""

    queryset = Trip.objects.select_related("person")
    serializer_class = TripSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        # Employees hold no role that adds trips: their own come through Trip.scope_self, so the
        # base class's "may do it nowhere → 403" is left to the service for a create.
        if self.action == "create":
            viewsets.GenericViewSet.initial(self, request, *args, **kwargs)
            return
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        raw = self.request.query_params.get("person")
        if raw and self.action == "list":
            try:
                qs = qs.filter(person_id=int(raw))
            except ValueError:
                raise exceptions.ValidationError({"person": [_("Give a person id.")]}) from None
        return qs

    def get_serializer_class(self):
        return TripWriteSerializer if self.action in ("create", "partial_update") else TripSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", []) if isinstance(response.data, dict) else response.data
        own = Person.objects.filter(user=request.user).values_list("pk", flat=True).first()
        others = sorted({r["person"] for r in rows if r["person"] != own})
        if others:
            record_event(
                kind=AuditKind.SENSITIVE_READ,
                actor=request.user,
                object_repr=str(_("Trips")),
                what="trips",
                people=others[:500],
                count=len(others),
            )
        return response

    def create(self, request, *args, **kwargs):
        serializer = TripWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vd = dict(serializer.validated_data)
        person_id = vd.pop("person", None)
        if person_id is None:
            person = Person.objects.filter(user=request.user).select_related("unit").first()
            if person is None:
                raise exceptions.ValidationError(
                    {"person": [_("Your account is not linked to a person: give a person.")]}
                )
        else:
            person = (
                Person.objects.restrict(request.user, Action.VIEW).select_related("unit").filter(pk=person_id).first()
            )
            if person is None:
                raise Http404
        trip = risk_services.trip_create(actor=request.user, person=person, **vd)
        return Response(TripSerializer(trip).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        trip = self.get_object()
        serializer = TripWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vd = dict(serializer.validated_data)
        if "person" in vd:
            raise exceptions.ValidationError({"person": [_("A trip stays with its person: add a new one instead.")]})
        trip = risk_services.trip_update(actor=request.user, trip=trip, **vd)
        return Response(TripSerializer(trip).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")

    def destroy(self, request, *args, **kwargs):
        trip = self.get_object()
        risk_services.trip_delete(actor=request.user, trip=trip)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("risk-areas", RiskAreaViewSet, basename="risk-area")
    router.register("status-rules", StatusRuleViewSet, basename="status-rule")
    router.register("statuses", PersonStatusViewSet, basename="status")
    router.register("status-changes", StatusChangeViewSet, basename="status-change")
    router.register("trips", TripViewSet, basename="trip")
