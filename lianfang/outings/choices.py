from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianfang.org.choices import Role


class OutingState(models.TextChoices):
    """Where an outing request stands. An approval goes pending → approved → back; a filing (报备) is
    filed at once and the office acknowledges it on the side."""

    PENDING = "pending", pgettext_lazy("outing", "Waiting for approval")
    APPROVED = "approved", pgettext_lazy("outing", "Approved")
    FILED = "filed", pgettext_lazy("outing", "Filed")
    REJECTED = "rejected", pgettext_lazy("outing", "Not approved")
    CANCELLED = "cancelled", pgettext_lazy("outing", "Withdrawn")
    EXPIRED = "expired", pgettext_lazy("outing", "Expired, not decided in time")
    RETURNED = "returned", pgettext_lazy("outing", "Back")


# A request in one of these states still holds its dates: a second one of the same person may not overlap.
LIVE_STATES = (OutingState.PENDING, OutingState.APPROVED, OutingState.FILED, OutingState.RETURNED)
# Away (or about to go): approved or filed, not yet back.
GOING_STATES = (OutingState.APPROVED, OutingState.FILED)


class Route(models.TextChoices):
    APPROVAL = "approval", pgettext_lazy("outing route", "Approval")
    FILING = "filing", pgettext_lazy("outing route", "Filing")


class StepKind(models.TextChoices):
    LEADER = "leader", _("Approval by the unit's leader")
    OFFICE = "office", _("Approval by the prevention office")
    FILING = "filing", _("Filing acknowledged by the prevention office")


class StepDecision(models.TextChoices):
    APPROVED = "approved", pgettext_lazy("outing step", "Approved")
    REJECTED = "rejected", pgettext_lazy("outing step", "Not approved")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("outing step", "Acknowledged")
    EXPIRED = "expired", pgettext_lazy("outing step", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("outing step", "Withdrawn")


class MonitoringWhen(models.TextChoices):
    """After which outings the returning person is under enhanced monitoring (加强健康监测)."""

    RISK = "risk", _("Only after a destination that was in a risk area during the trip")
    ALWAYS = "always", _("After every outing")
    NEVER = "never", _("Never")


# The roles that may be the approving leader: the unit's leader, or its liaison where a group has
# no leaders with accounts. Each needs ``approve`` on outings in lianfang.org.roles. Named here by
# what they do for an outing (the leader's role is called read-only elsewhere: it approves only this).
APPROVER_CHOICES = [
    (Role.LEADER.value, _("The unit's leader")),
    (Role.UNIT_ADMIN.value, _("The unit's liaison")),
]
# The office: it decides the office step and acknowledges filings.
OFFICE_ROLE = Role.GROUP_ADMIN
# Key roles (关键岗位) the office may choose among: whose absence matters in an outbreak.
KEY_ROLE_CHOICES = (
    Role.DUTY_LEADER,
    Role.DUTY_OFFICER,
    Role.CASE_MANAGER,
    Role.CHECKPOINT,
    Role.MATERIALS_KEEPER,
    Role.UNIT_ADMIN,
    Role.INSPECTOR,
)
DEFAULT_KEY_ROLES = [Role.DUTY_LEADER.value, Role.DUTY_OFFICER.value, Role.CASE_MANAGER.value]
DEFAULT_RISK_LEVELS = ["high", "medium"]
