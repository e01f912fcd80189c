"""Forms of the status pages (rules and the filters of the lists): they parse input; the services
check and write."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.status.choices import Colour
from lianfang.status.engine import FACTS


class StatusRuleForm(Form):
    name = forms.CharField(label=pgettext_lazy("rule", "Name"), max_length=60)
    fact = forms.ChoiceField(label=_("When"), choices=())
    within_days = forms.CharField(
        label=_("Within days"),
        required=False,
        help_text=_(
            "For facts that look back or last a number of days; left empty, the fact's own default "
            "(the group's look-back window for risk-area travel)."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    colour = forms.ChoiceField(label=_("Colour"), choices=Colour.choices)
    reason = forms.CharField(
        label=_("Reason (Chinese)"), max_length=60, help_text=_("Shown with the colour, e.g. 集中隔离中.")
    )
    reason_en = forms.CharField(label=_("Reason (English)"), max_length=60, required=False)
    hold_days = forms.CharField(
        label=_("Holds for (days)"),
        initial="0",
        help_text=_("How long the colour holds after the fact last held, 0 to 90; 0 = only while it holds."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fact"].choices = [(key, f"{fact.label}") for key, fact in FACTS.items()]
        self.fact_help = [(fact.label, fact.help) for fact in FACTS.values()]

    def service_fields(self) -> dict[str, Any]:
        cd = self.cleaned_data
        condition: dict[str, Any] = {"fact": cd["fact"]}
        raw = (cd.get("within_days") or "").strip()
        if raw:
            condition["within_days"] = raw  # the service checks it is a whole number in range
        return {
            "name": cd["name"],
            "condition": condition,
            "colour": cd["colour"],
            "reason": cd["reason"],
            "reason_en": cd.get("reason_en") or "",
            "hold_days": (cd.get("hold_days") or "0").strip(),
        }


class StatusFilterForm(Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("A name or an employee number."))
    colour = forms.ChoiceField(label=_("Colour"), required=False, choices=[("", _("All colours")), *Colour.choices])

    def __init__(self, *args: Any, units, with_colour: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(units, label=_("Unit"), required=False)
        if not with_colour:
            del self.fields["colour"]


def condition_text(condition: Any) -> str:
    """A rule's condition in words, for the rules page."""
    if not isinstance(condition, dict):
        return json.dumps(condition, ensure_ascii=False)
    fact = FACTS.get(str(condition.get("fact")))
    if fact is None:
        return json.dumps(condition, ensure_ascii=False)
    days = condition.get("within_days")
    if days is None:
        return str(fact.label)
    return str(_("%(fact)s, within %(days)s days")) % {"fact": fact.label, "days": days}
