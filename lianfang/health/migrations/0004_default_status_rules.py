from django.db import migrations

from lianfang.health.defaults import ensure_default_status_rules


def add_rules(apps, schema_editor):
    ensure_default_status_rules(apps.get_model("health", "StatusRule"))


class Migration(migrations.Migration):
    dependencies = [("health", "0003_risk_areas_and_status")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
