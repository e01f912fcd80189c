"""Forms of the request, offer, transfer and rebalancing pages. They parse; services check and write.

Every unit choice comes from a restricted queryset (``units_where``), so a form never offers, nor
accepts, a unit outside the user's scope for the action.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.materials.choices import OfferStatus, RequestStatus, TransferStatus, Urgency
from lianfang.materials.models import Item, Offer, Transfer, TransferLine
from lianfang.materials.selectors.transfers import REQUEST_WAITING, DonorCandidate
from lianfang.org.models import Unit

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUANTITY_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}
LINES = 3  # items on one transfer form
RECEIVERS = 16  # receiving units on one transfer form (one transfer note each), 13 heat stations and more
RECEIVERS_SHOWN = 4  # the rest behind "more receiving units", so that a phone's form stays short


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


def _amount(value) -> str:
    return number_format(value.normalize() if value == value.to_integral_value() else value, force_grouping=True)


def donor_label(candidate: DonorCandidate, item: Item) -> str:
    """``甲公司 · 在库 1,200 只 · 可用 8.5 天 · 可调出 300 只``: what the office weighs when choosing."""
    measure = item.get_measure_display()
    days = (
        _("%(days)s days of supply") % {"days": candidate.days_of_supply}
        if candidate.days_of_supply is not None
        else _("no use recorded")
    )
    return _("%(unit)s · %(on_hand)s %(measure)s on hand · %(days)s · can give %(surplus)s %(measure)s") % {
        "unit": candidate.unit.name,
        "on_hand": _amount(candidate.on_hand),
        "measure": measure,
        "days": days,
        "surplus": _amount(candidate.surplus),
    }


class DonorChoiceField(UnitChoiceField):
    """The sending unit, chosen among the units holding the item: largest surplus first, each with its
    stock, days of supply and what it can give."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.donors: dict[int, DonorCandidate] = {}
        self.item: Item | None = None

    def set_donors(self, donors: list[DonorCandidate], item: Item) -> None:
        self.donors = {d.unit.pk: d for d in donors}
        self.item = item
        order = Case(
            *(When(pk=d.unit.pk, then=Value(n)) for n, d in enumerate(donors)),
            default=Value(len(donors)),
            output_field=IntegerField(),
        )
        self.queryset = Unit.objects.filter(pk__in=list(self.donors)).order_by(order)

    def label_from_instance(self, obj: Any) -> str:
        donor = self.donors.get(obj.pk)
        if donor is None or self.item is None:
            return super().label_from_instance(obj)
        return donor_label(donor, self.item)


