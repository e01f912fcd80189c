"""Choices of donations, collections and the emergency fund."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Given")


class DonationKind(models.TextChoices):
    GOODS = "goods", _("Goods")
    MONEY = "money", _("Money")


class SpendingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")
