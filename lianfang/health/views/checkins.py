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
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from lianfang.core.audit import record_event
from lianfang.core.extensions import collection_refusals, work_verdicts
from lianfang.core.masking import mask_phone
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.views import paginate, query_without_page, wants_partial
from lianfang.health import divisions, selectors
from lianfang.health.choices import QuestionKind, Symptom, WorkMode
from lianfang.health.forms import CheckInForm, DateUnitForm, option_label, work_mode_choices
from lianfang.health.models import CheckIn, QuestionVersion, UnitDayStat
from lianfang.health.services import checkins, reminders
from lianfang.notify import robots as notify_robots
from lianfang.notify import selectors as notify_selectors
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people.models import Person
from lianfang.privacy import gate as privacy_gate

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
    asked = request.POST.get("date") or request.GET.get("date")
    day = _parse_day(asked) or today
    try:
        if request.method == "GET":
            checkins.check_date(day)
    except ValidationError as exc:
        # Refused before the form is shown: a form for a day that cannot be saved wastes the person's time.
        context = {"message": " ".join(exc.messages), "person": person}
        return render(request, "health/checkins/date_refused.html", context, status=400)
    if asked and _parse_day(asked) is None:
        context = {"message": _("“%(value)s” is not a date.") % {"value": asked[:20]}, "person": person}
        return render(request, "health/checkins/date_refused.html", context, status=400)
    # Before the first check-in, and again after a substantive change of the privacy notice: the
    # notice and the consent step (under the emergency basis, the notice once), then back here.
    if privacy_gate.notice_step(person.pk, day, checkins.CHECKIN_DATA_CATEGORIES):
        return redirect(f"{reverse('privacy:notice-step')}?next={request.get_full_path()}")
    existing = CheckIn.objects.filter(person=person, date=day).first()
    last = checkins.last_checkin(person, day)
    verdict = checkins.work_verdict(person, day)
    versions = checkins.applicable_versions(person.unit)
    initial: dict[str, Any] = {"date": day}
    source = existing or last
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
    form = CheckInForm(request.POST or None, initial=initial, versions=versions, verdict=verdict)
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
        "last": last,
        "last_mode_label": WorkMode(_copied_mode(last, verdict)).label if last and _copied_mode(last, verdict) else "",
        "yesterday_date": day - datetime.timedelta(days=1),
        "can_copy": last is not None and _copied_mode(last, verdict) is not None,
        "verdict": verdict,
        "fever_advice": GroupSettings.load().fever_advice if existing and existing.is_fever else "",
        "reasons": checkins.reason_labels(existing.flag_reasons) if existing else [],
        "backdays": [
            today - datetime.timedelta(days=n) for n in range(1, GroupSettings.load().checkin_backdate_days + 1)
        ],
    }
    return render(request, "health/checkins/form.html", context)


def _copied_mode(last: CheckIn, verdict) -> str | None:
    """The mode "same as last time" would record today, or None when it cannot copy (the person may
    not come to work and last time said on site: the form must be filled in)."""
    if verdict is not None and verdict.held:
        return verdict.mode
    return None if checkins.work_mode_refusal(verdict, last.work_mode) else last.work_mode


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
    """One tap: today's check-in copied from the last one (yesterday's, or the last day checked in)."""
    person = selectors.own_person(viewer=request.user)
    if person is None:
        raise Http404
    try:
        saved, _created = checkins.checkin_same_as_yesterday(actor=request.user, person=person)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Checked in for %(date)s, the same as your last check-in.") % {"date": saved.date})
    return redirect("health:checkin")


