"""Forms of the risk-area, trip and status pages: they parse input; the services check and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.health import divisions
from lianfang.health.choices import Colour, RiskLevel, Transport, TripKind
from lianfang.health.status import FACTS

DATE = {"type": "date"}


class LocationMixin:
    """Three cascading selects (province → city → district, as on the check-in page); the most
    precise one chosen is the division code (``code_field`` in ``cleaned_data``)."""

    code_field = "division_code"
    fields: dict[str, forms.Field]
    data: Any
    initial: dict[str, Any]
    is_bound: bool

    def setup_location(self, required: bool) -> None:
        code = str(self.initial.get(self.code_field) or "")
        province, city, _district = divisions.split(code)
        if self.is_bound:
            province = self.data.get("province", "")
            city = self.data.get("city", "")
        empty = [("", "—")]
        self.fields["province"] = forms.ChoiceField(
            label=_("Province"), required=required, choices=empty + [(d.code, d.name) for d in divisions.children()]
        )
        self.fields["city"] = forms.ChoiceField(
            label=_("City"),
            required=False,
            choices=empty + ([(d.code, d.name) for d in divisions.children(province)] if province else []),
        )
        self.fields["district"] = forms.ChoiceField(
            label=_("District"),
            required=False,
            choices=empty + ([(d.code, d.name) for d in divisions.children(city)] if city else []),
        )
        self.fields["province"].widget.attrs["data-division-level"] = "province"
        self.fields["city"].widget.attrs["data-division-level"] = "city"
        if not self.is_bound and code:
            p, c, d = divisions.split(code)
            self.initial.update(province=p, city=c, district=d)

    def location_code(self, cleaned: dict[str, Any]) -> str:
        province, city, district = (cleaned.get(k) or "" for k in ("province", "city", "district"))
        if (city and not city.startswith(province)) or (district and not district.startswith(city or "~")):
            raise ValidationError({"district": _("Choose the city and district within the province chosen.")})
        return district or city or province


class RiskAreaForm(LocationMixin, Form):
    name = forms.CharField(
        label=_("Area"),
        max_length=100,
        required=False,
        help_text=_("As published; left empty, the division's full name is used."),
    )
    level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    effective_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs=DATE))
    lifted_on = forms.DateField(
        label=_("Lifted on"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("Leave empty while the area is in force; from this day it no longer applies."),
    )
    source = forms.CharField(
        label=_("Source"), max_length=200, required=False, help_text=_("Who published it, e.g. a notice number.")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_location(required=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["division_code"] = self.location_code(cleaned)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            k: cd.get(k) for k in ("division_code", "name", "level", "effective_from", "lifted_on", "source", "note")
        }


class RiskFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("A division code or a name."))
    level = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("All levels")), *RiskLevel.choices]
    )
    on = forms.DateField(
        label=_("In force on"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("Leave empty for every area, past and present."),
    )


class LiftForm(Form):
    lifted_on = forms.DateField(label=_("Lifted on"), widget=forms.DateInput(attrs=DATE))


class RiskImportForm(Form):
    file = forms.FileField(
        label=_("Risk-area file"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file, with the template's header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class TripForm(LocationMixin, Form):
    code_field = "place_code"

    kind = forms.ChoiceField(label=_("Kind"), choices=TripKind.choices, initial=TripKind.TRIP, widget=forms.RadioSelect)
    place_name = forms.CharField(
        label=_("Place"),
        max_length=100,
        required=False,
        help_text=_("Left empty, the name of the place chosen above; write it for a place abroad."),
    )
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs=DATE))
    transport = forms.ChoiceField(label=_("Transport"), required=False, choices=[("", "—"), *Transport.choices])
    transport_no = forms.CharField(
        label=_("Flight or train number"), max_length=20, required=False, help_text=_("For example G1234 or CA1502.")
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_location(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["place_code"] = self.location_code(cleaned)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            k: cd.get(k)
            for k in ("kind", "place_code", "place_name", "date_from", "date_to", "transport", "transport_no", "note")
        }


class StatusRuleForm(Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    fact = forms.ChoiceField(label=_("When"), choices=())
    within_days = forms.CharField(
        label=_("Within days"),
        required=False,
        help_text=_(
            "For facts that look back or last a number of days; left empty, the fact's own default "
            "(the group's look-back window for risk-area travel)."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    colour = forms.ChoiceField(label=_("Colour"), choices=Colour.choices)
    reason = forms.CharField(
        label=_("Reason (Chinese)"), max_length=60, help_text=_("Shown with the colour, e.g. 集中隔离中.")
    )
    reason_en = forms.CharField(label=_("Reason (English)"), max_length=60, required=False)
    hold_days = forms.CharField(
        label=_("Holds for (days)"),
        initial="0",
        help_text=_("How long the colour holds after the fact last held, 0 to 90; 0 = only while it holds."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fact"].choices = [(key, f"{fact.label}") for key, fact in FACTS.items()]
        self.fact_help = [(fact.label, fact.help) for fact in FACTS.values()]

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        condition: dict[str, Any] = {"fact": cd["fact"]}
        raw = (cd.get("within_days") or "").strip()
        if raw:
            condition["within_days"] = raw  # the service checks it is a whole number in range
        return {
            "name": cd["name"],
            "condition": condition,
            "colour": cd["colour"],
            "reason": cd["reason"],
            "reason_en": cd.get("reason_en") or "",
            "hold_days": (cd.get("hold_days") or "0").strip(),
        }


class StatusFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("A name or an employee number."))
    colour = forms.ChoiceField(label=_("Colour"), required=False, choices=[("", _("All colours")), *Colour.choices])

    def __init__(self, *args: Any, units, with_colour: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(units, label=_("Unit"), required=False)
        if not with_colour:
            del self.fields["colour"]


def condition_text(condition: Any) -> str:
    """A rule's condition in words, for the rules page."""
    if not isinstance(condition, dict):
        return json.dumps(condition, ensure_ascii=False)
    fact = FACTS.get(str(condition.get("fact")))
    if fact is None:
        return json.dumps(condition, ensure_ascii=False)
    days = condition.get("within_days")
    if days is None:
        return str(fact.label)
    return str(_("%(fact)s, within %(days)s days")) % {"fact": fact.label, "days": days}
