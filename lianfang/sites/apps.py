from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    """Guarding the door (看好自己的门): sites, checkpoints and their entries, visitors, the personal
    pass, and disinfection plans and logs (消杀)."""

    name = "lianfang.sites"
    label = "sites"
    verbose_name = _("Sites and checkpoints")

    def ready(self) -> None:
        from lianfang.core.extensions import (
            bulletin_sections,
            case_listeners,
            contact_sources,
            personal_data_categories,
            personal_data_sources,
            retention_providers,
            todo_providers,
        )

        # The unit daily report, the dashboard and the bulletin: rounds due, done and overdue, terminal
        # disinfections not done.
        from lianfang.sites import bulletin, feeds, personal_data, retention, selectors  # noqa: F401
        from lianfang.sites.services.rounds import on_case_status

        # The home page: terminal disinfections, overdue rounds and the rounds still to do today.
        todo_providers.register("sites", selectors.todos_for)
        # The daily bulletin: disinfection done by unit, overdue sites, terminal disinfections.
        bulletin_sections.register(bulletin.SECTION.key, bulletin.SECTION)
        # ... and the checkpoints: people let in and turned away, by reason and by subsidiary.
        bulletin_sections.register(bulletin.GATES_SECTION.key, bulletin.GATES_SECTION)
        # "My data" (PIPL Art. 45): the rounds the person did (their name is on each record).
        personal_data_sources.register("sites", personal_data.sections)
        # A confirmed case opens a terminal disinfection (终末消毒) at its unit.
        case_listeners.register("sites", on_case_status)
        # Contact suggestions for a case: people let in at the same site on the same day.
        contact_sources.register("gates", selectors.entry_contacts)
        # Retention (PIPL Art. 19): entries at the gates are whereabouts, purged with trips and outings;
        # visitors have their own, short category.
        personal_data_categories.register(retention.CATEGORY.key, retention.CATEGORY)
        for provider in retention.PROVIDERS:
            retention_providers.register(provider.key, provider)
