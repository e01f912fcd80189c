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
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status

from lianfang.core.api import (
    ExplainedDenials,
    LooseDecimalField,
    RestrictedViewSet,
    ScopedUnitField,
    StrictFieldsMixin,
    command,
)
from lianfang.core.scoping import Action
from lianfang.donations import selectors
from lianfang.donations.models import Donation, DonationLine
from lianfang.donations.services import donations
from lianfang.materials.models import Item

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
