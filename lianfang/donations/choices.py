"""Choices of donations, collections and the emergency fund."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Direction(models.TextChoices):
    IN = "in", pgettext_lazy("donation direction", "Received")
    OUT = "out", pgettext_lazy("donation direction", "Given")


class DonationKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    MONEY = "money", _("Money")


class SpendingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", pgettext_lazy("spending status", "Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
