"""Roster pages: who is on duty now, the posts, a post's month (and the print for the wall), a shift
with its people, swaps, and the coverage gaps."""

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
from lianfang.duty.choices import SwapStatus
from lianfang.duty.forms import GenerateForm, LeaveForm, MembersForm, PostForm, ShiftForm, SwapForm, parse_month
from lianfang.duty.models import DutyPost, Leave, Shift, Swap
from lianfang.duty.views.base import ensure_duty_viewer, flash
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Who is on duty now, in every post the viewer may see (the duty phone in full, people's phones
    masked unless the viewer may unmask them)."""
    own_shifts = selectors.shift_list(viewer=request.user).filter(
        members__person__user=request.user, ends_at__gt=timezone.now()
    )
    if not has_any(request.user, "duty.dutypost", Action.VIEW) and not own_shifts.exists():
        raise PermissionDenied
    rows = selectors.on_duty_now(viewer=request.user)
    services.on_duty_phones_shown(actor=request.user, rows=rows, source="on_duty_page")
    context = {
        "rows": rows,
        "my_shifts": own_shifts.order_by("starts_at")[:10],
        "can_add_post": has_any(request.user, "duty.dutypost", Action.ADD),
        "now": timezone.now(),
    }
    return render(request, "duty/index.html", context)


@login_required
def post_create(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, "duty.dutypost", Action.ADD):
        raise PermissionDenied
    form = PostForm(request.POST or None)
    form.fields["unit"].queryset = units_where(request.user, DutyPost, Action.ADD).filter(duty_post__isnull=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("unit")
        try:
            post = services.post_create(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("%(unit)s now keeps duty.") % {"unit": unit.name})
            return redirect("duty:roster", post.pk)
    return render(request, "duty/post_form.html", {"form": form, "post": None})


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get(viewer=request.user, pk=pk)
    if not can(request.user, Action.CHANGE, DutyPost, post.unit):
        raise PermissionDenied
    form = PostForm(request.POST or None, instance=DutyPost.objects.get(pk=post.pk))
    form.fields["unit"].queryset = Unit.objects.filter(pk=post.unit_id)
    form.fields["unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "unit"}
        try:
            services.post_update(actor=request.user, post=post, **data)
        except ValidationError as exc:
            flash(request, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("duty:roster", post.pk)
    return render(request, "duty/post_form.html", {"form": form, "post": post})


def _people_forms(request: HttpRequest, post: DutyPost, data=None):
    people = selectors.eligible_people(viewer=request.user, post=post)
    forms = {
        "shift": ShiftForm(data if data and data.get("form") == "shift" else None, prefix="shift"),
        "generate": GenerateForm(data if data and data.get("form") == "generate" else None, prefix="gen"),
        "leave": LeaveForm(data if data and data.get("form") == "leave" else None, prefix="leave"),
    }
    for form in forms.values():
        form.set_people(people)
    return forms


@login_required
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    """A post's month of shifts (a list of days, readable on a phone), with the forms to add a shift,
    generate from a rota and record leave for those who keep the roster."""
    ensure_duty_viewer(request)
    post = selectors.post_get(viewer=request.user, pk=pk)
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), today)
    can_edit = can(request.user, Action.ADD, Shift, post.unit)
    forms = _people_forms(request, post, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        kind = request.POST.get("form")
        form = forms.get(kind or "")
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if kind == "shift":
                    services.shift_create(
                        actor=request.user,
                        post=post,
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                        leader=data["leader"],
                        officers=list(data["officers"]),
                        note=data["note"],
                    )
                    messages.success(request, _("The shift is on the roster."))
                elif kind == "generate":
                    result = services.roster_generate(
                        actor=request.user,
                        post=post,
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        leaders=form.ordered("leaders"),
                        officers=form.ordered("officers"),
                        officers_per_shift=data["officers_per_shift"],
                        weekdays=data["weekdays"] or None,
                    )
                    messages.success(
                        request,
                        _("%(created)d shifts created, %(skipped)d already on the roster.")
                        % {"created": len(result.created), "skipped": len(result.skipped)},
                    )
                    for problem in result.problems[:10]:
                        messages.warning(request, problem)
                    month = data["starts_on"].replace(day=1)
                elif kind == "leave":
                    services.leave_create(actor=request.user, **data)
                    messages.success(request, _("The leave is recorded."))
            except ValidationError as exc:
                flash(request, exc)
            else:
                return redirect(f"{reverse('duty:roster', args=[post.pk])}?month={month:%Y-%m}")
    prev_month = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    next_month = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    leaves = Leave.objects.restrict(request.user, Action.VIEW).filter(
        person__unit__path__startswith=post.unit.path, ends_on__gte=month
    )
    context = {
        "post": post,
        "month": month,
        "prev_month": prev_month,
        "next_month": next_month,
        "days": selectors.month_roster(post=post, month=month),
        "today": today,
        "can_edit": can_edit,
        "can_edit_post": can(request.user, Action.CHANGE, DutyPost, post.unit),
        "leaves": leaves.select_related("person").order_by("starts_on")[:50],
        **forms,
    }
    return render(request, "duty/roster.html", context)


@login_required
def roster_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The month's roster as one printable table (the roster on the wall)."""
    ensure_duty_viewer(request)
    post = selectors.post_get(viewer=request.user, pk=pk)
    month = parse_month(request.GET.get("month"), timezone.localdate())
    days = selectors.month_roster(post=post, month=month)
    return render(request, "duty/roster_print.html", {"post": post, "month": month, "days": days})


