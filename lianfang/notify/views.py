"""HTML pages of the notify app: the inbox, chat-group robots (with "send test message"), deliveries.

Thin: parse, check, call a service or selector, render. Robots and deliveries are looked up
through ``restrict(user, "view")`` (out of scope → 404); a visible object the user may not change
is 403. Messages are the user's own, looked up through the recipient.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import change_history, paginate
from lianfang.notify import selectors, services
from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.forms import DeliveryFilterForm, RobotForm
from lianfang.notify.models import RobotChannel
from lianfang.notify.robots import mask_webhook
from lianfang.org.scoping import can, has_any

# --- inbox ----------------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.message_list(viewer=request.user))
    return render(request, "notify/inbox.html", {"page": page, "unread": selectors.unread_count(viewer=request.user)})


@login_required
def message_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a message marks it read."""
    message = get_object_or_404(selectors.message_list(viewer=request.user), pk=pk)
    services.message_mark_read(actor=request.user, message=message)
    safe_link = message.url and url_has_allowed_host_and_scheme(message.url, allowed_hosts={request.get_host()})
    return render(request, "notify/message.html", {"message": message, "link": message.url if safe_link else ""})


@login_required
@require_POST
def message_read_all(request: HttpRequest) -> HttpResponse:
    n = services.message_mark_all_read(actor=request.user)
    if n:
        messages.success(request, _("%(count)d messages marked as read.") % {"count": n})
    return redirect("notify:inbox")


# --- robots ---------------------------------------------------------------------------------------


def _robot_or_404(user, pk: int) -> RobotChannel:
    return get_object_or_404(selectors.robot_list(viewer=user), pk=pk)


@login_required
def robot_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "notify.robotchannel", Action.VIEW):
        raise PermissionDenied
    robots = list(selectors.robot_list(viewer=user).order_by("unit__path", "name"))
    for robot in robots:
        robot.masked_url = mask_webhook(robot.webhook_url)
    return render(
        request,
        "notify/robot_list.html",
        {"robots": robots, "can_add": has_any(user, "notify.robotchannel", Action.ADD)},
    )


@login_required
def robot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    robot = _robot_or_404(user, pk)
    recent = selectors.delivery_list(viewer=user).filter(robot=robot)[:10]
    return render(
        request,
        "notify/robot_detail.html",
        {
            "robot": robot,
            "masked_url": mask_webhook(robot.webhook_url),
            "can_change": can(user, Action.CHANGE, RobotChannel, robot.unit),
            "can_delete": can(user, Action.DELETE, RobotChannel, robot.unit),
            "deliveries": recent,
            "history": change_history(user, robot),
        },
    )


@login_required
def robot_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "notify.robotchannel", Action.ADD):
        raise PermissionDenied
    form = RobotForm(request.POST or None, user=user, initial={"unit": request.GET.get("unit")})
    if request.method == "POST" and form.is_valid():
        try:
            robot = services.robot_create(actor=user, secret=form.secret_value(editing=False), **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("Robot “%(name)s” was added. Send a test message to check it.") % {"name": robot.name}
            )
            return redirect("notify:robot", pk=robot.pk)
    return render(request, "notify/robot_form.html", {"form": form, "robot": None})


@login_required
def robot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    robot = _robot_or_404(user, pk)
    if not can(user, Action.CHANGE, RobotChannel, robot.unit):
        raise PermissionDenied
    initial = {
        "unit": robot.unit_id,
        "kind": robot.kind,
        "name": robot.name,
        "webhook_url": robot.webhook_url,
        "is_active": robot.is_active,
    }
    form = RobotForm(request.POST or None, user=user, robot=robot, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            robot = services.robot_update(
                actor=user, robot=robot, secret=form.secret_value(editing=True), **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes to “%(name)s” were saved.") % {"name": robot.name})
            return redirect("notify:robot", pk=robot.pk)
    return render(request, "notify/robot_form.html", {"form": form, "robot": robot})


@login_required
def robot_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    robot = _robot_or_404(user, pk)
    if not can(user, Action.DELETE, RobotChannel, robot.unit):
        raise PermissionDenied
    if request.method == "POST":
        services.robot_delete(actor=user, robot=robot)
        messages.success(request, _("Robot “%(name)s” was removed.") % {"name": robot.name})
        return redirect("notify:robots")
    return render(request, "notify/robot_delete.html", {"robot": robot})


@login_required
@require_POST
def robot_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    robot = _robot_or_404(user, pk)
    if not can(user, Action.CHANGE, RobotChannel, robot.unit):
        raise PermissionDenied
    delivery, answer = services.robot_test(actor=user, robot=robot)
    if delivery.status == DeliveryStatus.SENT:
        messages.success(request, _("Test message sent. The service answered: %(answer)s") % {"answer": answer})
    else:
        messages.error(request, _("The test message failed: %(answer)s") % {"answer": answer})
    return redirect("notify:robot", pk=robot.pk)


# --- deliveries -----------------------------------------------------------------------------------


@login_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "notify.delivery", Action.VIEW):
        raise PermissionDenied
    form = DeliveryFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    page = paginate(request, selectors.delivery_list(viewer=user, status=status))
    for delivery in page.object_list:
        delivery.can_retry = services.can_retry(user, delivery)
    return render(
        request,
        "notify/delivery_list.html",
        {"page": page, "form": form, "problems": selectors.delivery_problem_count(viewer=user)},
    )


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    delivery = get_object_or_404(selectors.delivery_list(viewer=user), pk=pk)
    try:
        delivery = services.delivery_retry(actor=user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.SENT:
            messages.success(request, _("Delivered."))
        else:
            messages.warning(request, _("Sent again; it will show here when it is delivered."))
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("notify:deliveries")
