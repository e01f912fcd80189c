"""Pages of the privacy app: the office's notice, legal bases, emergencies, consent register and
chain check; the liaison's paper consent; the employee's notice step, consents and "My data".

Thin: parse with a form, read through selectors (restricted), call a service, render.
"""

from __future__ import annotations

import datetime
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_bytes, xlsx_response
from lianfang.core.extensions import join_words
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.views import paginate
from lianfang.org.scoping import has_any, units_where
from lianfang.privacy import gate, selectors, services
from lianfang.privacy.choices import CHECKIN_CATEGORIES
from lianfang.privacy.forms import BasisForm, ConsentStepForm, EmergencyForm, NoticeForm, PaperConsentForm
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod, LegalBasis, PrivacyNotice


def _office(request: HttpRequest, model=PrivacyNotice, action: str = Action.VIEW) -> None:
    if not selectors.is_office(request.user, model, action):
        raise PermissionDenied


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


# --- the office: notices ---------------------------------------------------------------------------


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    can_add = selectors.is_office(request.user, PrivacyNotice, Action.ADD)
    form = NoticeForm(request.POST or None)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                notice = services.notice_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Version %(version)s saved as a draft.") % {"version": notice.version})
                return redirect("privacy:notices")
    notices = list(selectors.notice_list(viewer=request.user))
    current = selectors.current_notice()
    context = {"notices": notices, "current": current, "form": form, "can_add": can_add, "language": get_language()}
    return render(request, "privacy/notices.html", context)


@require_POST
@login_required
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    notice = get_object_or_404(PrivacyNotice, pk=pk)
    _office(request, PrivacyNotice, Action.CHANGE)
    try:
        services.notice_publish(actor=request.user, notice=notice)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Version %(version)s is published.") % {"version": notice.version})
    return redirect("privacy:notices")


# --- the office: legal bases and emergencies --------------------------------------------------------------


