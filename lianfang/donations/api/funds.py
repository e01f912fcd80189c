"""``funds/`` (list, detail, open, raise the budget) and ``spending/`` (request, approve, reject, pay)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
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
from lianfang.donations.models import Fund, Spending
from lianfang.donations.services import funds


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
        if self.action == "export":
            return _("Exporting a fund is for leaders and the group prevention office.")
        return _("You may not change the budget of %(fund)s: the group prevention office can.") % {"fund": obj.name}

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    @extend_schema(
        summary="Export the fund with its spending as .xlsx (the same file as its page)",
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request, pk=None):
        fund = self.get_object()
        response = exports.fund_xlsx(fund, list(selectors.spending_list(viewer=request.user, fund=fund)))
        exports.audit_export(actor=request.user, what="fund", unit=fund.unit, object_repr=fund.name, fund=fund.pk)
        return response

    def create(self, request, *args, **kwargs):
        data = FundCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fund = funds.fund_open(actor=request.user, **data.validated_data)
        return self.respond(fund, status_code=status.HTTP_201_CREATED)

    @command("Raise the budget", takes=BudgetSerializer, gives=FundSerializer, reread=True, scope_action=Action.CHANGE)
    def budget(self, request, fund, data):
        return funds.fund_raise_budget(actor=request.user, fund=fund, **data)


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
        spending = funds.spending_request(actor=request.user, **data.validated_data)
        return self.respond(spending, status_code=status.HTTP_201_CREATED)

    @command(
        "Approve (commits the amount)",
        takes=DecisionSerializer,
        gives=SpendingSerializer,
        reread=True,
        scope_action=Action.APPROVE,
    )
    def approve(self, request, spending, data):
        return funds.spending_approve(actor=request.user, spending=spending, note=data.get("note", ""))

    @command(
        "Reject (say why)", takes=DecisionSerializer, gives=SpendingSerializer, reread=True, scope_action=Action.APPROVE
    )
    def reject(self, request, spending, data):
        return funds.spending_reject(actor=request.user, spending=spending, note=data.get("note", ""))

    @command(
        "Record the payment with its voucher",
        takes=PaySerializer,
        gives=SpendingSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def pay(self, request, spending, data):
        return funds.spending_pay(actor=request.user, spending=spending, **data)
