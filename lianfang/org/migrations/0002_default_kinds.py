from django.db import migrations

from lianfang.org.defaults import ensure_default_kinds


def forwards(apps, schema_editor):
    ensure_default_kinds(apps.get_model("org", "UnitKind"))


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
