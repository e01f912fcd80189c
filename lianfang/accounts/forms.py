from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where


class CodeForm(forms.Form):
    template_name = "core/_form.html"

    code = forms.CharField(
        label=_("One-time code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
    )


class SignInSettingsForm(forms.Form):
    template_name = "core/_form.html"

    two_factor_roles = forms.MultipleChoiceField(
        label=_("Roles that sign in with a second factor"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    idle_timeout_minutes = forms.IntegerField(
        label=_("Idle timeout for those roles (minutes)"),
        min_value=0,
        max_value=24 * 60,
        help_text=_("0 turns it off."),
    )


class ServiceTokenForm(forms.Form):
    template_name = "core/_form.html"

    name = forms.CharField(
        label=pgettext_lazy("token", "Name"), max_length=100, help_text=_("Which system uses it, e.g. HR system.")
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    endpoints = forms.CharField(
        label=_("Endpoints"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Which parts of the API the system may use, one per line: a name from the list below (person "
            "allows the people roster), or an address from the list ending in a slash (people/)."
        ),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=3650,
        initial=90,
        required=False,
        help_text=_("Empty: no expiry."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from lianfang.accounts.models import ServiceToken

        self.fields["unit"].queryset = units_where(user, ServiceToken, Action.ADD).order_by("path")

    def clean_endpoints(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["endpoints"].replace(",", "\n").splitlines() if line.strip()]

    def expires(self) -> datetime.datetime | None:
        days = self.cleaned_data.get("days")
        return timezone.now() + datetime.timedelta(days=days) if days else None
