from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "lianfang.health"
    label = "health"
    verbose_name = _("Health")

    def ready(self) -> None:
        # Every process registers the cache's invalidation signals, not only those serving check-ins.
        from lianfang.health import cache  # noqa: F401
        from lianfang.people.signals import roster_changed

        roster_changed.connect(_refresh_expected, dispatch_uid="health-refresh-expected")


def _refresh_expected(sender, unit_ids, **kwargs) -> None:
    """Today's expected headcounts follow the roster (dashboards compare them with check-ins)."""
    from django.utils import timezone

    from lianfang.health.services.checkins import unit_day_refresh_expected

    unit_day_refresh_expected(unit_ids=unit_ids, date=timezone.localdate())
