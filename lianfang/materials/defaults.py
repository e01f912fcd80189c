"""The catalogue every group starts with: the protective materials the seeds name (masks, alcohol,
84 disinfectant, goggles, protective suits, gloves, thermometers, antigen tests), counted the way
store-keepers count them (只, 个, 副, 套, L, 瓶, 支, 盒).

Thresholds and targets are starting points for one unit's store; the office changes them in the
catalogue, and a unit can override them for itself.
"""

from __future__ import annotations

from decimal import Decimal

# code, 中文名, English name, category, measure, pack size, reorder threshold, target days,
# daily use per front-line person (for the forecast of a unit with little history), order.
DEFAULT_ITEMS: list[tuple[str, str, str, str, str, int, str, int, str, int]] = [
    ("surgical-mask", "医用外科口罩", "Surgical mask", "masks", "piece", 50, "500", 14, "2", 10),
    ("n95-mask", "N95 口罩", "N95 respirator", "masks", "piece", 20, "100", 14, "1", 20),
    ("alcohol-75", "75% 酒精", "75% alcohol", "disinfectant", "litre", 5, "20", 14, "0.05", 30),
    ("disinfectant-84", "84 消毒液", "84 disinfectant", "disinfectant", "bottle", 12, "24", 14, "0.1", 40),
    ("goggles", "护目镜", "Goggles", "protective", "pair", 10, "20", 30, "0.05", 50),
    ("protective-suit", "防护服", "Protective suit", "protective", "set", 10, "20", 14, "0.2", 60),
    ("face-shield", "防护面屏", "Face shield", "protective", "each", 20, "20", 30, "0.1", 70),
    ("gloves", "一次性手套", "Disposable gloves", "gloves", "pair", 100, "200", 14, "2", 80),
    ("thermometer", "额温枪", "Forehead thermometer", "instruments", "stick", 1, "2", 60, "0", 90),
    ("antigen-test", "抗原检测试剂", "Antigen test kit", "testing", "box", 20, "50", 14, "0.2", 100),
]


def ensure_default_items(item_model=None) -> int:
    """Create the default items that are missing (by code); never changes an existing item.

    Used by the data migration (with the historical model) and by test set-up. Returns how many
    were created.
    """
    if item_model is None:
        from lianfang.materials.models import Item as item_model
    created = 0
    for code, name, name_en, category, measure, pack, threshold, target, per_person, sort in DEFAULT_ITEMS:
        _item, was_created = item_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "category": category,
                "measure": measure,
                "pack_size": pack,
                "reorder_threshold": Decimal(threshold),
                "target_days": target,
                "daily_use_per_person": Decimal(per_person),
                "sort": sort,
            },
        )
        created += was_created
    return created
