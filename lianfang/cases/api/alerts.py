"""``cluster-alerts/``: read by the office and case managers; the office acknowledges and closes them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from lianfang.cases.choices import AlertStatus
from lianfang.cases.models import Case, ClusterAlert
from lianfang.cases.services import clusters
from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, command
from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any


class ClusterAlertSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    cases = serializers.SerializerMethodField(help_text="Case ids, for those who may see cases; empty for others.")

    class Meta:
        model = ClusterAlert
        fields = [
            "id",
            "unit",
            "unit_name",
            "status",
            "window_from",
            "window_to",
            "case_count",
            "cases",
            "opened",
            "handled_by",
            "note",
            "closed",
        ]
        read_only_fields = fields

    def get_cases(self, alert: ClusterAlert) -> list[int]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not has_any(user, "cases.case", Action.VIEW):
            return []
        visible = Case.objects.restrict(user, Action.VIEW).values("pk")
        return list(alert.cases.filter(pk__in=visible).values_list("pk", flat=True))


class HandleSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=AlertStatus.choices, help_text="acknowledged or closed.")
    note = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List cluster alerts"),
    retrieve=extend_schema(summary="One cluster alert"),
)
class ClusterAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = ClusterAlert.objects.select_related("unit")
    serializer_class = ClusterAlertSerializer
    filterset_fields = {"status": ["exact"], "unit": ["exact"]}
    ordering_fields = ["opened", "id"]

    def get_serializer_class(self):
        return HandleSerializer if self.action == "handle" else ClusterAlertSerializer

    @command(
        "Acknowledge or close an alert (group office)",
        takes=HandleSerializer,
        gives=ClusterAlertSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def handle(self, request, alert, data):
        return clusters.cluster_alert_handle(actor=request.user, alert=alert, **data)
