"""Pages of retention and purge (保存期限与清除) and of the stand-down (应急结束), for the group office.

Thin: parse, check the office's right on the group, call a service, render.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_bytes, xlsx_response
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.privacy import gate, selectors, services
from lianfang.privacy.models import EmergencyPeriod, PrivacySettings, PurgeReceipt, RetentionPolicy, StandDown


def _office(request: HttpRequest, model, action: str = Action.VIEW) -> None:
    if not selectors.is_office(request.user, model, action):
        raise PermissionDenied


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 6 else None


@login_required
def retention(request: HttpRequest) -> HttpResponse:
    """Retention per category (with its floor and ceiling) and the stand-down's grace period."""
    _office(request, RetentionPolicy)
    if request.method == "POST":
        _office(request, RetentionPolicy, Action.CHANGE)
        try:
            if "standdown_grace_days" in request.POST:
                days = _int(request.POST.get("standdown_grace_days"))
                if days is None:
                    raise ValidationError(_("Enter the grace period as a whole number of days."))
                services.privacy_settings_update(actor=request.user, standdown_grace_days=days)
                messages.success(request, _("The grace period is saved."))
            else:
                days = _int(request.POST.get("days"))
                if days is None:
                    raise ValidationError(_("Enter the retention as a whole number of days."))
                row = services.retention_set(actor=request.user, category=request.POST.get("category", ""), days=days)
                messages.success(
                    request,
                    _("%(category)s: kept for %(days)s days.")
                    % {"category": gate.category_label(row.category), "days": row.days},
                )
        except ValidationError as exc:
            _flash(request, exc)
        return redirect("privacy:retention")
    context = {
        "rows": selectors.retention_rows(viewer=request.user),
        "settings": PrivacySettings.load(),
        "can_change": selectors.is_office(request.user, RetentionPolicy, Action.CHANGE),
        "can_run": selectors.is_office(request.user, PurgeReceipt, Action.ADD),
        "last": selectors.purge_receipts(viewer=request.user).filter(dry_run=False).first(),
    }
    return render(request, "privacy/retention.html", context)


@require_POST
@login_required
def purge_dry_run(request: HttpRequest) -> HttpResponse:
    """What the nightly purge would delete now: a dry run, with its receipt."""
    _office(request, PurgeReceipt, Action.ADD)
    try:
        receipt = services.purge_run(actor=request.user, dry_run=True)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("privacy:retention")
    messages.success(request, _("Dry run done: nothing was deleted. This is what the purge would delete."))
    return redirect("privacy:receipt", pk=receipt.pk)


@login_required
def receipt_list(request: HttpRequest) -> HttpResponse:
    _office(request, PurgeReceipt)
    receipts = selectors.purge_receipts(viewer=request.user)
    if request.GET.get("format") == "xlsx":
        _office(request, PurgeReceipt, Action.EXPORT)
        chosen = list(receipts[:5000])
        record_event(
            kind=AuditKind.EXPORT,
            actor=request.user,
            object_repr=_("Purge receipts"),
            what="purge_receipts",
            rows=len(chosen),
        )
        sheet = Sheet(
            title=str(_("Purge receipts")),
            headers=selectors.receipt_sheet_headers(),
            rows=selectors.receipt_sheet_rows(chosen),
        )
        stamp = timezone.localdate().isoformat()
        return xlsx_response(xlsx_bytes([sheet]), file_name=f"purge-receipts-{stamp}.xlsx")
    context = {
        "receipts": receipts[:200],
        "can_export": selectors.is_office(request.user, PurgeReceipt, Action.EXPORT),
    }
    return render(request, "privacy/receipts.html", context)


@login_required
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, PurgeReceipt)
    receipt = get_object_or_404(selectors.purge_receipts(viewer=request.user), pk=pk)
    categories = [
        {"key": key, "label": gate.category_label(key), **row, "rows": sorted(row.get("rows", {}).items())}
        for key, row in receipt.categories.items()
    ]
    return render(request, "privacy/receipt.html", {"receipt": receipt, "categories": categories})


@require_POST
@login_required
def stand_down_propose(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, StandDown, Action.ADD)
    period = get_object_or_404(EmergencyPeriod, pk=pk)
    ends_on = None
    raw = (request.POST.get("ends_on") or "").strip()
    try:
        if raw:
            try:
                ends_on = datetime.date.fromisoformat(raw)
            except ValueError as exc:
                raise ValidationError(_("Enter the date the outbreak is over as YYYY-MM-DD.")) from exc
        services.stand_down_propose(
            actor=request.user, period=period, ends_on=ends_on, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(
            request,
            _("The stand-down is proposed. A second office administrator must confirm it; until then nothing changes."),
        )
    return redirect("privacy:emergencies")


@require_POST
@login_required
def stand_down_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, StandDown, Action.CHANGE)
    stand_down = get_object_or_404(StandDown, pk=pk)
    if (
        request.POST.get("confirm") != "1"
        and stand_down.proposed_by_id != request.user.pk
        and not stand_down.is_confirmed
    ):
        # Check-ins end and a purge is scheduled: say so once more before it is done (the proposer and a
        # second click go straight to the service, which says why it refuses).
        return redirect(f"{reverse('privacy:emergencies')}?confirm={stand_down.pk}#stand-down-confirm")
    try:
        stand_down = services.stand_down_confirm(actor=request.user, stand_down=stand_down)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(
            request,
            _(
                "The outbreak is declared over: check-ins have ended, and its personal health data will be "
                "purged on %(date)s."
            )
            % {"date": date_format(stand_down.purge_on, "Y-m-d")},
        )
    return redirect("privacy:emergencies")


@require_POST
@login_required
def stand_down_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request, StandDown, Action.CHANGE)
    stand_down = get_object_or_404(StandDown, pk=pk)
    try:
        services.stand_down_cancel(actor=request.user, stand_down=stand_down)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("The proposed stand-down is withdrawn."))
    return redirect("privacy:emergencies")
