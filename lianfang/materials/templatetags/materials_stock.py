"""Template filters of the stock pages: quantities as people count them."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from lianfang.materials.quantities import format_quantity

register = template.Library()


@register.filter
def qty(value, item) -> str:
    """``{{ row.on_hand|qty:item }}`` → ``1,200 只`` (the item's measure)."""
    if value is None or value == "":
        return "—"
    return format_quantity(item, Decimal(value))


@register.filter
def amount(value) -> str:
    """A quantity without its measure: no decimals when whole, two otherwise; — for none."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 2
    return number_format(value, decimal_pos=places, force_grouping=True)


@register.filter
def signed(value) -> str:
    """``+1,000`` / ``-300``: a movement's quantity with its sign."""
    value = Decimal(value)
    return ("+" if value > 0 else "") + amount(value)
