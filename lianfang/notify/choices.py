from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RobotKind(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")
    FEISHU = "feishu", _("Feishu group robot")


class DeliveryChannel(models.TextChoices):
    ROBOT = "robot", _("Chat-group robot")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery status", "Waiting")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")


class ReminderKind(models.TextChoices):
    CHECKIN = "checkin", _("Check-in reminder")
    DEADLINE = "deadline", _("Report deadline")


class MessageKind(models.TextChoices):
    """Kinds of inbox message and delivery written by this app (other apps may use their own)."""

    CHECKIN_REMINDER = "checkin_reminder", _("Check-in reminder")
    COMPLETION_LOW = "completion_low", _("Completion below target")
    ROBOT_COMPLETION = "robot_completion", _("Unit completion (chat group)")
    # "Remind these people now" on the non-reporter list: the inbox message and the chat-group message.
    CHECKIN_NUDGE = "checkin_nudge", _("Check-in reminder from the liaison")
    ROBOT_NUDGE = "robot_nudge", _("Not yet checked in (chat group)")
    REPORT_LATE = "report_late", _("Daily report late or missing")
    REPORT_ESCALATION = "report_escalation", _("Late and missing reports (office)")
    ROBOT_TEST = "robot_test", _("Test message")
    SMS_TEST = "sms_test", _("SMS test message")
    # Prevention and control (cases app) and materials.
    CASE_ALERT = "case_alert", _("New suspected or confirmed case")
    CONTACT_NOTICE = "contact_notice", _("Close contact: isolate")
    CLUSTER_ALERT = "cluster_alert", _("Cluster of cases")
    FOLLOWUP_MISSED = "followup_missed", _("Follow-up missed")
    FOLLOWUP_FEVER = "followup_fever", _("Fever at a follow-up")
    CARE_NEED = "care_need", _("Open care need")
    STATUS_CHANGED = "status_changed", _("Health status changed")
    STOCK_LOW = "stock_low", _("Stock below threshold")
    TRANSFER = "transfer", _("Material transfer")
    MATERIAL_REQUEST = "material_request", _("Material request")
    SPENDING = "spending", _("Emergency fund spending")