@login_required
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One shift: its people and conflicts, edit by hand, ask for a swap, its log and handover."""
    shift = selectors.shift_get(viewer=request.user, pk=pk)
    post = shift.post
    people = selectors.eligible_people(viewer=request.user, post=post)
    can_edit = can(request.user, Action.CHANGE, Shift, post.unit)
    my_person = Person.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    mine = my_person is not None and shift.members.filter(person=my_person).exists()
    leaders, officers = selectors.members_by_role(shift)
    members_form = MembersForm(
        request.POST if request.POST.get("form") == "members" else None,
        prefix="m",
        initial={"leader": leaders[0] if leaders else None, "officers": officers, "note": shift.note},
    )
    members_form.set_people(people)
    swap_form = SwapForm(request.POST if request.POST.get("form") == "swap" else None, prefix="swap")
    swap_form.set_people(people)
    swap_form.fields["person"].queryset = Person.objects.filter(duty_shifts__shift=shift).select_related("unit")
    if mine and not can(request.user, Action.ADD, Swap, post.unit):
        # A person asking for their own swap picks among the unit's people (not otherwise visible to them).
        swap_form.fields["person"].queryset = Person.objects.filter(pk=my_person.pk).select_related("unit")
        swap_form.fields["replacement"].queryset = (
            Person.objects.filter(unit__path__startswith=post.unit.path).exclude(pk=my_person.pk).select_related("unit")
        )
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "members":
                if not can_edit:
                    raise PermissionDenied
                if members_form.is_valid():
                    d = members_form.cleaned_data
                    services.shift_set_members(
                        actor=request.user,
                        shift=shift,
                        leader=d["leader"],
                        officers=list(d["officers"]),
                        note=d["note"],
                    )
                    messages.success(request, _("Saved."))
                    return redirect("duty:shift", shift.pk)
            elif kind == "swap":
                if swap_form.is_valid():
                    services.swap_request(actor=request.user, shift=shift, **swap_form.cleaned_data)
                    messages.success(request, _("The swap is asked; the replacement is told."))
                    return redirect("duty:shift", shift.pk)
            elif kind == "delete":
                services.shift_delete(actor=request.user, shift=shift)
                messages.success(request, _("The shift is removed from the roster."))
                return redirect("duty:roster", post.pk)
        except ValidationError as exc:
            flash(request, exc)
    context = {
        "shift": shift,
        "post": post,
        "leaders": leaders,
        "officers": officers,
        "conflicts": shift.conflicts.select_related("person"),
        "members_form": members_form,
        "swap_form": swap_form,
        "can_edit": can_edit,
        "can_delete": can(request.user, Action.DELETE, Shift, post.unit),
        "can_swap": mine or can(request.user, Action.ADD, Swap, post.unit),
        "swaps": shift.swaps.select_related("person", "replacement").order_by("-requested_at"),
        "handover": getattr(shift, "handover", None),
        "entries": shift.log.order_by("at")[:200],
        "over": shift.ends_at <= timezone.now(),
    }
    return render(request, "duty/shift.html", context)


@login_required
def swaps(request: HttpRequest) -> HttpResponse:
    """Swaps the viewer asked, was asked, or may approve."""
    rows = list(selectors.swaps_for(viewer=request.user)[:200])
    if not rows and not has_any(request.user, "duty.swap", Action.VIEW):
        own = getattr(request.user, "person", None)
        if own is None or not selectors.is_on_a_roster(own):
            raise PermissionDenied
    me = request.user.pk
    for swap in rows:
        unit = swap.shift.post.unit
        swap.may_accept = swap.status == SwapStatus.REQUESTED and swap.replacement.user_id == me
        swap.may_approve = swap.is_open and (
            can(request.user, Action.APPROVE, Swap, unit) or can(request.user, Action.APPROVE, Shift, unit)
        )
        swap.may_refuse = swap.is_open and (swap.may_accept or swap.may_approve)
        swap.may_cancel = swap.is_open and (swap.person.user_id == me or swap.requested_by_id == me)
    return render(request, "duty/swaps.html", {"swaps": rows})


@require_POST
@login_required
def swap_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    swap = selectors.swaps_for(viewer=request.user).filter(pk=pk).first()
    if swap is None or decision not in {"accept", "approve", "refuse", "cancel"}:
        raise Http404
    note = request.POST.get("note", "")[:200]
    try:
        if decision == "accept":
            services.swap_accept(actor=request.user, swap=swap)
        elif decision == "approve":
            services.swap_approve(actor=request.user, swap=swap, note=note)
        elif decision == "refuse":
            services.swap_refuse(actor=request.user, swap=swap, note=note)
        elif decision == "cancel":
            services.swap_cancel(actor=request.user, swap=swap)
        messages.success(request, _("Saved."))
    except ValidationError as exc:
        flash(request, exc)
    return redirect("duty:swaps")


SHOWN = 20  # rows of each list on the coverage page; its heading says how many there are in all


@login_required
def gaps(request: HttpRequest) -> HttpResponse:
    """Coverage of the next 7 days (hours without a leader or an officer), conflicts on the roster,
    and shifts not handed over or not accepted — for the office and the unit."""
    ensure_duty_viewer(request)
    conflicts = selectors.conflicts_open(viewer=request.user)
    conflicts_count = conflicts.count()
    not_handed = selectors.shifts_not_handed_over(viewer=request.user)
    not_handed_count = not_handed.count()
    context = {
        "gaps": selectors.gap_rows(viewer=request.user),
        "conflicts": conflicts[:SHOWN],
        "conflicts_count": conflicts_count,
        "conflicts_more": max(conflicts_count - SHOWN, 0),
        "unaccepted": selectors.handovers_unaccepted(viewer=request.user)[:200],
        "not_handed": not_handed[:SHOWN],
        "not_handed_count": not_handed_count,
        "not_handed_more": max(not_handed_count - SHOWN, 0),
    }
    return render(request, "duty/gaps.html", context)
