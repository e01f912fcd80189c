"""Pages of the health app: the personal check-in (phone first), the proxy morning check,
completion, non-reporters and flags, the office's questions, and account activation.

Thin: parse with a form, look up through selectors (restricted, so out of scope is 404), call a
service, render. HTMX requests get the fragment from the same view.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, wants_partial
from lianfang.health import divisions, selectors
from lianfang.health.choices import QuestionKind, Symptom, WorkMode
from lianfang.health.forms import CheckInForm, DateUnitForm, option_label
from lianfang.health.models import CheckIn, QuestionVersion, UnitDayStat
from lianfang.health.services import checkins
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person

# --- personal check-in -------------------------------------------------------------------------


def _answer_rows(checkin: CheckIn) -> list[tuple[str, str]]:
    """(question wording of the version answered, answer in words) — old check-ins keep old wording."""
    versions = {str(v.pk): v for v in QuestionVersion.objects.filter(pk__in=[int(k) for k in checkin.answers])}
    rows = []
    for key, answer in checkin.answers.items():
        version = versions.get(key)
        if version is None:
            continue
        labels = {str(c["value"]): option_label(c) for c in version.choices or []}
        if isinstance(answer, list):
            text = ", ".join(labels.get(str(a), str(a)) for a in answer)
        elif version.kind == QuestionKind.YES_NO:
            text = _("Yes") if answer == "yes" else _("No")
        else:
            text = labels.get(str(answer), str(answer))
        rows.append((version.label, text))
    return rows


def _parse_day(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def checkin(request: HttpRequest) -> HttpResponse:
    """The signed-in person's check-in for today (or a day back, ``?date=``)."""
    person = selectors.own_person(viewer=request.user)
    if person is None:
        return render(request, "health/no_person.html", status=403)
    today = timezone.localdate()
    day = _parse_day(request.POST.get("date") or request.GET.get("date")) or today
    existing = CheckIn.objects.filter(person=person, date=day).first()
    yesterday = CheckIn.objects.filter(person=person, date=day - datetime.timedelta(days=1)).first()
    versions = checkins.applicable_versions(person.unit)
    initial: dict[str, Any] = {"date": day}
    source = existing or yesterday
    if source is not None:
        initial.update(
            temperature=source.temperature if existing else "",
            symptoms=source.symptoms if existing else [],
            symptom_note=source.symptom_note if existing else "",
            location_code=source.location_code,
            work_mode=source.work_mode,
        )
        by_question = _answers_by_question(source)
        for version in versions:
            if version.question_id in by_question:
                initial[f"q_{version.pk}"] = by_question[version.question_id]
    form = CheckInForm(request.POST or None, initial=initial, versions=versions)
    if request.method == "POST" and form.is_valid():
        try:
            saved, created = checkins.checkin_submit(
                actor=request.user, person=person, data=form.checkin_data(), date=form.cleaned_data.get("date") or day
            )
        except ValidationError as exc:
            _apply_checkin_errors(form, exc)
        else:
            messages.success(
                request,
                _("Checked in for %(date)s.") % {"date": saved.date}
                if created
                else _("Your check-in for %(date)s was corrected.") % {"date": saved.date},
            )
            return redirect(
                f"{reverse('health:checkin')}?date={saved.date}" if saved.date != today else "health:checkin"
            )
    context = {
        "form": form,
        "person": person,
        "day": day,
        "today": today,
        "is_today": day == today,
        "existing": existing,
        "existing_answers": _answer_rows(existing) if existing else [],
        "yesterday": yesterday,
        "can_copy": yesterday is not None,
        "reasons": [checkins.reason_label(r) for r in existing.flag_reasons] if existing else [],
        "backdays": [
            today - datetime.timedelta(days=n) for n in range(1, GroupSettings.load().checkin_backdate_days + 1)
        ],
    }
    return render(request, "health/checkins/form.html", context)


def _answers_by_question(checkin: CheckIn) -> dict[int, Any]:
    ids = {str(v.pk): v.question_id for v in QuestionVersion.objects.filter(pk__in=[int(k) for k in checkin.answers])}
    return {ids[k]: v for k, v in checkin.answers.items() if k in ids}


