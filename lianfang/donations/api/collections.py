"""``collections/`` (list, detail, open), a unit's gift and passing the money on."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action

from lianfang.core.api import (
    ExplainedDenials,
    LooseDecimalField,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
)
from lianfang.core.exports import XLSX_CONTENT_TYPE
from lianfang.core.scoping import Action
from lianfang.donations import exports, selectors
from lianfang.donations.api.donations import DonationSerializer, money
from lianfang.donations.models import Collection, Contribution
from lianfang.donations.services import collections


class ContributionSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Contribution
        fields = ["id", "unit", "unit_name", "amount", "date", "donors", "note", "created_by"]
        read_only_fields = fields


class CollectionSerializer(serializers.ModelSerializer):
    organiser_name = serializers.CharField(source="organiser.name", read_only=True)
    collected = serializers.SerializerMethodField()
    passed_on = serializers.SerializerMethodField()
    left = serializers.SerializerMethodField()
    contributions = serializers.SerializerMethodField(
        help_text="Every unit's gift for the organiser's scope; your own units' gifts otherwise."
    )

    class Meta:
        model = Collection
        fields = [
            "id",
            "name",
            "organiser",
            "organiser_name",
            "recipient",
            "opened_on",
            "closed_on",
            "note",
            "collected",
            "passed_on",
            "left",
            "contributions",
        ]
        read_only_fields = fields

    def _totals(self, collection: Collection) -> selectors.CollectionTotals:
        cache = self.context.setdefault("_totals", {})
        if collection.pk not in cache:
            cache[collection.pk] = selectors.collection_totals(collection)
        return cache[collection.pk]

    # Amounts as strings with two decimals ("47993.00"), like every amount of the API: never a float.
    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_collected(self, collection: Collection) -> str:
        return money(self._totals(collection).collected)

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_passed_on(self, collection: Collection) -> str:
        return money(self._totals(collection).passed_on)

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_left(self, collection: Collection) -> str:
        return money(self._totals(collection).left)

    @extend_schema_field(ContributionSerializer(many=True))
    def get_contributions(self, collection: Collection) -> list[dict]:
        viewer = self.context["request"].user
        rows = selectors.contribution_rows(viewer=viewer, collection=collection)
        return ContributionSerializer(rows, many=True).data


class CollectionCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    organiser = ScopedUnitField(scope_model=Collection, help_text="A unit where you may open collections.")
    name = serializers.CharField(max_length=100)
    recipient = serializers.CharField(max_length=100, help_text="Where the money goes, e.g. the city Red Cross.")
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ContributionCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=Collection, help_text="The unit that gave: one whose gifts you may record.")
    amount = LooseDecimalField(help_text="Yuan, above zero, two decimals.")
    date = serializers.DateField()
    donors = serializers.IntegerField(required=False, allow_null=True, help_text="How many people gave.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PassOnSerializer(StrictFieldsMixin, serializers.Serializer):
    amount = LooseDecimalField(help_text="Yuan; at most what is collected and not yet passed on.")
    date = serializers.DateField()
    recipient = serializers.CharField(max_length=100, required=False, allow_blank=True)
    receipt_no = serializers.CharField(max_length=40, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List money collections"),
    retrieve=extend_schema(summary="One collection: who gave what, where it went, what is left"),
    create=extend_schema(
        summary="Open a collection", request=CollectionCreateSerializer, responses={201: CollectionSerializer}
    ),
)
class CollectionViewSet(ExplainedDenials, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Money collections among the group's units (募捐), one ledger each."""

    queryset = Collection.objects.all()
    serializer_class = CollectionSerializer
    filterset_fields = {"organiser": ["exact"], "opened_on": ["gte", "lte"]}
    ordering_fields = ["opened_on", "id"]

    def get_queryset(self):
        return selectors.collection_list(viewer=self.request.user)

    def denial_message(self, obj) -> str:
        if self.action == "contributions":
            return _("Recording a unit's gift is for its liaison or the group prevention office.")
        if self.action == "export":
            return _("Exporting a collection is for leaders and the group prevention office.")
        return _("Only the organiser of the collection (the group prevention office) can pass its money on.")

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Export the collection's ledger as .xlsx (the same file as its page)",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request, pk=None):
        collection = self.get_object()
        response = exports.collection_xlsx(selectors.collection_ledger(viewer=request.user, collection=collection))
        exports.audit_export(
            actor=request.user,
            what="collection",
            unit=collection.organiser,
            object_repr=collection.name,
            collection=collection.pk,
        )
        return response

    def create(self, request, *args, **kwargs):
        data = CollectionCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        collection = collections.collection_open(actor=request.user, **data.validated_data)
        return self.respond(collection, status_code=status.HTTP_201_CREATED)

    @command(
        "Record what a unit gave",
        takes=ContributionCreateSerializer,
        gives=ContributionSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=Action.ADD,
    )
    def contributions(self, request, collection, data):
        return collections.contribution_record(actor=request.user, collection=collection, **data)

    @command(
        "Pass collected money on (a money donation given)",
        takes=PassOnSerializer,
        gives=DonationSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=Action.CHANGE,
    )
    def pass_on(self, request, collection, data):
        donation = collections.collection_pass_on(actor=request.user, collection=collection, **data)
        # Read back as the donations list shows it (this viewset reads collections).
        return selectors.donation_list(viewer=request.user).get(pk=donation.pk)
