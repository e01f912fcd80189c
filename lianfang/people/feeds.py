"""What the roster feeds to the unit daily report and the bulletin: headcounts of a unit's whole
subtree (active people; family members are left out of the headcount). Registered in
``lianfang.core.extensions.report_feeds`` when the app loads."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit
from lianfang.people.choices import Category, Whereabouts
from lianfang.people.counts import expected, staff
from lianfang.people.models import Person

# --- the roster -------------------------------------------------------------------------------------


def _active_people(unit: Unit):
    return Person.objects.filter(expected(), unit__path__startswith=unit.path)


def _staff(unit: Unit):
    """Active people who work for the group: the roster without family members."""

    return Person.objects.filter(staff(), unit__path__startswith=unit.path)


@register_feed("people.headcount", _("Staff expected to check in (family members not counted)"))
def headcount(unit: Unit, date: datetime.date) -> int | None:
    return _staff(unit).count()


@register_feed("people.temporary", _("Active temporary workers"))
def temporary(unit: Unit, date: datetime.date) -> int | None:

    return _active_people(unit).filter(category=Category.TEMPORARY).count()


@register_feed("people.dispatched", _("Active dispatched workers"))
def dispatched(unit: Unit, date: datetime.date) -> int | None:

    return _active_people(unit).filter(category=Category.DISPATCHED).count()


@register_feed("people.not_returned", _("Staff not yet returned"))
def not_returned(unit: Unit, date: datetime.date) -> int | None:

    return _staff(unit).filter(whereabouts=Whereabouts.NOT_RETURNED).count()
