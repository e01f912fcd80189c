"""REST API of requests, offers, transfers and rebalancing proposals (/api/v1/material-requests/,
material-offers/, transfers/, rebalance-proposals/).

Thin: parse, call a service, serialize. Reads are restricted to the viewer's scope (a transfer is
in scope when either unit is); an object outside it is 404. The state-machine actions (approve,
ship, receive, reject, cancel, match, pledge, accept…) are decided by the services, whose refusals
keep their reason in the 403 or 400 body.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import RestrictedViewSet, ScopedUnitField, StrictFieldsMixin, command
from lianfang.core.exports import XLSX_CONTENT_TYPE
from lianfang.core.scoping import Action
from lianfang.materials.choices import Urgency
from lianfang.materials.exports import transfers_export_response
from lianfang.materials.forms.transfers import TransferFilterForm, flow_period
from lianfang.materials.models import (
    Item,
    MaterialRequest,
    Offer,
    RebalanceProposal,
    Transfer,
    TransferLine,
    TransferReceipt,
)
from lianfang.materials.selectors import transfers as selectors
from lianfang.materials.services import rebalancing as rebalance_services
from lianfang.materials.services import transfers as services
from lianfang.org.models import Unit


def _items():
    return Item.objects.filter(is_active=True)


def _units():
    return Unit.objects.filter(is_active=True)


# --- transfers, read -----------------------------------------------------------------------


class TransferLineSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    in_transit = serializers.SerializerMethodField()

    class Meta:
        model = TransferLine
        fields = ["id", "item", "item_code", "quantity", "shipped", "received", "in_transit", "discrepancy_note"]
        read_only_fields = fields

    def get_in_transit(self, line: TransferLine) -> str:
        moving = line.transfer.status in services.IN_TRANSIT
        return str(line.shipped - line.received if moving else 0)


class TransferReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransferReceipt
        fields = ["id", "date", "note", "created"]
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)
    lines = TransferLineSerializer(many=True, read_only=True)
    receipts = TransferReceiptSerializer(many=True, read_only=True)
    shipped_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="The day the goods left, as the sending unit entered it."
    )
    received_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="The day the last of the goods arrived, as entered."
    )
    waiting_for_me = serializers.SerializerMethodField(
        help_text="Your step, if the transfer waits for it: approve, ship or receive (empty otherwise)."
    )

    class Meta:
        model = Transfer
        fields = [
            "id",
            "number",
            "from_unit",
            "from_unit_name",
            "to_unit",
            "to_unit_name",
            "status",
            "request",
            "offer",
            "proposal",
            "note",
            "lines",
            "receipts",
            "created",
            "approved",
            "shipped",
            "shipped_on",
            "received",
            "received_on",
            "waiting_for_me",
        ]
        read_only_fields = fields

    def get_waiting_for_me(self, transfer: Transfer) -> str:
        return getattr(transfer, "needs_me", "") or ""


# --- requests -----------------------------------------------------------------------------------


class MaterialRequestSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = MaterialRequest
        fields = [
            "id",
            "unit",
            "unit_name",
            "item",
            "item_code",
            "quantity",
            "urgency",
            "front_line",
            "reason",
            "needed_by",
            "status",
            "created",
        ]
        read_only_fields = fields


class MaterialRequestCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=MaterialRequest, help_text="A unit where you may request materials.")
    item = serializers.PrimaryKeyRelatedField(queryset=_items())
    quantity = serializers.CharField(max_length=20, help_text="Whole numbers for items counted in pieces.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    front_line = serializers.BooleanField(default=False)
    reason = serializers.CharField(max_length=200)
    needed_by = serializers.DateField(required=False, allow_null=True)

    strict_field_hints = {"status": _("The status follows the request's transfers.")}


class RequestMatchSerializer(StrictFieldsMixin, serializers.Serializer):
    offer = serializers.PrimaryKeyRelatedField(queryset=Offer.objects.all(), required=False, allow_null=True)
    from_unit = serializers.PrimaryKeyRelatedField(queryset=_units(), required=False, allow_null=True)
    quantity = serializers.CharField(max_length=20, required=False, allow_blank=True)
    approve = serializers.BooleanField(default=True)


class RequestPledgeSerializer(StrictFieldsMixin, serializers.Serializer):
    from_unit = serializers.PrimaryKeyRelatedField(queryset=_units())
    quantity = serializers.CharField(max_length=20, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TransferEmptySerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class DonorSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    on_hand = serializers.DecimalField(max_digits=14, decimal_places=2)
    promised = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Promised to other transfers not yet shipped."
    )
    daily_use = serializers.DecimalField(max_digits=14, decimal_places=2)
    days_of_supply = serializers.DecimalField(max_digits=14, decimal_places=1, allow_null=True)
    target_days = serializers.IntegerField()
    threshold = serializers.DecimalField(max_digits=14, decimal_places=2)
    surplus = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What it can give without going below its target or threshold."
    )


class TransferApproveSerializer(StrictFieldsMixin, serializers.Serializer):
    confirm_short = serializers.BooleanField(
        default=False,
        help_text="Approve although the sending unit lacks the stock (refused with what is missing otherwise).",
    )


class TransitLineSerializer(serializers.Serializer):
    transfer = serializers.IntegerField(source="transfer.pk")
    number = serializers.CharField(source="transfer.number")
    from_unit = serializers.IntegerField(source="transfer.from_unit_id")
    from_unit_name = serializers.CharField(source="transfer.from_unit.name")
    to_unit = serializers.IntegerField(source="transfer.to_unit_id")
    to_unit_name = serializers.CharField(source="transfer.to_unit.name")
    item = serializers.IntegerField(source="line.item_id")
    item_code = serializers.CharField(source="line.item.code")
    shipped = serializers.DecimalField(source="line.shipped", max_digits=14, decimal_places=2)
    received = serializers.DecimalField(source="line.received", max_digits=14, decimal_places=2)
    in_transit = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipped_on = serializers.DateField(source="transfer.shipped_on", allow_null=True)


class TransitTotalSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    item = serializers.IntegerField(source="item.pk")
    item_code = serializers.CharField(source="item.code")
    incoming = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="On its way to the unit.")
    outgoing = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Sent by it, not yet arrived.")


class InTransitSerializer(serializers.Serializer):
    totals = TransitTotalSerializer(many=True)
    lines = TransitLineSerializer(many=True)


class FlowSerializer(serializers.Serializer):
    from_unit = serializers.IntegerField(source="from_unit.pk")
    from_unit_name = serializers.CharField(source="from_unit.name")
    to_unit = serializers.IntegerField(source="to_unit.pk")
    to_unit_name = serializers.CharField(source="to_unit.name")
    item = serializers.IntegerField(source="item.pk")
    item_code = serializers.CharField(source="item.code")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What arrived in the period.")
    transfers = serializers.IntegerField(help_text="How many transfers it came with.")


class FlowsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    flows = FlowSerializer(many=True)


class FlowQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="Default: 29 days before date_to.")
    date_to = serializers.DateField(required=False, help_text="Default: today.")
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all(), required=False, allow_null=True)


def _visible_unit(request) -> Unit | None:
    """The ``?unit=`` of a report, only if the user may see it (else 400, as for a missing one)."""
    value = request.query_params.get("unit")
    if not value:
        return None
    unit = Unit.objects.restrict(request.user, Action.VIEW).filter(pk=value).first() if value.isdigit() else None
    if unit is None:
        raise exceptions.ValidationError({"unit": [_("This object does not exist.")]})
    return unit


def _visible(request, model, pk):
    """An object named in the input, only if the user may see it (else it does not exist)."""
    if pk is None:
        return None
    obj = model.objects.restrict(request.user, Action.VIEW).filter(pk=pk.pk).first()
    if obj is None:
        raise exceptions.ValidationError({model._meta.model_name: [_("This object does not exist.")]})
    return obj


@extend_schema_view(
    list=extend_schema(summary="List material requests"),
    retrieve=extend_schema(summary="One material request"),
    create=extend_schema(
        summary="Request an item for a unit",
        request=MaterialRequestCreateSerializer,
        responses={201: MaterialRequestSerializer},
    ),
)
class MaterialRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """What units ask for; the office matches, units pledge, the status follows the transfers."""

    queryset = MaterialRequest.objects.select_related("unit", "item")
    serializer_class = MaterialRequestSerializer
    filterset_fields = {"status": ["exact"], "unit": ["exact"], "item": ["exact"], "urgency": ["exact"]}
    ordering_fields = ["created", "needed_by"]

    def get_queryset(self):
        # What still needs covering first (open, then partly covered; critical, urgent, earliest needed).
        return selectors.request_list(viewer=self.request.user)

    @extend_schema(
        summary="Who could send the request's item: units holding it, the largest surplus first",
        description=(
            "For the office (units where you approve transfers) or, with `?for=pledge`, for a keeper (units "
            "you may send from). Each unit's stock, days of supply, what it promised to other transfers and "
            "what it can give without going below its target days or its reorder threshold."
        ),
        parameters=[OpenApiParameter("for", OpenApiTypes.STR, enum=["match", "pledge"])],
        responses={200: DonorSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def donors(self, request, pk=None):
        req = self.get_object()
        purpose = Action.ADD if request.query_params.get("for") == "pledge" else Action.APPROVE
        rows = selectors.request_donors(viewer=request.user, request=req, action=purpose)
        return Response(DonorSerializer(rows, many=True).data)

    def get_serializer_class(self):
        return {
            "create": MaterialRequestCreateSerializer,
            "match": RequestMatchSerializer,
            "pledge": RequestPledgeSerializer,
            "cancel": TransferEmptySerializer,
        }.get(self.action, MaterialRequestSerializer)

    def create(self, request, *args, **kwargs):
        data = MaterialRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        obj = services.request_create(actor=request.user, **data.validated_data)
        return self.respond(obj, status_code=status.HTTP_201_CREATED, serializer_class=MaterialRequestSerializer)

    @command(
        "Cover the request from an offer or a unit (group office)",
        takes=RequestMatchSerializer,
        gives=TransferSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=Action.VIEW,
    )
    def match(self, request, req, data):
        transfer = services.request_match(
            actor=request.user,
            request=req,
            offer=_visible(request, Offer, data.get("offer")),
            from_unit=_visible(request, Unit, data.get("from_unit")),
            quantity=data.get("quantity"),
            approve=data["approve"],
        )
        return _transfer_response(self, transfer, status.HTTP_201_CREATED)

    @command(
        "Pledge to the request from a unit (a proposed transfer)",
        takes=RequestPledgeSerializer,
        gives=TransferSerializer,
        status_code=status.HTTP_201_CREATED,
        scope_action=Action.VIEW,
    )
    def pledge(self, request, req, data):
        transfer = services.request_pledge(
            actor=request.user,
            request=req,
            from_unit=_visible(request, Unit, data["from_unit"]),
            quantity=data.get("quantity"),
            note=data.get("note", ""),
        )
        return _transfer_response(self, transfer, status.HTTP_201_CREATED)

    @command("Cancel the request", gives=MaterialRequestSerializer, reread=True, scope_action=Action.VIEW)
    def cancel(self, request, req, data):
        return services.request_cancel(actor=request.user, request=req)


# --- offers -------------------------------------------------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "unit",
            "unit_name",
            "item",
            "item_code",
            "quantity",
            "note",
            "available_until",
            "status",
            "created",
        ]
        read_only_fields = fields


class OfferCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=Offer, help_text="A unit where you may offer materials.")
    item = serializers.PrimaryKeyRelatedField(queryset=_items())
    quantity = serializers.CharField(max_length=20, help_text="At most what the unit has on hand.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    available_until = serializers.DateField(required=False, allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="List offers of surplus"),
    retrieve=extend_schema(summary="One offer"),
    create=extend_schema(summary="Offer surplus", request=OfferCreateSerializer, responses={201: OfferSerializer}),
)
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = Offer.objects.select_related("unit", "item")
    serializer_class = OfferSerializer
    filterset_fields = {"status": ["exact"], "unit": ["exact"], "item": ["exact"]}
    ordering_fields = ["created"]

    def get_serializer_class(self):
        return {"create": OfferCreateSerializer, "withdraw": TransferEmptySerializer}.get(self.action, OfferSerializer)

    def create(self, request, *args, **kwargs):
        data = OfferCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        obj = services.offer_create(actor=request.user, **data.validated_data)
        return self.respond(obj, status_code=status.HTTP_201_CREATED, serializer_class=OfferSerializer)

    @command("Withdraw the offer", gives=OfferSerializer, reread=True, scope_action=Action.VIEW)
    def withdraw(self, request, offer, data):
        return services.offer_withdraw(actor=request.user, offer=offer)


# --- transfers ----------------------------------------------------------------------------------


class TransferLineInputSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=_items())
    quantity = serializers.CharField(max_length=20)


class ReceiverInputSerializer(StrictFieldsMixin, serializers.Serializer):
    to_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.filter(is_active=True))
    lines = TransferLineInputSerializer(many=True)


class TransferDistributeSerializer(StrictFieldsMixin, serializers.Serializer):
    from_unit = ScopedUnitField(scope_model=Transfer, help_text="A unit where you may propose transfers.")
    receivers = ReceiverInputSerializer(
        many=True, allow_empty=False, help_text="One transfer (its own note and number) per receiving unit."
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    approve = serializers.BooleanField(default=False, help_text="Approve at once (the office above both units).")


class TransferCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    from_unit = ScopedUnitField(scope_model=Transfer, help_text="A unit where you may propose transfers.")
    to_unit = serializers.PrimaryKeyRelatedField(queryset=_units())
    lines = TransferLineInputSerializer(many=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)

    strict_field_hints = {"status": _("A new transfer is proposed; the office approves it.")}


class TransferShipSerializer(StrictFieldsMixin, serializers.Serializer):
    quantities = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Line id → quantity. Left out when shipping: each line ships what was agreed.",
    )
    date = serializers.DateField(required=False)


class TransferReceiveSerializer(TransferShipSerializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    finish = serializers.BooleanField(default=False, help_text="Close the transfer even if less arrived.")
    discrepancies = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        help_text="Line id → what happened to what did not arrive (needed for each short line when finishing).",
    )


class TransferReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200)


def _transfer_response(view, transfer: Transfer, status_code: int = status.HTTP_200_OK):
    from rest_framework.response import Response

    obj = selectors.transfer_list(viewer=view.request.user).get(pk=transfer.pk)
    return Response(TransferSerializer(obj, context=view.get_serializer_context()).data, status=status_code)


def _keys(mapping) -> dict[int, object]:
    try:
        return {int(k): v for k, v in (mapping or {}).items()}
    except ValueError:
        raise exceptions.ValidationError({"quantities": [_("Name lines by their id.")]}) from None


@extend_schema_view(
    list=extend_schema(summary="List transfers (调拨单) sent or received in your scope"),
    retrieve=extend_schema(summary="One transfer with its lines and receipts"),
    create=extend_schema(
        summary="Propose a transfer from a unit", request=TransferCreateSerializer, responses={201: TransferSerializer}
    ),
)
class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """proposed → approved (office) → shipped (sending unit) → received (receiving unit, in parts)."""

    queryset = Transfer.objects.select_related("from_unit", "to_unit")
    serializer_class = TransferSerializer
    filterset_fields = {"status": ["exact"], "from_unit": ["exact"], "to_unit": ["exact"], "number": ["exact"]}
    ordering_fields = ["created", "number"]

    def get_queryset(self):
        waiting = self.request.query_params.get("waiting") if self.action == "list" else None
        return selectors.transfer_list(
            viewer=self.request.user, waiting=waiting if waiting in selectors.WAITING else None
        )

    def get_serializer_class(self):
        return {
            "create": TransferCreateSerializer,
            "distribute": TransferDistributeSerializer,
            "ship": TransferShipSerializer,
            "receive": TransferReceiveSerializer,
            "reject": TransferReasonSerializer,
            "cancel": TransferReasonSerializer,
            "approve": TransferApproveSerializer,
        }.get(self.action, TransferSerializer)

    def perform_content_negotiation(self, request, force=False):
        # The export answers with a workbook whatever the client accepts; its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Export transfers as .xlsx (one row per line; the dates shipped and received as entered)",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: sent or received by it or below."),
            OpenApiParameter("in_transit", OpenApiTypes.BOOL),
            OpenApiParameter("waiting", OpenApiTypes.STR, enum=list(selectors.WAITING)),
        ],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request):
        form = TransferFilterForm(request.query_params, units=Unit.objects.restrict(request.user, Action.VIEW))
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        data = form.cleaned_data
        rows = selectors.transfer_list(
            viewer=request.user,
            status=data.get("status") or None,
            unit=data.get("unit"),
            in_transit=bool(data.get("in_transit")),
            waiting=data.get("waiting") or None,
            action=Action.EXPORT,
        ).select_related("request")
        return transfers_export_response(actor=request.user, transfers=rows)

    @extend_schema(
        summary="What is in transit: per unit and item, and every line shipped and not yet received",
        parameters=[OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and below.")],
        responses={200: InTransitSerializer},
    )
    @action(detail=False, methods=["get"], url_path="in-transit", filter_backends=[], pagination_class=None)
    def in_transit(self, request):
        unit = _visible_unit(request)
        body = {
            "totals": selectors.in_transit_by_unit(viewer=request.user, unit=unit),
            "lines": selectors.in_transit_lines(viewer=request.user, unit=unit),
        }
        return Response(InTransitSerializer(body).data)

    @extend_schema(
        summary="Flows between units: what arrived from one unit at another in a period",
        parameters=[FlowQuerySerializer],
        responses={200: FlowsSerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def flows(self, request):
        query = FlowQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        start, end = flow_period(query.validated_data)
        rows = selectors.flows(viewer=request.user, date_from=start, date_to=end, item=query.validated_data.get("item"))
        return Response(FlowsSerializer({"date_from": start, "date_to": end, "flows": rows}).data)

    @command(
        "Send from one unit to several units: one transfer (note and number) per receiving unit, all or none",
        takes=TransferDistributeSerializer,
        gives=TransferSerializer(many=True),
        status_code=status.HTTP_201_CREATED,
        detail=False,
        scope_action=Action.ADD,
    )
    def distribute(self, request, data):
        visible = {
            u.pk
            for u in Unit.objects.restrict(request.user, Action.VIEW).filter(
                pk__in=[r["to_unit"].pk for r in data["receivers"]]
            )
        }
        if any(r["to_unit"].pk not in visible for r in data["receivers"]):
            raise exceptions.ValidationError({"receivers": [_("Choose units you can see as the receiving units.")]})
        created = services.transfer_distribute(
            actor=request.user,
            from_unit=data["from_unit"],
            receivers=[
                services.ReceiverInput(
                    r["to_unit"], [services.LineInput(line["item"], line["quantity"]) for line in r["lines"]]
                )
                for r in data["receivers"]
            ],
            note=data.get("note", ""),
            approve=data["approve"],
        )
        rows = selectors.transfer_list(viewer=request.user).filter(pk__in=[t.pk for t in created]).order_by("number")
        return Response(
            TransferSerializer(rows, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def create(self, request, *args, **kwargs):
        data = TransferCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        d = data.validated_data
        transfer = services.transfer_propose(
            actor=request.user,
            from_unit=d["from_unit"],
            to_unit=d["to_unit"],
            lines=[services.LineInput(line["item"], line["quantity"]) for line in d["lines"]],
            note=d.get("note", ""),
        )
        return _transfer_response(self, transfer, status.HTTP_201_CREATED)

    @command(
        "Approve (group office above both units); refused with what is missing when the sender lacks the stock",
        takes=TransferApproveSerializer,
        gives=TransferSerializer,
        scope_action=Action.VIEW,
    )
    def approve(self, request, transfer, data):
        transfer = services.transfer_approve(
            actor=request.user, transfer=transfer, confirm_short=data.get("confirm_short", False)
        )
        return _transfer_response(self, transfer)

    @command(
        "Ship (sending unit): stock leaves it",
        takes=TransferShipSerializer,
        gives=TransferSerializer,
        scope_action=Action.VIEW,
    )
    def ship(self, request, transfer, data):
        transfer = services.transfer_ship(
            actor=request.user,
            transfer=transfer,
            quantities=_keys(data.get("quantities")) or None,
            date=data.get("date"),
        )
        return _transfer_response(self, transfer)

    @command(
        "Record a receipt (receiving unit), possibly partial",
        takes=TransferReceiveSerializer,
        gives=TransferSerializer,
        scope_action=Action.VIEW,
    )
    def receive(self, request, transfer, data):
        services.transfer_receive(
            actor=request.user,
            transfer=transfer,
            quantities=_keys(data.get("quantities")),
            date=data.get("date"),
            note=data.get("note", ""),
            finish=data["finish"],
            discrepancies={k: str(v) for k, v in _keys(data.get("discrepancies")).items()},
        )
        return _transfer_response(self, transfer)

    @command(
        "Reject before shipping (office or sending unit)",
        takes=TransferReasonSerializer,
        gives=TransferSerializer,
        scope_action=Action.VIEW,
    )
    def reject(self, request, transfer, data):
        transfer = services.transfer_reject(actor=request.user, transfer=transfer, reason=data["reason"])
        return _transfer_response(self, transfer)

    @command(
        "Cancel before shipping (office, receiving unit or proposer)",
        takes=TransferReasonSerializer,
        gives=TransferSerializer,
        scope_action=Action.VIEW,
    )
    def cancel(self, request, transfer, data):
        transfer = services.transfer_cancel(actor=request.user, transfer=transfer, reason=data["reason"])
        return _transfer_response(self, transfer)


# --- rebalancing proposals ----------------------------------------------------------------------


class ProposalSerializer(serializers.ModelSerializer):
    scope_unit_name = serializers.CharField(source="scope_unit.name", read_only=True)

    class Meta:
        model = RebalanceProposal
        fields = ["id", "status", "scope_unit", "scope_unit_name", "max_shipments", "summary", "created", "decided"]
        read_only_fields = fields


class ProposalCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    scope_unit = ScopedUnitField(scope_model=RebalanceProposal, help_text="Rebalance among this unit's subtree.")
    max_shipments = serializers.IntegerField(min_value=1, max_value=rebalance_services.MAX_SHIPMENTS_LIMIT)
    items = serializers.PrimaryKeyRelatedField(queryset=_items(), many=True, required=False)


class ProposalLinesSerializer(StrictFieldsMixin, serializers.Serializer):
    dropped = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the lines to leave out.")


@extend_schema_view(
    list=extend_schema(summary="List rebalancing proposals"),
    retrieve=extend_schema(summary="One rebalancing proposal with its lines and before/after figures"),
    create=extend_schema(
        summary="Run a rebalancing proposal (group office)",
        request=ProposalCreateSerializer,
        responses={201: ProposalSerializer},
    ),
)
class RebalanceProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    queryset = RebalanceProposal.objects.select_related("scope_unit")
    serializer_class = ProposalSerializer
    filterset_fields = {"status": ["exact"]}
    ordering_fields = ["created"]

    def get_serializer_class(self):
        return {
            "create": ProposalCreateSerializer,
            "lines": ProposalLinesSerializer,
            "accept": TransferEmptySerializer,
            "discard": TransferEmptySerializer,
        }.get(self.action, ProposalSerializer)

    def create(self, request, *args, **kwargs):
        data = ProposalCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        d = data.validated_data
        proposal = rebalance_services.proposal_create(
            actor=request.user,
            scope_unit=d["scope_unit"],
            max_shipments=d["max_shipments"],
            item_ids=[i.pk for i in d.get("items", [])] or None,
        )
        return self.respond(proposal, status_code=status.HTTP_201_CREATED, serializer_class=ProposalSerializer)

    @command(
        "Drop lines before accepting",
        takes=ProposalLinesSerializer,
        gives=ProposalSerializer,
        reread=True,
        scope_action=Action.VIEW,
    )
    def lines(self, request, proposal, data):
        return rebalance_services.proposal_set_lines(actor=request.user, proposal=proposal, dropped=data["dropped"])

    @command(
        "Turn the kept lines into approved transfers",
        responses={200: TransferSerializer(many=True)},
        scope_action=Action.VIEW,
    )
    def accept(self, request, proposal, data):
        from rest_framework.response import Response

        transfers = rebalance_services.proposal_accept(actor=request.user, proposal=proposal)
        rows = selectors.transfer_list(viewer=request.user).filter(pk__in=[t.pk for t in transfers]).order_by("number")
        return Response(TransferSerializer(rows, many=True, context=self.get_serializer_context()).data)

    @command("Discard the proposal", gives=ProposalSerializer, reread=True, scope_action=Action.VIEW)
    def discard(self, request, proposal, data):
        return rebalance_services.proposal_discard(actor=request.user, proposal=proposal)


def register(router) -> None:
    """Add viewsets to the API router."""
    router.register("material-requests", MaterialRequestViewSet, basename="materialrequest")
    router.register("material-offers", OfferViewSet, basename="offer")
    router.register("transfers", TransferViewSet, basename="transfer")
    router.register("rebalance-proposals", RebalanceProposalViewSet, basename="rebalanceproposal")
