"""Filters of the audit log's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import DateRangeForm, UnitChoiceField, content_type_label
from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange
from lianfang.org.models import Unit


class ObjectChangeFilterForm(DateRangeForm):
    """Filters of the change log. ``filter`` narrows an already restricted queryset."""

    content_type = forms.ModelChoiceField(
        label=_("Object type"), queryset=ContentType.objects.none(), required=False, empty_label=_("All types")
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    request_id = forms.UUIDField(label=_("Request id"), required=False)
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    field_order = ["user", "content_type", "action", "unit", "date_from", "date_to", "request_id"]

    def __init__(self, *args: Any, rows: QuerySet[ObjectChange], units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *ChangeAction.choices]
        # Only the types that occur in rows the user may read: naming other types would tell nothing useful.
        self.fields["content_type"].queryset = ContentType.objects.filter(
            pk__in=rows.order_by().values("content_type").distinct()
        ).order_by("app_label", "model")
        self.fields["content_type"].label_from_instance = content_type_label
        self.fields["unit"].queryset = units

    def filter(self, qs: QuerySet[ObjectChange]) -> QuerySet[ObjectChange]:
        qs = self.filter_common(qs)
        data = self.cleaned_data
        if data.get("content_type"):
            qs = qs.filter(content_type=data["content_type"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("request_id"):
            qs = qs.filter(request_id=data["request_id"])
        if data.get("unit"):
            qs = qs.filter(unit__path__startswith=data["unit"].path)
        return qs


class AuditEventFilterForm(DateRangeForm):
    kind = forms.MultipleChoiceField(
        label=_("Event"), choices=AuditKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    field_order = ["kind", "user", "date_from", "date_to"]

    def filter(self, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        qs = self.filter_common(qs)
        if self.cleaned_data.get("kind"):
            qs = qs.filter(kind__in=self.cleaned_data["kind"])
        return qs
