"""Forms of the privacy app: input parsing only; the services decide."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form
from lianfang.core.scoping import Action
from lianfang.people.models import Person
from lianfang.privacy.choices import CHECKIN_CATEGORIES, Basis
from lianfang.privacy.gate import category_label
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod, PrivacyNotice

# A date input sends and reads ISO dates: the locale's format (2026/12/08) is not a value it accepts.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NoticeForm(forms.ModelForm):
    template_name = "core/_form.html"

    class Meta:
        model = PrivacyNotice
        fields = ["title", "body", "title_en", "body_en", "substantive"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}), "body_en": forms.Textarea(attrs={"rows": 12})}


class EmergencyForm(forms.ModelForm):
    template_name = "core/_form.html"

    class Meta:
        model = EmergencyPeriod
        fields = ["name", "declared_by", "starts_on"]
        widgets = {"starts_on": DATE_WIDGET}


class BasisForm(Form):
    category = forms.CharField(widget=forms.HiddenInput)
    basis = forms.ChoiceField(label=_("Legal basis"), choices=Basis.choices)


class ConsentStepForm(Form):
    """Separate consent: one box per category the check-in collects, each ticked on its own.

    ``given`` maps the categories the person has already consented to (for the current notice) to the
    day they did: those boxes are shown ticked and locked, and submitting does not record them again.
    """

    def __init__(self, *args, given: dict[str, datetime.date] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.given = given or {}
        for category in CHECKIN_CATEGORIES:
            day = self.given.get(category)
            self.fields[f"consent_{category}"] = forms.BooleanField(
                label=_("I consent to the processing of my %(what)s as the notice describes.")
                % {"what": category_label(category)},
                required=False,
                initial=day is not None,
                disabled=day is not None,
                help_text=_("You consented on %(date)s.") % {"date": day.isoformat()} if day else "",
            )

    def open_categories(self) -> list[str]:
        return [c for c in CHECKIN_CATEGORIES if c not in self.given]

    def categories(self) -> list[str]:
        return [c for c in self.open_categories() if self.cleaned_data.get(f"consent_{c}")]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"consent_{c}") for c in self.open_categories()):
            raise forms.ValidationError(_("Tick the consents you give; each one is separate."))
        return cleaned


class PaperConsentForm(Form):
    person = forms.ModelChoiceField(label=pgettext_lazy("column", "Person"), queryset=Person.objects.none())
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_WIDGET)
    scan = forms.FileField(label=_("Scan of the signed paper (optional)"), required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        from lianfang.org.scoping import units_where

        self.fields["person"].queryset = (
            Person.objects.restrict(viewer, Action.VIEW)
            .filter(unit__in=units_where(viewer, ConsentRecord, Action.ADD))
            .select_related("unit")
            .order_by("unit__path", "name")
        )
        self.fields["person"].label_from_instance = lambda p: f"{p.name} · {p.employee_no} · {p.unit.name}"
        self.fields["signed_on"].initial = timezone.localdate()
        for category in CHECKIN_CATEGORIES:
            self.fields[f"consent_{category}"] = forms.BooleanField(
                label=_("Consented on paper to: %(what)s") % {"what": category_label(category)},
                required=False,
                initial=True,
            )

    def categories(self) -> list[str]:
        return [c for c in CHECKIN_CATEGORIES if self.cleaned_data.get(f"consent_{c}")]
