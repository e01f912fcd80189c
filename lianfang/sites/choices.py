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


class PassKind(models.TextChoices):
    """What a signed pass is: the phone's rotating pass (with the colour), the printed card of someone
    without a phone (identity only: the gate asks the server for the colour), a visitor's single-use pass."""

    PHONE = "p", _("Personal pass")
    CARD = "c", _("Printed card")
    VISITOR = "v", _("Visitor pass")


class Direction(models.TextChoices):
    IN = "in", pgettext_lazy("checkpoint", "In")
    OUT = "out", pgettext_lazy("checkpoint", "Out")


class Directions(models.TextChoices):
    """Which way a checkpoint counts people."""

    IN = "in", _("Entry only")
    OUT = "out", _("Exit only")
    BOTH = "both", _("Entry and exit")


class RequiredColour(models.TextChoices):
    GREEN = "green", _("Green only")
    NOT_RED = "not_red", _("Green or yellow")


class OfflinePolicy(models.TextChoices):
    """What the gate does with a printed card or a typed number while it cannot reach the server
    (the phone pass carries its colour and is checked in the browser)."""

    ADMIT = "admit", _("Let in, check when the network is back")
    REFUSE = "refuse", _("Refuse until the network is back")


class Decision(models.TextChoices):
    ALLOW = "allow", pgettext_lazy("gate", "Allowed")
    DENY = "deny", pgettext_lazy("gate", "Denied")


class DenyReason(models.TextChoices):
    """Why the gate said no. The codes are stable: the gate's script and the API use them."""

    COLOUR = "colour", _("Health status does not allow entry")
    FEVER = "fever", _("Temperature above the threshold")
    EXPIRED = "expired", _("Pass expired: refresh it")
    FORGED = "forged", _("Pass not genuine")
    REPLAYED = "replayed", _("Pass already used: refresh it")
    UNKNOWN = "unknown", _("Unknown person")
    NO_APPOINTMENT = "no_appointment", _("No appointment for today")
    DECLARATION = "declaration", _("Health declaration not passed")
    OUTSIDE_HOURS = "hours", _("Outside the checkpoint's hours")
    WRONG_WAY = "direction", _("This checkpoint does not count that direction")
    OFFLINE = "offline", _("Cannot check while offline")


# Reasons about the person's health: the liaison is told of such a denial.
HEALTH_REASONS = frozenset({DenyReason.COLOUR, DenyReason.FEVER})


class Method(models.TextChoices):
    """How the person was identified at the gate."""

    CAMERA = "camera", _("Camera scan")
    SCANNER = "scanner", _("Code scanner")
    TYPED = "typed", _("Number typed in")


class LateCheck(models.TextChoices):
    """An entry admitted offline without a colour is checked when it reaches the server."""

    NONE = "", _("Not needed")
    PASSED = "passed", _("Checked: would have been allowed")
    FAILED = "failed", _("Checked: should have been refused")


class VisitStatus(models.TextChoices):
    INVITED = "invited", _("Invited: declaration to fill in")
    DECLARED = "declared", _("Declared: pass issued")
    REFUSED = "refused", _("Declaration not passed")
    ENTERED = "entered", _("Came in")
    CANCELLED = "cancelled", _("Cancelled")
