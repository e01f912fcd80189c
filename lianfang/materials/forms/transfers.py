"""Forms of the request, offer, transfer and rebalancing pages. They parse; services check and write.

Every unit choice comes from a restricted queryset (``units_where``), so a form never offers, nor
accepts, a unit outside the user's scope for the action.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.materials.choices import OfferStatus, RequestStatus, TransferStatus, Urgency
from lianfang.materials.models import Item, Offer, TransferLine
from lianfang.org.models import Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}
LINES = 3


def _items() -> QuerySet[Item]:
    return Item.objects.filter(is_active=True).order_by("sort", "code")


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Item) -> str:
        return f"{obj.label} · {obj.get_measure_display()}"


def quantity_field(label: Any = None, required: bool = True, initial: Any = None) -> forms.CharField:
    # Text, not a number input: the ledger's own check gives the message ("whole numbers for masks").
    return forms.CharField(
        label=label or _("Quantity"),
        required=required,
        initial=initial,
        max_length=20,
        widget=forms.TextInput(attrs=QUANTITY_ATTRS),
    )


class RequestForm(Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = quantity_field()
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    front_line = forms.BooleanField(label=_("For the front line"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("What the materials are for."))
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(is_active=True)
        self.fields["item"].queryset = _items()


class OfferForm(Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = quantity_field()
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    available_until = forms.DateField(label=_("Available until"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(is_active=True)
        self.fields["item"].queryset = _items()


class MatchForm(Form):
    """The office covers a request: from an open offer of the item, or from a unit it chooses."""

    offer = forms.ModelChoiceField(
        label=_("From an offer"),
        queryset=Offer.objects.none(),
        required=False,
        empty_label=_("No offer: choose a unit"),
    )
    from_unit = UnitChoiceField(
        label=_("Or from this unit"), queryset=Unit.objects.none(), required=False, empty_label="—"
    )
    quantity = quantity_field(required=False)
    approve = forms.BooleanField(label=_("Approve at once"), required=False, initial=True)

    def __init__(self, *args: Any, offers: QuerySet[Offer], units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers.filter(status=OfferStatus.OPEN)
        self.fields["offer"].label_from_instance = lambda o: f"{o.unit.name} · {o.quantity.normalize():f}"
        self.fields["from_unit"].queryset = units.filter(is_active=True)
        self.fields["quantity"].help_text = _("Leave empty for all the request still needs (or all the offer has).")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("offer") and not data.get("from_unit"):
            raise forms.ValidationError(_("Choose an offer or the unit that sends."))
        return data


class PledgeForm(Form):
    from_unit = UnitChoiceField(label=_("From"), queryset=Unit.objects.none(), empty_label=None)
    quantity = quantity_field(required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].queryset = units.filter(is_active=True)
        self.fields["quantity"].help_text = _("Leave empty for all the request still needs.")


class TransferForm(Form):
    """A transfer proposed by the sending unit (or the office), up to three items."""

    from_unit = UnitChoiceField(label=_("From"), queryset=Unit.objects.none(), empty_label=None)
    to_unit = UnitChoiceField(label=_("To"), queryset=Unit.objects.none(), empty_label=None)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, from_units: QuerySet[Unit], to_units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].queryset = from_units.filter(is_active=True)
        self.fields["to_unit"].queryset = to_units.filter(is_active=True)
        for n in range(1, LINES + 1):
            self.fields[f"item_{n}"] = ItemChoiceField(
                label=_("Item %(n)d") % {"n": n}, queryset=_items(), required=n == 1
            )
            self.fields[f"quantity_{n}"] = quantity_field(_("Quantity %(n)d") % {"n": n}, required=n == 1)

    def lines(self) -> list[tuple[Item, str]]:
        out = []
        for n in range(1, LINES + 1):
            item, qty = self.cleaned_data.get(f"item_{n}"), self.cleaned_data.get(f"quantity_{n}")
            if item is not None or qty:
                if item is None:
                    self.add_error(f"item_{n}", _("Choose the item for this quantity."))
                elif not qty:
                    self.add_error(f"quantity_{n}", _("Enter how many."))
                else:
                    out.append((item, qty))
        return out


def _day_field(label) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE_WIDGET)


class ShipForm(Form):
    """What leaves, per line (what was agreed unless changed)."""

    def __init__(self, *args: Any, lines: list[TransferLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"ship_{line.pk}"] = quantity_field(
                f"{line.item.label} · {line.item.get_measure_display()}",
                required=False,
                initial=f"{line.quantity.normalize():f}",
            )
        self.fields["date"] = _day_field(_("Shipped on"))

    def quantities(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"ship_{line.pk}") or "" for line in self.lines}


class ReceiveForm(Form):
    """What arrived, per line; finishing short needs a note on each short line."""

    def __init__(self, *args: Any, lines: list[TransferLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            left = line.shipped - line.received
            label = f"{line.item.label} · {line.item.get_measure_display()}"
            self.fields[f"receive_{line.pk}"] = quantity_field(label, required=False, initial=f"{left.normalize():f}")
            self.fields[f"discrepancy_{line.pk}"] = forms.CharField(
                label=_("Discrepancy: %(item)s") % {"item": line.item.label},
                max_length=200,
                required=False,
                help_text=_("Only when less arrives than was shipped and nothing more will come."),
            )
        self.fields["date"] = _day_field(_("Received on"))
        self.fields["note"] = forms.CharField(label=_("Note"), max_length=200, required=False)
        self.fields["finish"] = forms.BooleanField(
            label=_("Nothing more will arrive: close the transfer"), required=False
        )

    def quantities(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"receive_{line.pk}") or "" for line in self.lines}

    def discrepancies(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"discrepancy_{line.pk}") or "" for line in self.lines}


class ReasonForm(Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class TransferFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    in_transit = forms.BooleanField(label=_("Only in transit"), required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *TransferStatus.choices]
        self.fields["unit"].queryset = units


class RequestFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *RequestStatus.choices]


class ProposalForm(Form):
    scope_unit = UnitChoiceField(label=_("Among the units of"), queryset=Unit.objects.none(), empty_label=None)
    max_shipments = forms.IntegerField(
        label=_("At most this many shipments"),
        min_value=1,
        max_value=5000,
        initial=50,
        help_text=_("One shipment is one transfer note from one unit to another, with any number of items."),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Items"),
        queryset=Item.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every item."),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope_unit"].queryset = units.filter(is_active=True)
        self.fields["items"].queryset = _items()
        self.fields["items"].label_from_instance = lambda i: i.label


class FlowFilterForm(Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_WIDGET)
    item = ItemChoiceField(label=_("Item"), queryset=Item.objects.none(), required=False, empty_label=None)

    def __init__(self, *args: Any, items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


def flow_period(data: dict[str, Any]) -> tuple[datetime.date, datetime.date]:
    """The chart's period: the dates given, else the last 30 days; reversed dates are swapped."""
    end = data.get("date_to") or timezone.localdate()
    start = data.get("date_from") or end - datetime.timedelta(days=29)
    return (start, end) if start <= end else (end, start)