@login_required
def checkin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    checkin = get_object_or_404(selectors.checkin_list(viewer=request.user), pk=pk)
    context = {
        "checkin": checkin,
        "answers": _answer_rows(checkin),
        "symptoms": [str(Symptom(s).label) for s in checkin.symptoms if s in Symptom.values],
        "reasons": checkins.reason_labels(checkin.flag_reasons),
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


PROXY_PAGE = 100
PROXY_SHOW = ("all", "missing", "no_account")


def _proxy_units(user):
    units = units_where(user, CheckIn, Action.ADD).filter(is_active=True)
    if not has_any(user, "health.checkin", Action.ADD):
        raise PermissionDenied
    return units


@login_required
def proxy(request: HttpRequest) -> HttpResponse:
    """The morning check (晨检): a page of the unit's people with a temperature box each; "all normal"
    fills the empty boxes of those who may come to work, and lists the others.

    Every row shows what the check-in guards say of the person today (居家隔离中 至 12-13，不得到岗);
    the medical reason only to viewers who may read reasons. Without ``?unit=`` a liaison of one unit
    opens it; one with several units chooses first."""
    user = request.user
    units = _proxy_units(user)
    unit = _unit_param(request, units)
    if unit is None:
        choices = list(units.order_by("path")[:300])
        if not choices:
            raise PermissionDenied
        if len(choices) > 1:
            return render(request, "health/checkins/proxy_choose.html", {"units": choices})
        unit = choices[0]
    today = timezone.localdate()
    day = _parse_day(request.POST.get("date") or request.GET.get("date")) or today
    try:
        checkins.check_date(day)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('health:proxy')}?unit={unit.pk}")
    show = request.GET.get("show") or request.POST.get("show") or "all"
    show = show if show in PROXY_SHOW else "all"
    people_qs = selectors.proxy_people(viewer=user, unit=unit)
    if show == "missing":
        people_qs = people_qs.exclude(pk__in=CheckIn.objects.filter(date=day).values("person_id"))
    elif show == "no_account":
        people_qs = people_qs.filter(user__isnull=True)
    page = paginate(request, people_qs, per_page=PROXY_PAGE) if request.method == "GET" else None
    if request.method == "POST":
        # The rows that were on the page posted (their ids), still inside the viewer's scope; a client
        # that posts readings without the list gets the people it named, and "all normal" the first page.
        posted = {int(v) for v in request.POST.getlist("people") if v.isdigit()}
        if not posted:
            posted = {int(k[2:]) for k in request.POST if k[:2] in ("t_", "m_") and k[2:].isdigit()}
            if "all_normal" in request.POST:
                posted |= set(people_qs.values_list("pk", flat=True)[:PROXY_PAGE])
        people = list(people_qs.filter(pk__in=posted))
    else:
        people = list(page.object_list) if page is not None else []
    existing = {c.person_id: c for c in CheckIn.objects.filter(person__in=people, date=day)}
    verdicts = work_verdicts([p.pk for p in people], day)
    refused = collection_refusals([p.pk for p in people], day, checkins.CHECKIN_DATA_CATEGORIES)
    may_read_reasons = {p.pk: can(user, Action.UNMASK, "status.personstatus", p.unit) for p in people}
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    modes: dict[str, str] = {}
    if request.method == "POST":
        all_normal = "all_normal" in request.POST
        normal = str(checkins.DEFAULT_NORMAL_TEMPERATURE)
        entries = []
        skipped = []
        for person in people:
            verdict = verdicts.get(person.pk)
            raw = (request.POST.get(f"t_{person.pk}") or "").strip()
            default_mode = verdict.mode if verdict is not None and verdict.mode else WorkMode.ON_SITE
            mode = request.POST.get(f"m_{person.pk}") or default_mode
            values[str(person.pk)], modes[str(person.pk)] = raw, mode
            if not raw and all_normal and person.pk in refused:
                continue  # no consent: nothing may be recorded for them (the row says why)
            if not raw and all_normal and person.pk not in existing:
                if verdict is not None and not verdict.may_work:
                    skipped.append(person)  # not measured at the door: they may not come to work
                    continue
                raw = normal
            if raw:
                entries.append(checkins.ProxyEntry(person=person, temperature=raw, work_mode=mode))
        try:
            saved = checkins.checkin_proxy_submit(actor=user, entries=entries, date=day)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("%(count)s check-ins saved for %(date)s.") % {"count": len(saved), "date": day})
            if skipped:
                messages.warning(
                    request,
                    ngettext(
                        "Not entered as normal: %(count)d person who may not come to work today (%(names)s).",
                        "Not entered as normal: %(count)d people who may not come to work today (%(names)s).",
                        len(skipped),
                    )
                    % {"count": len(skipped), "names": "、".join(p.name for p in skipped[:20])},
                )
            return redirect(
                f"{reverse('health:proxy')}?unit={unit.pk}&date={day}&show={show}"
                + (f"&page={request.POST.get('page')}" if request.POST.get("page", "").isdigit() else "")
            )
    rows = []
    shown_reasons = []
    for person in people:
        current = existing.get(person.pk)
        verdict = verdicts.get(person.pk)
        reason = verdict.reason if verdict is not None and may_read_reasons[person.pk] else ""
        if reason:
            shown_reasons.append(person.pk)
        rows.append(
            {
                "person": person,
                "checkin": current,
                "verdict": verdict,
                "reason": reason,
                "value": values.get(str(person.pk), str(current.temperature) if current else ""),
                "mode": modes.get(
                    str(person.pk),
                    current.work_mode if current else (verdict.mode if verdict and verdict.mode else WorkMode.ON_SITE),
                ),
                "modes": work_mode_choices(verdict),
                "errors": errors.get(str(person.pk), []),
                "refusal": refused.get(person.pk),
            }
        )
    if shown_reasons:
        record_event(
            kind=AuditKind.SENSITIVE_READ,
            actor=user,
            unit=unit,
            object_repr=_("Health status reasons"),
            what="status_reason",
            where="morning_check",
            people=shown_reasons[:500],
            count=len(shown_reasons),
        )
    context = {
        "unit": unit,
        "units": units.order_by("path")[:300],
        "day": day,
        "today": today,
        "rows": rows,
        "page": page,
        "show": show,
        "has_errors": bool(errors),
        "done": CheckIn.objects.filter(date=day, person__in=selectors.proxy_people(viewer=user, unit=unit)).count(),
        "total": selectors.proxy_people(viewer=user, unit=unit).count(),
        "normal": checkins.DEFAULT_NORMAL_TEMPERATURE,
        "not_at_work": sum(1 for r in rows if r["verdict"] is not None and not r["verdict"].may_work),
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
    """Who has not checked in: tap to call, "remind these people now" (POST), the list to copy into
    the chat group, each unit with its liaison. Pages of 50; nothing is capped."""
    if not has_any(request.user, "health.checkin", Action.VIEW):
        raise PermissionDenied
    form, day, unit = _scope_form(request, CheckIn)
    if request.method == "POST":
        return _non_reporters_remind(request, day, unit)
    context = _non_reporters_context(request, form, day, unit)
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
    rows = [{"checkin": c, "reasons": checkins.reason_labels(c.flag_reasons)} for c in page]
    return render(
        request, "health/checkins/flagged.html", {"form": form, "day": day, "unit": unit, "page": page, "rows": rows}
    )


# --- the non-reporter list's helpers (tap to call, remind, copy, liaisons) -------------------------


def _non_reporters_remind(request: HttpRequest, day: datetime.date, unit: Unit | None) -> HttpResponse:
    """ "Remind these people now": everyone on the list, or the ticked ones."""
    back = f"{reverse('health:non-reporters')}?{query_without_page(request)}"
    person_ids = None
    if request.POST.get("scope") == "selected":
        person_ids = [int(v) for v in request.POST.getlist("person") if v.isdigit()]
        if not person_ids:
            messages.error(request, _("Tick the people to remind first, or remind everyone on the list."))
            return redirect(back)
    try:
        result = reminders.non_reporters_remind(actor=request.user, date=day, unit=unit, person_ids=person_ids)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _remind_summary(result))
    return redirect(back)


