from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    """Commando, vanguard and volunteer reserve teams (突击队、先锋队、志愿服务储备队) and their
    deployments (下沉): call-ups accepted first come, conflicts refused, hours credited home."""

    name = "lianfang.teams"
    label = "teams"
    verbose_name = _("Teams")

    def ready(self) -> None:
        # The unit daily report, the dashboard and the bulletin: people deployed today, by home unit.
        from lianfang.teams import feeds  # noqa: F401
