from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "lianfang.duty"
    label = "duty"
    verbose_name = _("Duty")

    def ready(self) -> None:
        from lianfang.core.extensions import (
            bulletin_sections,
            contact_sources,
            personal_data_categories,
            personal_data_sources,
            retention_providers,
            todo_providers,
        )

        # The unit daily report and the bulletin: duty log entries and unaccepted handovers of the day.
        from lianfang.duty import bulletin, feeds, personal_data, retention, selectors  # noqa: F401

        # Suggested close contacts: people on the same duty shift as the case.
        contact_sources.register("duty", selectors.shift_contacts)
        # The home page: swaps to answer or approve.
        todo_providers.register("duty", selectors.todos_for)
        # "My data" (PIPL Art. 45): the person's shifts, leave and the log entries they recorded.
        personal_data_sources.register("duty", personal_data.sections)
        # The daily bulletin: duty kept, log entries, handovers not accepted, uncovered hours.
        bulletin_sections.register(bulletin.SECTION.key, bulletin.SECTION)
        # Retention (PIPL Art. 19): the duty category (basis set by law) and how privacy's purge deletes it.
        personal_data_categories.register(retention.CATEGORY.key, retention.CATEGORY)
        for provider in retention.PROVIDERS:
            retention_providers.register(provider.key, provider)
