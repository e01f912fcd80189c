from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "lianfang.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from lianfang.core import extensions
        from lianfang.privacy import gate, selectors
        from lianfang.privacy.choices import BASE_CATEGORIES, RETENTION

        # The categories of personal data the law's notice speaks of, with their retention (default,
        # floor, ceiling in days); later apps register theirs.
        for key, label in BASE_CATEGORIES:
            default, floor, ceiling = RETENTION[key]
            extensions.personal_data_categories.register(
                key,
                extensions.DataCategory(
                    key, label, retention_days=default, retention_floor=floor, retention_ceiling=ceiling
                ),
            )
        # May health data be collected for this person today? Asked by every check-in path. After a
        # stand-down (the outbreak declared over) no health data is collected at all.
        extensions.collection_gates.register("privacy.stand_down", gate.stand_down_refusals)
        extensions.collection_stops.register("privacy.stand_down", gate.stand_down_stop)
        extensions.collection_gates.register("privacy", gate.collection_refusals)
        # Art. 45: the person's own consent records on the "My data" page.
        extensions.personal_data_sources.register("privacy", selectors.consent_data_sections)
        extensions.todo_providers.register("privacy", selectors.todos_for)
