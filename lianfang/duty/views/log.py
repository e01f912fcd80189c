"""The duty log of a post's day (entries, the shifts and their handovers) and its print."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.scoping import Action
from lianfang.duty import selectors, services
from lianfang.duty.forms import AcceptForm, EntryForm, HandoverForm, parse_day
from lianfang.duty.models import Handover
from lianfang.duty.services.log import HANDOVER_EARLY, may_accept, may_hand_over, may_log
from lianfang.duty.views.base import ensure_duty_viewer, flash


def _log_url(post_pk: int, day) -> str:
    return f"{reverse('duty:log', args=[post_pk])}?date={day:%Y-%m-%d}"


@login_required
def day_log(request: HttpRequest, pk: int) -> HttpResponse:
    ensure_duty_viewer(request)
    post = selectors.post_get(viewer=request.user, pk=pk)
    today = timezone.localdate()
    day = parse_day(request.GET.get("date"), today)
    can_log = may_log(request.user, post)
    form = EntryForm(request.POST or None)
    if request.method == "POST":
        if not can_log:
            raise PermissionDenied
        if form.is_valid():
            try:
                entry = services.log_entry_create(actor=request.user, post=post, **form.cleaned_data)
            except ValidationError as exc:
                flash(request, exc)
            else:
                messages.success(request, _("The entry is in the duty log."))
                return redirect(_log_url(post.pk, timezone.localdate(entry.at)))
    shifts = list(selectors.day_shifts(post=post, day=day))
    for shift in shifts:
        # Asked per shift, as the services decide: the outgoing officer may hand over after their
        # shift ended, the incoming one takes over before theirs starts.
        shift.may_hand_over = may_hand_over(request.user, shift)
        handover = getattr(shift, "handover", None)
        shift.may_accept = handover is not None and may_accept(request.user, handover)
    context = {
        "post": post,
        "day": day,
        "prev_day": day - timezone.timedelta(days=1),
        "next_day": day + timezone.timedelta(days=1),
        "today": today,
        "entries": selectors.day_log(post=post, day=day),
        "shifts": shifts,
        "form": form,
        "can_log": can_log,
        "handover_form": HandoverForm(prefix="h"),
        "accept_form": AcceptForm(prefix="a"),
        # A shift can be handed over once it ends within this moment (two hours before its end).
        "handover_until": timezone.now() + HANDOVER_EARLY,
    }
    return render(request, "duty/log.html", context)


@login_required
def day_log_print(request: HttpRequest, pk: int) -> HttpResponse:
    """A day's duty log as one document: the shifts and who was on them, every entry, the handovers."""
    ensure_duty_viewer(request)
    post = selectors.post_get(viewer=request.user, pk=pk)
    day = parse_day(request.GET.get("date"), timezone.localdate())
    context = {
        "post": post,
        "day": day,
        "entries": selectors.day_log(post=post, day=day),
        "shifts": selectors.day_shifts(post=post, day=day),
        "printed": timezone.now(),
    }
    return render(request, "duty/log_print.html", context)


@require_POST
@login_required
def handover_create(request: HttpRequest, pk: int) -> HttpResponse:
    shift = selectors.shift_get(viewer=request.user, pk=pk)
    form = HandoverForm(request.POST, prefix="h")
    if form.is_valid():
        try:
            services.handover_create(actor=request.user, shift=shift, **form.cleaned_data)
            messages.success(request, _("Handed over; the incoming officer accepts it."))
        except ValidationError as exc:
            flash(request, exc)
    else:
        messages.error(request, _("Say whether the duty phone was checked."))
    return redirect(_log_url(shift.post_id, timezone.localdate(shift.ends_at)))


@require_POST
@login_required
def handover_accept(request: HttpRequest, pk: int) -> HttpResponse:
    handover = Handover.objects.restrict(request.user, Action.VIEW).select_related("shift").filter(pk=pk).first()
    if handover is None:
        raise Http404
    form = AcceptForm(request.POST, prefix="a")
    form.is_valid()
    try:
        services.handover_accept(actor=request.user, handover=handover, missing=form.cleaned_data.get("missing", ""))
        messages.success(request, _("You have taken over the duty."))
    except ValidationError as exc:
        flash(request, exc)
    return redirect(_log_url(handover.shift.post_id, timezone.localdate(handover.shift.ends_at)))
