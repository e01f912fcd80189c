from django.db import migrations

from lianfang.status.defaults import ensure_default_status_rules


def forwards(apps, schema_editor):
    ensure_default_status_rules(apps.get_model("status", "StatusRule"))


class Migration(migrations.Migration):
    dependencies = [("status", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
