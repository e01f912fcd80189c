"""Pages of cluster alerts for the office."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from lianfang.cases import selectors
from lianfang.cases.choices import AlertStatus
from lianfang.cases.forms import (
    AlertHandleForm,
)
from lianfang.cases.models import Case, ClusterAlert
from lianfang.cases.services import clusters
from lianfang.cases.views.cases import render_page
from lianfang.core.forms import apply_service_errors
from lianfang.core.scoping import Action
from lianfang.core.views import paginate
from lianfang.org.models import GroupSettings
from lianfang.org.scoping import can, has_any


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not has_any(user, "cases.clusteralert", Action.VIEW):
        raise PermissionDenied
    qs = selectors.alert_list(viewer=user)
    state = request.GET.get("state", "")
    if state != "all":
        qs = qs.exclude(status=AlertStatus.CLOSED)
    context = {"page": paginate(request, qs), "state": state, "settings": GroupSettings.load()}
    return render_page(request, "cases/alert_list.html", context)


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    alert = get_object_or_404(selectors.alert_list(viewer=user), pk=pk)
    may_handle = can(user, Action.CHANGE, ClusterAlert, alert.unit) and alert.status != AlertStatus.CLOSED
    form = AlertHandleForm(request.POST or None)
    if request.method == "POST":
        if not can(user, Action.CHANGE, ClusterAlert, alert.unit):
            raise PermissionDenied
        if form.is_valid():
            try:
                clusters.cluster_alert_handle(actor=user, alert=alert, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The alert was updated."))
                return redirect("cases:alert-detail", pk=alert.pk)
    # Case numbers only for those who may see cases; leaders see the count.
    cases = alert.cases.filter(pk__in=Case.objects.restrict(user, Action.VIEW).values("pk")).select_related("unit")
    context = {"alert": alert, "cases": cases, "form": form, "may_handle": may_handle}
    return render_page(request, "cases/alert_detail.html", context)
