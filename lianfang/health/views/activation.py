"""Pages of employee accounts: the liaison's list and printed one-time QR codes, and the page where
an employee sets a password from such a code (lianfang/people/activation.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import paginate
from lianfang.health.forms import ActivationForm
from lianfang.health.views.checkins import _unit_param
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any, units_where
from lianfang.people import activation
from lianfang.people.models import Person


def _activation_scope(request: HttpRequest) -> tuple[Unit | None, Any]:
    user = request.user
    if not has_any(user, "people.person", Action.CHANGE):
        raise PermissionDenied
    units = units_where(user, Person, Action.CHANGE)
    unit = _unit_param(request, units)
    return unit, activation.people_without_account(viewer=user, unit=unit)


@login_required
def activation_list(request: HttpRequest) -> HttpResponse:
    """People without an account in the liaison's scope, to print their activation codes."""
    unit, people = _activation_scope(request)
    page = paginate(request, people, per_page=100)
    units = units_where(request.user, Person, Action.CHANGE).filter(is_active=True).order_by("path")[:300]
    checkin_url = request.build_absolute_uri(reverse("health:checkin"))
    return render(
        request,
        "people/activation_list.html",
        {"unit": unit, "units": units, "page": page, "checkin_url": checkin_url, "checkin_qr": _qr_svg(checkin_url)},
    )


def _qr_svg(data: str) -> str:
    import segno

    return segno.make(data, error="m").svg_inline(scale=3, omitsize=True)


@never_cache
@login_required
def activation_print(request: HttpRequest) -> HttpResponse:
    """A printable sheet: one QR code and short link per person (the link holds a fresh token)."""
    unit, people = _activation_scope(request)
    ids = request.GET.getlist("person")
    if ids:
        people = people.filter(pk__in=[int(i) for i in ids if i.isdigit()])
    cards = []
    for person in people[:500]:
        url = request.build_absolute_uri(activation.activation_url(person))
        cards.append({"person": person, "url": url, "qr": _qr_svg(url)})
    return render(
        request, "people/activation_print.html", {"unit": unit, "cards": cards, "days": activation.ACTIVATION_DAYS}
    )


@never_cache
def activate(request: HttpRequest, person_id: int, token: str) -> HttpResponse:
    """The page the activation QR code opens: set a password, then go straight to the check-in."""
    person = Person.objects.select_related("user", "unit").filter(pk=person_id).first()
    valid = person is not None and activation.activation_tokens.check_token(person, token)
    if not valid:
        return render(request, "people/activation_invalid.html", status=410)
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = activation.person_activate(person=person, token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Your account is ready. Your user name is your employee number, %(no)s.") % {"no": user.username},
            )
            return redirect("health:checkin")
    return render(request, "people/activation.html", {"form": form, "person": person})
