"""Input of the urgent-matter pages: the report form (phone-friendly: few fields, big targets) and
the actions on a matter."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.command.choices import MatterKind
from lianfang.command.models import SeverityLevel
from lianfang.core.forms import Form, UnitChoiceField


class SeverityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SeverityLevel) -> str:
        if obj.by_shift_end:
            return _("%(level)s — by the end of the duty shift") % {"level": obj.label}
        return _("%(level)s — acknowledge within %(ack)s min, written report within %(written)s min") % {
            "level": obj.label,
            "ack": obj.ack_minutes,
            "written": obj.written_minutes,
        }


class MatterReportForm(Form):
    unit = UnitChoiceField(queryset=None, label=_("Where (unit)"))  # type: ignore[arg-type]
    kind = forms.ChoiceField(label=_("What kind"), choices=MatterKind.choices, widget=forms.RadioSelect)
    severity = SeverityChoiceField(
        queryset=SeverityLevel.objects.none(), label=_("Severity"), widget=forms.RadioSelect, empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=pgettext_lazy("urgent matter", "What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Who, what, where, what has been done so far. This is the initial report (初报)."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    place = forms.CharField(label=_("Where exactly"), max_length=200, required=False)

    def __init__(self, *args, units, levels, own_unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["severity"].queryset = levels
        if units.count() == 1:
            self.fields["unit"].initial = units.first()
        elif own_unit is not None and units.filter(pk=own_unit.pk).exists():
            self.fields["unit"].initial = own_unit
        self.fields["occurred_at"].initial = None
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        return value or timezone.now()


class TextForm(Form):
    text = forms.CharField(label=pgettext_lazy("urgent matter", "Report"), widget=forms.Textarea(attrs={"rows": 4}))


class AcknowledgeForm(Form):
    followup_minutes = forms.IntegerField(
        label=_("Follow-up report every (minutes)"), required=False, min_value=10, max_value=7 * 24 * 60
    )


class CloseForm(Form):
    reason = forms.CharField(label=_("Why closed"), max_length=200, required=False)


class ExternalReportForm(Form):
    recipient = forms.CharField(label=_("Reported to"), max_length=120)
    reported_at = forms.DateTimeField(
        label=_("Reported at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    channel = forms.CharField(label=_("How"), max_length=60, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LevelForm(Form):
    name = forms.CharField(label=pgettext_lazy("severity level", "Name"), max_length=30)
    name_en = forms.CharField(label=_("Name (English)"), max_length=40, required=False)
    ack_minutes = forms.IntegerField(label=_("Acknowledge within (minutes)"), required=False, min_value=1)
    written_minutes = forms.IntegerField(label=_("Written report within (minutes)"), required=False, min_value=1)
    by_shift_end = forms.BooleanField(label=_("By the end of the duty shift"), required=False)
    grace_minutes = forms.IntegerField(label=_("Skip a level after (minutes overdue)"), required=False, min_value=1)
    followup_minutes = forms.IntegerField(label=_("Follow-up report every (minutes)"), required=False, min_value=1)
    external_minutes = forms.IntegerField(
        label=_("Report outside the group within (minutes)"), required=False, min_value=1
    )
    must_reach_top = forms.BooleanField(label=_("Must reach the group"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)
