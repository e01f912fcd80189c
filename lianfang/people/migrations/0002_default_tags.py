from django.db import migrations

from lianfang.people.defaults import ensure_default_tags


def forwards(apps, schema_editor):
    ensure_default_tags(apps.get_model("people", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
