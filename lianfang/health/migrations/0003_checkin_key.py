"""On PostgreSQL the check-in table's key is (id, date), so that monthly partitions need no change of
key later (docs/adr/0010-checkin-key.md). Django keeps ``id`` as the model's primary key; SQLite keeps
the plain key."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE health_checkin DROP CONSTRAINT health_checkin_pkey, ADD PRIMARY KEY (id, date)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE health_checkin DROP CONSTRAINT health_checkin_pkey, ADD PRIMARY KEY (id)")


class Migration(migrations.Migration):
    dependencies = [("health", "0002_default_questions")]
    operations = [migrations.RunPython(forwards, backwards)]
