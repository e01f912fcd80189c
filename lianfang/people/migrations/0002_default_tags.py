from django.db import migrations

TAGS = [
    ("party-member", "党员", "Party member"),
    ("front-line", "一线", "Front line"),
    ("overseas", "境外", "Overseas"),
    ("volunteer", "志愿者", "Volunteer"),
]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("people", "Tag")
    for code, name, name_en in TAGS:
        Tag.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(add_tags, migrations.RunPython.noop)]