class RequestForm(Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    item = ItemChoiceField(label=pgettext_lazy("material", "Item"), queryset=Item.objects.none())
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
    item = ItemChoiceField(label=pgettext_lazy("material", "Item"), queryset=Item.objects.none())
    quantity = quantity_field()
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    available_until = forms.DateField(label=_("Available until"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(is_active=True)
        self.fields["item"].queryset = _items()


class MatchForm(Form):
    """The office covers a request: from an open offer of the item, or from a unit it chooses among
    those holding the item (largest surplus first)."""

    offer = forms.ModelChoiceField(
        label=_("From an offer"),
        queryset=Offer.objects.none(),
        required=False,
        empty_label=_("No offer: choose a unit"),
    )
    from_unit = DonorChoiceField(
        label=_("Or from this unit"), queryset=Unit.objects.none(), required=False, empty_label="—"
    )
    quantity = quantity_field(required=False)
    approve = forms.BooleanField(label=_("Approve at once"), required=False, initial=True)

    def __init__(
        self, *args: Any, offers: QuerySet[Offer], donors: list[DonorCandidate], item: Item, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers.filter(status=OfferStatus.OPEN)
        self.fields["offer"].label_from_instance = lambda o: f"{o.unit.name} · {o.quantity.normalize():f}"
        self.fields["from_unit"].set_donors(donors, item)
        self.fields["from_unit"].help_text = _(
            "Units holding the item, the one that can give most first: what it can give keeps its own "
            "target days of supply and reorder threshold, after what it promised to other transfers."
        )
        self.fields["quantity"].help_text = _("Leave empty for all the request still needs (or all the offer has).")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("offer") and not data.get("from_unit"):
            raise forms.ValidationError(_("Choose an offer or the unit that sends."))
        return data


class PledgeForm(Form):
    from_unit = DonorChoiceField(
        label=pgettext_lazy("transfer", "From"), queryset=Unit.objects.none(), empty_label=None
    )
    quantity = quantity_field(required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, donors: list[DonorCandidate], item: Item, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].set_donors(donors, item)
        self.fields["quantity"].help_text = _("Leave empty for all the request still needs.")


class TransferForm(Form):
    """One sending unit, up to three items, and up to sixteen receiving units with a quantity of each
    item: one transfer (one note, one number) per receiving unit, proposed for the office to approve,
    or approved at once when the office sends it."""

    from_unit = UnitChoiceField(label=pgettext_lazy("transfer", "From"), queryset=Unit.objects.none(), empty_label=None)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        from_units: QuerySet[Unit],
        to_units: QuerySet[Unit],
        may_approve: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_unit"].queryset = from_units.filter(is_active=True)
        for n in range(1, LINES + 1):
            self.fields[f"item_{n}"] = ItemChoiceField(
                label=_("Item %(n)d") % {"n": n}, queryset=_items(), required=n == 1, empty_label="—"
            )
        for r in range(1, RECEIVERS + 1):
            self.fields[f"to_unit_{r}"] = UnitChoiceField(
                label=_("Receiving unit %(n)d") % {"n": r},
                queryset=to_units.filter(is_active=True),
                required=r == 1,
                empty_label="—",
            )
            for n in range(1, LINES + 1):
                self.fields[f"quantity_{r}_{n}"] = quantity_field(
                    _("Quantity of item %(n)d to unit %(r)d") % {"n": n, "r": r}, required=False
                )
        if may_approve:
            self.fields["approve"] = forms.BooleanField(
                label=_("Approve at once (group prevention office)"), required=False
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{n}"] for n in range(1, LINES + 1)]

    def _rows(self, numbers: range) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        return [(self[f"to_unit_{r}"], [self[f"quantity_{r}_{n}"] for n in range(1, LINES + 1)]) for r in numbers]

    def receiver_rows(self) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        """(receiving unit, [quantity of item 1, 2, 3]) of the rows always shown."""
        return self._rows(range(1, RECEIVERS_SHOWN + 1))

    def more_receiver_rows(self) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        """The rows behind "more receiving units"."""
        return self._rows(range(RECEIVERS_SHOWN + 1, RECEIVERS + 1))

    def more_rows_used(self) -> bool:
        """Open the extra rows when they hold something (a form shown again with its errors)."""
        return self.is_bound and any(
            (self.data.get(f"to_unit_{r}") or any(self.data.get(f"quantity_{r}_{n}") for n in range(1, LINES + 1)))
            for r in range(RECEIVERS_SHOWN + 1, RECEIVERS + 1)
        )

    def receivers(self) -> list[tuple[Unit, list[tuple[Item, str]]]]:
        """The rows filled in: each receiving unit with its (item, quantity) lines; errors on the form."""
        items = {n: self.cleaned_data.get(f"item_{n}") for n in range(1, LINES + 1)}
        out = []
        for r in range(1, RECEIVERS + 1):
            unit = self.cleaned_data.get(f"to_unit_{r}")
            quantities = {n: (self.cleaned_data.get(f"quantity_{r}_{n}") or "").strip() for n in items}
            if unit is None:
                if any(quantities.values()):
                    self.add_error(f"to_unit_{r}", _("Choose the receiving unit for these quantities."))
                continue
            lines = []
            for n, qty in quantities.items():
                if not qty:
                    continue
                if items[n] is None:
                    self.add_error(f"item_{n}", _("Choose the item for this quantity."))
                else:
                    lines.append((items[n], qty))
            if not lines:
                self.add_error(f"quantity_{r}_1", _("Enter how many of which item this unit receives."))
            else:
                out.append((unit, lines))
        return out


def _day_field(label, *, earliest: datetime.date | None = None) -> forms.DateField:
    today = timezone.localdate()
    attrs = {"type": "date", "max": today.isoformat()}
    if earliest is not None:
        attrs["min"] = earliest.isoformat()
    return forms.DateField(
        label=label,
        required=False,
        initial=today,
        widget=forms.DateInput(attrs=attrs, format="%Y-%m-%d"),
        help_text=_("The day it really happened: today unless you record it afterwards."),
    )


class ShipForm(Form):
    """What leaves, per line (what was agreed unless changed), and the day it left."""

    def __init__(self, *args: Any, lines: list[TransferLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"ship_{line.pk}"] = quantity_field(
                f"{line.item.label} · {line.item.get_measure_display()}",
                required=False,
                initial=f"{line.quantity.normalize():f}",
            )
        self.fields["date"] = _day_field(pgettext_lazy("transfer", "Shipped on"))

    def quantities(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"ship_{line.pk}") or "" for line in self.lines}


class ReceiveForm(Form):
    """What arrived, per line, and the day it arrived (not before the shipment left); finishing short
    needs a note on each short line."""

    def __init__(self, *args: Any, lines: list[TransferLine], transfer: Transfer | None = None, **kwargs: Any) -> None:
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
        self.fields["date"] = _day_field(
            pgettext_lazy("transfer", "Received on"), earliest=transfer.shipped_on if transfer else None
        )
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
    waiting = forms.ChoiceField(label=_("Waiting for me"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    in_transit = forms.BooleanField(label=_("Only in transit"), required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["waiting"].choices = [
            ("", "—"),
            ("approve", pgettext_lazy("transfer", "To approve")),
            ("ship", pgettext_lazy("transfer", "To ship")),
            ("receive", pgettext_lazy("transfer", "To receive")),
        ]
        self.fields["status"].choices = [("", _("All statuses")), *TransferStatus.choices]
        self.fields["unit"].queryset = units


class RequestFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            (REQUEST_WAITING, _("Still to cover (open or partly covered)")),
            *RequestStatus.choices,
        ]


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
        label=pgettext_lazy("material", "Items"),
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
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=DATE_WIDGET)
    item = ItemChoiceField(
        label=pgettext_lazy("material", "Item"), queryset=Item.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args: Any, items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


def flow_period(data: dict[str, Any]) -> tuple[datetime.date, datetime.date]:
    """The chart's period: the dates given, else the last 30 days; reversed dates are swapped."""
    end = data.get("date_to") or timezone.localdate()
    start = data.get("date_from") or end - datetime.timedelta(days=29)
    return (start, end) if start <= end else (end, start)
