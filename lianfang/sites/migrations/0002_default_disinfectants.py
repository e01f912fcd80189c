from django.db import migrations

from lianfang.sites.defaults import ensure_default_disinfectants


def forwards(apps, schema_editor):
    ensure_default_disinfectants(apps.get_model("sites", "Disinfectant"))


class Migration(migrations.Migration):
    dependencies = [("sites", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
