from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutingsConfig(AppConfig):
    """Outing approval and filing (外出审批报备): requests, their route, the daily check of the
    destination against the risk areas, and the measures on return."""

    name = "lianfang.outings"
    label = "outings"
    verbose_name = _("Outings")

    def ready(self) -> None:
        from lianfang.core.extensions import personal_data_sources, retention_providers, todo_providers

        # The unit daily report and the bulletin: outings approved and filed, people away (in risk areas).
        from lianfang.outings import feeds, personal_data, retention, selectors  # noqa: F401

        # The home page: a return to confirm, today's second reading, requests to approve, filings to
        # acknowledge, people under enhanced monitoring without a reading.
        todo_providers.register("outings", selectors.todos_for)
        # "My data" (PIPL Art. 45): the person's outings and monitoring readings.
        personal_data_sources.register("outings", personal_data.sections)
        # Retention (PIPL Art. 19): outings are whereabouts, purged with the trips' category.
        for provider in retention.PROVIDERS:
            retention_providers.register(provider.key, provider)
