from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "lianfang.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        # The unit daily report counts the roster (headcounts) through these feeds.
        from lianfang.core.extensions import headcount_providers
        from lianfang.people import feeds, selectors  # noqa: F401

        # The unit pages (org) show how many people are at work: the roster decides who counts.
        headcount_providers.register("people", selectors.headcounts)
