"""Serializers of the core records: change log, audit events and background jobs (all read-only)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lianfang.core.jobs import Progress, job_progress
from lianfang.core.models import AuditEvent, Job, JobStatus, ObjectChange


class ObjectChangeSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    object_type = serializers.SerializerMethodField(help_text="app_label.model, e.g. people.person")

    class Meta:
        model = ObjectChange
        fields = [
            "id",
            "time",
            "user",
            "user_name",
            "request_id",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object_repr",
            "unit",
            "prechange_data",
            "postchange_data",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_object_type(self, obj: ObjectChange) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class AuditEventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "time",
            "kind",
            "kind_label",
            "user",
            "user_name",
            "request_id",
            "ip",
            "unit",
            "object_repr",
            "detail",
        ]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    """A job as its owner polls it. The uploaded file itself (``payload``) is never sent back.

    While the job runs, ``progress``, ``total`` and ``phase`` come from the job's progress side
    channel (:func:`lianfang.core.jobs.job_progress`), so polling shows the rows done so far.
    ``language`` is the language the job's messages are written in (the starter's).
    """

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    url = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(help_text="Rows done so far.")
    total = serializers.SerializerMethodField(help_text="Rows in all, once known.")
    percent = serializers.SerializerMethodField(help_text="0–100, once the total is known.")
    phase = serializers.SerializerMethodField(help_text="What the job is doing now, in words.")

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "status",
            "status_label",
            "is_finished",
            "file_name",
            "progress",
            "total",
            "percent",
            "phase",
            "created",
            "finished",
            "language",
            "result",
            "errors",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj: Job) -> str:
        return job_url(obj, self.context.get("request"))

    def to_representation(self, instance: Job) -> dict:
        # Read the side channel once per job, not once per progress field.
        self._current_progress = job_progress(job=instance)
        return super().to_representation(instance)

    def _progress(self, obj: Job) -> Progress:
        return self._current_progress

    def get_progress(self, obj: Job) -> int:
        return self._progress(obj).done

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_total(self, obj: Job) -> int | None:
        return self._progress(obj).total

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_percent(self, obj: Job) -> int | None:
        return 100 if obj.status == JobStatus.SUCCEEDED else self._progress(obj).percent

    def get_phase(self, obj: Job) -> str:
        return str(self._progress(obj).phase)


def job_url(job: Job, request=None) -> str:
    """Where a client polls a job: ``/api/v1/jobs/<id>/`` (absolute when a request is at hand)."""
    path = reverse("api:job-detail", kwargs={"pk": job.pk})
    return request.build_absolute_uri(path) if request is not None else path
