"""REST API of the stock part of materials under /api/v1/: the catalogue (``material-items/``), stock
with days of supply (``stock/``), movements (``movements/``: list, and purchases, allocations and
issues recorded) and stock-takes (``stocktakes/``).

Thin: parse, check, call a service, serialize. Scoping as everywhere (core/api.py): out of view
scope is 404, in view scope without the action 403; a unit outside the add scope in a write is 400
"does not exist". Refusals keep their message (e.g. how much is on hand).
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import Pagination, RestrictedViewSet, ScopedUnitField, StrictFieldsMixin
from lianfang.core.exports import XLSX_CONTENT_TYPE
from lianfang.core.scoping import Action
from lianfang.materials.choices import MovementKind
from lianfang.materials.exports import export_response, movements_sheet, stock_sheet
from lianfang.materials.forms.stock import StockReportFilterForm
from lianfang.materials.models import Item, Movement, Stock, StockTake, StockTakeLine
from lianfang.materials.selectors import stock as stock_selectors
from lianfang.materials.services import stock as stock_services
from lianfang.materials.supply import supply_table
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any, units_where

ITEM = "materials.item"


# --- Catalogue ----------------------------------------------------------------------------------


class ItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="The name in the request's language.")
    is_counted = serializers.BooleanField(read_only=True, help_text="Whole numbers only (pieces, pairs, sets…).")

    class Meta:
        model = Item
        fields = ["id", *stock_services.ITEM_FIELDS, "label", "is_counted"]
        read_only_fields = fields


class ItemWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = list(stock_services.ITEM_FIELDS)


@extend_schema_view(
    list=extend_schema(summary="The catalogue of materials"),
    retrieve=extend_schema(summary="One item of the catalogue"),
    create=extend_schema(
        summary="Add an item (group office)", request=ItemWriteSerializer, responses={201: ItemSerializer}
    ),
    partial_update=extend_schema(
        summary="Change an item (group office)", request=ItemWriteSerializer, responses={200: ItemSerializer}
    ),
)
class ItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Group-wide catalogue: read by every role that sees materials, kept by the group office."""

    serializer_class = ItemSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Item]:
        return stock_selectors.item_list(viewer=self.request.user, include_inactive=True).order_by("sort", "code")

    def get_serializer_class(self):
        return ItemWriteSerializer if self.action in ("create", "partial_update") else ItemSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not has_any(request.user, ITEM, Action.VIEW):
            raise exceptions.PermissionDenied()

    def create(self, request, *args, **kwargs):
        if not has_any(request.user, ITEM, Action.ADD):
            raise exceptions.PermissionDenied()
        data = ItemWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = stock_services.item_create(actor=request.user, **data.validated_data)
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        if not has_any(request.user, ITEM, Action.CHANGE):
            raise exceptions.PermissionDenied()
        data = ItemWriteSerializer(item, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = stock_services.item_update(actor=request.user, item=item, **data.validated_data)
        return Response(ItemSerializer(item).data)

    def update(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("PUT")


# --- Stock with days of supply ------------------------------------------------------------------


class SubtreeFilterSet(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), method="filter_unit", label="Unit (with its sub-units)"
    )
    item = django_filters.ModelChoiceFilter(queryset=Item.objects.all())

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)


class StockFilterSet(SubtreeFilterSet):
    class Meta:
        model = Stock
        fields = ["unit", "item"]


class StockSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    own_reorder_threshold = serializers.DecimalField(
        source="reorder_threshold",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The unit's own threshold; null when it uses the catalogue's.",
    )
    own_target_days = serializers.IntegerField(
        source="target_days", read_only=True, allow_null=True, help_text="The unit's own target; null: the catalogue's."
    )
    threshold = serializers.DecimalField(source="supply.threshold", max_digits=14, decimal_places=2, read_only=True)
    target = serializers.IntegerField(source="supply.target_days", read_only=True, help_text="Target days of supply.")
    in_transit_in = serializers.DecimalField(
        source="supply.in_transit_in", max_digits=14, decimal_places=2, read_only=True
    )
    daily_use = serializers.DecimalField(source="supply.daily_use", max_digits=14, decimal_places=2, read_only=True)
    days_of_supply = serializers.DecimalField(
        source="supply.days_of_supply",
        max_digits=14,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="On hand ÷ daily use; null when nothing is used.",
    )
    front_line_headcount = serializers.IntegerField(source="supply.front_line_headcount", read_only=True)
    forecast_used = serializers.BooleanField(
        source="supply.forecast_used", read_only=True, help_text="Daily use forecast from the front-line headcount."
    )
    level = serializers.ChoiceField(
        source="supply.level",
        choices=[("low", "low"), ("short", "short"), ("ok", "ok")],
        read_only=True,
        help_text="low: below threshold or under 3 days; short: below target days; ok.",
    )

    class Meta:
        model = Stock
        fields = [
            "id",
            "unit",
            "unit_code",
            "unit_name",
            "item",
            "item_code",
            "on_hand",
            "in_transit_in",
            "daily_use",
            "days_of_supply",
            "front_line_headcount",
            "forecast_used",
            "threshold",
            "target",
            "own_reorder_threshold",
            "own_target_days",
            "level",
            "updated",
        ]
        read_only_fields = fields


