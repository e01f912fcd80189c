from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Symptom(models.TextChoices):
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    FATIGUE = "fatigue", _("Fatigue")
    SORE_THROAT = "sore_throat", _("Sore throat")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    OTHER = "other", _("Other")


class WorkMode(models.TextChoices):
    """Where the person is today. The last three are set by the person's status (an isolation order,
    a hospital stay), never chosen freely: the check-in is held at them (lianfang.core.extensions)."""

    ON_SITE = "on_site", _("On site")
    REMOTE = "remote", _("Working remotely")
    ON_LEAVE = "on_leave", _("On leave")
    HOME_ISOLATION = "home_isolation", _("In home isolation")
    CENTRAL_ISOLATION = "central_isolation", _("In centralised isolation")
    HOSPITAL = "hospital", _("In hospital")


# Modes that count as "isolated" in the per-unit day counts (not at work, not on leave).
ISOLATION_MODES = (WorkMode.HOME_ISOLATION, WorkMode.CENTRAL_ISOLATION, WorkMode.HOSPITAL)


class CheckInSource(models.TextChoices):
    SELF = "self", _("By the person")
    SAME_AS_YESTERDAY = "same", _("Same as yesterday")
    PROXY = "proxy", _("By the liaison or duty officer (morning check)")
    API = "api", _("Through the API")


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NUMBER = "number", pgettext_lazy("question kind", "Number")
    TEXT = "text", _("Text")
    DATE = "date", _("Date")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")


class TripKind(models.TextChoices):
    TRIP = "trip", _("Trip")
    EXPOSURE = "exposure", _("Exposure")


class Transport(models.TextChoices):
    PLANE = "plane", _("Plane")
    TRAIN = "train", _("Train")
    COACH = "coach", _("Coach")
    CAR = "car", _("Car")
    SHIP = "ship", pgettext_lazy("transport", "Ship")
    OTHER = "other", _("Other")


class TripSource(models.TextChoices):
    CHECKIN = "checkin", _("From a check-in")
    ENTERED = "entered", pgettext_lazy("trip source", "Entered")
