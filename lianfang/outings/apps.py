from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutingsConfig(AppConfig):
    """Outing approval and filing (外出审批报备): requests, their route, the daily check of the
    destination against the risk areas, and the measures on return."""

    name = "lianfang.outings"
    label = "outings"
    verbose_name = _("Outings")
