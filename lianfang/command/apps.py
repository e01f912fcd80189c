from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "lianfang.command"
    label = "command"
    verbose_name = _("Urgent matters")

    def ready(self) -> None:
        # The unit daily report and the bulletin count urgent matters (by day, major ones, overdue clocks).
        from lianfang.command import feeds, selectors  # noqa: F401
        from lianfang.core.extensions import todo_providers

        # The home page: matters waiting for the user's duty room to acknowledge and pass on.
        todo_providers.register("command", selectors.level_todos)