def _remind_summary(result: reminders.RemindResult) -> str:
    parts = [
        ngettext("Reminded %(count)d person.", "Reminded %(count)d people.", result.people) % {"count": result.people},
        ngettext("%(count)d inbox message sent.", "%(count)d inbox messages sent.", result.messages)
        % {"count": result.messages},
    ]
    if result.without_account:
        parts.append(
            ngettext(
                "%(count)d person has no account and got no message: call them.",
                "%(count)d people have no account and got no message: call them.",
                result.without_account,
            )
            % {"count": result.without_account}
        )
    if result.chat_groups:
        parts.append(_("Chat groups: %(groups)s.") % {"groups": "、".join(result.chat_groups)})
        if result.mentioned:
            parts.append(
                ngettext("%(count)d person @-mentioned.", "%(count)d people @-mentioned.", result.mentioned)
                % {"count": result.mentioned}
            )
    for unit_name, next_at in result.skipped.items():
        parts.append(
            _("%(unit)s was reminded less than 10 minutes ago and was left out; next possible at %(time)s.")
            % {"unit": unit_name, "time": timezone.localtime(next_at).strftime("%H:%M")}
        )
    return " ".join(parts)


def _liaison_contacts(user, units: list[Unit]) -> dict[int, dict[str, Any]]:
    """unit id → the liaison to call about it: the unit's own, else the nearest unit above it that
    names one (a site rarely has its own), among the units the viewer may see. The phone in full,
    with a tel: link, only for a viewer who may unmask people there (the unit page's rule)."""
    step = Unit.steplen
    paths = {u.path[:end] for u in units for end in range(step, len(u.path) + 1, step)}
    named = {u.path: u for u in Unit.objects.restrict(user, Action.VIEW).filter(path__in=paths).exclude(liaison="")}
    out: dict[int, dict[str, Any]] = {}
    for unit in units:
        for end in range(len(unit.path), 0, -step):
            source = named.get(unit.path[:end])
            if source is not None:
                full = can(user, Action.UNMASK, Person, source)
                out[unit.pk] = {
                    "name": source.liaison,
                    "unit": source if source.pk != unit.pk else None,
                    "phone": source.liaison_phone if full else mask_phone(source.liaison_phone),
                    "tel": full and bool(source.liaison_phone),
                }
                break
    return out


