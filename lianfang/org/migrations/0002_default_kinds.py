from django.db import migrations

KINDS = [
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


def add_kinds(apps, schema_editor):
    UnitKind = apps.get_model("org", "UnitKind")
    for code, name, name_en, tier, sort in KINDS:
        UnitKind.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "tier": tier, "sort": sort})


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
