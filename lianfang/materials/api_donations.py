"""REST API of donations, money collections and the emergency fund, under /api/v1/:

* ``donations/`` (list, detail, create) and ``donations/{id}/cancel/``;
* ``collections/`` (list, detail, open), ``collections/{id}/contributions/`` (record a unit's gift)
  and ``collections/{id}/pass-on/``;
* ``funds/`` (list, detail, open) and ``funds/{id}/budget/`` (raise the budget);
* ``spending/`` (list, detail, request) and ``spending/{id}/approve|reject|pay/``.

Thin: parse, check, call a service, serialize. A service's refusal keeps its message: 400 with the
field, 403 with who can act. Amounts and quantities are checked by the services, so the API and
the pages say the same thing.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianfang.core.api import RestrictedViewSet, ScopedUnitField, StrictFieldsMixin
from lianfang.materials import donation_selectors as selectors
from lianfang.materials import donation_services as services
from lianfang.materials.models import Collection, Contribution, Donation, DonationLine, Fund, Item, Spending
from lianfang.org.choices import Action


class LooseDecimalField(serializers.DecimalField):
    """A number read as it was sent; the service decides what is acceptable and says why not."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 30)
        kwargs.setdefault("decimal_places", 10)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return Decimal(str(data).strip())
        except Exception:
            raise serializers.ValidationError(_("Enter a number.")) from None


class ExplainedDenials:
    """A detail action refused on the object says who can act, not only "not allowed"."""

    def denial_message(self, obj) -> str | None:
        return None

    def get_object(self):
        try:
            return super().get_object()  # type: ignore[misc]
        except exceptions.PermissionDenied:
            obj = RestrictedViewSet.get_queryset(self).get(pk=self.kwargs["pk"])  # type: ignore[arg-type]
            raise exceptions.PermissionDenied(detail=self.denial_message(obj)) from None


# --- donations ----------------------------------------------------------------------------------


class DonationLineSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.label", read_only=True)
    measure = serializers.CharField(source="item.measure", read_only=True)

    class Meta:
        model = DonationLine
        fields = ["item", "item_code", "item_name", "measure", "quantity", "movement"]
        read_only_fields = fields


class DonationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    lines = DonationLineSerializer(many=True, read_only=True)
    is_cancelled = serializers.SerializerMethodField()

    class Meta:
        model = Donation
        fields = [
            "id",
            "number",
            "direction",
            "kind",
            "unit",
            "unit_name",
            "counterparty",
            "date",
            "amount",
            "lines",
            "receipt_no",
            "collection",
            "note",
            "created",
            "created_by",
            "is_cancelled",
            "cancelled",
            "cancelled_by",
            "cancel_reason",
        ]
        read_only_fields = fields

    def get_is_cancelled(self, donation: Donation) -> bool:
        return donation.cancelled is not None


class DonationLineInputSerializer(StrictFieldsMixin, serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=Item.objects.all())
    quantity = LooseDecimalField(help_text="Whole numbers for items counted in pieces, pairs, sets…")


class DonationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    direction = serializers.ChoiceField(choices=Donation._meta.get_field("direction").choices)
    kind = serializers.ChoiceField(choices=Donation._meta.get_field("kind").choices)
    unit = ScopedUnitField(scope_model=Donation, help_text="A unit where you may record donations.")
    counterparty = serializers.CharField(max_length=100, help_text="The donor (received) or the recipient (given).")
    date = serializers.DateField()
    amount = LooseDecimalField(required=False, allow_null=True, help_text="Yuan, above zero, two decimals; money only.")
    lines = DonationLineInputSerializer(many=True, required=False, help_text="Goods only: items and quantities.")
    receipt_no = serializers.CharField(max_length=40, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    strict_field_hints = {
        "number": _("The number is given when the donation is recorded."),
        "collection": _("Money from a collection is passed on from the collection (collections/{id}/pass-on/)."),
    }


class ReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List donations received and given"),
    retrieve=extend_schema(summary="One donation with its goods"),
    create=extend_schema(
        summary="Record a donation (goods move the unit's stock)",
        request=DonationCreateSerializer,
        responses={201: DonationSerializer},
    ),
)
class DonationViewSet(ExplainedDenials, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Donations (捐赠): goods and money, received from outside donors or given to hospitals,
    communities or the Red Cross. Never edited: cancel and record again."""

    queryset = Donation.objects.all()
    serializer_class = DonationSerializer
    filterset_fields = {
        "direction": ["exact"],
        "kind": ["exact"],
        "unit": ["exact"],
        "date": ["exact", "gte", "lte"],
        "collection": ["exact"],
    }
    ordering_fields = ["date", "number", "id"]

    def get_queryset(self):
        return selectors.donation_list(viewer=self.request.user).prefetch_related("lines__item")

    def denial_message(self, obj) -> str:
        return _(
            "You may not cancel donations of %(unit)s: its materials keeper or the group prevention office can."
        ) % {"unit": obj.unit.name}

    def create(self, request, *args, **kwargs):
        data = DonationCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        donation = services.donation_record(
            actor=request.user,
            direction=v["direction"],
            kind=v["kind"],
            unit=v["unit"],
            counterparty=v["counterparty"],
            date=v["date"],
            amount=v.get("amount"),
            lines=[(line["item"], line["quantity"]) for line in v.get("lines") or []],
            receipt_no=v.get("receipt_no", ""),
            note=v.get("note", ""),
        )
        return self.respond(donation, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a donation (goods: reverse movements)",
        request=ReasonSerializer,
        responses={200: DonationSerializer},
    )
    @action(detail=True, methods=["post"], scope_action=Action.CHANGE, filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        donation = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.donation_cancel(actor=request.user, donation=donation, reason=data.validated_data["reason"])
        return self.respond(donation)


# --- collections --------------------------------------------------------------------------------


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

    def get_collected(self, collection: Collection) -> Decimal:
        return self._totals(collection).collected

    def get_passed_on(self, collection: Collection) -> Decimal:
        return self._totals(collection).passed_on

    def get_left(self, collection: Collection) -> Decimal:
        return self._totals(collection).left

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
        return _("Only the organiser of the collection (the group prevention office) can pass its money on.")

    def create(self, request, *args, **kwargs):
        data = CollectionCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        collection = services.collection_open(actor=request.user, **data.validated_data)
        return self.respond(collection, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record what a unit gave", request=ContributionCreateSerializer, responses={201: ContributionSerializer}
    )
    @action(detail=True, methods=["post"], scope_action=Action.ADD, filter_backends=[], pagination_class=None)
    def contributions(self, request, pk=None):
        collection = self.get_object()
        data = ContributionCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        contribution = services.contribution_record(actor=request.user, collection=collection, **data.validated_data)
        return Response(ContributionSerializer(contribution).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Pass collected money on (a money donation given)",
        request=PassOnSerializer,
        responses={201: DonationSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="pass-on",
        url_name="pass-on",
        scope_action=Action.CHANGE,
        filter_backends=[],
        pagination_class=None,
    )
    def pass_on(self, request, pk=None):
        collection = self.get_object()
        data = PassOnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        donation = services.collection_pass_on(actor=request.user, collection=collection, **data.validated_data)
        donation = selectors.donation_list(viewer=request.user).get(pk=donation.pk)
        return Response(DonationSerializer(donation).data, status=status.HTTP_201_CREATED)


# --- the emergency fund -------------------------------------------------------------------------


class FundSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    waiting = serializers.IntegerField(read_only=True, help_text="Requests waiting for a decision.")

    class Meta:
        model = Fund
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "budget",
            "committed",
            "spent",
            "balance",
            "waiting",
            "opened_on",
            "note",
        ]
        read_only_fields = fields


class FundCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    unit = ScopedUnitField(scope_model=Fund, help_text="A unit where you may open funds.")
    name = serializers.CharField(max_length=100)
    budget = LooseDecimalField(help_text="Yuan, above zero, two decimals.")
    opened_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BudgetSerializer(StrictFieldsMixin, serializers.Serializer):
    increase = LooseDecimalField(help_text="Yuan added to the budget.")
    reason = serializers.CharField(max_length=200, allow_blank=True)


@extend_schema_view(
    list=extend_schema(summary="List emergency funds with budget, committed, paid and balance"),
    retrieve=extend_schema(summary="One emergency fund"),
    create=extend_schema(
        summary="Open an emergency fund", request=FundCreateSerializer, responses={201: FundSerializer}
    ),
)
class FundViewSet(ExplainedDenials, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Emergency funds (应急专项资金): a budget; approved spending is committed, paid spending is spent."""

    queryset = Fund.objects.all()
    serializer_class = FundSerializer
    filterset_fields = {"unit": ["exact"]}
    ordering_fields = ["name", "id"]

    def get_queryset(self):
        return selectors.fund_list(viewer=self.request.user)

    def denial_message(self, obj) -> str:
        return _("You may not change the budget of %(fund)s: the group prevention office can.") % {"fund": obj.name}

    def create(self, request, *args, **kwargs):
        data = FundCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fund = services.fund_open(actor=request.user, **data.validated_data)
        return self.respond(fund, status_code=status.HTTP_201_CREATED)

    @extend_schema(summary="Raise the budget", request=BudgetSerializer, responses={200: FundSerializer})
    @action(detail=True, methods=["post"], scope_action=Action.CHANGE, filter_backends=[], pagination_class=None)
    def budget(self, request, pk=None):
        fund = self.get_object()
        data = BudgetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fund = services.fund_raise_budget(actor=request.user, fund=fund, **data.validated_data)
        return self.respond(fund)


class SpendingSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    fund_name = serializers.CharField(source="fund.name", read_only=True)

    class Meta:
        model = Spending
        fields = [
            "id",
            "fund",
            "fund_name",
            "unit",
            "unit_name",
            "purpose",
            "amount",
            "status",
            "requested",
            "requested_by",
            "decided",
            "decided_by",
            "decision_note",
            "paid_on",
            "voucher_no",
        ]
        read_only_fields = fields


class SpendingCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all(), help_text="A fund you may see.")
    unit = ScopedUnitField(
        scope_model=Spending, required=False, help_text="The unit the money is for; defaults to the fund's unit."
    )
    purpose = serializers.CharField(max_length=200)
    amount = LooseDecimalField(help_text="Yuan, above zero, two decimals.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A fund outside the view scope is "does not exist", like a missing one.
            self.fields["fund"].queryset = selectors.fund_list(viewer=request.user)


class DecisionSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PaySerializer(StrictFieldsMixin, serializers.Serializer):
    voucher_no = serializers.CharField(max_length=40, allow_blank=True)
    paid_on = serializers.DateField()


@extend_schema_view(
    list=extend_schema(summary="List spending requests"),
    retrieve=extend_schema(summary="One spending request"),
    create=extend_schema(
        summary="Request spending from a fund", request=SpendingCreateSerializer, responses={201: SpendingSerializer}
    ),
)
class SpendingViewSet(ExplainedDenials, mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Spending from an emergency fund: requested → approved (committed) or rejected → paid (voucher)."""

    queryset = Spending.objects.all()
    serializer_class = SpendingSerializer
    filterset_fields = {"fund": ["exact"], "unit": ["exact"], "status": ["exact"]}
    ordering_fields = ["requested", "id"]

    def get_queryset(self):
        return selectors.spending_list(viewer=self.request.user)

    def denial_message(self, obj) -> str:
        if self.action == "pay":
            return _("Recording payments from the emergency fund of %(unit)s is for the group prevention office.") % {
                "unit": obj.unit.name
            }
        return _(
            "Deciding on spending from the emergency fund needs the approve right on %(unit)s or a unit "
            "above it: the group prevention office decides."
        ) % {"unit": obj.unit.name}

    def create(self, request, *args, **kwargs):
        data = SpendingCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        spending = services.spending_request(actor=request.user, **data.validated_data)
        return self.respond(spending, status_code=status.HTTP_201_CREATED)

    def _decide(self, request, service):
        spending = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        spending = service(actor=request.user, spending=spending, note=data.validated_data.get("note", ""))
        return self.respond(spending)

    @extend_schema(
        summary="Approve (commits the amount)", request=DecisionSerializer, responses={200: SpendingSerializer}
    )
    @action(detail=True, methods=["post"], scope_action=Action.APPROVE, filter_backends=[], pagination_class=None)
    def approve(self, request, pk=None):
        return self._decide(request, services.spending_approve)

    @extend_schema(summary="Reject (say why)", request=DecisionSerializer, responses={200: SpendingSerializer})
    @action(detail=True, methods=["post"], scope_action=Action.APPROVE, filter_backends=[], pagination_class=None)
    def reject(self, request, pk=None):
        return self._decide(request, services.spending_reject)

    @extend_schema(
        summary="Record the payment with its voucher", request=PaySerializer, responses={200: SpendingSerializer}
    )
    @action(detail=True, methods=["post"], scope_action=Action.CHANGE, filter_backends=[], pagination_class=None)
    def pay(self, request, pk=None):
        spending = self.get_object()
        data = PaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        spending = services.spending_pay(actor=request.user, spending=spending, **data.validated_data)
        return self.respond(spending)


def register(router) -> None:
    """Add viewsets to the API router."""
    router.register("donations", DonationViewSet, basename="donation")
    router.register("collections", CollectionViewSet, basename="collection")
    router.register("funds", FundViewSet, basename="fund")
    router.register("spending", SpendingViewSet, basename="spending")
