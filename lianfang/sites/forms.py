"""Forms of the sites app: input parsing only; the services decide."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import Form as HouseForm
from lianfang.core.forms import UnitChoiceField
from lianfang.org.models import Unit
from lianfang.sites.choices import PLANNED_KINDS, WEEKDAYS, Area, Decision, Frequency
from lianfang.sites.models import CHECKPOINT_FIELDS, Checkpoint, Disinfectant, DisinfectionPlan

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class Form(HouseForm):
    """The house form markup, labels starting with a capital (in English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)


def _local(attrs: dict | None = None):
    return forms.DateTimeInput(attrs={"type": "datetime-local", **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Disinfectant) -> str:
        return _("%(agent)s, at least %(minutes)d min") % {"agent": obj, "minutes": obj.contact_minutes}


def photo_field() -> forms.FileField:
    # ``capture`` opens the phone's camera straight away; the service checks what arrives.
    return forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
        help_text=_("Taken on the spot; a JPEG, PNG or WebP image."),
    )


class StartForm(Form):
    agent = AgentChoiceField(label=_("disinfectant"), queryset=Disinfectant.objects.none(), required=False)
    operator_name = forms.CharField(
        label=_("done by"), max_length=60, required=False, help_text=_("Leave empty if you do it yourself.")
    )

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents if agents is not None else Disinfectant.objects.none()


class FinishForm(Form):
    photo = photo_field()
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class RecordForm(Form):
    started_at = forms.DateTimeField(label=_("started"), widget=_local())
    ended_at = forms.DateTimeField(label=_("ended"), widget=_local())
    agent = AgentChoiceField(label=_("disinfectant"), queryset=Disinfectant.objects.none(), required=False)
    concentration = forms.CharField(
        label=_("concentration"), max_length=30, required=False, help_text=_("Leave empty for the disinfectant's.")
    )
    operator_name = forms.CharField(
        label=_("done by"), max_length=60, required=False, help_text=_("Leave empty if you did it yourself.")
    )
    photo = photo_field()
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, agents=None, ventilation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if ventilation:
            del self.fields["agent"], self.fields["concentration"]
        else:
            self.fields["agent"].queryset = agents if agents is not None else Disinfectant.objects.none()


class TerminalForm(Form):
    due_at = forms.DateTimeField(label=_("due by"), widget=_local())
    note = forms.CharField(
        label=_("why"),
        max_length=200,
        help_text=_("Which case was here (its number, never a name), or what happened."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_at"].initial = timezone.localtime() + datetime.timedelta(hours=24)


class TimesField(forms.CharField):
    """Deadlines of the day as typed: "10:00, 16:00" (or 10:00 16:00, or 10点 and 16点 with a full-width comma)."""

    def to_python(self, value):
        text = super().to_python(value)
        parts = [p for p in re.split(r"[\s,，、;；]+", text or "") if p]
        times = []
        for part in parts:
            part = part.replace("：", ":").replace("点", ":00").rstrip(":")
            if re.fullmatch(r"\d{1,2}", part):
                part += ":00"
            try:
                times.append(datetime.time.fromisoformat(part.zfill(5)).strftime("%H:%M"))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a time; give hours and minutes, e.g. 10:00, 16:00."),
                    params={"value": part},
                ) from None
        return times

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


class PlanForm(forms.ModelForm):
    template_name = "core/_form.html"

    site = UnitChoiceField(label=_("site"), queryset=Unit.objects.none())
    times = TimesField(label=_("due by"), help_text=_("The deadline of each round of the day, e.g. 10:00, 16:00."))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a weekly plan."),
    )
    agent = AgentChoiceField(label=_("disinfectant"), queryset=Disinfectant.objects.none(), required=False)

    class Meta:
        model = DisinfectionPlan
        fields = [
            "site",
            "kind",
            "area",
            "area_note",
            "agent",
            "min_minutes",
            "frequency",
            "weekdays",
            "times",
            "starts_on",
            "ends_on",
            "is_active",
            "note",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, sites=None, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = PLANNED_KINDS
        self.fields["area"].choices = Area.choices
        self.fields["frequency"].choices = Frequency.choices
        self.fields["site"].queryset = sites if sites is not None else Unit.objects.none()
        self.fields["agent"].queryset = agents if agents is not None else Disinfectant.objects.none()
        self.fields["starts_on"].required = False
        if self.instance.pk:
            del self.fields["site"]
        else:
            del self.fields["is_active"]  # a new plan is active; it is retired on its edit page
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)

    def _post_clean(self):
        # The service validates the plan (and says why on each field); the form only parses.
        pass


