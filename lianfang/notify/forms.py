"""Forms of the notify pages. They parse input; notify.services checks the robot and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core.forms import Form, UnitChoiceField
from lianfang.core.scoping import Action
from lianfang.notify.choices import DeliveryStatus, RobotKind
from lianfang.notify.models import RobotChannel
from lianfang.org.models import Unit
from lianfang.org.scoping import units_where


class RobotForm(Form):
    """Add or edit a chat-group robot. The secret is never shown back: empty keeps the current one."""

    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("Service"), choices=RobotKind.choices)
    name = forms.CharField(
        label=pgettext_lazy("robot", "Name"), max_length=60, help_text=_("E.g. the name of the chat group.")
    )
    webhook_url = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        help_text=_("Copy it from the robot's settings in the chat group."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("DingTalk: the SEC… secret of 加签. Feishu: the secret of signature verification. WeCom: none."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, user, robot: RobotChannel | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = Action.CHANGE if robot else Action.ADD
        keep = Q(is_active=True) | Q(pk=robot.unit_id) if robot else Q(is_active=True)
        units = units_where(user, RobotChannel, action).filter(keep)
        if robot is not None:
            self.fields["secret"].help_text = (
                (_("Set. Leave empty to keep it.") if robot.secret else _("Not set."))
                + " "
                + str(self.fields["secret"].help_text)
            )
        else:
            del self.fields["clear_secret"]
        self.fields["unit"].queryset = units.order_by("path")

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("unit", "kind", "name", "webhook_url", "is_active")}

    def secret_value(self, *, editing: bool) -> str | None:
        """What to pass as ``secret``: None keeps the stored one when editing and nothing was typed."""
        if editing and self.cleaned_data.get("clear_secret"):
            return ""
        typed = self.cleaned_data.get("secret", "")
        if editing and not typed:
            return None
        return typed


class DeliveryFilterForm(Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *DeliveryStatus.choices])
