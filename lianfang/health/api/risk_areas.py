"""REST API of risk areas, status rules, personal health statuses and trips (issue 4), registered
from :func:`lianfang.health.api.register`.

* ``risk-areas``: read by everyone signed in (filters ``level``, ``on`` — in force on a day —, ``q``);
  created, changed, lifted (``POST …/lift/``) and deleted (only if never used) by the group office.
* ``status-rules``: the office's ordered rules (``POST …/reorder/`` with ``{"order": [ids]}``).
* ``statuses``: the current colour of people in scope (``GET …/mine/`` for your own); ``reason``,
  ``reason_en``, ``until`` and ``rule`` are null unless the reader holds ``unmask`` on
  ``status.personstatus`` for the person's unit, or it is their own status. Reading others'
  reasons is audited.
* ``status-changes``: the history of statuses in scope.
* ``trips``: trips and exposures, scoped by unit; a person adds their own.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from lianfang.core.api import Pagination, StrictFieldsMixin, command, schema_requiring
from lianfang.core.scoping import Action
from lianfang.health import selectors as risk_selectors
from lianfang.health.choices import RiskLevel
from lianfang.health.models import RiskArea
from lianfang.health.services import risk_areas as risk_services
from lianfang.org.scoping import has_any


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
    create=extend_schema(
        summary="Add a risk area (group office)",
        request=schema_requiring(
            RiskAreaWriteSerializer, "division_code", "level", "effective_from", name="RiskAreaCreate"
        ),
    ),
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
    # Set by ``@command``; not a RestrictedViewSet, so ``_check`` decides, not this.
    scope_action: str | None = None

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

    @command(
        "Lift a risk area from a day on (group office)",
        takes=LiftSerializer,
        gives=RiskAreaSerializer,
        scope_action=Action.CHANGE,
        before=lambda view, request: _check(request.user, "health.riskarea", Action.CHANGE),
    )
    def lift(self, request, area, data):
        return risk_services.risk_area_lift(actor=request.user, area=area, lifted_on=data.get("lifted_on"))
