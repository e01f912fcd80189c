"""REST API of requests, offers, transfers and rebalancing proposals (/api/v1/material-requests/,
material-offers/, transfers/, rebalance-proposals/).

Thin: parse, call a service, serialize. Reads are restricted to the viewer's scope (a transfer is
in scope when either unit is); an object outside it is 404. The state-machine actions (approve,
ship, receive, reject, cancel, match, pledge, accept…) are decided by the services, whose refusals
keep their reason in the 403 or 400 body.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status

from lianfang.core.api import RestrictedViewSet, ScopedUnitField, StrictFieldsMixin, command
from lianfang.core.scoping import Action
from lianfang.materials.choices import Urgency
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
            "received",
        ]
        read_only_fields = fields


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
        return selectors.transfer_list(viewer=self.request.user)

    def get_serializer_class(self):
        return {
            "create": TransferCreateSerializer,
            "ship": TransferShipSerializer,
            "receive": TransferReceiveSerializer,
            "reject": TransferReasonSerializer,
            "cancel": TransferReasonSerializer,
            "approve": TransferEmptySerializer,
        }.get(self.action, TransferSerializer)

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

    @command("Approve (group office above both units)", gives=TransferSerializer, scope_action=Action.VIEW)
    def approve(self, request, transfer, data):
        transfer = services.transfer_approve(actor=request.user, transfer=transfer)
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