class StockLevelsSerializer(StrictFieldsMixin, serializers.Serializer):
    reorder_threshold = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="null: use the catalogue's."
    )
    target_days = serializers.IntegerField(allow_null=True, help_text="null: use the catalogue's.")


def _with_supply(stocks: list[Stock]) -> list[Stock]:
    table = supply_table(unit_ids={s.unit_id for s in stocks}, item_ids={s.item_id for s in stocks})
    for s in stocks:
        s.supply = table.get((s.unit_id, s.item_id))  # type: ignore[attr-defined]
    return stocks


@extend_schema_view(
    list=extend_schema(summary="Stock by unit and item, with days of supply"),
    retrieve=extend_schema(summary="One unit's stock of one item, with days of supply"),
    partial_update=extend_schema(
        summary="Set the unit's own threshold and target days",
        request=StockLevelsSerializer,
        responses={200: StockSerializer},
    ),
)
class StockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """What each unit holds, changed only by movements. Only the levels (threshold, target) are written here."""

    queryset = Stock.objects.select_related("unit", "item")
    serializer_class = StockSerializer
    filterset_class = StockFilterSet
    ordering_fields = ["on_hand", "updated"]
    http_method_names = ["get", "patch", "head", "options"]

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"unit": units_where(request.user, Stock, Action.VIEW)}

    def perform_content_negotiation(self, request, force=False):
        # The export answers with a workbook whatever the client accepts; its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Export the stock report as .xlsx (the same file as the stock page)",
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and its sub-units."),
            OpenApiParameter("item", OpenApiTypes.INT),
            OpenApiParameter("only_short", OpenApiTypes.BOOL, description="Only below threshold or target."),
            OpenApiParameter("below_threshold", OpenApiTypes.BOOL, description="Only below the reorder threshold."),
        ],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request):
        user = request.user
        form = StockReportFilterForm(
            request.query_params,
            units=stock_selectors.stock_units(viewer=user).filter(is_active=True),
            items=stock_selectors.item_list(viewer=user),
        )
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        data = form.cleaned_data
        report = stock_selectors.stock_report(
            viewer=user,
            unit=data.get("unit"),
            item=data.get("item"),
            only_short=data.get("only_short", False),
            below_threshold=data.get("below_threshold", False),
        )
        return export_response(
            actor=user,
            sheet=stock_sheet(report),
            file_name=f"stock-{report.as_of:%Y%m%d}.xlsx",
            what=_("Stock report"),
            filters=request.query_params.urlencode(),
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).order_by("unit__path", "item__sort", "item__code")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(StockSerializer(_with_supply(list(page)), many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return Response(StockSerializer(_with_supply([self.get_object()])[0]).data)

    def partial_update(self, request, *args, **kwargs):
        stock = self.get_object()
        data = StockLevelsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        levels = {"reorder_threshold": stock.reorder_threshold, "target_days": stock.target_days, **data.validated_data}
        stock = stock_services.stock_set_levels(actor=request.user, unit=stock.unit, item=stock.item, **levels)
        return Response(StockSerializer(_with_supply([self.get_queryset().get(pk=stock.pk)])[0]).data)


# --- Movements ----------------------------------------------------------------------------------


class MovementFilterSet(SubtreeFilterSet):
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Movement
        fields = ["unit", "item", "kind", "reference"]


class MovementSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Movement
        fields = [
            "id",
            "unit",
            "unit_code",
            "item",
            "item_code",
            "kind",
            "quantity",
            "balance_after",
            "date",
            "front_line",
            "counterparty",
            "reference",
            "note",
            "created",
            "created_by_name",
        ]
        read_only_fields = fields

    def get_created_by_name(self, movement: Movement) -> str:
        return movement.created_by.get_username() if movement.created_by else ""


class MovementCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=Movement, help_text="A unit where you may record movements.")
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.filter(is_active=True))
    kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in stock_services.RECORDABLE_KINDS],
        help_text="purchase, allocation or issue; transfers, donations and counts have their own endpoints.",
    )
    quantity = serializers.DecimalField(
        max_digits=18, decimal_places=6, help_text="Above zero; whole for items counted in pieces, pairs, sets…"
    )
    date = serializers.DateField(required=False, help_text="Defaults to today in the group's time zone.")
    front_line = serializers.BooleanField(required=False, default=False, help_text="An issue to the front line.")
    counterparty = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


