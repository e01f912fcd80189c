from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    """Guarding the door (看好自己的门): sites, checkpoints and their entries, visitors, the personal
    pass, and disinfection plans and logs (消杀)."""

    name = "lianfang.sites"
    label = "sites"
    verbose_name = _("Sites and checkpoints")
