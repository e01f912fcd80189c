"""Forms of the health pages: they parse input; the services check and write."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import WorkVerdict
from lianfang.core.forms import Form, UnitChoiceField
from lianfang.health import divisions
from lianfang.health.choices import QuestionKind, RiskLevel, Symptom, Transport, TripKind, WorkMode
from lianfang.health.models import QuestionVersion
from lianfang.health.services.checkins import CheckInData


def option_label(choice: dict) -> str:
    if (get_language() or "").startswith("en") and choice.get("label_en"):
        return choice["label_en"]
    return choice.get("label") or choice.get("value")


def question_field(version: QuestionVersion) -> forms.Field:
    """The form field for one question version (required is checked by the service, which names it)."""
    common: dict[str, Any] = {"label": version.label, "required": False}
    if version.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(choices=[("no", _("No")), ("yes", _("Yes"))], widget=forms.RadioSelect, **common)
    if version.kind == QuestionKind.SINGLE:
        return forms.ChoiceField(
            choices=[(c["value"], option_label(c)) for c in version.choices], widget=forms.RadioSelect, **common
        )
    if version.kind == QuestionKind.MULTIPLE:
        return forms.MultipleChoiceField(
            choices=[(c["value"], option_label(c)) for c in version.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if version.kind == QuestionKind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if version.kind == QuestionKind.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=500, **common)


FREE_MODES = (WorkMode.ON_SITE, WorkMode.REMOTE, WorkMode.ON_LEAVE)


def work_mode_choices(verdict: WorkVerdict | None) -> list[tuple[str, str]]:
    """The modes a person may record today, as the check-in guards decide (the service checks again)."""
    if verdict is not None and verdict.held and verdict.mode:
        modes: tuple[str, ...] = (verdict.mode,)
    elif verdict is not None and not verdict.may_work:
        modes = (WorkMode.REMOTE, WorkMode.ON_LEAVE)
    else:
        modes = FREE_MODES
    return [(m, WorkMode(m).label) for m in modes]


class CheckInForm(Form):
    """The personal check-in. The location is three cascading selects; the most precise one chosen
    is the stored division code."""

    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": _("e.g. 36.5")}),
        help_text=_("Between 34.0 and 43.0."),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms today"),
        choices=Symptom.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty if you feel well."),
    )
    symptom_note = forms.CharField(label=_("Other symptoms"), max_length=200, required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    district = forms.ChoiceField(label=_("District"), required=False)
    work_mode = forms.ChoiceField(
        label=_("Today I am"), choices=WorkMode.choices, initial=WorkMode.ON_SITE, widget=forms.RadioSelect
    )
    date = forms.DateField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, versions: list[QuestionVersion], verdict: WorkVerdict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = versions
        # Where the person may say they are today: free, held at an isolation mode, or anything but on site.
        self.fields["work_mode"].choices = work_mode_choices(verdict)
        if verdict is not None and verdict.mode and not self.is_bound:
            current = self.initial.get("work_mode")
            if verdict.held or current not in dict(self.fields["work_mode"].choices):
                self.initial["work_mode"] = verdict.mode
        data = self.data if self.is_bound else {}
        initial_code = self.initial.get("location_code", "")
        province, city, _district = divisions.split(initial_code)
        province = data.get("province", province) if self.is_bound else province
        city = data.get("city", city) if self.is_bound else city
        empty = [("", "—")]
        self.fields["province"].choices = empty + [(d.code, d.name) for d in divisions.children()]
        self.fields["city"].choices = (
            empty + [(d.code, d.name) for d in divisions.children(province)] if province else empty
        )
        self.fields["district"].choices = (
            empty + [(d.code, d.name) for d in divisions.children(city)] if city else empty
        )
        self.fields["province"].widget.attrs["data-division-level"] = "province"
        self.fields["city"].widget.attrs["data-division-level"] = "city"
        if not self.is_bound and initial_code:
            p, c, d = divisions.split(initial_code)
            self.initial.update(province=p, city=c, district=d)
        for version in versions:
            name = f"q_{version.pk}"
            self.fields[name] = question_field(version)
            if version.required:
                self.fields[name].widget.attrs["data-required"] = "1"
                self.fields[name].required_mark = True  # type: ignore[attr-defined]

    def question_bound_fields(self):
        return [self[f"q_{v.pk}"] for v in self.versions]

    def clean(self):
        cleaned = super().clean()
        province, city, district = (cleaned.get(k) or "" for k in ("province", "city", "district"))
        if (city and not city.startswith(province)) or (district and not district.startswith(city or "~")):
            raise ValidationError({"district": _("Choose the city and district within the province chosen.")})
        cleaned["location_code"] = district or city or province
        return cleaned

    def checkin_data(self) -> CheckInData:
        cd = self.cleaned_data
        return CheckInData(
            temperature=cd["temperature"],
            work_mode=cd["work_mode"],
            symptoms=cd.get("symptoms") or [],
            symptom_note=cd.get("symptom_note") or "",
            location_code=cd.get("location_code") or "",
            answers={str(v.pk): cd.get(f"q_{v.pk}") for v in self.versions},
        )


ERROR_FIELDS = {"location_code": "province", "answers": None}


class DateUnitForm(Form):
    """The day and the unit of the completion, non-reporter, flagged and proxy pages."""

    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(units, label=_("Unit"), required=False)

    def day(self, default: datetime.date) -> datetime.date:
        return (self.cleaned_data.get("date") if self.is_valid() else None) or default


class ChoiceLinesField(forms.CharField):
    """Options typed one per line as ``value | 中文 | English``."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value):
        lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
        out = []
        for line in lines:
            parts = [p.strip() for p in line.split("|")]
            value_, label, label_en = ([*parts, "", ""])[:3]
            out.append({"value": value_, "label": label or value_, "label_en": label_en})
        return out

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                " | ".join(filter(None, [c["value"], c.get("label", ""), c.get("label_en", "")])) for c in value
            )
        return value


class QuestionForm(Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Short name used in exports, e.g. travel-risk-area.")
    )
    text = forms.CharField(label=_("Question (Chinese)"), max_length=200)
    text_en = forms.CharField(label=_("Question (English)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=QuestionKind.choices)
    choices = ChoiceLinesField(
        label=_("Options"),
        required=False,
        help_text=_("For single and multiple choice: one option per line, as value | 中文 | English."),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    flag_values = forms.CharField(
        label=_("Answers that raise a flag"),
        required=False,
        help_text=_("Values separated by commas, e.g. yes, or red,yellow. The liaison is told at once."),
    )
    sort = forms.IntegerField(label=pgettext_lazy("sort", "Order"), min_value=0, max_value=32000, initial=100)

    def __init__(self, *args, units, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"] = forms.ModelMultipleChoiceField(
            units,
            label=_("Shown to units"),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
            help_text=_("Leave empty to ask everyone; a unit covers its sub-units."),
        )
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    def clean_flag_values(self):
        return [
            v.strip() for v in (self.cleaned_data.get("flag_values") or "").replace("，", ",").split(",") if v.strip()
        ]

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {
            "text": cd["text"],
            "text_en": cd.get("text_en", ""),
            "kind": cd["kind"],
            "choices": cd.get("choices") or [],
            "required": cd.get("required", False),
            "flag_values": cd.get("flag_values") or [],
            "sort": cd.get("sort") if cd.get("sort") is not None else 100,
            "units": list(cd.get("units") or []),
        }


class ActivationForm(Form):
    """Set the password of a new employee account (Django's password validators apply)."""

    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ: type the same password twice."))
        return cleaned


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
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), widget=forms.DateInput(attrs=DATE))
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
