"""Cross-cutting records: the change log, audit events and background jobs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.core import append_only
from lianfang.core.querysets import AppendOnlyManager, RestrictedManager


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class AppendOnlyModel(models.Model):
    """A record that is written once and never changed or deleted by the application.

    Audit events and the change log are evidence (等保 2.0): ``save()`` of an existing row and
    ``delete()`` refuse, as do the queryset's ``update()`` and ``delete()``; on PostgreSQL a trigger
    refuses any other client too. Only the purge, inside
    :func:`lianfang.core.append_only.purge_session`, may redact or expire rows.

    The user and unit they name are protected: users and units are deactivated, never deleted, and a
    deletion that would have to blank the audit trail's reference is refused rather than done.
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            append_only.refuse()
        return super().save(*args, **kwargs)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, *args, **kwargs):
        append_only.refuse()
        return super().delete(*args, **kwargs)

    delete.alters_data = True  # type: ignore[attr-defined]


class ObjectChange(AppendOnlyModel):
    """One write to one object: who, when, in which request, and the data before and after.

    Sensitive values (ID numbers, phones) are stored masked in the snapshots: the change log is
    read by more people than may see those values.
    """

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    request_id = models.UUIDField(_("request id"), db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200)
    # The unit the object belonged to, so the log is scoped like the objects themselves.
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prechange_data = models.JSONField(_("before"), null=True, blank=True)
    postchange_data = models.JSONField(_("after"), null=True, blank=True)

    objects = AppendOnlyManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("change log")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def diff(self) -> list[tuple[str, object, object]]:
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    UNMASK = "unmask", _("Unmask")
    # Reads of sensitive health records: a case's or contact's details, a status reason, a trip list.
    SENSITIVE_READ = "sensitive_read", _("Read of health details")


class AuditEvent(AppendOnlyModel):
    """Something a person did that is not a change to one object: logins, imports, exports, unmasks."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=20, choices=AuditKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    request_id = models.UUIDField(_("request id"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AppendOnlyManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user_name} {self.object_repr}"


class JobStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("job status", "Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A background job a person started and watches: an import, an export, a recompute."""

    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, on_delete=models.SET_NULL
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(_("started"), auto_now_add=True)
    # Every write of the row (claimed, finished) moves this; with the progress heartbeat it tells a
    # job whose worker died from one that is still working (``core.jobs.job_fail_stale``).
    updated = models.DateTimeField(_("updated"), auto_now=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    # The language of the person who started the job: its messages are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    payload = models.BinaryField(_("input"), null=True, blank=True, editable=False)
    progress = models.PositiveIntegerField(_("rows done"), default=0)
    total = models.PositiveIntegerField(_("rows in all"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    objects = RestrictedManager()
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.progress * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
