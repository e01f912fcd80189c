"""Forms of the unit daily report pages. They parse and validate; services write.

The report form is built from the office's template (``ReportField`` rows), so a field the office
adds appears on every liaison's page without code.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import feed_choices
from lianfang.core.forms import Form, UnitChoiceField
from lianfang.org.models import Unit
from lianfang.reporting.choices import FieldKind, RaisedStatus
from lianfang.reporting.models import ReportField

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportDayForm(Form):
    """Which unit's report, for which day (the date picker of the liaison's page)."""

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False, empty_label=None)
    date = forms.DateField(label=_("Day"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_date(self) -> datetime.date:
        day = self.cleaned_data.get("date") or timezone.localdate()
        if day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or an earlier day."))
        return day


class ReportForm(Form):
    """The report itself: one input per active template field, plus the reason for a correction."""

    def __init__(
        self,
        *args: Any,
        report_fields: list[ReportField],
        prefilled: dict[str, int | None],
        ask_reason: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.report_fields = report_fields
        for f in report_fields:
            if f.kind == FieldKind.COUNT:
                counted = prefilled.get(f.source) if f.source else None
                field: forms.Field = forms.IntegerField(
                    label=f.display_label,
                    required=False,
                    min_value=0,
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
                    error_messages={"invalid": _("Enter a whole number, 0 or more.")},
                    help_text=(
                        _("From the records: %(n)s") % {"n": counted} if counted is not None else _("Type the number.")
                    ),
                )
                field.prefilled = counted  # type: ignore[attr-defined]
            else:
                field = forms.CharField(
                    label=f.display_label, required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
                )
                field.prefilled = None  # type: ignore[attr-defined]
            field.is_required_in_report = f.required  # type: ignore[attr-defined]
            self.fields[f.code] = field
        if ask_reason:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the correction"),
                required=False,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Kept in the change log. Required once the report is locked."),
            )

    def values(self) -> dict[str, Any]:
        """The values the page sent; a field it did not send keeps its saved or prefilled value."""
        return {f.code: self.cleaned_data.get(f.code) for f in self.report_fields if f.code in self.data}

    def correction_reason(self) -> str:
        return self.cleaned_data.get("reason") or ""

    def count_fields(self):
        return [self[f.code] for f in self.report_fields if f.kind == FieldKind.COUNT]

    def text_fields(self):
        return [self[f.code] for f in self.report_fields if f.kind == FieldKind.TEXT]


class ReportFieldForm(Form):
    """One line of the template. ``code`` and ``kind`` only when adding: they never change."""

    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Letters, digits and underscores, e.g. nucleic_tests. Used in exports and the API."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=FieldKind.choices)
    label = forms.CharField(label=_("Label (Chinese)"), max_length=80)
    label_en = forms.CharField(label=_("Label (English)"), max_length=80, required=False)
    source = forms.ChoiceField(
        label=_("Prefilled from"),
        required=False,
        help_text=_("Counts only. Leave empty to have the liaison type the number."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    sort = forms.IntegerField(label=pgettext_lazy("sort", "Order"), min_value=0, max_value=32767, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Typed by the liaison")), *feed_choices()]
        if not creating:
            del self.fields["code"]
            del self.fields["kind"]
        else:
            del self.fields["is_active"]


class RaisedFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = UnitChoiceField(
        label=_("Raised by (and its sub-units)"), queryset=Unit.objects.none(), required=False, empty_label=_("All")
    )
    routed_to = forms.ModelChoiceField(
        label=_("Routed to"), queryset=Unit.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], departments: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *RaisedStatus.choices]
        self.fields["unit"].queryset = units
        self.fields["routed_to"].queryset = departments


class RaisedRouteForm(Form):
    routed_to = forms.ModelChoiceField(label=_("Route to department"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, departments: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["routed_to"].queryset = departments


class RaisedStatusForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=RaisedStatus.choices)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to mark the item resolved: the unit that raised it reads it."),
    )


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("What the leaders should read first: the day in a few sentences."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        max_length=500,
        help_text=gettext_lazy("Kept in the change log, e.g. “B reported late; figures rebuilt”."),
    )
