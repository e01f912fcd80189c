"""REST API of the group bulletin and the dashboard (registered by ``reporting.api.register``).

* ``/api/v1/bulletins/`` — list and retrieve (the stored figures in ``data``), ``PATCH`` the summary,
  ``POST …/build/`` (today's draft), ``POST …/{id}/rebuild/``, ``…/{id}/publish/``, ``…/{id}/reopen/``,
  ``GET …/{id}/export/xlsx/`` and ``…/{id}/export/pdf/``.
* ``/api/v1/dashboard/`` — today's figures for the caller's scope (``?date=YYYY-MM-DD`` for another day).

Scoping as everywhere: a bulletin outside the caller's view scope is 404, an action they may not do
on a visible one is 403, and the services check again.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from lianfang.core.api import RestrictedViewSet, StrictFieldsMixin, command
from lianfang.core.scoping import Action
from lianfang.reporting import exports as bulletin_exports
from lianfang.reporting.models import Bulletin
from lianfang.reporting.services import bulletins as bulletin_services


class BulletinListSerializer(serializers.ModelSerializer):
    published_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Bulletin
        fields = ["id", "date", "status", "summary", "built_at", "published_at", "published_by"]
        read_only_fields = fields


class BulletinSerializer(BulletinListSerializer):
    """One bulletin with its stored figures (see docs/bulletin.md for the keys of ``data``)."""

    class Meta(BulletinListSerializer.Meta):
        fields = [*BulletinListSerializer.Meta.fields, "data"]
        read_only_fields = fields


class BulletinSummarySerializer(StrictFieldsMixin, serializers.Serializer):
    summary = serializers.CharField(allow_blank=True, max_length=20000, trim_whitespace=True)


class ReopenSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500)


@extend_schema_view(
    list=extend_schema(summary="List daily bulletins"),
    retrieve=extend_schema(summary="One daily bulletin with its figures"),
    partial_update=extend_schema(
        summary="Edit the summary of a draft", request=BulletinSummarySerializer, responses=BulletinSerializer
    ),
)
class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Bulletin.objects.select_related("published_by")
    ordering_fields = ["date"]
    ordering = ["-date"]
    filterset_fields = {"status": ["exact"], "date": ["exact", "gte", "lte"]}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return BulletinListSerializer if self.action == "list" else BulletinSerializer

    def partial_update(self, request, *args, **kwargs):
        bulletin = self.get_object()
        data = BulletinSummarySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bulletin = bulletin_services.bulletin_update_summary(
            actor=request.user, bulletin=bulletin, summary=data.validated_data["summary"]
        )
        return self.respond(bulletin)

    @command(
        "Build today's draft now, or rebuild it",
        gives=BulletinSerializer,
        reread=True,
        scope_action=Action.ADD,
        detail=False,
    )
    def build(self, request, data):
        return bulletin_services.bulletin_build(actor=request.user)

    @command(
        "Rebuild a draft's figures from the latest records",
        gives=BulletinSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def rebuild(self, request, bulletin, data):
        return bulletin_services.bulletin_build(actor=request.user, day=bulletin.date)

    @command(
        "Publish a draft (leaders are told in their inbox)",
        gives=BulletinSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def publish(self, request, bulletin, data):
        return bulletin_services.bulletin_publish(actor=request.user, bulletin=bulletin)

    @command(
        "Re-open a published bulletin for correction",
        takes=ReopenSerializer,
        gives=BulletinSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def reopen(self, request, bulletin, data):
        return bulletin_services.bulletin_reopen(actor=request.user, bulletin=bulletin, reason=data["reason"])

    @extend_schema(summary="Download the bulletin as .xlsx or PDF", responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        scope_action=Action.EXPORT,
        url_path=r"export/(?P<fmt>xlsx|pdf)",
        filter_backends=[],
        pagination_class=None,
    )
    def export(self, request, pk=None, fmt="xlsx"):
        bulletin = self.get_object()
        if fmt == "pdf":
            return bulletin_exports.pdf_download(actor=request.user, bulletin=bulletin)
        return bulletin_exports.xlsx_download(actor=request.user, bulletin=bulletin)
