from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "lianfang.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Core's restricted querysets and API base classes ask the roles held on units.
        from lianfang.core.scoping import set_policy
        from lianfang.org import scoping

        set_policy(scoping)
