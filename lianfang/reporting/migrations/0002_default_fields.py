from django.db import migrations

from lianfang.reporting.defaults import ensure_default_report_fields


def forwards(apps, schema_editor):
    ensure_default_report_fields(apps.get_model("reporting", "ReportField"))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
