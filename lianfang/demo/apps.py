from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The invented demo group and the ``lianfang demo`` / ``load_demo`` commands. At the top of the
    dependency order: it loads every app's demo data."""

    name = "lianfang.demo"
    label = "demo"
    verbose_name = _("Demo group")
