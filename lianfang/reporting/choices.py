from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FieldKind(models.TextChoices):
    COUNT = "count", _("Count")
    TEXT = "text", _("Text")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Timeliness(models.TextChoices):
    """How a unit stands for a day: a missing report is never counted as a zero report."""

    TIMELY = "timely", _("On time")
    LATE = "late", _("Late")
    MISSING = "missing", _("Missing")


class RaisedKind(models.TextChoices):
    PROBLEM = "problem", _("Problem or difficulty")
    NEED = "need", _("Material need")


class RaisedStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
