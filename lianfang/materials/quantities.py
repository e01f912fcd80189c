"""Quantities as people count them: whole pieces, pairs and sets; litres and kilograms with decimals."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from lianfang.materials.models import Item


def format_quantity(item: Item, quantity: Decimal) -> str:
    """``1,200 只`` / ``2.5 L``: a quantity as people read it, with the item's measure."""
    places = 0 if item.is_counted or quantity == quantity.to_integral_value() else 2
    return f"{number_format(quantity, decimal_pos=places, force_grouping=True)} {item.get_measure_display()}"
