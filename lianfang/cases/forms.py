"""Forms of the cases pages. They parse and validate input; the services write.

A roster person is named by employee number (a group of 100,000 people cannot be a drop-down),
looked up among the people the user may see, so an outsider's number is "not found" like a typo.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.cases.choices import (
    INITIAL_STATUSES,
    AlertStatus,
    CareNeed,
    CaseStatus,
    ContactDegree,
    ExposureSetting,
    IsolationKind,
    IsolationReason,
    PersonKind,
    TestResult,
    Treatment,
)
from lianfang.cases.models import Case, Contact
from lianfang.core.forms import Form, UnitChoiceField
from lianfang.core.scoping import Action
from lianfang.health.choices import Symptom
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where
from lianfang.people.models import Person


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date(label, *, required: bool = False, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput(), help_text=help_text)


def find_person(viewer, employee_no: str) -> Person | None:
    return (
        Person.objects.restrict(viewer, Action.VIEW)
        .select_related("unit")
        .filter(employee_no=employee_no.strip())
        .first()
    )


class EmployeeNoField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"})
        )
        super().__init__(**kwargs)


class PersonPickMixin:
    """A roster person by employee number, or an external person by name and phone."""

    viewer: Any
    cleaned_data: dict

    def clean_person(self, who: str, employee_no: str) -> Person | None:
        if who != PersonKind.ROSTER:
            return None
        if not employee_no:
            self.add_error("employee_no", _("Enter the person's employee number."))  # type: ignore[attr-defined]
            return None
        person = find_person(self.viewer, employee_no)
        if person is None:
            self.add_error(  # type: ignore[attr-defined]
                "employee_no",
                _("There is nobody with this employee number in your units; check the number."),
            )
        return person


# --- cases --------------------------------------------------------------------------------------


class CaseFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = UnitChoiceField(
        label=_("Unit and its sub-units"), queryset=Unit.objects.none(), required=False, empty_label=_("All units")
    )
    date_from = _date(_("Reported from"))
    date_to = _date(_("Reported until"))

    def __init__(self, *args: Any, viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All statuses")),
            ("active", _("Active (suspected, confirmed, asymptomatic)")),
            *CaseStatus.choices,
        ]
        self.fields["unit"].queryset = units_where(viewer, Case, Action.VIEW)


class CaseRegisterForm(PersonPickMixin, Form):
    who = forms.ChoiceField(
        label=_("Who"), choices=PersonKind.choices, initial=PersonKind.ROSTER, widget=forms.RadioSelect
    )
    employee_no = EmployeeNoField(
        label=_("Employee number"), required=False, help_text=_("For a person on the roster.")
    )
    external_name = forms.CharField(label=_("Name (external person)"), max_length=60, required=False)
    external_phone = forms.CharField(
        label=_("Phone (external person)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("The person's own unit"),
        help_text=_("Required for an external person; for a family member, the employee's unit."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=[(s, CaseStatus(s).label) for s in INITIAL_STATUSES])
    reported_on = _date(_("Reported on"), required=True)
    onset_on = _date(_("Symptom onset"))
    isolated_on = _date(_("Isolated on"), help_text=_("Leave empty if the case is not isolated yet."))
    treatment = forms.ChoiceField(label=_("Treated at"), choices=Treatment.choices, initial=Treatment.NONE)
    treatment_place = forms.CharField(label=_("Hospital or place"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, viewer, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("reported_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["unit"].queryset = units_where(viewer, Case, Action.ADD).filter(is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["person"] = self.clean_person(data.get("who", ""), data.get("employee_no", ""))
        if data.get("who") == PersonKind.EXTERNAL:
            if not data.get("external_name"):
                self.add_error("external_name", _("Enter the external person's name."))
            if not data.get("unit"):
                self.add_error("unit", _("Choose the unit responsible for the external person."))
        return data

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        external = d["who"] == PersonKind.EXTERNAL
        return {
            "person": None if external else d["person"],
            "external_name": d["external_name"] if external else "",
            "external_phone": d["external_phone"] if external else "",
            "unit": d.get("unit"),
            "status": d["status"],
            "reported_on": d["reported_on"],
            "onset_on": d.get("onset_on"),
            "isolated_on": d.get("isolated_on"),
            "treatment": d["treatment"],
            "treatment_place": d.get("treatment_place", ""),
            "note": d.get("note", ""),
        }


class CaseEditForm(Form):
    onset_on = _date(_("Symptom onset"))
    isolated_on = _date(_("Isolated on"))
    treatment = forms.ChoiceField(label=_("Treated at"), choices=Treatment.choices)
    treatment_place = forms.CharField(label=_("Hospital or place"), max_length=100, required=False)
    external_phone = forms.CharField(label=_("Phone (external person)"), max_length=20, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "onset_on": case.onset_on,
                "isolated_on": case.isolated_on,
                "treatment": case.treatment,
                "treatment_place": case.treatment_place,
                "external_phone": case.external_phone,
                "note": case.note,
            },
        )
        super().__init__(*args, **kwargs)
        if case.person_kind != PersonKind.EXTERNAL:
            del self.fields["external_phone"]


class TransitionForm(Form):
    # No status is chosen for the person: with the first allowed one preselected, one click on a
    # confirmed case would have marked it recovered. An empty choice makes the choice deliberate.
    status = forms.ChoiceField(label=_("New status"), error_messages={"required": _("Choose the case's new status.")})
    on = _date(_("On"), required=True)
    treatment = forms.ChoiceField(label=_("Treated at"), choices=Treatment.choices, required=False)
    treatment_place = forms.CharField(label=_("Hospital or place"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, case: Case, allowed: tuple[str, ...], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate(), "treatment": case.treatment})
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("— choose the new status —"))] + [
            (s, CaseStatus(s).label) for s in allowed
        ]
        self.fields["treatment_place"].initial = case.treatment_place


# --- contacts -----------------------------------------------------------------------------------


class ContactForm(PersonPickMixin, Form):
    who = forms.ChoiceField(
        label=_("Who"), choices=PersonKind.choices, initial=PersonKind.ROSTER, widget=forms.RadioSelect
    )
    employee_no = EmployeeNoField(label=_("Employee number"), required=False)
    external_name = forms.CharField(label=_("Name (external person)"), max_length=60, required=False)
    external_phone = forms.CharField(
        label=_("Phone (external person)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    degree = forms.ChoiceField(label=_("Degree"), choices=ContactDegree.choices, initial=ContactDegree.CLOSE)
    via = forms.ModelChoiceField(
        label=_("Through close contact"),
        queryset=Contact.objects.none(),
        required=False,
        empty_label=_("— (a close contact)"),
        help_text=_("For a secondary contact: the close contact through whom they met the case."),
    )
    last_exposure_on = _date(_("Last exposure"), required=True)
    setting = forms.ChoiceField(label=_("Setting"), choices=ExposureSetting.choices, initial=ExposureSetting.WORKPLACE)
    setting_note = forms.CharField(label=_("Where and how"), max_length=200, required=False)

    def __init__(self, *args: Any, viewer, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["via"].queryset = (
            Contact.objects.restrict(viewer, Action.VIEW)
            .filter(case=case, degree=ContactDegree.CLOSE)
            .select_related("person")
        )
        self.fields["via"].label_from_instance = lambda c: c.display_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["person"] = self.clean_person(data.get("who", ""), data.get("employee_no", ""))
        if data.get("who") == PersonKind.EXTERNAL and not data.get("external_name"):
            self.add_error("external_name", _("Enter the external person's name."))
        return data

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        external = d["who"] == PersonKind.EXTERNAL
        return {
            "person": None if external else d["person"],
            "external_name": d["external_name"] if external else "",
            "external_phone": d["external_phone"] if external else "",
            "degree": d["degree"],
            "via": d.get("via"),
            "last_exposure_on": d["last_exposure_on"],
            "setting": d["setting"],
            "setting_note": d.get("setting_note", ""),
        }


class BecomeCaseForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=[(s, CaseStatus(s).label) for s in INITIAL_STATUSES])
    reported_on = _date(_("Reported on"), required=True)
    onset_on = _date(_("Symptom onset"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"reported_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# --- isolation ----------------------------------------------------------------------------------


class ResponsibleField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class IsolationForm(PersonPickMixin, Form):
    employee_no = EmployeeNoField(label=_("Employee number"), required=True)
    kind = forms.ChoiceField(label=_("Kind"), choices=IsolationKind.choices, initial=IsolationKind.CENTRAL)
    reason = forms.ChoiceField(label=_("Reason"), choices=IsolationReason.choices, initial=IsolationReason.CONTACT)
    start_on = _date(_("Start"), required=True)
    planned_end_on = _date(
        _("Planned end"), help_text=_("Leave empty for the group's standard duration of the kind chosen.")
    )
    end_change_reason = forms.CharField(
        label=_("Why another end"),
        max_length=200,
        required=False,
        help_text=_("Only when the end is not the standard."),
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    responsible = ResponsibleField(
        label=_("Responsible for follow-up"), queryset=None, required=False, empty_label=_("Me")
    )
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, viewer, responsible_qs, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("start_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["responsible"].queryset = responsible_qs

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["person"] = self.clean_person(PersonKind.ROSTER, data.get("employee_no", ""))
        return data


class ChangeEndForm(Form):
    planned_end_on = _date(_("Planned end"), required=True)
    monitoring_end_on = _date(_("Home monitoring until"))
    reason = forms.CharField(label=_("Why the end changes"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)


class ReleaseForm(Form):
    released_on = _date(_("Released on"), required=True)
    test_result = forms.ChoiceField(label=_("Test result"), choices=TestResult.choices, initial=TestResult.NEGATIVE)
    test_on = _date(_("Tested on"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"released_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class FollowUpForm(Form):
    date = forms.DateField(widget=forms.HiddenInput)
    slot = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=4)
    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "temperature-input"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"), choices=Symptom.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- care ---------------------------------------------------------------------------------------


class CareAssignForm(PersonPickMixin, Form):
    employee_no = EmployeeNoField(label=_("Cared for (employee number)"))
    carer_no = EmployeeNoField(label=_("Carer (employee number)"))
    started_on = _date(pgettext_lazy("date range", "From"), required=True)
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)
    isolation = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, viewer, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("started_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.viewer = viewer

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["person"] = self.clean_person(PersonKind.ROSTER, data.get("employee_no", ""))
        carer = find_person(self.viewer, data.get("carer_no", "")) if data.get("carer_no") else None
        if data.get("carer_no") and carer is None:
            self.add_error("carer_no", _("There is nobody with this employee number in your units; check the number."))
        data["carer"] = carer
        return data


class CareContactForm(Form):
    date = _date(_("Date"), required=True)
    need = forms.ChoiceField(label=_("Need"), choices=CareNeed.choices)
    need_note = forms.CharField(label=_("What is needed"), max_length=200, required=False)
    action = forms.CharField(label=_("Action taken"), max_length=200, required=False)
    outcome = forms.CharField(label=_("Outcome"), max_length=200, required=False)
    settled = forms.BooleanField(label=_("Settled"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class SettleForm(Form):
    outcome = forms.CharField(label=_("How it was settled"), max_length=200)


class AlertHandleForm(Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (AlertStatus.ACKNOWLEDGED, AlertStatus.ACKNOWLEDGED.label),
            (AlertStatus.CLOSED, AlertStatus.CLOSED.label),
        ],
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
