"""Forms of the unit pages. They parse input; org.services writes.

Every unit choice comes from ``Unit.objects.restrict(user, action)``, so a form neither offers nor
accepts a unit the user may not use for that action.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from lianfang.core.forms import Form, UnitChoiceField, UsernameField
from lianfang.core.scoping import Action
from lianfang.org.choices import Role, Tier
from lianfang.org.models import GroupSettings, Unit, UnitKind
from lianfang.org.selectors import unit_parent_choices

UNIT_FIELDS = [
    "code",
    "name",
    "short_name",
    "kind",
    "address",
    "person_in_charge",
    "person_in_charge_phone",
    "liaison",
    "liaison_phone",
]


def kind_choices(*, for_root: bool) -> QuerySet[UnitKind]:
    """Kinds a unit may take: the "group" tier belongs to the root alone."""
    kinds = UnitKind.objects.all()
    return kinds if for_root else kinds.exclude(tier=Tier.GROUP)


class UnitForm(forms.ModelForm):
    """Editable fields of a unit (not its place in the tree: that is :class:`UnitMoveForm`)."""

    template_name = "core/_form.html"

    class Meta:
        model = Unit
        fields = UNIT_FIELDS
        widgets = {
            "person_in_charge_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "liaison_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        is_root = bool(self.instance.pk) and self.instance.depth == 1
        self.fields["kind"].queryset = kind_choices(for_root=is_root)
        self.fields["kind"].label_from_instance = lambda kind: kind.label

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in UNIT_FIELDS}


class UnitCreateForm(UnitForm):
    parent = UnitChoiceField(queryset=Unit.objects.none(), label=_("Parent unit"))

    field_order = ["parent", *UNIT_FIELDS]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = unit_parent_choices(viewer=user)
        self.order_fields(self.field_order)


class UnitMoveForm(Form):
    new_parent = UnitChoiceField(queryset=Unit.objects.none(), label=_("New parent unit"))

    def __init__(self, *args: Any, user, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Where the user may add units, minus the unit's own subtree (a unit cannot go under
        # itself) and its current parent (that would move nothing).
        current_parent = unit.path[: -Unit.steplen]
        self.fields["new_parent"].queryset = (
            Unit.objects.restrict(user, Action.ADD)
            .select_related("kind")
            .filter(is_active=True)
            .exclude(Q(path__startswith=unit.path) | Q(path=current_parent))
        )


class RoleAssignForm(Form):
    username = UsernameField(label=_("User name"), max_length=150, help_text=_("The name the person signs in with."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class GroupSettingsForm(forms.ModelForm):
    """The group's daily rhythm: check-in, reminders, report deadline, bulletin, thresholds."""

    template_name = "core/_form.html"

    class Meta:
        model = GroupSettings
        fields = [
            "checkin_opens",
            "reminder_times",
            "report_deadline",
            "bulletin_time",
            "completion_target",
            "fever_threshold",
            "checkin_backdate_days",
            "report_lock_days",
            "reporting_tier",
            # Prevention and control (issue 4): look-back window, isolation, follow-ups, cluster alerts.
            "lookback_days",
            "isolation_central_days",
            "isolation_home_monitoring_days",
            "isolation_home_days",
            "isolation_hospital_days",
            "followups_per_day",
            "cluster_cases",
            "cluster_days",
            # Chasing non-reporters (issue 10).
            "robot_mentions",
            "fever_advice",
        ]
        widgets = {
            name: forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            for name in ("checkin_opens", "report_deadline", "bulletin_time")
        }

    # Prevention and control (issue 4): left empty (or not sent, by an older client), each keeps its value.
    CONTROL_FIELDS = (
        "lookback_days",
        "isolation_central_days",
        "isolation_home_monitoring_days",
        "isolation_home_days",
        "isolation_hospital_days",
        "followups_per_day",
        "cluster_cases",
        "cluster_days",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.CONTROL_FIELDS:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.CONTROL_FIELDS:
            if cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = getattr(self.instance, name)
        return cleaned
