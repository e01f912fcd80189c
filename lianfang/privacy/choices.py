"""Choices of the privacy app. Data categories are not a closed enum: they live in the
``personal_data_categories`` registry (lianfang.core.extensions), so later apps add theirs."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The categories of the check-in and the cases apps, as the notice names them.
HEALTH = "health"
WHEREABOUTS = "whereabouts"
CASES = "cases"
CARE = "care"

BASE_CATEGORIES = (
    (HEALTH, _("Health check-ins and answers")),
    (WHEREABOUTS, _("Whereabouts and trips")),
    (CASES, _("Case and isolation details")),
    (CARE, _("Follow-ups and care records")),
)

# Retention per category in days: (default, floor, ceiling). The floor keeps what the epidemiological
# look-back needs (14 days of check-ins and trips) and what a case may be asked about later; the ceiling
# is what the office may keep at most without a new reason (PIPL Art. 19).
RETENTION = {
    HEALTH: (90, 14, 365),
    WHEREABOUTS: (30, 14, 180),
    CASES: (365, 90, 3 * 365),
    CARE: (180, 30, 3 * 365),
}

# What a daily check-in collects: both need their own (separate) consent where consent is the basis.
CHECKIN_CATEGORIES = (HEALTH, WHEREABOUTS)


class Basis(models.TextChoices):
    CONSENT = "consent", _("Separate consent (PIPL Art. 29)")
    EMERGENCY = "emergency", _("Public-health emergency (PIPL Art. 13(1)(4))")


class Channel(models.TextChoices):
    SELF = "self", pgettext_lazy("consent channel", "By the person, on phone or web")
    PAPER = "paper", pgettext_lazy("consent channel", "On paper, attested by a liaison")


class StandDownState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("stand-down", "Awaiting confirmation")
    SCHEDULED = "scheduled", pgettext_lazy("stand-down", "Confirmed: purge scheduled")
    PURGED = "purged", pgettext_lazy("stand-down", "Purged")


class ConsentAction(models.TextChoices):
    CONSENT = "consent", pgettext_lazy("consent action", "Consent given")
    WITHDRAW = "withdraw", pgettext_lazy("consent action", "Consent withdrawn")
    # Under the emergency basis no consent is asked, but the notice is shown once: this records it.
    NOTICE_SHOWN = "notice_shown", pgettext_lazy("consent action", "Notice shown")
