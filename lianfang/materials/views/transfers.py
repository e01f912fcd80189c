"""Pages of requests, offers, transfers (调拨单), what is in transit, the flows between units and
group rebalancing proposals.

Thin: parse, check, call a service or selector, render. Objects are looked up through restricted
querysets, so another unit's transfer answers 404; a visible one the user may not act on answers
403 with the service's reason on the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate, wants_partial
from lianfang.materials.choices import OfferStatus, ProposalStatus, RequestStatus, TransferStatus
from lianfang.materials.exports import transfers_export_response
from lianfang.materials.forms.transfers import (
    FlowFilterForm,
    MatchForm,
    OfferForm,
    PledgeForm,
    ProposalForm,
    ReasonForm,
    ReceiveForm,
    RequestFilterForm,
    RequestForm,
    ShipForm,
    TransferFilterForm,
    TransferForm,
    flow_period,
)
from lianfang.materials.models import Item, MaterialRequest, Offer, RebalanceProposal, Transfer
from lianfang.materials.rebalance import FRONT_LINE_WEIGHT
from lianfang.materials.selectors import transfers as selectors
from lianfang.materials.services import rebalancing as rebalance_services
from lianfang.materials.services import transfers as services
from lianfang.org.models import Unit
from lianfang.org.scoping import can, has_any, units_where

REQUEST, OFFER, TRANSFER, PROPOSAL = (
    "materials.materialrequest",
    "materials.offer",
    "materials.transfer",
    "materials.rebalanceproposal",
)
CSS = "css/materials-transfers.css"


def _need(user, label: str, action: str = Action.VIEW) -> None:
    if not has_any(user, label, action):
        raise PermissionDenied


# --- requests -----------------------------------------------------------------------------------


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, REQUEST)
    form = RequestFilterForm(request.GET)
    status = form.cleaned_data.get("status") if form.is_valid() else None
    page = paginate(request, selectors.request_list(viewer=user, status=status or None))
    context = {"form": form, "page": page, "can_add": has_any(user, REQUEST, Action.ADD)}
    template = (
        "materials/transfers/request_list_table.html"
        if wants_partial(request)
        else "materials/transfers/request_list.html"
    )
    return render(request, template, context)


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, REQUEST, Action.ADD)
    form = RequestForm(request.POST or None, units=units_where(user, MaterialRequest, Action.ADD))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_create(actor=user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The request was sent to the group prevention office."))
            return redirect("materials:request-detail", created.pk)
    return render(request, "materials/transfers/request_form.html", {"form": form})


def _match_form(user, req: MaterialRequest, data=None) -> MatchForm:
    offers = selectors.offer_list(viewer=user).filter(item=req.item).exclude(unit=req.unit)
    donors = selectors.request_donors(viewer=user, request=req, action=Action.APPROVE)
    return MatchForm(data, offers=offers, donors=donors, item=req.item)


def _pledge_form(user, req: MaterialRequest, data=None) -> PledgeForm:
    donors = selectors.request_donors(viewer=user, request=req, action=Action.ADD)
    return PledgeForm(data, donors=donors, item=req.item)


def _request_context(user, req: MaterialRequest, **forms: Any) -> dict[str, Any]:
    may_match = services.is_office_for(user, req.unit) and req.status not in (
        RequestStatus.CANCELLED,
        RequestStatus.COVERED,
    )
    pledge_units = units_where(user, Transfer, Action.ADD).exclude(pk=req.unit_id)
    may_pledge = may_match or (
        req.status not in (RequestStatus.CANCELLED, RequestStatus.COVERED) and pledge_units.exists()
    )
    own = req.created_by_id == user.pk and can(user, Action.ADD, MaterialRequest, req.unit)
    match_form = (forms.get("match_form") or _match_form(user, req)) if may_match else None
    pledge_form = (forms.get("pledge_form") or _pledge_form(user, req)) if may_pledge and not may_match else None
    donor_field = (match_form or pledge_form).fields["from_unit"] if (match_form or pledge_form) else None
    donors = list(donor_field.donors.values()) if donor_field is not None else []
    return {
        "req": req,
        "transfers": req.transfers.select_related("from_unit", "to_unit").order_by("-created"),
        "outstanding": services.request_outstanding(req),
        "covered": services.request_covered(req),
        "may_match": may_match,
        "may_pledge": may_pledge and not may_match,
        "may_cancel": req.status in (RequestStatus.OPEN, RequestStatus.PARTLY)
        and (own or can(user, Action.CHANGE, MaterialRequest, req.unit)),
        "match_form": match_form,
        "pledge_form": pledge_form,
        # The candidates behind the form's choice, as a table: stock, days of supply, what each can give;
        # those that can give nothing without going below their own target are folded away.
        "donors": donors,
        "givers": [d for d in donors if d.surplus > 0],
        "keepers": [d for d in donors if d.surplus <= 0],
        "history": change_history(user, req),
        "error": forms.get("error"),
    }


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    req = get_object_or_404(selectors.request_list(viewer=user), pk=pk)
    return render(request, "materials/transfers/request_detail.html", _request_context(user, req))


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """match / pledge / cancel on a request the user can see."""
    user = request.user
    req = get_object_or_404(selectors.request_list(viewer=user), pk=pk)
    forms: dict[str, Any] = {}
    try:
        if action == "match":
            form = forms["match_form"] = _match_form(user, req, request.POST)
            if not services.is_office_for(user, req.unit):
                raise PermissionDenied(_("Only the group prevention office can match requests."))
            if form.is_valid():
                d = form.cleaned_data
                transfer = services.request_match(
                    actor=user,
                    request=req,
                    offer=d["offer"],
                    from_unit=d["from_unit"],
                    quantity=d["quantity"],
                    approve=d["approve"],
                )
                messages.success(request, _("Transfer %(number)s was created.") % {"number": transfer.number})
                return redirect("materials:transfer-detail", transfer.pk)
        elif action == "pledge":
            form = forms["pledge_form"] = _pledge_form(user, req, request.POST)
            if not has_any(user, TRANSFER, Action.ADD):
                raise PermissionDenied(_("Only a materials keeper or the office can pledge materials."))
            if form.is_valid():
                d = form.cleaned_data
                transfer = services.request_pledge(
                    actor=user, request=req, from_unit=d["from_unit"], quantity=d["quantity"], note=d["note"]
                )
                messages.success(
                    request,
                    _("Transfer %(number)s was proposed; the office approves it.") % {"number": transfer.number},
                )
                return redirect("materials:transfer-detail", transfer.pk)
        elif action == "cancel":
            services.request_cancel(actor=user, request=req)
            messages.success(request, _("The request was cancelled."))
            return redirect("materials:request-detail", req.pk)
        else:
            raise PermissionDenied
    except ValidationError as exc:
        target = forms.get("match_form") or forms.get("pledge_form")
        if target is not None:
            apply_service_errors(target, exc)
        else:
            forms["error"] = " ".join(exc.messages)
    except PermissionDenied as exc:
        forms["error"] = str(exc) or _("You may not do this.")
        return render(
            request, "materials/transfers/request_detail.html", _request_context(user, req, **forms), status=403
        )
    return render(request, "materials/transfers/request_detail.html", _request_context(user, req, **forms), status=400)


# --- offers -------------------------------------------------------------------------------------


@login_required
def offer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, OFFER)
    page = paginate(request, selectors.offer_list(viewer=user, status=request.GET.get("status") or None))
    for offer in page.object_list:
        offer.remaining = services.offer_remaining(offer) if offer.status == OfferStatus.OPEN else None
        own = offer.created_by_id == user.pk and can(user, Action.ADD, Offer, offer.unit)
        offer.may_withdraw = offer.status == OfferStatus.OPEN and (own or can(user, Action.CHANGE, Offer, offer.unit))
    context = {"page": page, "can_add": has_any(user, OFFER, Action.ADD), "statuses": OfferStatus.choices}
    return render(request, "materials/transfers/offer_list.html", context)


@login_required
def offer_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, OFFER, Action.ADD)
    form = OfferForm(request.POST or None, units=units_where(user, Offer, Action.ADD))
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_create(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The offer is open to other units."))
            return redirect("materials:offer-list")
    return render(request, "materials/transfers/offer_form.html", {"form": form})


@login_required
@require_POST
def offer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    offer = get_object_or_404(selectors.offer_list(viewer=user), pk=pk)
    try:
        services.offer_withdraw(actor=user, offer=offer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        return render(request, "materials/transfers/transfer_refused.html", {"message": str(exc)}, status=403)
    else:
        messages.success(request, _("The offer was withdrawn."))
    return redirect("materials:offer-list")


# --- transfers ----------------------------------------------------------------------------------


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, TRANSFER)
    form = TransferFilterForm(request.GET, units=Unit.objects.restrict(user, Action.VIEW))
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.transfer_list(
        viewer=user,
        status=data.get("status") or None,
        unit=data.get("unit"),
        in_transit=bool(data.get("in_transit")),
        waiting=data.get("waiting") or None,
    )
    context = {
        "form": form,
        "page": paginate(request, rows),
        "can_add": has_any(user, TRANSFER, Action.ADD),
        "can_export": has_any(user, TRANSFER, Action.EXPORT),
        "query": request.GET.urlencode(),
    }
    template = (
        "materials/transfers/transfer_list_table.html"
        if wants_partial(request)
        else "materials/transfers/transfer_list.html"
    )
    return render(request, template, context)


@login_required
def transfer_in_transit(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, TRANSFER)
    units = Unit.objects.restrict(user, Action.VIEW)
    form = TransferFilterForm(request.GET, units=units)
    unit = form.cleaned_data.get("unit") if form.is_valid() else None
    context = {
        "form": form,
        "rows": selectors.in_transit_lines(viewer=user, unit=unit),
        "totals": selectors.in_transit_by_unit(viewer=user, unit=unit),
        "unit": unit,
    }
    return render(request, "materials/transfers/transfer_in_transit.html", context)


@login_required
def transfer_create(request: HttpRequest) -> HttpResponse:
    """One unit sends to one or several units: one transfer note per receiving unit, all or none."""
    user = request.user
    _need(user, TRANSFER, Action.ADD)
    form = TransferForm(
        request.POST or None,
        from_units=units_where(user, Transfer, Action.ADD),
        to_units=Unit.objects.restrict(user, Action.VIEW),
        may_approve=has_any(user, TRANSFER, Action.APPROVE),
    )
    if request.method == "POST" and form.is_valid():
        receivers = form.receivers()
        if form.is_valid():
            d = form.cleaned_data
            try:
                created = services.transfer_distribute(
                    actor=user,
                    from_unit=d["from_unit"],
                    receivers=[
                        services.ReceiverInput(unit, [services.LineInput(item, qty) for item, qty in lines])
                        for unit, lines in receivers
                    ],
                    note=d["note"],
                    approve=bool(d.get("approve")),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                numbers = "、".join(t.number for t in created)
                if len(created) == 1:
                    messages.success(
                        request,
                        _("Transfer %(number)s was proposed; the office approves it.") % {"number": numbers}
                        if not d.get("approve")
                        else _("Transfer %(number)s was approved; the sending unit can ship it.") % {"number": numbers},
                    )
                    return redirect("materials:transfer-detail", created[0].pk)
                messages.success(
                    request,
                    ngettext(
                        "%(count)d transfer note was made, one per receiving unit: %(numbers)s.",
                        "%(count)d transfer notes were made, one per receiving unit: %(numbers)s.",
                        len(created),
                    )
                    % {"count": len(created), "numbers": numbers},
                )
                return redirect(reverse("materials:transfer-list") + f"?unit={d['from_unit'].pk}")
    return render(request, "materials/transfers/transfer_form.html", {"form": form})


def _transfer(user, pk: int) -> Transfer:
    transfer = selectors.transfer_get(viewer=user, pk=pk)
    if transfer is None:
        from django.http import Http404

        raise Http404
    return transfer


def _transfer_context(user, transfer: Transfer, **extra: Any) -> dict[str, Any]:
    lines = list(transfer.lines.all())
    status = transfer.status
    office = services.is_office_for(user, transfer.from_unit, transfer.to_unit)
    sender = can(user, Action.CHANGE, Transfer, transfer.from_unit)
    receiver = can(user, Action.CHANGE, Transfer, transfer.to_unit)
    own = transfer.created_by_id == user.pk
    unshipped = status in services.NOT_SHIPPED
    may_approve = status == TransferStatus.PROPOSED and office
    return {
        "transfer": transfer,
        "lines": lines,
        "receipts": transfer.receipts.all(),
        "may_approve": may_approve,
        # Shown before the office confirms: the sending unit does not have the stock for these lines.
        "shortages": selectors.sender_shortages(transfer) if may_approve else [],
        "may_ship": status == TransferStatus.APPROVED and sender,
        "may_receive": status in services.IN_TRANSIT and receiver,
        "may_reject": unshipped and (office or sender),
        "may_cancel": unshipped and (office or receiver or own),
        "ship_form": extra.get("ship_form") or ShipForm(lines=lines),
        "receive_form": extra.get("receive_form") or ReceiveForm(lines=lines, transfer=transfer),
        "reason_form": extra.get("reason_form") or ReasonForm(),
        "error": extra.get("error"),
        "history": change_history(user, transfer),
        "pdf": _weasyprint_available(),
    }


def _weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@login_required
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    transfer = _transfer(user, pk)
    return render(request, "materials/transfers/transfer_detail.html", _transfer_context(user, transfer))


@login_required
@require_POST
def transfer_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """approve / ship / receive / reject / cancel. Out of scope: 404; refused: 403 with the reason."""
    user = request.user
    transfer = _transfer(user, pk)
    lines = list(transfer.lines.all())
    extra: dict[str, Any] = {}
    try:
        if action == "approve":
            services.transfer_approve(
                actor=user, transfer=transfer, confirm_short=request.POST.get("confirm_short") in ("1", "on", "true")
            )
            messages.success(request, _("The transfer was approved; the sending unit can ship it."))
        elif action == "ship":
            form = extra["ship_form"] = ShipForm(request.POST, lines=lines)
            if not form.is_valid():
                return _rerender(request, user, transfer, extra, 400)
            services.transfer_ship(
                actor=user, transfer=transfer, quantities=form.quantities(), date=form.cleaned_data.get("date")
            )
            messages.success(request, _("The transfer was shipped; the stock has left the unit."))
        elif action == "receive":
            form = extra["receive_form"] = ReceiveForm(request.POST, lines=lines, transfer=transfer)
            if not form.is_valid():
                return _rerender(request, user, transfer, extra, 400)
            services.transfer_receive(
                actor=user,
                transfer=transfer,
                quantities=form.quantities(),
                date=form.cleaned_data.get("date"),
                note=form.cleaned_data.get("note", ""),
                finish=form.cleaned_data.get("finish", False),
                discrepancies=form.discrepancies(),
            )
            messages.success(request, _("The receipt was recorded."))
        elif action in ("reject", "cancel"):
            form = extra["reason_form"] = ReasonForm(request.POST)
            reason = request.POST.get("reason", "")
            if action == "reject":
                services.transfer_reject(actor=user, transfer=transfer, reason=reason)
                messages.success(request, _("The transfer was rejected."))
            else:
                services.transfer_cancel(actor=user, transfer=transfer, reason=reason)
                messages.success(request, _("The transfer was cancelled."))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        target = extra.get("ship_form") or extra.get("receive_form") or extra.get("reason_form")
        if target is not None:
            target.is_valid()
            apply_service_errors(target, exc)
        extra["error"] = " ".join(exc.messages)
        return _rerender(request, user, transfer, extra, 400)
    except PermissionDenied as exc:
        extra["error"] = str(exc) or _("You may not do this.")
        return _rerender(request, user, transfer, extra, 403)
    return redirect("materials:transfer-detail", transfer.pk)


def _rerender(request, user, transfer: Transfer, extra: dict[str, Any], status: int) -> HttpResponse:
    transfer = _transfer(user, transfer.pk)
    return render(
        request, "materials/transfers/transfer_detail.html", _transfer_context(user, transfer, **extra), status=status
    )


@login_required
def transfer_note(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable transfer note (调拨单)."""
    transfer = _transfer(request.user, pk)
    return render(request, "materials/transfers/transfer_note.html", _note_context(transfer))


