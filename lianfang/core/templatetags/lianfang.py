"""Template helpers for Lianfang's pages: masking, audit values and small bits of markup."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from lianfang.core import forms, masking

register = template.Library()


@register.filter
def mask_phone(value: str | None) -> str:
    return masking.mask_phone(value)


@register.filter
def mask_id_number(value: str | None) -> str:
    return masking.mask_id_number(value)


@register.filter
def content_type_label(ct) -> str:
    return forms.content_type_label(ct)


@register.filter
def audit_value(value: Any) -> str:
    """A value from a change-log snapshot as a clerk reads it: "—" for nothing, yes/no for flags."""
    if value is None or value == "":
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


@register.simple_tag(takes_context=True)
def current_section(context, *names: str) -> str:
    """``aria-current="page"`` when the page belongs to one of the URL namespaces or names given."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    here = {match.namespace, match.url_name, match.view_name}
    return 'aria-current="page"' if here & set(names) else ""


@register.filter
def user_label(user) -> str:
    """A user's full name, else their user name, else a dash (a deleted user leaves ``None``)."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()
