from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "lianfang.cases"
    label = "cases"
    verbose_name = _("Cases and isolation")

    def ready(self) -> None:
        # The unit daily report counts cases, contacts and isolation from these records.
        from lianfang.cases import feeds, selectors  # noqa: F401
        from lianfang.core.extensions import contact_sources, todo_providers

        # Suggested close contacts: people on site with the case on the same days (check-ins).
        contact_sources.register("checkins", selectors.checkin_contacts)
        # The home page: follow-up readings the user has to record today.
        todo_providers.register("cases", selectors.followup_todos)
        # "My data" (PIPL Art. 45): the person's cases, contacts, isolation, follow-ups and care.
        from lianfang.cases import personal_data
        from lianfang.core.extensions import personal_data_sources

        personal_data_sources.register("cases", personal_data.sections)
        # Retention (PIPL Art. 19): how privacy's purge deletes cases with their contacts, isolation and care.
        from lianfang.cases import retention
        from lianfang.core.extensions import retention_providers

        for provider in retention.PROVIDERS:
            retention_providers.register(provider.key, provider)
