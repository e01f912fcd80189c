"""Cluster alerts: N cases in D days (group settings) open one alert on the lowest unit that reaches
N; the office acknowledges and closes it."""

from __future__ import annotations

import datetime

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import (
    AlertStatus,
    CaseStatus,
)
from lianfang.cases.models import Case, ClusterAlert
from lianfang.cases.services.base import _ensure, _send, _today, ancestor_paths, office_user_ids
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import MessageKind
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import ensure_in_scope


def _cluster_cases(unit: Unit, since: datetime.date, until: datetime.date):
    return Case.objects.filter(
        unit__path__startswith=unit.path, reported_on__gte=since, reported_on__lte=until
    ).exclude(status=CaseStatus.EXCLUDED)


def cluster_check(*, case: Case, today: datetime.date | None = None) -> ClusterAlert | None:
    """Open (or extend) a cluster alert when the case makes N or more cases in one unit within D days.

    The window is the D days up to today (by report date); excluded cases do not count. The unit is
    the lowest one, from the case's unit upwards, whose subtree holds N cases: a cluster in one
    heat station is reported there, not diluted to the whole company; cases already in an open
    alert of a sub-unit do not count again for the units above it (so a cluster in one department
    does not raise the company and the group as well). If an alert is already open on that unit or
    one of its ancestors, the case is added to the lowest such alert instead of opening a second
    one; otherwise a new alert opens and the office is told at once.
    """
    settings = GroupSettings.load()
    today = today or _today()
    since = today - datetime.timedelta(days=settings.cluster_days - 1)
    if not (since <= case.reported_on <= today) or case.status == CaseStatus.EXCLUDED:
        return None
    unit = case.unit
    chain = list(Unit.objects.filter(path__in=ancestor_paths(unit)).order_by("-depth"))  # lowest first
    target = None
    for candidate in chain:
        # Cases already in an open alert of a sub-unit do not count again for the unit above it.
        open_below = (
            ClusterAlert.objects.filter(unit__path__startswith=candidate.path)
            .exclude(unit=candidate)
            .exclude(status=AlertStatus.CLOSED)
        )
        alerted = ClusterAlert.cases.through.objects.filter(clusteralert__in=open_below).values("case_id")
        if _cluster_cases(candidate, since, today).exclude(pk__in=alerted).count() >= settings.cluster_cases:
            target = candidate
            break
    if target is None:
        return None
    paths = ancestor_paths(target)
    alert = (
        ClusterAlert.objects.select_for_update()
        .filter(unit__path__in=paths)
        .exclude(status=AlertStatus.CLOSED)
        .order_by("-unit__depth")
        .first()
    )
    if alert is not None:
        cases = list(_cluster_cases(alert.unit, min(alert.window_from, since), today))
        alert.cases.add(*cases)
        alert.window_to = max(alert.window_to, today)
        alert.case_count = alert.cases.count()
        alert.save(update_fields=["window_to", "case_count"])
        return alert
    cases = list(_cluster_cases(target, since, today))
    try:
        with transaction.atomic():
            alert = ClusterAlert.objects.create(unit=target, window_from=since, window_to=today, case_count=len(cases))
    except IntegrityError:  # opened a moment ago by a concurrent registration
        return ClusterAlert.objects.filter(unit=target).exclude(status=AlertStatus.CLOSED).first()
    alert.cases.add(*cases)
    record_change(actor=None, obj=alert, action=ChangeAction.CREATE)
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Cluster alert: %(count)d cases in %(unit)s") % {"count": len(cases), "unit": target.name}
        body = _(
            "%(count)d cases (%(numbers)s) were reported in %(unit)s between %(since)s and %(until)s. Check the "
            "contacts, the shared places and the disinfection of the unit."
        ) % {
            "count": len(cases),
            "numbers": ", ".join(c.number for c in cases),
            "unit": target.name,
            "since": since.isoformat(),
            "until": today.isoformat(),
        }
    _send(office_user_ids(), MessageKind.CLUSTER_ALERT, title, body, reverse("cases:alert-detail", args=[alert.pk]))
    return alert


def _drop_from_open_alerts(case: Case) -> None:
    """An excluded case no longer counts: take it out of open alerts (the office closes them)."""
    for alert in ClusterAlert.objects.filter(cases=case).exclude(status=AlertStatus.CLOSED):
        alert.cases.remove(case)
        alert.case_count = alert.cases.count()
        alert.save(update_fields=["case_count"])


@transaction.atomic
def cluster_alert_handle(*, actor, alert: ClusterAlert, status: str, note: str = "") -> ClusterAlert:
    """The office acknowledges (being handled) or closes a cluster alert, with a note."""
    alert = ClusterAlert.objects.select_for_update(of=("self",)).select_related("unit").get(pk=alert.pk)
    _ensure(actor, Action.CHANGE, ClusterAlert, alert.unit, _("Only the group office may handle cluster alerts."))
    if status not in (AlertStatus.ACKNOWLEDGED, AlertStatus.CLOSED):
        raise ValidationError({"status": _("Choose “being handled” or “closed”.")})
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("This alert is closed; a new cluster opens a new alert.")})
    if status == AlertStatus.CLOSED and not note.strip() and not alert.note.strip():
        raise ValidationError({"note": _("Say how the cluster was handled before closing the alert.")})
    before = snapshot(alert)
    alert.status = status
    if note.strip():
        alert.note = (alert.note + "\n" if alert.note else "") + note.strip()
    alert.handled_by = actor
    if status == AlertStatus.CLOSED:
        alert.closed = timezone.now()
    alert.save()
    record_change(actor=actor, obj=alert, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, alert, Action.CHANGE)
    return alert
