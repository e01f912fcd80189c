from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Area(models.TextChoices):
    """Where a round of disinfection is done; the plan's note says more ("3号楼电梯", "东门岗亭")."""

    OFFICE = "office", _("Offices")
    LIFT = "lift", _("Lifts")
    CANTEEN = "canteen", _("Canteen")
    VEHICLE = "vehicle", _("Vehicles")
    TOILET = "toilet", _("Toilets")
    MEETING_ROOM = "meeting", _("Meeting rooms")
    GATE = "gate", _("Gate and checkpoint")
    DUTY_ROOM = "duty_room", _("Duty room")
    CORRIDOR = "corridor", _("Stairs, corridors and lobbies")
    CONTROL_ROOM = "control", _("Control room and plant")
    PUBLIC_AREA = "public", _("Public areas")
    WASTE = "waste", _("Waste points")
    WHOLE_SITE = "whole", _("The whole site")
    OTHER = "other", pgettext_lazy("disinfection area", "Other")


class RoundKind(models.TextChoices):
    """What a round is: disinfection with an agent, opening the windows (no agent, a minimum time),
    or a terminal disinfection (终末消毒) after a case."""

    DISINFECTION = "disinfection", _("Disinfection")
    VENTILATION = "ventilation", _("Ventilation")
    TERMINAL = "terminal", _("Terminal disinfection")


# What a plan may give: a terminal disinfection follows a case, it is never planned.
PLANNED_KINDS = [(k.value, k.label) for k in (RoundKind.DISINFECTION, RoundKind.VENTILATION)]


class Frequency(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("On given weekdays")


class RoundStatus(models.TextChoices):
    """Where a round stands, computed from its deadline and its log (never stored)."""

    PENDING = "pending", _("To do")
    IN_PROGRESS = "in_progress", pgettext_lazy("disinfection round", "In progress")
    DONE = "done", _("Done")
    LATE = "late", _("Done late")
    OVERDUE = "overdue", _("Overdue")


# Monday is 0, as ``date.weekday()`` counts.
WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]
