from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Pattern(models.TextChoices):
    """How a duty post cuts the day into shifts."""

    FULL_DAY = "24h", _("24-hour shifts")
    DAY_NIGHT = "day_night", _("Day and night shifts")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader on duty")
    OFFICER = "officer", _("Duty officer")


class EntryKind(models.TextChoices):
    CALL_IN = "call_in", _("Call received")
    CALL_OUT = "call_out", _("Call made")
    EVENT = "event", _("Event")
    INSTRUCTION = "instruction", _("Instruction passed down")
    REPORT = "report", _("Report passed up")
    OTHER = "other", pgettext_lazy("duty log entry", "Other")


class PhoneCheck(models.TextChoices):
    OK = "ok", _("Duty phone checked, working")
    FAULT = "fault", _("Duty phone faulty")
    NOT_CHECKED = "not_checked", _("Duty phone not checked")


class HandoverStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be accepted")
    ACCEPTED = "accepted", _("Accepted")
    INCOMPLETE = "incomplete", _("Accepted, something missing")


class SwapStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted by the replacement")
    APPROVED = "approved", pgettext_lazy("swap", "Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class GapRole(models.TextChoices):
    LEADER = "leader", _("No leader on duty")
    OFFICER = "officer", _("No duty officer")