@extend_schema_view(
    list=extend_schema(summary="List movements (newest first)"),
    retrieve=extend_schema(summary="One movement"),
    create=extend_schema(
        summary="Record a purchase received, an allocation or an issue",
        description="Refused (400, naming what is on hand) when it would take the stock below zero.",
        request=MovementCreateSerializer,
        responses={201: MovementSerializer},
    ),
)
class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, RestrictedViewSet):
    """The ledger: never edited; a mistake is corrected by another movement."""

    queryset = Movement.objects.select_related("unit", "item", "created_by").order_by("-date", "-pk")
    serializer_class = MovementSerializer
    filterset_class = MovementFilterSet
    ordering_fields = ["date", "id"]

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"unit": units_where(request.user, Movement, Action.VIEW)}

    def get_serializer_class(self):
        return MovementCreateSerializer if self.action == "create" else MovementSerializer

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Export movements as .xlsx (the same file as the movements page)",
        description="Each movement with its business date and when it was recorded; the same filters as the list.",
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and its sub-units."),
            OpenApiParameter("item", OpenApiTypes.INT),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=MovementKind.values),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], scope_action=Action.EXPORT, pagination_class=None)
    def export(self, request):
        rows = self.filter_queryset(
            Movement.objects.restrict(request.user, Action.EXPORT).select_related("unit", "item", "created_by")
        ).order_by("-date", "-pk")
        return export_response(
            actor=request.user,
            sheet=movements_sheet(rows),
            file_name=f"movements-{timezone.localdate():%Y%m%d}.xlsx",
            what=_("Movements"),
            filters=request.query_params.urlencode(),
        )

    def create(self, request, *args, **kwargs):
        data = MovementCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = dict(data.validated_data)
        vd["date"] = vd.get("date") or timezone.localdate()
        movement = stock_services.movement_record(actor=request.user, **vd)
        return self.respond(movement, status_code=status.HTTP_201_CREATED, serializer_class=MovementSerializer)


# --- Stock-takes --------------------------------------------------------------------------------


class StockTakeLineSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = StockTakeLine
        fields = ["item", "item_code", "book", "counted", "variance", "movement"]
        read_only_fields = fields


class StockTakeSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    lines = StockTakeLineSerializer(many=True, read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = StockTake
        fields = ["id", "unit", "unit_code", "date", "note", "lines", "created", "created_by_name"]
        read_only_fields = fields

    def get_created_by_name(self, stocktake: StockTake) -> str:
        return stocktake.created_by.get_username() if stocktake.created_by else ""


class CountSerializer(StrictFieldsMixin, serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.filter(is_active=True))
    counted = serializers.DecimalField(max_digits=18, decimal_places=6, help_text="What is on the shelf.")


class StockTakeCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=StockTake, help_text="A unit where you may count stock.")
    date = serializers.DateField(required=False, help_text="Defaults to today; one stock-take per unit and day.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    lines = CountSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines):
        items = [line["item"].pk for line in lines]
        if len(items) != len(set(items)):
            raise serializers.ValidationError(_("Count each item once."))
        return lines


class StockTakeFilterSet(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), method="filter_unit", label="Unit (with its sub-units)"
    )
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = StockTake
        fields = ["unit", "date"]

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)


@extend_schema_view(
    list=extend_schema(summary="List stock-takes (日清单)"),
    retrieve=extend_schema(summary="One stock-take with its counts and variances"),
    create=extend_schema(
        summary="Record a unit's count of the day",
        description="Each variance (counted − books) is booked as an adjustment. A second count of the same "
        "unit and day is refused (400).",
        request=StockTakeCreateSerializer,
        responses={201: StockTakeSerializer},
    ),
)
class StockTakeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, RestrictedViewSet):
    queryset = StockTake.objects.select_related("unit", "created_by").prefetch_related("lines__item")
    serializer_class = StockTakeSerializer
    filterset_class = StockTakeFilterSet
    ordering_fields = ["date", "id"]

    def filter_querysets(self, request) -> dict[str, QuerySet]:
        return {"unit": units_where(request.user, StockTake, Action.VIEW)}

    def get_serializer_class(self):
        return StockTakeCreateSerializer if self.action == "create" else StockTakeSerializer

    def create(self, request, *args, **kwargs):
        data = StockTakeCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        vd = data.validated_data
        stocktake = stock_services.stocktake_record(
            actor=request.user,
            unit=vd["unit"],
            date=vd.get("date") or timezone.localdate(),
            counts={line["item"]: line["counted"] for line in vd["lines"]},
            note=vd.get("note", ""),
        )
        return self.respond(stocktake, status_code=status.HTTP_201_CREATED, serializer_class=StockTakeSerializer)


def register(router) -> None:
    """Add the stock viewsets to the API router."""
    router.register("material-items", ItemViewSet, basename="materialitem")
    router.register("stock", StockViewSet, basename="stock")
    router.register("movements", MovementViewSet, basename="movement")
    router.register("stocktakes", StockTakeViewSet, basename="stocktake")
