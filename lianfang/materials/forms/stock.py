"""Forms of the stock pages. They parse and check input; writes happen in services. Unit choices come
from restricted querysets, so a form never offers (or accepts) a unit outside the user's scope."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.materials.choices import Category, Measure, MovementKind
from lianfang.materials.models import Item
from lianfang.materials.services.stock import RECORDABLE_KINDS
from lianfang.org.models import Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Item) -> str:
        return f"{obj.label} ({obj.get_measure_display()})"


class ItemForm(Form):
    code = forms.SlugField(label=_("Code"), max_length=30, help_text=_("Short, in Latin letters, e.g. n95-mask."))
    name = forms.CharField(label=_("Name (Chinese)"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=60, required=False)
    category = forms.ChoiceField(label=pgettext_lazy("material", "Category"), choices=Category.choices)
    measure = forms.ChoiceField(
        label=_("Unit of measure"),
        choices=Measure.choices,
        help_text=_("As people count it: masks in pieces (只), goggles in pairs (副), alcohol in litres."),
    )
    pack_size = forms.IntegerField(label=_("Pack size"), min_value=1, initial=1, help_text=_("How many to a box."))
    reorder_threshold = forms.DecimalField(
        label=_("Reorder threshold"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=0,
        help_text=_("A unit holding less than this is alerted; each unit may set its own."),
    )
    target_days = forms.IntegerField(label=_("Target days of supply"), min_value=1, max_value=365, initial=14)
    daily_use_per_person = forms.DecimalField(
        label=_("Daily use per front-line person"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        initial=0,
        help_text=_("Forecasts the use of a unit with less than a week of history, e.g. 2 masks a day."),
    )
    sort = forms.IntegerField(label=_("Order in lists"), min_value=0, max_value=32000, initial=100)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class StockLevelsForm(Form):
    reorder_threshold = forms.DecimalField(
        label=_("Reorder threshold"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Leave empty to use the catalogue's."),
    )
    target_days = forms.IntegerField(
        label=_("Target days of supply"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("Leave empty to use the catalogue's."),
    )


class MovementForm(Form):
    """A purchase received, an allocation from the group or an issue for use."""

    kind = forms.ChoiceField(label=_("What happened"), widget=forms.RadioSelect)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    item = ItemChoiceField(label=pgettext_lazy("material", "Item"), queryset=Item.objects.none())
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)
    front_line = forms.BooleanField(label=_("Issued to the front line"), required=False)
    counterparty = forms.CharField(
        label=_("From / to"), max_length=100, required=False, help_text=_("Supplier, or who received the issue.")
    )
    reference = forms.CharField(
        label=_("Reference"), max_length=40, required=False, help_text=_("Invoice, order or allocation number.")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in RECORDABLE_KINDS]
        self.fields["unit"].queryset = units
        self.fields["item"].queryset = items
        self.fields["date"].initial = timezone.localdate()

    def clean_date(self) -> datetime.date:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Enter a date no later than today."))
        return day


class MovementFilterForm(Form):
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    item = ItemChoiceField(
        label=pgettext_lazy("material", "Item"),
        queryset=Item.objects.none(),
        required=False,
        empty_label=_("All items"),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, units: QuerySet[Unit], items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["item"].queryset = items
        self.fields["kind"].choices = [("", _("All kinds")), *MovementKind.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data


class StockReportFilterForm(Form):
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    item = ItemChoiceField(
        label=pgettext_lazy("material", "Item"),
        queryset=Item.objects.none(),
        required=False,
        empty_label=_("All items"),
    )
    only_short = forms.BooleanField(label=_("Only below threshold or target"), required=False)
    below_threshold = forms.BooleanField(label=_("Only below the reorder threshold"), required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["item"].queryset = items


class StockTakeForm(Form):
    """The day's count: one optional field per item (blank = not counted), with the books beside it."""

    date = forms.DateField(label=_("Date of the count"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, items: list[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["date"].initial = timezone.localdate()
        for item in items:
            self.fields[f"count_{item.pk}"] = forms.CharField(
                label=item.label,
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def clean_date(self) -> datetime.date:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Enter a date no later than today."))
        return day

    def counts(self) -> dict[Item, str]:
        return {item: self.cleaned_data.get(f"count_{item.pk}") or "" for item in self.items}

    def count_fields(self):
        return [(item, self[f"count_{item.pk}"]) for item in self.items]
