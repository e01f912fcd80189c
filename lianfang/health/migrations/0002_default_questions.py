from django.db import migrations

from lianfang.health.defaults import ensure_default_questions


def forwards(apps, schema_editor):
    ensure_default_questions(apps.get_model("health", "Question"), apps.get_model("health", "QuestionVersion"))


class Migration(migrations.Migration):
    dependencies = [("health", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
