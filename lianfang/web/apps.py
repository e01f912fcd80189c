from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The web shell at the top of the dependency order: the home page with every role's to-dos, the
    menu, the Manage hub and the audit log's pages. It may read every app; no app reads it."""

    name = "lianfang.web"
    label = "web"
    verbose_name = _("Web pages")
