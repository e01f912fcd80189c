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

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

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
from lianfang.donations.forms import DonationFilterForm, DonationReportForm
from lianfang.donations.models import Donation, DonationLine
from lianfang.donations.services import donations
from lianfang.materials.models import Item
from lianfang.org.scoping import has_any, units_where

DONATION, COLLECTION, FUND = "donations.donation", "donations.collection", "donations.fund"


def money(value) -> str:
    """Yuan as the API gives every amount: a string with two decimals ("47993.00"), never a float."""
    return f"{value:.2f}"


class MoneyField(serializers.DecimalField):
    """An amount in yuan, always two decimals, always a string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 16)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


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


# --- the donations and funds report -------------------------------------------------------------


class ReportMoneySerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    received = MoneyField()
    given = MoneyField()
    donations = serializers.IntegerField(source="count")


class ReportGoodsSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk", allow_null=True)
    unit_name = serializers.CharField(source="unit.name", allow_null=True)
    item = serializers.IntegerField(source="item.pk")
    item_code = serializers.CharField(source="item.code")
    measure = serializers.CharField(source="item.measure")
    received = serializers.DecimalField(max_digits=14, decimal_places=2)
    given = serializers.DecimalField(max_digits=14, decimal_places=2)


class ReportDonationsSerializer(serializers.Serializer):
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    money_received = MoneyField()
    money_given = MoneyField()
    money = ReportMoneySerializer(many=True)
    goods = ReportGoodsSerializer(many=True)
    goods_totals = ReportGoodsSerializer(many=True)


class ReportCollectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="collection.pk")
    name = serializers.CharField(source="collection.name")
    organiser = serializers.IntegerField(source="collection.organiser_id")
    recipient = serializers.CharField(source="collection.recipient")
    opened_on = serializers.DateField(source="collection.opened_on")
    collected = MoneyField(source="totals.collected")
    passed_on = MoneyField(source="totals.passed_on")
    left = MoneyField(source="totals.left")
    units = serializers.IntegerField(source="totals.units")
    donors = serializers.IntegerField(source="totals.donors")


class ReportFundSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id")
    budget = MoneyField()
    committed = MoneyField()
    spent = MoneyField()
    balance = MoneyField()
    waiting = serializers.IntegerField(default=0)


class ReportFundsSerializer(serializers.Serializer):
    budget = MoneyField()
    committed = MoneyField()
    spent = MoneyField()
    balance = MoneyField()
    waiting = serializers.IntegerField()
    funds = ReportFundSerializer(many=True)


class DonationReportSerializer(serializers.Serializer):
    donations = ReportDonationsSerializer(allow_null=True, help_text="Null when you may not see donations.")
    collections = ReportCollectionSerializer(many=True, allow_null=True)
    funds = ReportFundsSerializer(allow_null=True)


REPORT_PARAMETERS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and its sub-units."),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
]


def _report_args(request) -> dict:
    form = DonationReportForm(request.query_params, units=units_where(request.user, Donation, Action.VIEW))
    if not form.is_valid():
        raise exceptions.ValidationError(form.errors.get_json_data())
    data = form.cleaned_data
    return {"unit": data.get("unit"), "date_from": data.get("date_from"), "date_to": data.get("date_to")}


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

    def perform_content_negotiation(self, request, force=False):
        # The exports answer with a workbook whatever the client accepts; their errors are JSON.
        exporting = self.action in ("export", "report_export")
        return super().perform_content_negotiation(request, force=force or exporting)

    @extend_schema(
        summary="Export donations as .xlsx (the same file as the donations page)",
        parameters=[
            OpenApiParameter("direction", OpenApiTypes.STR),
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("unit", OpenApiTypes.INT, description="A unit id: that unit and its sub-units."),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("state", OpenApiTypes.STR, enum=["active", "cancelled"]),
        ],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"], scope_action=Action.EXPORT, filter_backends=[], pagination_class=None)
    def export(self, request):
        form = DonationFilterForm(request.query_params, units=units_where(request.user, Donation, Action.EXPORT))
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        rows = selectors.donation_list(viewer=request.user, action=Action.EXPORT, **form.selector_args())
        response = exports.donations_xlsx(rows)
        exports.audit_export(
            actor=request.user, what="donations", object_repr=_("Donations"), filters=request.query_params.urlencode()
        )
        return response

    @extend_schema(
        summary="The donations and funds report: donations per unit and item, collections, emergency funds",
        description="Each part only for those who may see it (null otherwise); every amount a string in yuan.",
        parameters=REPORT_PARAMETERS,
        responses={200: DonationReportSerializer},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def report(self, request):
        user = request.user
        shows = {label: has_any(user, label, Action.VIEW) for label in (DONATION, COLLECTION, FUND)}
        if not any(shows.values()):
            raise exceptions.PermissionDenied()
        args = _report_args(request)
        body = {
            "donations": selectors.donation_report(viewer=user, **args) if shows[DONATION] else None,
            "collections": [{"collection": c, "totals": t} for c, t in selectors.collections_summary(viewer=user)]
            if shows[COLLECTION]
            else None,
            "funds": selectors.funds_summary(viewer=user, unit=args["unit"]) if shows[FUND] else None,
        }
        return Response(DonationReportSerializer(body).data)

    @extend_schema(
        summary="Export the donations and funds report as .xlsx (the same file as the report page)",
        parameters=REPORT_PARAMETERS,
        responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="report/export",
        url_name="report-export",
        filter_backends=[],
        pagination_class=None,
    )
    def report_export(self, request):
        user = request.user
        allowed = {label: has_any(user, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND)}
        if not any(allowed.values()):
            raise exceptions.PermissionDenied(
                _("Exporting this report is for leaders and the group prevention office.")
                if any(has_any(user, label, Action.VIEW) for label in allowed)
                else None
            )
        args = _report_args(request)
        response = exports.report_xlsx(
            report=selectors.donation_report(viewer=user, **args) if allowed[DONATION] else None,
            collections=selectors.collections_summary(viewer=user) if allowed[COLLECTION] else None,
            funds=selectors.funds_summary(viewer=user, unit=args["unit"]) if allowed[FUND] else None,
        )
        exports.audit_export(actor=user, what="donation_report", object_repr=_("Donations and funds report"))
        return response

    def denial_message(self, obj) -> str:
        return _(
            "You may not cancel donations of %(unit)s: its materials keeper or the group prevention office can."
        ) % {"unit": obj.unit.name}

    def create(self, request, *args, **kwargs):
        data = DonationCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        donation = donations.donation_record(
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

    @command(
        "Cancel a donation (goods: reverse movements)",
        takes=ReasonSerializer,
        gives=DonationSerializer,
        reread=True,
        scope_action=Action.CHANGE,
    )
    def cancel(self, request, donation, data):
        return donations.donation_cancel(actor=request.user, donation=donation, reason=data["reason"])
