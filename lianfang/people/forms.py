"""Forms of the roster pages: the person form and the HTML rendering of the shared FilterSet.

people.services validates again and writes; these forms only parse and give early, field-level
errors. Unit choices come from ``units_where`` (units where the user may add people).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import UnitChoiceField, UnitSelect
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where
from lianfang.people.choices import Whereabouts
from lianfang.people.filters import PersonFilterSet
from lianfang.people.models import Person, Tag

PERSON_FIELDS = [
    "name",
    "gender",
    "employee_no",
    "unit",
    "category",
    "employment_status",
    "id_number",
    "phone",
    "tags",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
]

# Never prefilled: the edit form must not put an unmasked value into a page (that would be an unaudited unmask).
SECRET_FIELDS = ("id_number", "phone")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PersonForm(forms.ModelForm):
    template_name = "core/_form.html"

    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("18 characters: 17 digits and a last digit or X."),
    )
    phone = forms.CharField(
        label=pgettext_lazy("person", "Phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    unit = UnitChoiceField(queryset=Unit.objects.none(), label=_("Unit"))
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, label=_("Tags"), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {"returned_on": DateInput(), "expected_return_on": DateInput()}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_edit = self.instance.pk is not None
        if self.is_edit:
            # Moving someone needs the add right on the new unit too; the service checks it.
            units = units_where(user, Person, Action.ADD).filter(Q(is_active=True) | Q(pk=self.instance.unit_id))
            for name in SECRET_FIELDS:
                self.initial[name] = ""
                masked = getattr(self.instance, f"{name}_masked")
                if masked:
                    self.fields[name].help_text = _("Now %(masked)s. Leave empty to keep it.") % {"masked": masked}
        else:
            units = units_where(user, Person, Action.ADD).filter(is_active=True)
        self.fields["unit"].queryset = units.select_related("kind").order_by("path")
        self.fields["tags"].label_from_instance = lambda tag: tag.label

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # The database says the same (person_returned_has_date); saying it here puts it on the field.
        if data.get("whereabouts") == Whereabouts.RETURNED and not data.get("returned_on"):
            self.add_error("returned_on", _("Give the date of return for a person who returned from elsewhere."))
        return data

    def _post_clean(self) -> None:
        # Leave the instance as loaded: the service validates and writes. Only uniqueness of the
        # employee number is checked early, so the error sits on its field.
        number = self.cleaned_data.get("employee_no")
        if number:
            clash = Person.objects.filter(employee_no=number).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("employee_no", _("Another person already has this employee number."))

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values for people.services; empty secret fields on edit mean "keep"."""
        fields = {name: self.cleaned_data.get(name) for name in PERSON_FIELDS}
        if self.is_edit:
            for name in SECRET_FIELDS:
                if not fields[name]:
                    fields.pop(name)
        for name in ("gender", "returned_from"):
            if fields.get(name) is None:
                fields[name] = ""
        return fields


class PersonListFilterSet(PersonFilterSet):
    """The shared PersonFilterSet as a filter form: units offered from the user's scope, boxes to tick.

    The filtering itself is PersonFilterSet's, so the HTML list and the API agree.
    """

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, viewer=user, **kwargs)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            # The filter takes a unit id (shared with the API); here it is picked from the units in scope.
            units = UnitChoiceField(queryset=Unit.objects.restrict(self.user, Action.VIEW).select_related("kind"))
            choices = [("", _("All units")), *((unit.pk, units.label_from_instance(unit)) for unit in units.queryset)]
            form.fields["unit"].label = _("Unit and its sub-units")
            form.fields["unit"].widget = UnitSelect(choices=choices)
            for name in ("category", "employment_status", "whereabouts", "tag"):
                form.fields[name].widget = forms.CheckboxSelectMultiple(choices=form.fields[name].choices)
            form.fields["tag"].label_from_instance = lambda tag: tag.label
            form.fields["gender"].empty_label = _("Any")
            form.fields["q"].widget = forms.TextInput(
                attrs={"type": "search", "placeholder": _("Name, employee number, phone or ID number")}
            )
        return self._form


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file, with the template's header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
