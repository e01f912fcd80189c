from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any


def ensure_disinfection_viewer(request: HttpRequest) -> None:
    """The disinfection pages need a role that sees rounds somewhere."""
    if not has_any(request.user, "sites.disinfectionslot", Action.VIEW):
        raise PermissionDenied


def tabs(request: HttpRequest) -> dict[str, bool]:
    """Which of the disinfection tabs the viewer may open (a tab that would answer 403 is not shown)."""
    return {
        "rounds": has_any(request.user, "sites.disinfectionslot", Action.VIEW),
        "plans": has_any(request.user, "sites.disinfectionplan", Action.VIEW),
        "agents": has_any(request.user, "sites.disinfectant", Action.VIEW),
    }


def flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def show_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's refusal on the form: on its field where the form has it, above the form otherwise."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def flash_form(request: HttpRequest, form: BaseForm) -> None:
    """A form posted from a card of the page: its errors as messages above the page, each naming its field."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        for error in errors:
            if field is not None and field.label:
                error = _("%(field)s: %(error)s") % {"field": field.label, "error": error}
            messages.error(request, error)
