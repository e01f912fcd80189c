"""Low-stock alerts: when a movement takes a unit's stock below its threshold, or below
:data:`~lianfang.materials.supply.LOW_DAYS` days of supply, the unit's materials keepers and
liaisons and the group office get an inbox message (``MessageKind.STOCK_LOW``).

At most one alert per unit and item per day, whatever the number of movements: the day is stamped
on the :class:`Stock` row with a conditional update, which only one transaction can win. Called by
:func:`lianfang.materials.ledger.post` after its transaction commits.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.materials.models import Item, Stock
from lianfang.materials.quantities import format_quantity
from lianfang.materials.supply import LOW_DAYS, SupplyRow, supply_table
from lianfang.notify.choices import MessageKind
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit

LOCAL_ROLES = (Role.MATERIALS_KEEPER, Role.UNIT_ADMIN)


def alert_recipients(unit: Unit) -> list[int]:
    """User ids of the unit's materials keepers and of its liaisons (for each, those of the nearest unit
    above it that has any, if it has none itself) and of the group office (group admins on the root)."""
    ancestors = [unit.path[:end] for end in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    rows = list(
        RoleAssignment.objects.filter(
            Q(unit__path__in=ancestors, role__in=LOCAL_ROLES) | Q(unit__depth=1, role=Role.GROUP_ADMIN),
            user__is_active=True,
        ).values_list("user_id", "role", "unit__path")
    )
    office = {user for user, role, path in rows if role == Role.GROUP_ADMIN and len(path) == Unit.steplen}
    local: set[int] = set()
    for wanted in LOCAL_ROLES:  # the keepers closest to the unit, and the liaisons closest to it
        held = [(path, user) for user, role, path in rows if role == wanted]
        nearest = max((path for path, _user in held), key=len, default=None)
        local |= {user for path, user in held if path == nearest}
    return sorted(local | office)


def _message(unit: Unit, item: Item, row: SupplyRow) -> tuple[str, str]:
    title = _("Low stock: %(item)s at %(unit)s") % {"item": item.label, "unit": unit.display_name}
    facts = {
        "unit": unit.name,
        "item": item.label,
        "on_hand": format_quantity(item, row.on_hand),
        "threshold": format_quantity(item, row.threshold),
        "days": row.days_of_supply,
        "low_days": LOW_DAYS,
    }
    if row.below_threshold:
        body = _("%(unit)s has %(on_hand)s of %(item)s left, below its threshold of %(threshold)s.") % facts
    else:
        body = _("%(unit)s has %(on_hand)s of %(item)s left, under %(low_days)s days of supply.") % facts
    if row.days_of_supply is not None:
        body += " " + _("At the present rate of use that lasts %(days)s days.") % facts
    body += " " + _("Record a purchase or allocation, or request a transfer from another unit.")
    return title, body


def stock_alerts_check(*, keys: Iterable[tuple[int, int]], today: datetime.date | None = None) -> int:
    """Alert on each (unit id, item id) running out and not yet alerted today; returns how many alerts."""
    from lianfang.notify.services import message_send

    keys = sorted(set(keys))
    if not keys:
        return 0
    today = today or timezone.localdate()
    table = supply_table(unit_ids={u for u, _i in keys}, item_ids={i for _u, i in keys}, as_of=today)
    sent = 0
    for unit_id, item_id in keys:
        row = table.get((unit_id, item_id))
        if row is None or not row.running_out:
            continue
        # Only the transaction that stamps today's date sends the alert: once a day per unit and item.
        won = (
            Stock.objects.filter(unit_id=unit_id, item_id=item_id)
            .exclude(low_alerted_on=today)
            .update(low_alerted_on=today)
        )
        if not won:
            continue
        unit = Unit.objects.get(pk=unit_id)
        item = Item.objects.get(pk=item_id)
        with translation.override(settings.LANGUAGE_CODE):
            title, body = _message(unit, item, row)
        url = reverse("materials:ledger", args=[unit_id, item_id])
        message_send(recipients=alert_recipients(unit), kind=MessageKind.STOCK_LOW, title=title, body=body, url=url)
        sent += 1
    return sent
