from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Category(models.TextChoices):
    """Personnel categories: the seeds register and count each category separately."""

    EMPLOYEE = "employee", _("Employee")
    TEMPORARY = "temporary", _("Temporary worker")
    DISPATCHED = "dispatched", _("Dispatched worker")
    OUTSOURCED = "outsourced", _("Outsourced worker")
    FAMILY = "family", _("Family member")


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("employment status", "Active")
    ON_LEAVE = "on_leave", _("On leave")
    LEFT = "left", pgettext_lazy("employment status", "Left")
    RETIRED = "retired", _("Retired")


class Whereabouts(models.TextChoices):
    """Seed 004: staff and families are classified by where they spent the holiday."""

    STAYED = "stayed", _("Stayed local")
    RETURNED = "returned", _("Returned from elsewhere")
    NOT_RETURNED = "not_returned", _("Not yet returned")
