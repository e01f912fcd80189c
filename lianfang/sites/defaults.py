"""The disinfectants every group starts with (the office edits, adds and retires them without code).

Concentrations and contact times as the national guide (国卫办监督函〔2020〕147号, 《消毒剂使用指南》)
and local guides give them for surfaces; a product's own label comes first, and the office changes
the entry when its product says otherwise.
"""

# name, English name, concentration, contact minutes, used for, for terminal disinfection, order
DEFAULT_DISINFECTANTS = [
    (
        "含氯消毒剂",
        "Chlorine disinfectant",
        "500 mg/L",
        30,
        "日常预防性消毒：物体表面、地面擦拭或喷洒，作用后清水擦净",
        False,
        10,
    ),
    ("含氯消毒剂", "Chlorine disinfectant", "1000 mg/L", 30, "终末消毒；有污染物的物体表面", True, 20),
    (
        "乙醇消毒液（酒精）",
        "Ethanol (alcohol)",
        "75%",
        1,
        "门把手、电梯按钮等小件物品擦拭；作用时间以产品说明为准，远离火源",
        False,
        30,
    ),
    ("过氧乙酸", "Peracetic acid", "0.2%", 30, "物体表面、车辆喷洒；有腐蚀性，喷后通风", False, 40),
]


def ensure_default_disinfectants(model=None) -> None:
    """Create the default disinfectants that are missing (used by the migration and by test set-up)."""
    if model is None:
        from lianfang.sites.models import Disinfectant as model
    for name, name_en, concentration, minutes, use, terminal, sort in DEFAULT_DISINFECTANTS:
        model.objects.get_or_create(
            name=name,
            concentration=concentration,
            defaults={
                "name_en": name_en,
                "contact_minutes": minutes,
                "use": use,
                "for_terminal": terminal,
                "sort": sort,
            },
        )