def _apply_checkin_errors(form: CheckInForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        target = {"location_code": "province", "answers": None, "date": None, "__all__": None}.get(key, key)
        if target is not None and target not in form.fields:
            target = None
        for message in errors:
            form.add_error(target, message)


@require_POST
@login_required
def checkin_same(request: HttpRequest) -> HttpResponse:
    """One tap: today's check-in copied from yesterday's."""
    person = selectors.own_person(viewer=request.user)
    if person is None:
        raise Http404
    try:
        saved, _created = checkins.checkin_same_as_yesterday(actor=request.user, person=person)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Checked in for %(date)s, same as yesterday.") % {"date": saved.date})
    return redirect("health:checkin")


@login_required
def checkin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = get_object_or_404(selectors.checkin_list(viewer=request.user), pk=pk)
    context = {
        "checkin": checkin,
        "answers": _answer_rows(checkin),
        "symptoms": [str(Symptom(s).label) for s in checkin.symptoms if s in Symptom.values],
        "reasons": [checkins.reason_label(r) for r in checkin.flag_reasons],
        "is_own": checkin.person.user_id == request.user.pk,
        "can_unmask": can(request.user, Action.UNMASK, Person, checkin.person.unit),
    }
    return render(request, "health/checkins/detail.html", context)


@require_GET
def division_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of the next level of the cascading location selects (HTMX).

    Public data, the same for everyone, cached by the browser for a day.
    """
    level = request.GET.get("level", "city")
    parent = request.GET.get("province" if level == "city" else "city", "")
    options = divisions.children(parent) if parent else []
    response = render(request, "health/_division_options.html", {"options": options})
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- proxy morning check (晨检) -------------------------------------------------------------


def _unit_param(request: HttpRequest, units) -> Unit | None:
    raw = request.GET.get("unit") or request.POST.get("unit")
    if not raw:
        return None
    try:
        return units.get(pk=int(raw))
    except (ValueError, Unit.DoesNotExist):
        raise Http404 from None


@login_required
def proxy(request: HttpRequest) -> HttpResponse:
    """The unit's list with a temperature box per person; "all normal" fills the empty boxes."""
    user = request.user
    units = units_where(user, CheckIn, Action.ADD).filter(is_active=True)
    if not has_any(user, "health.checkin", Action.ADD):
        raise PermissionDenied
    unit = _unit_param(request, units) or units.order_by("depth", "path").first()
    if unit is None:
        raise PermissionDenied
    today = timezone.localdate()
    day = _parse_day(request.POST.get("date") or request.GET.get("date")) or today
    people = list(selectors.proxy_people(viewer=user, unit=unit)[:500])
    existing = {c.person_id: c for c in CheckIn.objects.filter(person__in=people, date=day)}
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    modes: dict[str, str] = {}
    if request.method == "POST":
        all_normal = "all_normal" in request.POST
        normal = str(checkins.DEFAULT_NORMAL_TEMPERATURE)
        entries = []
        by_pk = {p.pk: p for p in people}
        for person in people:
            raw = (request.POST.get(f"t_{person.pk}") or "").strip()
            mode = request.POST.get(f"m_{person.pk}") or WorkMode.ON_SITE
            values[str(person.pk)], modes[str(person.pk)] = raw, mode
            if not raw and all_normal and person.pk not in existing:
                raw = normal
            if raw:
                entries.append(checkins.ProxyEntry(person=by_pk[person.pk], temperature=raw, work_mode=mode))
        try:
            saved = checkins.checkin_proxy_submit(actor=user, entries=entries, date=day)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("%(count)s check-ins saved for %(date)s.") % {"count": len(saved), "date": day})
            return redirect(f"{reverse('health:proxy')}?unit={unit.pk}&date={day}")
    rows = []
    for person in people:
        current = existing.get(person.pk)
        rows.append(
            {
                "person": person,
                "checkin": current,
                "value": values.get(str(person.pk), str(current.temperature) if current else ""),
                "mode": modes.get(str(person.pk), current.work_mode if current else WorkMode.ON_SITE),
                "errors": errors.get(str(person.pk), []),
            }
        )
    context = {
        "unit": unit,
        "units": units.order_by("path")[:300],
        "day": day,
        "today": today,
        "rows": rows,
        "has_errors": bool(errors),
        "done": sum(1 for r in rows if r["checkin"]),
        "normal": checkins.DEFAULT_NORMAL_TEMPERATURE,
        "modes": WorkMode.choices,
    }
    return render(request, "health/checkins/proxy.html", context)


# --- completion, non-reporters, flags --------------------------------------------------------


def _scope_form(request: HttpRequest, model) -> tuple[DateUnitForm, datetime.date, Unit | None]:
    units = units_where(request.user, model, Action.VIEW)
    form = DateUnitForm(request.GET or None, units=units)
    today = timezone.localdate()
    if request.GET and not form.is_valid() and "unit" in form.errors:
        raise Http404  # an out-of-scope unit is not discoverable
    day = form.day(today) if request.GET else today
    unit = form.cleaned_data.get("unit") if request.GET and form.is_valid() else None
    return form, day, unit


@login_required
def completion(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, "health.unitdaystat", Action.VIEW):
        raise PermissionDenied
    form, day, unit = _scope_form(request, UnitDayStat)
    rows = selectors.completion_by_unit(viewer=request.user, date=day, root=unit)
    totals = selectors.completion_totals(viewer=request.user, date=day, root=unit)
    top = min((r.depth for r in rows), default=1)
    context = {
        "form": form,
        "day": day,
        "unit": unit,
        "rows": rows,
        "totals": totals,
        "top": top,
        "target": GroupSettings.load().completion_target,
        "trend": selectors.completion_trend(viewer=request.user, days=14, root=unit),
    }
    return render(request, "health/checkins/completion.html", context)


@login_required
def non_reporters(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, "health.checkin", Action.VIEW):
        raise PermissionDenied
    form, day, unit = _scope_form(request, CheckIn)
    qs = selectors.non_reporters(viewer=request.user, date=day, unit=unit)
    page = paginate(request, qs)
    rows = [
        {
            "person": p,
            "phone": p.phone if can(request.user, Action.UNMASK, Person, p.unit) else mask_phone(p.phone),
        }
        for p in page
    ]
    context = {"form": form, "day": day, "unit": unit, "page": page, "rows": rows, "count": page.paginator.count}
    template = (
        "health/checkins/_non_reporter_rows.html" if wants_partial(request) else "health/checkins/non_reporters.html"
    )
    return render(request, template, context)


@login_required
def flagged(request: HttpRequest) -> HttpResponse:
    if not has_any(request.user, "health.checkin", Action.VIEW):
        raise PermissionDenied
    form, day, unit = _scope_form(request, CheckIn)
    page = paginate(request, selectors.flagged_checkins(viewer=request.user, date=day, unit=unit))
    rows = [{"checkin": c, "reasons": [checkins.reason_label(r) for r in c.flag_reasons]} for c in page]
    return render(
        request, "health/checkins/flagged.html", {"form": form, "day": day, "unit": unit, "page": page, "rows": rows}
    )
