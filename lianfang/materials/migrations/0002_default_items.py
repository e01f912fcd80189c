from django.db import migrations

from lianfang.materials.defaults import ensure_default_items


def forwards(apps, schema_editor):
    ensure_default_items(apps.get_model("materials", "Item"))


class Migration(migrations.Migration):
    dependencies = [("materials", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
