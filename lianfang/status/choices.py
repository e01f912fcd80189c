"""Choices of the personal health status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    """The personal health status (健康码式): it decides entry and return to work."""

    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class StatusCause(models.TextChoices):
    """Why a status was recomputed (kept with each change in the history)."""

    EVENT = "event", _("Record changed")
    NIGHTLY = "nightly", _("Nightly recompute")
    RULES = "rules", _("Rules changed")
    MANUAL = "manual", _("Recomputed by hand")
