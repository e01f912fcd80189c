from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """Where a kind of unit sits in the group's tree."""

    GROUP = "group", _("Group")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    DEPARTMENT = "department", _("Department")
    SITE = "site", _("Site")


class Role(models.TextChoices):
    """Roles are held on a unit and cover its whole subtree."""

    GROUP_ADMIN = "group_admin", _("Group office administrator")
    UNIT_ADMIN = "unit_admin", _("Unit administrator / liaison")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    CHECKPOINT = "checkpoint", _("Checkpoint staff")
    # Sees case and contact details (流调 / 病例管理) for the unit's subtree; nobody else below the office does.
    CASE_MANAGER = "case_manager", _("Case manager")
    MATERIALS_KEEPER = "materials_keeper", _("Materials keeper")
    # 总带班领导: approves duty swaps and watches the duty rosters and logs of the unit's subtree.
    DUTY_LEADER = "duty_leader", _("Overall duty leader")
    INSPECTOR = "inspector", _("Inspector")
    LEADER = "leader", _("Unit leader")
    EMPLOYEE = "employee", _("Employee (self only)")
