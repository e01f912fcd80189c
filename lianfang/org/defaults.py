"""The kinds of unit every group starts with. The office can add more without code."""

DEFAULT_KINDS = [
    # code, Chinese, English, tier, order
    ("group", "集团", "Group", "group", 10),
    ("subsidiary", "二级单位", "Subsidiary", "subsidiary", 20),
    ("department", "部门", "Department", "department", 30),
    ("office", "办公区", "Office area", "site", 40),
    ("heat-station", "热力站", "Heat station", "site", 50),
    ("community", "居民小区", "Residential community", "site", 60),
    ("market", "市场", "Market", "site", 70),
    ("building", "楼宇", "Building", "site", 80),
    ("fleet", "车队", "Vehicle fleet", "site", 90),
    ("site", "其他场所", "Other site", "site", 100),
]


def ensure_default_kinds(unit_kind_model=None) -> None:
    """Create the default kinds that are missing (used by the migration and by test set-up)."""
    if unit_kind_model is None:
        from lianfang.org.models import UnitKind as unit_kind_model
    for code, name, name_en, tier, sort in DEFAULT_KINDS:
        unit_kind_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "tier": tier, "sort": sort}
        )
