from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "lianfang.command"
    label = "command"
    verbose_name = _("Urgent matters")

    def ready(self) -> None:
        # The unit daily report and the bulletin count urgent matters (by day, major ones, overdue clocks).
        from lianfang.command import bulletin, feeds, selectors  # noqa: F401
        from lianfang.core.extensions import bulletin_sections, todo_providers

        # The home page: matters waiting for the user's duty room to acknowledge and pass on.
        todo_providers.register("command", selectors.level_todos)
        # The daily bulletin: the day's matters by level, overdue clocks and skipped levels.
        bulletin_sections.register(bulletin.SECTION.key, bulletin.SECTION)