class AgentForm(forms.ModelForm):
    template_name = "core/_form.html"

    class Meta:
        model = Disinfectant
        fields = ["name", "name_en", "concentration", "contact_minutes", "use", "for_terminal", "is_active", "sort"]

    def _post_clean(self):
        pass


def parse_day(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return default


class CheckpointForm(forms.ModelForm):
    template_name = "core/_form.html"

    site = UnitChoiceField(label=_("site"), queryset=Unit.objects.none())

    class Meta:
        model = Checkpoint
        fields = ["site", *CHECKPOINT_FIELDS]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "max_temperature": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites if sites is not None else Unit.objects.none()
        if self.instance.pk:
            del self.fields["site"]
        else:
            del self.fields["is_active"]
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)

    def _post_clean(self):
        pass


class EntryFilterForm(forms.Form):
    """The entries list's filters (GET): a day, a checkpoint, the decision, a person."""

    date = forms.DateField(label=_("day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    checkpoint = forms.IntegerField(required=False, widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("decision"), required=False, choices=[("", _("All")), *Decision.choices])
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)


# --- visitors -------------------------------------------------------------------------------------------

PLACE_ROWS = 3


class VisitForm(Form):
    """Register a visitor: where, when, who and why. The service checks the day, the site and the phone."""

    site = forms.ModelChoiceField(label=_("site"), queryset=Unit.objects.none())
    day = forms.DateField(label=_("day of the visit"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("visitor's name"), max_length=60)
    phone = forms.CharField(
        label=_("visitor's mobile phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    company = forms.CharField(label=_("company"), max_length=100, required=False)
    reason = forms.CharField(label=_("reason for the visit"), max_length=200)

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites if sites is not None else Unit.objects.none()


class DeclarationForm(Form):
    """The visitor's health declaration: symptoms, contact with a case, the places of the last 14 days
    (up to three, each by province, city and district: the same cascading selects as a trip)."""

    fever = forms.BooleanField(label=_("Fever (37.3 ℃ or more)"), required=False)
    cough = forms.BooleanField(label=_("Cough"), required=False)
    sore_throat = forms.BooleanField(label=_("Sore throat"), required=False)
    short_breath = forms.BooleanField(label=_("Shortness of breath"), required=False)
    fatigue = forms.BooleanField(label=_("Fatigue or aching muscles"), required=False)
    taste_smell = forms.BooleanField(label=_("Loss of taste or smell"), required=False)
    contact = forms.BooleanField(
        label=_("In the last 14 days I was in contact with a confirmed or suspected case"), required=False
    )
    truthful = forms.BooleanField(label=_("I declare that what I give here is true"))

    SYMPTOM_FIELDS = ("fever", "cough", "sore_throat", "short_breath", "fatigue", "taste_smell")

    def place_rows(self) -> list[dict]:
        """The selects of each place row: provinces, and the cities and districts of what was chosen."""
        from lianfang.health import divisions

        data = self.data if self.is_bound else None
        provinces = data.getlist("province") if data is not None else []
        cities = data.getlist("city") if data is not None else []
        districts = data.getlist("district") if data is not None else []
        rows = []
        for i in range(PLACE_ROWS):
            p = provinces[i] if i < len(provinces) else ""
            c = cities[i] if i < len(cities) else ""
            d = districts[i] if i < len(districts) else ""
            rows.append(
                {
                    "index": i,
                    "province": p,
                    "city": c,
                    "district": d,
                    "provinces": divisions.children(),
                    "cities": divisions.children(p) if p else [],
                    "districts": divisions.children(c) if c else [],
                }
            )
        return rows

    def places(self) -> list[str]:
        """The most precise division chosen in each row (the service checks them)."""
        return [row["district"] or row["city"] or row["province"] for row in self.place_rows() if row["province"]]

    def answers(self) -> dict:
        cd = self.cleaned_data
        return {**{k: cd.get(k, False) for k in (*self.SYMPTOM_FIELDS, "contact")}, "places": self.places()}


class WalkInForm(DeclarationForm):
    """A walk-in at the gate: who, why, whom they visit (employee number), and their declaration."""

    name = forms.CharField(label=_("visitor's name"), max_length=60)
    phone = forms.CharField(
        label=_("visitor's mobile phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    company = forms.CharField(label=_("company"), max_length=100, required=False)
    reason = forms.CharField(label=_("reason for the visit"), max_length=200)
    host_employee_no = forms.CharField(
        label=_("host's employee number"), max_length=30, required=False, help_text=_("Whom they visit.")
    )
    temperature = forms.DecimalField(
        label=_("temperature (℃)"),
        max_digits=3,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
