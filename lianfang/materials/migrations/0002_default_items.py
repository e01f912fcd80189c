from django.db import migrations


def add_default_items(apps, schema_editor):
    from lianfang.materials.defaults import ensure_default_items

    ensure_default_items(apps.get_model("materials", "Item"))


class Migration(migrations.Migration):
    dependencies = [("materials", "0001_initial")]

    operations = [migrations.RunPython(add_default_items, migrations.RunPython.noop)]
