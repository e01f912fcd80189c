from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.health.choices import WorkMode


class CaseStatus(models.TextChoices):
    """疑似 → 确诊 / 无症状 / 排除, then 治愈 or 死亡."""

    SUSPECTED = "suspected", _("Suspected")
    CONFIRMED = "confirmed", _("Confirmed")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    EXCLUDED = "excluded", _("Excluded")
    RECOVERED = "recovered", _("Recovered")
    DECEASED = "deceased", _("Deceased")


class Treatment(models.TextChoices):
    HOSPITAL = "hospital", _("Designated hospital")
    MAKESHIFT = "makeshift", _("Makeshift hospital")
    HOME = "home", _("At home")
    NONE = "none", _("Not yet treated")


class PersonKind(models.TextChoices):
    """Who the case or contact is: on the roster (employee or family member) or from outside."""

    ROSTER = "roster", _("On the roster")
    EXTERNAL = "external", _("External person")


class ContactDegree(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Secondary contact")


class ExposureSetting(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORKPLACE = "workplace", _("Workplace")
    CANTEEN = "canteen", _("Canteen")
    MEETING = "meeting", _("Meeting")
    TRANSPORT = "transport", _("Transport")
    OTHER = "other", _("Other")


class IsolationKind(models.TextChoices):
    HOME = "home", _("Home isolation")
    CENTRAL = "central", _("Centralised isolation")
    HOSPITAL = "hospital", _("Hospital observation")


class IsolationReason(models.TextChoices):
    CASE = "case", pgettext_lazy("isolation reason", "Case")
    CONTACT = "contact", _("Close contact")
    TRAVEL = "travel", _("Risk-area travel")
    OTHER = "other", _("Other")


class TestResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    NOT_TESTED = "not_tested", _("Not tested")


class CareNeed(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    SUPPLIES = "supplies", _("Daily supplies")
    FINANCIAL = "financial", _("Financial")
    OTHER = "other", _("Other")


class AlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("status", "Open")
    ACKNOWLEDGED = "acknowledged", _("Being handled")
    CLOSED = "closed", _("Closed")


# Statuses a case may be registered with; the others are reached by a transition.
INITIAL_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)


ACTIVE_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)


# Where a case may go from each status (疑似 → 确诊 / 无症状 / 排除, 无症状 → 确诊 / 治愈, 确诊 → 治愈 / 死亡).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseStatus.SUSPECTED: (CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC, CaseStatus.EXCLUDED),
    CaseStatus.ASYMPTOMATIC: (CaseStatus.CONFIRMED, CaseStatus.RECOVERED),
    CaseStatus.CONFIRMED: (CaseStatus.RECOVERED, CaseStatus.DECEASED),
    CaseStatus.EXCLUDED: (),
    CaseStatus.RECOVERED: (),
    CaseStatus.DECEASED: (),
}


STATUS_DATE_FIELD: dict[str, str] = {
    CaseStatus.SUSPECTED: "suspected_on",
    CaseStatus.CONFIRMED: "confirmed_on",
    CaseStatus.ASYMPTOMATIC: "asymptomatic_on",
    CaseStatus.EXCLUDED: "excluded_on",
    CaseStatus.RECOVERED: "recovered_on",
    CaseStatus.DECEASED: "deceased_on",
}


# Statuses whose new cases alert the group office at once.
ALERTING_STATUSES = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED)

# The check-in mode of each kind of isolation order, and the treatments that keep a case in hospital:
# a person's check-in is held at this mode while the order is in force (lianfang.status.guards).
MODE_OF_ISOLATION = {
    IsolationKind.HOME: WorkMode.HOME_ISOLATION,
    IsolationKind.CENTRAL: WorkMode.CENTRAL_ISOLATION,
    IsolationKind.HOSPITAL: WorkMode.HOSPITAL,
}
IN_HOSPITAL = (Treatment.HOSPITAL, Treatment.MAKESHIFT)