def _note_context(transfer: Transfer, **extra: Any) -> dict[str, Any]:
    return {
        "transfer": transfer,
        "lines": list(transfer.lines.all()),
        "receipts": list(transfer.receipts.all()),
        **extra,
    }


@login_required
def transfer_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The transfer note as a PDF (WeasyPrint); the same page as the print view."""
    transfer = _transfer(request.user, pk)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "materials/transfers/transfer_note.html",
        _note_context(transfer, for_pdf=True),
        request=request,
    )
    content = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{transfer.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def transfer_export(request: HttpRequest) -> HttpResponse:
    """Transfers the user may export, one row per line, as .xlsx (audited)."""
    user = request.user
    _need(user, TRANSFER, Action.EXPORT)
    form = TransferFilterForm(request.GET, units=Unit.objects.restrict(user, Action.VIEW))
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.transfer_list(
        viewer=user,
        status=data.get("status") or None,
        unit=data.get("unit"),
        in_transit=bool(data.get("in_transit")),
        waiting=data.get("waiting") or None,
        action=Action.EXPORT,
    ).select_related("request")
    return transfers_export_response(actor=user, transfers=rows)


# --- flows between units ------------------------------------------------------------------------


@login_required
def flows(request: HttpRequest) -> HttpResponse:
    """What arrived between units over a period, as a flow chart with a table beside it."""
    user = request.user
    _need(user, TRANSFER)
    form = FlowFilterForm(request.GET or None, items=Item.objects.order_by("sort", "code"))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    start, end = flow_period(data)
    item = (
        data.get("item")
        or selectors.flow_items(viewer=user, date_from=start, date_to=end).order_by("sort", "code").first()
    )
    if not form.is_bound:
        form = FlowFilterForm(
            initial={"date_from": start, "date_to": end, "item": item}, items=form.fields["item"].queryset
        )
    rows = selectors.flows(viewer=user, date_from=start, date_to=end, item=item) if item else []
    chart = {
        "nodes": sorted({r.from_unit.name for r in rows} | {r.to_unit.name for r in rows}),
        "links": [{"source": r.from_unit.name, "target": r.to_unit.name, "value": float(r.quantity)} for r in rows],
        "title": item.label if item else "",
    }
    context = {"form": form, "rows": rows, "item": item, "start": start, "end": end, "chart": chart}
    return render(request, "materials/transfers/flows_chart.html", context)


# --- rebalancing --------------------------------------------------------------------------------


@login_required
def rebalance_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, PROPOSAL)
    context = {
        "page": paginate(request, selectors.proposal_list(viewer=user)),
        "can_add": has_any(user, PROPOSAL, Action.ADD),
    }
    return render(request, "materials/transfers/rebalance_list.html", context)


@login_required
def rebalance_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    _need(user, PROPOSAL, Action.ADD)
    form = ProposalForm(request.POST or None, units=units_where(user, RebalanceProposal, Action.ADD))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            proposal = rebalance_services.proposal_create(
                actor=user,
                scope_unit=d["scope_unit"],
                max_shipments=d["max_shipments"],
                item_ids=[i.pk for i in d["items"]] or None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("materials:rebalance-detail", proposal.pk)
    return render(request, "materials/transfers/rebalance_form.html", {"form": form})


def _proposal_context(user, proposal: RebalanceProposal, error: str = "") -> dict[str, Any]:
    lines = selectors.proposal_lines(proposal)
    draft = proposal.status == ProposalStatus.DRAFT
    summary = proposal.summary or {}
    return {
        "proposal": proposal,
        "lines": lines,
        "kept": sum(1 for line in lines if not line.dropped),
        "shipments": len({(line.from_unit, line.to_unit) for line in lines if not line.dropped}),
        "before": summary.get("before", {}),
        "weight": summary.get("front_line_weight", FRONT_LINE_WEIGHT),
        "after": rebalance_services.proposal_after(proposal),
        "may_review": draft and can(user, Action.CHANGE, RebalanceProposal, proposal.scope_unit),
        "may_accept": draft
        and can(user, Action.APPROVE, RebalanceProposal, proposal.scope_unit)
        and can(user, Action.APPROVE, Transfer, proposal.scope_unit),
        "transfers": proposal.transfers.select_related("from_unit", "to_unit").order_by("number"),
        "error": error,
        "history": change_history(user, proposal),
    }


@login_required
def rebalance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    proposal = get_object_or_404(selectors.proposal_list(viewer=user), pk=pk)
    return render(request, "materials/transfers/rebalance_detail.html", _proposal_context(user, proposal))


@login_required
@require_POST
def rebalance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """lines (keep the ticked ones) / accept / discard."""
    user = request.user
    proposal = get_object_or_404(selectors.proposal_list(viewer=user), pk=pk)
    try:
        if action == "lines":
            keep = {int(v) for v in request.POST.getlist("keep") if v.isdigit()}
            dropped = [line["id"] for line in proposal.summary.get("lines", []) if line["id"] not in keep]
            rebalance_services.proposal_set_lines(actor=user, proposal=proposal, dropped=dropped)
            messages.success(request, _("The lines were saved."))
        elif action == "accept":
            transfers = rebalance_services.proposal_accept(actor=user, proposal=proposal)
            messages.success(request, _("%(count)d approved transfers were created.") % {"count": len(transfers)})
        elif action == "discard":
            rebalance_services.proposal_discard(actor=user, proposal=proposal)
            messages.success(request, _("The proposal was discarded."))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        context = _proposal_context(user, proposal, " ".join(exc.messages))
        return render(request, "materials/transfers/rebalance_detail.html", context, status=400)
    except PermissionDenied as exc:
        context = _proposal_context(user, proposal, str(exc) or _("You may not do this."))
        return render(request, "materials/transfers/rebalance_detail.html", context, status=403)
    return redirect(reverse("materials:rebalance-detail", args=[proposal.pk]))
