"""Audit events and the change log become append-only (issue 11, 等保 2.0).

The users and units they name are protected (deactivated, never deleted), so no ``SET NULL`` has to
rewrite an audit row. On PostgreSQL a trigger refuses ``UPDATE`` and ``DELETE`` of audit rows from
any client, except inside the purge's transaction (``SET LOCAL lianfang.purge = 'on'``, see
``lianfang.core.append_only.purge_session``). ``TRUNCATE`` is left alone: it needs the table's owner
and is what test runners and ``flush`` use, never the application.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ("core_auditevent", "core_objectchange")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION lianfang_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('lianfang.purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit records are append-only: % on % refused (only the purge may redact or expire them)',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:  # no parameters: the "%" of RAISE stays as written
        cursor.execute(CREATE_FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION lianfang_audit_append_only()"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS lianfang_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("org", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.unit",
                verbose_name="unit",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="objectchange",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="org.unit",
                verbose_name="unit",
            ),
        ),
        migrations.AlterField(
            model_name="objectchange",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
