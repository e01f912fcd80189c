"""Form building blocks shared by every app's HTML pages, and the audit log's filter forms.

Forms only parse and validate input; the writes happen in services. Every choice that names a
unit comes from a restricted queryset, so a form can never offer (or accept) a unit outside the
user's scope.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Form(forms.Form):
    """A form rendered with the house markup (label, input, help and errors in one block)."""

    template_name = "core/_form.html"


class UnitSelect(forms.Select):
    """A select that writes its options in Python.

    A group office picks among thousands of units; Django renders one template per option, which
    takes most of a second for 3,000 of them. The markup is the same as Django's.
    """

    def render(self, name, value, attrs=None, renderer=None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
                for _group, group_choices, _index in widget["optgroups"]
                for option in group_choices
            ),
        )
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options)


class UnitChoiceField(forms.ModelChoiceField):
    """A unit picker whose options show the tree by indentation.

    Pass a restricted queryset; the indentation is relative to the shallowest unit offered so a
    liaison's list starts flush left with their own unit.
    """

    widget = UnitSelect

    def __init__(self, queryset: QuerySet, **kwargs: Any) -> None:
        super().__init__(queryset=queryset, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        top = getattr(self, "_top_depth", None)
        if top is None:
            # One extra aggregate query per render is cheaper than keeping every unit twice.
            top = self.queryset.order_by("depth").values_list("depth", flat=True).first() or 1
            self._top_depth = top
        indent = "\u3000" * max(obj.depth - top, 0)
        suffix = "" if obj.is_active else " " + str(_("(inactive)"))
        return f"{indent}{obj.name} · {obj.code}{suffix}"


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named field if the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, errors)


def content_type_label(ct: ContentType) -> str:
    """The model's translated name (“Person”, “人员”), not the technical ``people | person``."""
    model = ct.model_class()
    return str(model._meta.verbose_name).capitalize() if model else f"{ct.app_label}.{ct.model}"


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the group's time zone: "from 3 May" means from 00:00 local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class DateRangeForm(Form):
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    user = forms.CharField(label=_("User"), required=False, max_length=150)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def filter_common(self, qs: QuerySet) -> QuerySet:
        data = self.cleaned_data
        if data.get("date_from"):
            qs = qs.filter(time__gte=_day_start(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(time__lt=_day_start(data["date_to"] + datetime.timedelta(days=1)))
        if data.get("user"):
            qs = qs.filter(user_name__icontains=data["user"].strip())
        return qs


class UsernameField(forms.CharField):
    """A user picked by user name; answers with the user, or a field error the clerk can act on."""

    def clean(self, value: Any):
        name = super().clean(value)
        if not name:
            return None
        user_model = get_user_model()
        user = user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: name.strip(), "is_active": True}
        ).first()
        if user is None:
            raise ValidationError(_("There is no active user named “%(name)s”."), params={"name": name})
        return user
