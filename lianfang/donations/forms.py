"""Forms of the donation, collection and emergency-fund pages. They parse; services validate the
rules (amounts above zero with at most two decimals, whole numbers for counted goods, what is on
hand, what is left of a collection, a fund's balance) and the forms show their messages.

Amounts and quantities are text fields on purpose: the service's message ("Enter the amount with
at most two decimals (fen).") is the one the user reads, on the page as in the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.donations.choices import Direction, DonationKind, SpendingStatus
from lianfang.materials.models import Item
from lianfang.org.models import Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LINE_ROWS = 6


def _date_field(label, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE_WIDGET, **kwargs)


def _amount_field(label, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class DonationFilterForm(Form):
    direction = forms.ChoiceField(label=_("Direction"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    date_from = _date_field(pgettext_lazy("date range", "From"), required=False)
    date_to = _date_field(pgettext_lazy("date range", "To"), required=False)
    state = forms.ChoiceField(
        label=_("Cancelled"),
        required=False,
        choices=[("", _("All")), ("active", _("Not cancelled")), ("cancelled", _("Cancelled only"))],
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = [("", _("Received and given")), *Direction.choices]
        self.fields["kind"].choices = [("", _("Goods and money")), *DonationKind.choices]
        self.fields["unit"].queryset = units

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def selector_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        state = data.get("state")
        return {
            "direction": data.get("direction") or None,
            "kind": data.get("kind") or None,
            "unit": data.get("unit"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "cancelled": {"active": False, "cancelled": True}.get(state or ""),
        }


class DonationForm(Form):
    """One donation: goods (lines below the form) or money (the amount)."""

    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, widget=forms.RadioSelect)
    kind = forms.ChoiceField(label=_("Kind"), choices=DonationKind.choices, widget=forms.RadioSelect)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    counterparty = forms.CharField(
        label=_("Donor or recipient"),
        max_length=100,
        help_text=_("Who gave it, or who received it: a company, a hospital, a community, the Red Cross."),
    )
    date = _date_field(_("Date"))
    amount = _amount_field(_("Amount (yuan)"), required=False, help_text=_("For money only, e.g. 5000 or 1200.50."))
    receipt_no = forms.CharField(label=_("Receipt number"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()


class DonationLineForm(forms.Form):
    item = forms.ModelChoiceField(label=pgettext_lazy("material", "Item"), queryset=Item.objects.none(), required=False)
    quantity = forms.CharField(
        label=_("Quantity"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("item") and not (data.get("quantity") or "").strip():
            self.add_error("quantity", _("Enter the quantity of this item."))
        if not data.get("item") and (data.get("quantity") or "").strip():
            self.add_error("item", _("Choose the item for this quantity."))
        return data


DonationLineFormSet = forms.formset_factory(DonationLineForm, extra=LINE_ROWS, max_num=50, absolute_max=50)


def line_pairs(formset) -> list[tuple[Item, str]]:
    """The filled rows of a valid line formset as (item, quantity text)."""
    return [
        (f.cleaned_data["item"], f.cleaned_data["quantity"])
        for f in formset.forms
        if f.cleaned_data.get("item") is not None
    ]


class DonationCancelForm(Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=200,
        help_text=_("Kept with the donation. Goods are taken back out of (or put back into) the stock."),
    )


class DonationReportForm(Form):
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    date_from = _date_field(pgettext_lazy("date range", "From"), required=False)
    date_to = _date_field(pgettext_lazy("date range", "To"), required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


# --- collections --------------------------------------------------------------------------------


class CollectionForm(Form):
    organiser = UnitChoiceField(label=_("Organised by"), queryset=Unit.objects.none(), empty_label=None)
    name = forms.CharField(label=pgettext_lazy("collection", "Name"), max_length=100)
    recipient = forms.CharField(
        label=_("For"), max_length=100, help_text=_("Where the money goes, e.g. the city Red Cross.")
    )
    opened_on = _date_field(_("Opened on"))
    closed_on = _date_field(_("Closes on"), required=False, help_text=_("Leave empty while it is open."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = units


class ContributionForm(Form):
    unit = UnitChoiceField(label=_("Unit that gave"), queryset=Unit.objects.none(), empty_label=None)
    amount = _amount_field(_("Amount (yuan)"))
    date = _date_field(_("Date"))
    donors = forms.IntegerField(
        label=_("People who gave"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        error_messages={
            "invalid": _("Enter how many people gave, 1 or more, or leave it empty."),
            "min_value": _("Enter how many people gave, 1 or more, or leave it empty."),
        },
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()


class PassOnForm(Form):
    amount = _amount_field(_("Amount (yuan)"))
    date = _date_field(_("Date"))
    recipient = forms.CharField(
        label=pgettext_lazy("money", "To"),
        max_length=100,
        required=False,
        help_text=_("Leave empty for the collection's recipient."),
    )
    receipt_no = forms.CharField(label=_("Receipt number"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- the emergency fund -------------------------------------------------------------------------


class FundForm(Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    name = forms.CharField(label=pgettext_lazy("fund", "Name"), max_length=100)
    budget = _amount_field(_("Budget (yuan)"))
    opened_on = _date_field(_("Opened on"))
    note = forms.CharField(
        label=_("Rules"), max_length=200, required=False, help_text=_("E.g. the rules the fund is managed under.")
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class BudgetForm(Form):
    increase = _amount_field(_("Add to the budget (yuan)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SpendingForm(Form):
    unit = UnitChoiceField(label=_("For unit"), queryset=Unit.objects.none(), empty_label=None)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, help_text=_("What the money is for."))
    amount = _amount_field(_("Amount (yuan)"))

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class DecisionForm(Form):
    note = forms.CharField(
        label=_("Note"), max_length=200, required=False, help_text=_("Required when rejecting: the requester reads it.")
    )


class PayForm(Form):
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=40)
    paid_on = _date_field(_("Paid on"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class SpendingFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *SpendingStatus.choices]
