from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TeamKind(models.TextChoices):
    COMMANDO = "commando", _("Commando team")
    VANGUARD = "vanguard", _("Vanguard team")
    RESERVE = "reserve", _("Volunteer reserve")


class Skill(models.TextChoices):
    TEMPERATURE = "temperature", _("Temperature checks")
    DISINFECTION = "disinfection", _("Disinfection")
    DRIVING = "driving", _("Driving")
    LOGISTICS = "logistics", _("Logistics")
    MEDICAL = "medical", _("Medical")


class DeploymentStatus(models.TextChoices):
    """open → full (the last slot accepted) → under way → ended; open or full → cancelled."""

    OPEN = "open", pgettext_lazy("deployment", "Open")
    FULL = "full", pgettext_lazy("deployment", "Full")
    UNDER_WAY = "under_way", pgettext_lazy("deployment", "Under way")
    ENDED = "ended", pgettext_lazy("deployment", "Ended")
    CANCELLED = "cancelled", pgettext_lazy("deployment", "Cancelled")


# A deployment in one of these states still holds its people's days.
LIVE_STATUSES = (DeploymentStatus.OPEN, DeploymentStatus.FULL, DeploymentStatus.UNDER_WAY)
