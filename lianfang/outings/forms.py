"""Forms of the outings app: input parsing only; the services decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form as HouseForm
from lianfang.core.forms import UnitChoiceField
from lianfang.health.choices import RiskLevel, Transport
from lianfang.health.forms import LocationMixin
from lianfang.outings.choices import APPROVER_CHOICES, KEY_ROLE_CHOICES, OutingState
from lianfang.outings.models import OutingSettings

DATE = {"type": "date"}


class Form(HouseForm):
    """The house form markup, labels starting with a capital (in English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)


class OutingForm(LocationMixin, Form):
    """Ask for an outing: where (three cascading selects), when, why, how. A liaison may ask for
    someone of the unit without a phone (``people`` given)."""

    code_field = "place_code"

    person = forms.ModelChoiceField(
        label=_("For whom"), queryset=None, required=False, help_text=_("Leave empty to ask for yourself.")
    )
    date_from = forms.DateField(label=_("Date of departure"), widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=_("Date of return"), widget=forms.DateInput(attrs=DATE))
    reason = forms.CharField(
        label=_("Reason for the outing"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. visiting family, a business trip")}),
    )
    transport = forms.ChoiceField(label=_("Transport"), choices=[("", "—"), *Transport.choices])
    transport_no = forms.CharField(
        label=_("Flight or train number"), max_length=20, required=False, help_text=_("For example G1234 or CA1502.")
    )

    def __init__(self, *args: Any, people=None, own=True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_location(required=True)
        if people is None:
            del self.fields["person"]
        else:
            self.fields["person"].queryset = people
            self.fields["person"].required = not own
            if not own:
                self.fields["person"].help_text = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["place_code"] = self.location_code(cleaned)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {k: cd.get(k) for k in ("place_code", "date_from", "date_to", "reason", "transport", "transport_no")}


# Where a service's refusal on a field the form does not have is shown.
ERROR_FIELDS = {"place_code": "province"}


class ReturnForm(Form):
    actual_from = forms.DateField(label=_("Actual date of departure"), widget=forms.DateInput(attrs=DATE))
    actual_to = forms.DateField(label=_("Actual date of return"), widget=forms.DateInput(attrs=DATE))


class DecisionForm(Form):
    note = forms.CharField(
        label=_("Opinion"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Needed to refuse: the person reads it.")}),
    )


class ReadingForm(Form):
    temperature = forms.DecimalField(
        label=_("Second temperature reading (°C)"),
        max_digits=3,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": _("e.g. 36.5")}),
    )


WHEN_CHOICES = [
    ("", _("Any time")),
    ("away", _("Away now")),
    ("upcoming", _("Not left yet")),
    ("overdue", _("Past the date of return, not confirmed back")),
]


class FilterForm(Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All states")), *OutingState.choices])
    when = forms.ChoiceField(label=pgettext_lazy("outing filter", "When"), required=False, choices=WHEN_CHOICES)
    risk = forms.BooleanField(label=_("Only to risk areas"), required=False)
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All units"))
    q = forms.CharField(label=_("Search"), required=False, help_text=_("A name or a place."))

    def __init__(self, *args: Any, units=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class SettingsForm(Form):
    approver_role = forms.ChoiceField(
        label=_("Who approves for the unit"),
        choices=APPROVER_CHOICES,
        help_text=_("Held on the person's unit or the nearest unit above it."),
    )
    office_for_risk_areas = forms.BooleanField(
        label=_("The prevention office approves outings to risk areas"), required=False
    )
    risk_levels = forms.MultipleChoiceField(
        label=_("Risk levels that count"),
        choices=RiskLevel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    key_roles = forms.MultipleChoiceField(
        label=_("Key roles whose outings the prevention office approves"),
        choices=[(str(r), r.label) for r in KEY_ROLE_CHOICES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    leaders_file_only = forms.BooleanField(label=_("Leaders' own outings are filed, not approved"), required=False)
    expire_hours = forms.IntegerField(
        label=_("A request not decided expires after (hours)"), min_value=1, max_value=720
    )
    remind_hours = forms.IntegerField(label=_("Approvers are reminded after (hours)"), min_value=1, max_value=720)
    record_trip = forms.BooleanField(
        label=_("On return, the trip goes into the person's epidemiological history"), required=False
    )
    monitoring_days = forms.IntegerField(
        label=_("Days of enhanced monitoring after return"),
        min_value=0,
        max_value=30,
        help_text=_("A second temperature reading each day; 0 for none."),
    )
    monitoring_when = forms.ChoiceField(
        label=_("Enhanced monitoring after"), choices=OutingSettings._meta.get_field("monitoring_when").choices
    )


def initial_return(outing, today: datetime.date) -> dict[str, datetime.date]:
    return {"actual_from": min(outing.date_from, today), "actual_to": min(outing.date_to, today)}
