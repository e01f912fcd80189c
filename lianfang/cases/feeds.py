"""Counts of cases, contacts and isolation for the unit daily report, from the records (no retyping).

Registered in ``lianfang.core.extensions.report_feeds`` when the app loads. Each counts over the
unit's whole subtree for one date:

* ``cases.new_suspected`` / ``new_confirmed`` / ``new_asymptomatic``: cases that became so that day
  (by the date of that step, so a suspected case confirmed three days later counts once in each);
* ``cases.close_contacts``: close contacts under observation that day — their isolation order (if
  one was made for the contact) covers the day, or, with no order yet, the day lies between the last
  exposure and the end of the standard observation (centralised days + home monitoring days);
  contacts who became cases are counted as cases instead;
* ``isolation.home`` / ``central`` / ``hospital``: orders in force that day (started, not released);
* ``cases.active``: cases not yet excluded, recovered or deceased that day;
* ``cases.recovered``: cases recovered that day.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from lianfang.cases.choices import ContactDegree, IsolationKind
from lianfang.cases.models import Case, Contact, Isolation
from lianfang.core.extensions import register_feed
from lianfang.org.models import GroupSettings, Unit


def _cases(unit: Unit):
    return Case.objects.filter(unit__path__startswith=unit.path)


def _new_on(field: str):
    def count(unit: Unit, date: datetime.date) -> int:
        return _cases(unit).filter(**{field: date}).count()

    return count


register_feed("cases.new_suspected", _("New suspected cases"), blocks_zero_report=True)(_new_on("suspected_on"))
register_feed("cases.new_confirmed", _("New confirmed cases"), blocks_zero_report=True)(_new_on("confirmed_on"))
register_feed("cases.new_asymptomatic", _("New asymptomatic infections"), blocks_zero_report=True)(
    _new_on("asymptomatic_on")
)
register_feed("cases.recovered", _("Cases recovered that day"))(_new_on("recovered_on"))


def in_force_on(date: datetime.date) -> Q:
    """Isolation orders in force on ``date``: started and not yet released."""
    return Q(start_on__lte=date) & (Q(released_on__isnull=True) | Q(released_on__gt=date))


@register_feed("cases.active", _("Active cases (suspected, confirmed, asymptomatic)"))
def active_cases(unit: Unit, date: datetime.date) -> int:
    ended = Q()
    for name in ("excluded_on", "recovered_on", "deceased_on"):
        ended |= Q(**{f"{name}__lte": date})
    return _cases(unit).filter(reported_on__lte=date).exclude(ended).count()


@register_feed("cases.close_contacts", _("Close contacts under observation"))
def close_contacts(unit: Unit, date: datetime.date) -> int:
    settings = GroupSettings.load()
    observation = settings.isolation_central_days + settings.isolation_home_monitoring_days
    orders = Isolation.objects.filter(contact=OuterRef("pk"))
    became_case_by = Case.objects.filter(pk=OuterRef("became_case_id"), reported_on__lte=date)
    return (
        Contact.objects.filter(unit__path__startswith=unit.path, degree=ContactDegree.CLOSE, last_exposure_on__lte=date)
        .annotate(
            has_order=Exists(orders),
            order_in_force=Exists(orders.filter(in_force_on(date))),
            is_case=Exists(became_case_by),
        )
        .filter(is_case=False)
        .filter(
            Q(order_in_force=True)
            | Q(has_order=False, last_exposure_on__gte=date - datetime.timedelta(days=observation))
        )
        .count()
    )


def _isolated(kind: str):
    def count(unit: Unit, date: datetime.date) -> int:
        return Isolation.objects.filter(in_force_on(date), unit__path__startswith=unit.path, kind=kind).count()

    return count


register_feed("isolation.home", _("Under home isolation"))(_isolated(IsolationKind.HOME))
register_feed("isolation.central", _("Under centralised isolation"))(_isolated(IsolationKind.CENTRAL))
register_feed("isolation.hospital", _("Under hospital observation"))(_isolated(IsolationKind.HOSPITAL))
