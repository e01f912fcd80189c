"""The urgent matters' API under /api/v1/ (thin: parse, check, call a service, serialize).

* ``urgent-matters``: list (``?state=``, ``?unit=``, ``?overdue=1``), retrieve (levels, reports,
  reports outside, running clocks), create (report: the 初报), and the actions ``acknowledge``,
  ``report`` (续报), ``forward``, ``resolve`` (终报), ``close``, ``external-report``;
* ``urgent-levels``: the severity levels and their time limits (read-only here; the office edits
  them on the page).

A matter belongs to the unit that reported it; every level on its path is an ancestor, so each
sees it. Acting at a level needs the right on that level's unit: the service says who may act.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated

from lianfang.command import selectors
from lianfang.command.choices import MatterKind, MatterState
from lianfang.command.models import ExternalReport, Hop, Report, SeverityLevel, UrgentMatter
from lianfang.command.services import matters as services
from lianfang.core.api import RestrictedViewSet, ScopedUnitField, StrictFieldsMixin, command, query_int
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any


class SeverityLevelSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = SeverityLevel
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "label",
            "rank",
            "ack_minutes",
            "written_minutes",
            "by_shift_end",
            "grace_minutes",
            "followup_minutes",
            "external_minutes",
            "must_reach_top",
            "is_active",
        ]
        read_only_fields = fields


class HopSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    leader_notified_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Hop
        fields = [
            "seq",
            "unit",
            "unit_name",
            "via",
            "is_top",
            "received_at",
            "ack_due",
            "written_due",
            "acknowledged_at",
            "written_at",
            "forwarded_at",
            "resolved_at",
            "escalated_at",
            "closed_at",
            "leader_notified_at",
            "note",
        ]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "kind", "unit", "unit_name", "text", "author_name", "created_at"]
        read_only_fields = fields


class ExternalReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalReport
        fields = ["id", "reported_at", "recipient", "channel", "note", "created"]
        read_only_fields = fields


class ClockSerializer(serializers.Serializer):
    clock = serializers.CharField()
    label = serializers.CharField()
    unit_name = serializers.CharField()
    due = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    minutes_left = serializers.IntegerField(help_text="Negative when overdue.")


class UrgentMatterSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    severity_label = serializers.CharField(source="severity.label", read_only=True)
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = UrgentMatter
        fields = [
            "id",
            "number",
            "unit",
            "unit_name",
            "kind",
            "severity",
            "severity_label",
            "title",
            "description",
            "occurred_at",
            "place",
            "state",
            "reported_at",
            "followup_minutes",
            "followup_due",
            "external_due",
            "external_reported_at",
            "resolved_at",
            "resolved_unit",
            "closed_at",
            "close_reason",
            "clocks",
        ]
        read_only_fields = fields

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, matter: UrgentMatter) -> list[dict]:
        return ClockSerializer(selectors.clocks_of(matter, self.context.get("now")), many=True).data


class UrgentMatterDetailSerializer(UrgentMatterSerializer):
    hops = HopSerializer(many=True, read_only=True)
    reports = ReportSerializer(many=True, read_only=True)
    external_reports = ExternalReportSerializer(many=True, read_only=True)

    class Meta(UrgentMatterSerializer.Meta):
        fields = [*UrgentMatterSerializer.Meta.fields, "hops", "reports", "external_reports"]
        read_only_fields = fields


class MatterReportSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=UrgentMatter, help_text="Where it happened (a unit you may report for).")
    kind = serializers.ChoiceField(choices=MatterKind.choices)
    severity = serializers.PrimaryKeyRelatedField(queryset=SeverityLevel.objects.filter(is_active=True))
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(help_text="What happened: the initial report (初报).")
    occurred_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)

    strict_field_hints = {"number": _("The number is given by the server.")}


class AcknowledgeSerializer(StrictFieldsMixin, serializers.Serializer):
    followup_minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="Set the follow-up (续报) cadence, 10 to 10080 minutes."
    )


class TextSerializer(StrictFieldsMixin, serializers.Serializer):
    text = serializers.CharField(help_text="The report's text.")


class CloseSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Needed while open.")


class ExternalReportInSerializer(StrictFieldsMixin, serializers.Serializer):
    recipient = serializers.CharField(
        max_length=120, help_text="To whom, e.g. the city's epidemic prevention headquarters."
    )
    reported_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    channel = serializers.CharField(max_length=60, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="List urgent matters",
        parameters=[
            OpenApiParameter(
                "state", OpenApiTypes.STR, enum=MatterState.values, description="open, resolved or closed"
            ),
            OpenApiParameter("unit", OpenApiTypes.INT, description="Matters reported in this unit's subtree."),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only open matters with a missed clock."),
        ],
    ),
    retrieve=extend_schema(summary="One urgent matter with its levels, reports and clocks"),
    create=extend_schema(
        summary="Report an urgent matter", request=MatterReportSerializer, responses={201: UrgentMatterDetailSerializer}
    ),
)
class UrgentMatterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Urgent matters reported level by level (紧急事项逐级上报)."""

    queryset = UrgentMatter.objects.select_related("unit", "severity")
    serializer_class = UrgentMatterSerializer
    ordering_fields = ["reported_at", "number", "id"]
    filter_backends: list = []
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            params = self.request.query_params
            state = params.get("state")
            if state:
                if state not in MatterState.values:
                    raise exceptions.ValidationError({"state": [_("Choose open, resolved or closed.")]})
                qs = qs.filter(state=state)
            unit_id = query_int(params, "unit")
            if unit_id is not None:
                unit = Unit.objects.restrict(self.request.user, Action.VIEW).filter(pk=unit_id).first()
                if unit is None:
                    raise exceptions.ValidationError({"unit": [_("There is no such unit among yours.")]})
                qs = qs.filter(unit__path__startswith=unit.path)
            if params.get("overdue") in ("1", "true", "True"):
                qs = qs.filter(selectors.overdue_q(timezone.now()))
            return qs.prefetch_related("hops__unit").order_by("-reported_at", "-pk")
        return qs.prefetch_related("hops__unit", "reports__unit", "external_reports")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return UrgentMatterDetailSerializer
        if self.action == "create":
            return MatterReportSerializer
        return UrgentMatterSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def create(self, request, *args, **kwargs):
        data = MatterReportSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        matter = services.matter_report(actor=request.user, **data.validated_data)
        return self.respond(matter, status_code=status.HTTP_201_CREATED, serializer_class=UrgentMatterDetailSerializer)

    @command(
        "Acknowledge for the level that holds it",
        takes=AcknowledgeSerializer,
        gives=UrgentMatterDetailSerializer,
        reread=True,
    )
    def acknowledge(self, request, matter, data):
        return services.matter_acknowledge(
            actor=request.user, matter=matter, followup_minutes=data.get("followup_minutes")
        )

    @command(
        "Add a follow-up report (续报)",
        takes=TextSerializer,
        gives=ReportSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def report(self, request, matter, data):
        return services.matter_add_report(actor=request.user, matter=matter, text=data["text"])

    @command(
        "Forward to the next level up with what this level knows",
        takes=TextSerializer,
        gives=UrgentMatterDetailSerializer,
        reread=True,
    )
    def forward(self, request, matter, data):
        return services.matter_forward(actor=request.user, matter=matter, text=data["text"])

    @command(
        "Resolve with the final report (终报)", takes=TextSerializer, gives=UrgentMatterDetailSerializer, reread=True
    )
    def resolve(self, request, matter, data):
        return services.matter_resolve(actor=request.user, matter=matter, text=data["text"])

    @command(
        "Close the matter; every clock stops", takes=CloseSerializer, gives=UrgentMatterDetailSerializer, reread=True
    )
    def close(self, request, matter, data):
        return services.matter_close(actor=request.user, matter=matter, reason=data.get("reason", ""))

    @command(
        "Record the report outside the group (at the top)",
        takes=ExternalReportInSerializer,
        gives=ExternalReportSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def external_report(self, request, matter, data):
        return services.external_report_record(actor=request.user, matter=matter, **data)


@extend_schema_view(
    list=extend_schema(summary="List the severity levels and their time limits"),
    retrieve=extend_schema(summary="One severity level"),
)
class SeverityLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """The severity levels of urgent matters (configuration of the group office)."""

    serializer_class = SeverityLevelSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if not has_any(self.request.user, "command.urgentmatter", Action.VIEW):
            return SeverityLevel.objects.none()
        return SeverityLevel.objects.order_by("rank", "pk")


def register(router) -> None:
    router.register("urgent-matters", UrgentMatterViewSet, basename="urgent-matter")
    router.register("urgent-levels", SeverityLevelViewSet, basename="urgent-level")
