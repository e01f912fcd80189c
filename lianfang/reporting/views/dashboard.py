"""The dashboard (/reports/dashboard/): today at a glance for the viewer's scope.

Thin: the figures come from :func:`lianfang.reporting.selectors.dashboard.dashboard_figures`, which reads
only what ``restrict`` lets the viewer see, from the per-unit day counts (never raw check-ins).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from lianfang.core.scoping import Action
from lianfang.org.scoping import has_any
from lianfang.reporting.selectors import dashboard
from lianfang.reporting.selectors.dashboard import control_figures


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not dashboard.can_see_dashboard(user):
        raise PermissionDenied
    day = dashboard.parse_day(request.GET.get("date"))
    figures = dashboard.dashboard_figures(viewer=user, day=day)
    # Today is not over: its figures are "as of" now, on the page and on the charts' last point.
    now = timezone.now()
    partial = dashboard.partial_label(day, now)
    context = {
        "figures": figures,
        "day": day,
        "as_of": now if partial else None,
        "charts14": dashboard.chart_specs(figures["trends"]["14"], period=14, partial=partial),
        "charts30": dashboard.chart_specs(figures["trends"]["30"], period=30, partial=partial),
        "can_bulletins": has_any(user, "reporting.bulletin", Action.VIEW),
        # Where a unit's name leads: its check-in completion, and its report of the day.
        "can_completion": has_any(user, "health.unitdaystat", Action.VIEW),
        "can_reports": has_any(user, "reporting.unitdailyreport", Action.VIEW),
        "duty": dashboard.duty_now(viewer=user),
        "control": control_figures(viewer=user, roots=dashboard.scope_roots(user, "health.unitdaystat"), day=day),
    }
    return render(request, "reporting/dashboard.html", context)
