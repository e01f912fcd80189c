"""Forms of the duty app: input parsing only; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form as HouseForm
from lianfang.duty.choices import EntryKind, PhoneCheck
from lianfang.duty.models import DutyPost
from lianfang.people.models import Person

WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


def _local(attrs: dict | None = None):
    return forms.DateTimeInput(attrs={"type": "datetime-local", **(attrs or {})}, format="%Y-%m-%dT%H:%M")


class Form(HouseForm):
    """The house form markup, labels starting with a capital (in English)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = capfirst(field.label)


class PeopleFormMixin:
    """Person fields whose choices are the people the roster may name (set by the view)."""

    person_fields: tuple[str, ...] = ()

    def set_people(self, people) -> None:
        for name in self.person_fields:
            self.fields[name].queryset = people  # type: ignore[attr-defined]
            self.fields[name].label_from_instance = lambda p: f"{p.name} · {p.unit.display_name}"  # type: ignore[attr-defined]


class PostForm(forms.ModelForm):
    template_name = "core/_form.html"

    class Meta:
        model = DutyPost
        fields = ["unit", "name", "phone", "pattern", "day_starts", "night_starts", "post_duty_list", "is_active"]
        widgets = {
            "day_starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "night_starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class ShiftForm(PeopleFormMixin, Form):
    person_fields = ("leader", "officers")

    starts_at = forms.DateTimeField(label=_("starts at"), widget=_local())
    ends_at = forms.DateTimeField(label=_("ends at"), widget=_local())
    leader = forms.ModelChoiceField(label=_("Leader on duty"), queryset=Person.objects.none(), required=False)
    officers = forms.ModelMultipleChoiceField(label=_("Duty officers"), queryset=Person.objects.none(), required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class MembersForm(PeopleFormMixin, Form):
    person_fields = ("leader", "officers")

    leader = forms.ModelChoiceField(label=_("Leader on duty"), queryset=Person.objects.none(), required=False)
    officers = forms.ModelMultipleChoiceField(label=_("Duty officers"), queryset=Person.objects.none(), required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class GenerateForm(PeopleFormMixin, Form):
    person_fields = ("leaders", "officers")

    starts_on = forms.DateField(label=_("first day of the roster"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("last day of the roster"), widget=forms.DateInput(attrs={"type": "date"}))
    leaders = forms.ModelMultipleChoiceField(
        label=_("Leaders on duty, in turn"), queryset=Person.objects.none(), required=False
    )
    officers = forms.ModelMultipleChoiceField(
        label=_("Duty officers, in turn"), queryset=Person.objects.none(), required=False
    )
    officers_per_shift = forms.IntegerField(label=_("Duty officers per shift"), min_value=1, max_value=10, initial=1)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Only on"), choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def ordered(self, name: str) -> list[Person]:
        """The people in the order they were sent (a list sends them in its own order): the rota's order."""
        chosen = {p.pk: p for p in self.cleaned_data[name]}
        order = [int(v) for v in self.data.getlist(self.add_prefix(name)) if str(v).isdigit()]
        return [chosen[pk] for pk in order if pk in chosen]


class LeaveForm(PeopleFormMixin, Form):
    person_fields = ("person",)

    person = forms.ModelChoiceField(label=_("person"), queryset=Person.objects.none())
    starts_on = forms.DateField(label=_("first day of leave"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("last day of leave"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class SwapForm(PeopleFormMixin, Form):
    person_fields = ("person", "replacement")

    person = forms.ModelChoiceField(label=_("person on duty"), queryset=Person.objects.none())
    replacement = forms.ModelChoiceField(label=_("replacement"), queryset=Person.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class EntryForm(Form):
    kind = forms.ChoiceField(label=_("kind"), choices=EntryKind.choices)
    at = forms.DateTimeField(label=_("time"), widget=_local(), required=False, help_text=_("Leave empty for now."))
    counterpart = forms.CharField(label=pgettext_lazy("duty log", "Who"), max_length=120, required=False)
    content = forms.CharField(label=_("what"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    action = forms.CharField(
        label=_("what was done"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HandoverForm(Form):
    open_items = forms.CharField(
        label=_("open items"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    phone_check = forms.ChoiceField(label=_("duty phone check"), choices=PhoneCheck.choices)
    phone_note = forms.CharField(label=_("phone note"), max_length=200, required=False)


class AcceptForm(Form):
    missing = forms.CharField(
        label=_("what is missing (leave empty if nothing)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def parse_month(value: str | None, default: datetime.date) -> datetime.date:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return default.replace(day=1)


def parse_day(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return default
