from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class MatterKind(models.TextChoices):
    """What happened (事项类别)."""

    SUSPECTED_CASE = "suspected_case", _("Suspected case at work")
    CHECKPOINT = "checkpoint", _("Checkpoint incident")
    SHORTAGE = "shortage", _("Shortage that stops front-line work")
    UNREACHABLE = "unreachable", _("Staff member who cannot be reached")
    OTHER = "other", _("Other")


class MatterState(models.TextChoices):
    OPEN = "open", pgettext_lazy("urgent matter state", "Open")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class HopVia(models.TextChoices):
    """How a level received the matter."""

    REPORTED = "reported", _("Reported by the unit")
    FORWARDED = "forwarded", _("Forwarded by the level below")
    ESCALATED = "escalated", _("Skipped a level (越级): the level below missed its clock")


class ReportKind(models.TextChoices):
    """初报 → 续报 → 终报."""

    INITIAL = "initial", _("Initial report")
    FOLLOWUP = "followup", _("Follow-up report")
    FINAL = "final", _("Final report")


class Clock(models.TextChoices):
    ACK = "ack", _("Acknowledge")
    WRITTEN = "written", _("Written report")
    FOLLOWUP = "followup", _("Follow-up report")
    EXTERNAL = "external", _("Report outside the group")


# The levels the office starts with (practice: very major and major: phone 15 min, written 30 min;
# significant: 30 and 60; general: by the end of the duty shift). Skipping a level is allowed for
# significant and above; general matters notify the leader on duty but do not skip.
DEFAULT_LEVELS = [
    {
        "code": "especially_major",
        "name": "特别重大",
        "name_en": "Especially major",
        "rank": 1,
        "ack_minutes": 15,
        "written_minutes": 30,
        "by_shift_end": False,
        "grace_minutes": 10,
        "followup_minutes": 60,
        "external_minutes": 60,
        "must_reach_top": True,
    },
    {
        "code": "major",
        "name": "重大",
        "name_en": "Major",
        "rank": 2,
        "ack_minutes": 15,
        "written_minutes": 30,
        "by_shift_end": False,
        "grace_minutes": 15,
        "followup_minutes": 120,
        "external_minutes": 120,
        "must_reach_top": True,
    },
    {
        "code": "significant",
        "name": "较大",
        "name_en": "Significant",
        "rank": 3,
        "ack_minutes": 30,
        "written_minutes": 60,
        "by_shift_end": False,
        "grace_minutes": 30,
        "followup_minutes": 240,
        "external_minutes": None,
        "must_reach_top": False,
    },
    {
        "code": "general",
        "name": "一般",
        "name_en": "General",
        "rank": 4,
        "ack_minutes": None,
        "written_minutes": None,
        "by_shift_end": True,
        "grace_minutes": None,
        "followup_minutes": None,
        "external_minutes": None,
        "must_reach_top": False,
    },
]