def _non_reporters_context(request: HttpRequest, form: DateUnitForm, day: datetime.date, unit: Unit | None) -> dict:
    user = request.user
    now = timezone.now()
    listed = selectors.non_reporters(viewer=user, date=day, unit=unit)
    page = paginate(request, listed.select_related("user"))
    people = list(page)
    phones = reminders.non_reporter_phones_reveal(actor=user, people=people, date=day, unit=unit)

    # The whole list in one narrow query: counts per unit, the text to copy, who has an inbox.
    everyone = list(listed.values_list("name", "unit_id", "user__is_active"))
    names_by_unit: dict[int, list[str]] = {}
    for name, unit_id, _active in everyone:
        names_by_unit.setdefault(unit_id, []).append(name)
    units = {u.pk: u for u in Unit.objects.filter(pk__in=list(names_by_unit)).order_by("path")}
    liaisons = _liaison_contacts(user, list(units.values()))
    robots = notify_selectors.robots_covering(units.values())
    recent = notify_selectors.recent_unit_reminders(viewer=user, unit_ids=units, now=now)

    groups: list[dict[str, Any]] = []
    for person in people:
        if not groups or groups[-1]["unit"].pk != person.unit_id:
            groups.append(
                {
                    "unit": person.unit,
                    "count": len(names_by_unit.get(person.unit_id, [])),
                    "liaison": liaisons.get(person.unit_id),
                    "reminded": recent.get(person.unit_id),
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(
            {
                "person": person,
                "phone": phones.get(person.pk) or mask_phone(person.phone),
                "tel": person.pk in phones,
                "has_account": bool(person.user_id and person.user.is_active),
            }
        )
    for group in groups:
        reminded = group["reminded"]
        group["next_at"] = reminded.sent_at + notify_selectors.UNIT_REMINDER_INTERVAL if reminded else None

    # When every unit on the list was reminded in the last ten minutes, the button waits until the first is free.
    blocked_until = (
        min(r.sent_at for r in recent.values()) + notify_selectors.UNIT_REMINDER_INTERVAL
        if units and len(recent) == len(units)
        else None
    )
    mentions = GroupSettings.load().robot_mentions
    chat_groups: dict[int, dict[str, Any]] = {}
    for found in robots.values():
        for robot in found:
            chat_groups[robot.pk] = {
                "name": robot.name,
                "kind": robot.get_kind_display(),
                "mentions": mentions and notify_robots.supports_mentions(robot.kind),
            }
    today = timezone.localdate()
    return {
        "form": form,
        "day": day,
        "unit": unit,
        "page": page,
        "groups": groups,
        "rows": [row for group in groups for row in group["rows"]],
        "count": page.paginator.count,
        "as_of": now,
        "query": query_without_page(request),
        "with_account": sum(1 for _name, _unit, active in everyone if active),
        "chat_groups": list(chat_groups.values()),
        "can_remind": day == today and has_any(user, "health.checkin", Action.ADD),
        "blocked_until": blocked_until,
        "is_today": day == today,
        "copy_text": reminders.chat_group_list_text(
            date=day, as_of=now, groups=[(u.name, names_by_unit[pk]) for pk, u in units.items()]
        )
        if everyone
        else "",
    }
