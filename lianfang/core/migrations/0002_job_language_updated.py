"""Job.language (was ``result["language"]``) and Job.updated (to find jobs whose worker died)."""

import django.utils.timezone
from django.db import migrations, models


def forwards(apps, schema_editor):
    # Existing jobs: the language moves out of the result, and "last sign of life" is the last
    # time we know the row was written, so a job that was stuck before the upgrade is found at once.
    Job = apps.get_model("core", "Job")
    for job in Job.objects.only("pk", "result", "created", "finished").iterator():
        result = dict(job.result or {})
        language = result.pop("language", None) or ""
        Job.objects.filter(pk=job.pk).update(
            language=language[:10], result=result, updated=job.finished or job.created
        )


def backwards(apps, schema_editor):
    Job = apps.get_model("core", "Job")
    for job in Job.objects.only("pk", "result", "language").iterator():
        if job.language:
            Job.objects.filter(pk=job.pk).update(result={**(job.result or {}), "language": job.language})


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="language",
            field=models.CharField(blank=True, max_length=10, verbose_name="language"),
        ),
        migrations.AddField(
            model_name="job",
            name="updated",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now, verbose_name="updated"),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
    ]