@login_required
def basis_list(request: HttpRequest) -> HttpResponse:
    _office(request, LegalBasis)
    if request.method == "POST":
        _office(request, LegalBasis, Action.CHANGE)
        form = BasisForm(request.POST)
        if form.is_valid():
            try:
                services.legal_basis_set(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for message in _errors(exc):
                    messages.error(request, message)
            else:
                messages.success(request, _("The legal basis is saved."))
        return redirect("privacy:bases")
    context = {
        "rows": selectors.bases(viewer=request.user),
        "open_period": EmergencyPeriod.objects.filter(is_open=True).first(),
        "basis_choices": BasisForm.base_fields["basis"].choices,
    }
    return render(request, "privacy/bases.html", context)


@login_required
def emergency_list(request: HttpRequest) -> HttpResponse:
    _office(request, EmergencyPeriod)
    form = EmergencyForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST":
        _office(request, EmergencyPeriod, Action.ADD)
        if form.is_valid():
            try:
                services.emergency_open(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The emergency period is open."))
                return redirect("privacy:emergencies")
    from lianfang.privacy.models import PrivacySettings

    # The stand-down (应急结束) of each period: proposed by one administrator, confirmed by another.
    by_period = {s.period_id: s for s in selectors.stand_downs(viewer=request.user)}
    periods = list(selectors.emergency_list(viewer=request.user))
    for period in periods:
        period.stand_down_row = by_period.get(period.pk)
    confirm = request.GET.get("confirm") or ""
    confirming = next(
        (
            s
            for s in by_period.values()
            if str(s.pk) == confirm and not s.is_confirmed and s.proposed_by_id != request.user.pk
        ),
        None,
    )
    context = {
        "confirming": confirming,
        "periods": periods,
        "form": form,
        "grace_days": PrivacySettings.load().standdown_grace_days,
        "today": timezone.localdate(),
    }
    return render(request, "privacy/emergencies.html", context)


@require_POST
@login_required
def emergency_close(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, EmergencyPeriod, Action.CHANGE)
    period = get_object_or_404(EmergencyPeriod, pk=pk)
    try:
        services.emergency_close(actor=request.user, period=period)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The emergency period is closed: consent is needed again where it was the basis."))
    return redirect("privacy:emergencies")


# --- the consent register (office, liaisons) --------------------------------------------------------------


@login_required
def register(request: HttpRequest) -> HttpResponse:
    if not selectors.may_see_register(request.user):
        raise PermissionDenied
    units = units_where(request.user, ConsentRecord, Action.VIEW).order_by("path")
    unit = None
    if (request.GET.get("unit") or "").isdigit():
        unit = get_object_or_404(units, pk=int(request.GET["unit"]))
    status = request.GET.get("status") or ""
    status = status if status in ("valid", "missing", "withdrawn") else ""
    rows, totals = selectors.consent_register(viewer=request.user, unit=unit, status=status)
    withdrawals = (
        list(selectors.unreviewed_withdrawals(viewer=request.user)[:200])
        if selectors.is_office(request.user, ConsentRecord, Action.CHANGE)
        else []
    )
    for record in withdrawals:
        record.category_label = gate.category_label(record.category)
    unit_list = list(units[:300])
    labels = selectors.unit_labels(unit_list)
    page = paginate(request, rows, per_page=100)
    category_labels = {c: gate.category_label(c) for c in CHECKIN_CATEGORIES}
    for row in page:
        row["cells"] = [(category_labels[c], value) for c, value in row["categories"].items()]
    context = {
        "page": page,
        "total": len(rows),
        "totals": totals,
        "units": [(u.pk, labels.get(u.pk, u.name)) for u in unit_list],
        "unit": unit,
        "status": status,
        "categories": [(c, gate.category_label(c)) for c in CHECKIN_CATEGORIES],
        "withdrawals": withdrawals,
        "can_attest": has_any(request.user, "privacy.consentrecord", Action.ADD),
        "notice": selectors.current_notice(),
        # The office's tabs (notice, bases, retention…) only for the office; a liaison sees the register alone.
        "privacy_office": selectors.is_office(request.user, action=Action.VIEW),
    }
    return render(request, "privacy/register.html", context)


@require_POST
@login_required
def withdrawal_review(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, ConsentRecord, Action.CHANGE)
    record = get_object_or_404(selectors.consent_records(viewer=request.user), pk=pk)
    try:
        services.withdrawal_review(actor=request.user, record=record, note=request.POST.get("note", ""))
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("The withdrawal is marked as reviewed."))
    return redirect(reverse("privacy:register") + "?status=withdrawn")


@login_required
def paper_consent(request: HttpRequest) -> HttpResponse:
    """A liaison records consent signed on paper by someone without a phone, attested by themselves."""
    if not has_any(request.user, "privacy.consentrecord", Action.ADD):
        raise PermissionDenied
    form = PaperConsentForm(request.POST or None, request.FILES or None, viewer=request.user)
    notice = selectors.current_notice()
    if request.method == "POST" and form.is_valid():
        try:
            records = services.consent_attest_paper(
                actor=request.user,
                person=form.cleaned_data["person"],
                signed_on=form.cleaned_data["signed_on"],
                categories=form.categories(),
                scan=form.cleaned_data.get("scan"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errs in exc.message_dict.items():
                    for message in errs:
                        form.add_error(key if key in form.fields else None, message)
            else:
                form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Paper consent of %(name)s recorded, attested by you.") % {"name": records[0].person.name},
            )
            return redirect("privacy:paper")
    return render(request, "privacy/paper.html", {"form": form, "notice": notice, "language": get_language()})


@login_required
def chain(request: HttpRequest) -> HttpResponse:
    _office(request, ConsentRecord)
    result = services.consent_chain_verify()
    return render(request, "privacy/chain.html", {"result": result})


# --- the employee: the notice step, my consents, my data ----------------------------------------------


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("health:checkin")


@login_required
def notice_step(request: HttpRequest) -> HttpResponse:
    """Read the notice and give separate consent (or, under the emergency basis, read it once)."""
    person = selectors.own_person(viewer=request.user)
    if person is None:
        raise Http404
    notice = selectors.current_notice()
    if notice is None:
        return redirect(_next(request))
    today = timezone.localdate()
    step = gate.notice_step(person.pk, today, CHECKIN_CATEGORIES)
    # What the person already consented to for this notice: shown ticked with its day, not asked again.
    state = selectors.own_state(person)
    latest = gate.latest_records([person.pk], list(CHECKIN_CATEGORIES))
    given = {
        c: timezone.localdate(latest[(person.pk, c)][2])
        for c in CHECKIN_CATEGORIES
        if state.get(c) == "valid" and (person.pk, c) in latest
    }
    form = ConsentStepForm(request.POST or None, given=given)
    if request.method == "POST":
        try:
            if step == "notice" and "acknowledge" in request.POST:
                services.notice_acknowledge(actor=request.user, person=person)
                return redirect(_next(request))
            if form.is_valid():
                services.consent_give(actor=request.user, person=person, notice=notice, categories=form.categories())
                if gate.notice_step(person.pk, today, CHECKIN_CATEGORIES) is None:
                    messages.success(request, _("Thank you: your consent is recorded."))
                    return redirect(_next(request))
                messages.warning(request, _("Your consent is recorded, but the check-in needs the other consent too."))
                return redirect(f"{reverse('privacy:notice-step')}?next={_next(request)}")
        except ValidationError as exc:
            form.add_error(None, exc)
    context = {
        "notice": notice,
        "title": notice.title_in(get_language()),
        "body": notice.body_in(get_language()),
        "step": step,
        "form": form,
        "next": _next(request),
        "refusal": gate.collection_refusals([person.pk], today, CHECKIN_CATEGORIES).get(person.pk),
        "all_given": len(given) == len(CHECKIN_CATEGORIES),
        "given_on": max(given.values()) if given else None,
    }
    return render(request, "privacy/notice_step.html", context)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    person = selectors.own_person(viewer=request.user)
    if person is None:
        raise Http404
    if request.method == "POST":
        category = request.POST.get("category") or ""
        categories = [category] if category in CHECKIN_CATEGORIES else list(CHECKIN_CATEGORIES)
        if request.POST.get("confirm") != "1":
            # A withdrawal closes the check-in: say so and ask once more before recording it.
            return redirect(f"{reverse('privacy:mine')}?confirm={category or 'all'}#withdraw-confirm")
        try:
            services.consent_withdraw(actor=request.user, person=person, categories=categories)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Your withdrawal is recorded; your liaison has been told."))
        return redirect("privacy:mine")
    state = selectors.own_state(person)
    records = list(selectors.own_consents(viewer=request.user)[:200])
    for record in records:
        record.category_label = gate.category_label(record.category)
    # ?confirm=<category> (or "all"): the withdrawal waiting for its second click.
    confirm = request.GET.get("confirm") or ""
    asked = list(CHECKIN_CATEGORIES) if confirm == "all" else [confirm] if confirm in CHECKIN_CATEGORIES else []
    asked = [c for c in asked if state.get(c) == "valid"]
    context = {
        "person": person,
        "records": records,
        "states": [(c, gate.category_label(c), state[c]) for c in CHECKIN_CATEGORIES],
        "notice": selectors.current_notice(),
        "confirming": (confirm if asked else ""),
        "confirming_label": join_words(gate.category_label(c) for c in asked),
    }
    return render(request, "privacy/mine.html", context)


def _cell(value) -> str:
    """A value of "My data" as the page shows it: ISO dates, 是/否, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value) if timezone.is_aware(value) else value, "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Art. 45: everything Lianfang holds about the signed-in person, and a download of it."""
    person, sections = selectors.my_data(viewer=request.user)
    if person is None:
        raise Http404
    fmt = request.GET.get("format")
    if fmt in ("json", "xlsx"):
        record_event(
            kind=AuditKind.EXPORT,
            actor=request.user,
            unit=person.unit,
            object_repr=_("My data"),
            what="personal_data",
            format=fmt,
            person=person.pk,
            sections=[s.key for s in sections],
        )
        stamp = timezone.localdate().isoformat()
        if fmt == "xlsx":
            sheets = [Sheet(title=s.title, headers=[str(h) for h in s.headers], rows=s.rows) for s in sections]
            return xlsx_response(xlsx_bytes(sheets), file_name=f"my-data-{stamp}.xlsx")
        payload = {
            "person": {"name": person.name, "employee_no": person.employee_no, "unit": person.unit.name},
            "generated": timezone.localtime().isoformat(),
            "sections": [
                {
                    "key": s.key,
                    "title": str(s.title),
                    "rows": [
                        {str(h): selectors.plain(v) for h, v in zip(s.headers, row, strict=False)} for row in s.rows
                    ],
                }
                for s in sections
            ],
        }
        response = HttpResponse(
            json.dumps(payload, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
        response["Cache-Control"] = "no-store"
        return response
    shown = [
        {"key": s.key, "title": s.title, "headers": s.headers, "rows": [[_cell(v) for v in row] for row in s.rows]}
        for s in sections
    ]
    response = render(request, "privacy/my_data.html", {"person": person, "sections": shown})
    response["Cache-Control"] = "no-store"
    return response
