"""Pages to add, change and delete a person's trips and exposures. The history page that lists
them with the person's status is the status app's."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.health import selectors as risk_selectors
from lianfang.health.forms import (
    TripForm,
)
from lianfang.health.models import Trip
from lianfang.health.services import trips
from lianfang.org.scoping import can
from lianfang.people.selectors import person_list


@login_required
def trip_form(request: HttpRequest, person_pk: int | None = None, pk: int | None = None) -> HttpResponse:
    user = request.user
    trip = get_object_or_404(risk_selectors.trip_list(viewer=user), pk=pk) if pk else None
    if trip is not None:
        person = trip.person
        if not can(user, Action.CHANGE, Trip, trip.unit):
            raise PermissionDenied(_("Only a case manager or the office may change trips."))
    else:
        assert person_pk is not None
        person = get_object_or_404(person_list(viewer=user), pk=person_pk)
        if not (person.user_id == user.pk or can(user, Action.ADD, Trip, person.unit)):
            raise PermissionDenied(_("Only the person, their liaison, a case manager or the office may add trips."))
    initial: dict[str, Any] = {}
    if trip is not None:
        initial = {f: getattr(trip, f) for f in trips.TRIP_FIELDS}
    else:
        today = timezone.localdate()
        initial = {"date_from": today - datetime.timedelta(days=1), "date_to": today}
    form = TripForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if trip is not None:
                trips.trip_update(actor=user, trip=trip, **form.service_fields())
            else:
                trips.trip_create(actor=user, person=person, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The trip was saved."))
            return redirect("health:person-history", pk=person.pk)
    return render(
        request,
        "health/trips/form.html",
        {"form": form, "trip": trip, "person": person},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def trip_delete(request: HttpRequest, pk: int) -> HttpResponse:
    trip = get_object_or_404(risk_selectors.trip_list(viewer=request.user), pk=pk)
    person_id = trip.person_id
    if not can(request.user, Action.DELETE, Trip, trip.unit):
        raise PermissionDenied(_("Only a case manager or the office may delete trips."))
    trips.trip_delete(actor=request.user, trip=trip)
    messages.success(request, _("The trip was deleted."))
    return redirect("health:person-history", pk=person_id)
