"""Forms of the privacy app: input parsing only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.scoping import Action
from lianfang.people.models import Person
from lianfang.privacy.choices import CHECKIN_CATEGORIES, Basis
from lianfang.privacy.gate import category_label
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod, PrivacyNotice


class NoticeForm(forms.ModelForm):
    class Meta:
        model = PrivacyNotice
        fields = ["title", "body", "title_en", "body_en", "substantive"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12}), "body_en": forms.Textarea(attrs={"rows": 12})}


class EmergencyForm(forms.ModelForm):
    class Meta:
        model = EmergencyPeriod
        fields = ["name", "declared_by", "starts_on"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"})}


class BasisForm(forms.Form):
    category = forms.CharField(widget=forms.HiddenInput)
    basis = forms.ChoiceField(label=_("Legal basis"), choices=Basis.choices)


class ConsentStepForm(forms.Form):
    """Separate consent: one box per category the check-in collects, each ticked on its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for category in CHECKIN_CATEGORIES:
            self.fields[f"consent_{category}"] = forms.BooleanField(
                label=_("I consent to the processing of my %(what)s as the notice describes.")
                % {"what": category_label(category)},
                required=False,
            )

    def categories(self) -> list[str]:
        return [c for c in CHECKIN_CATEGORIES if self.cleaned_data.get(f"consent_{c}")]

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(f"consent_{c}") for c in CHECKIN_CATEGORIES):
            raise forms.ValidationError(_("Tick the consents you give; each one is separate."))
        return cleaned


class PaperConsentForm(forms.Form):
    person = forms.ModelChoiceField(label=pgettext_lazy("column", "Person"), queryset=Person.objects.none())
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}))
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
