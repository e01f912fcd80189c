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
        roster_changed.connect(_status_for_roster, dispatch_uid="health-status-roster")


def _refresh_expected(sender, unit_ids, **kwargs) -> None:
    """Today's expected headcounts follow the roster (dashboards compare them with check-ins)."""
    from django.utils import timezone

    from lianfang.health.services import unit_day_refresh_expected

    unit_day_refresh_expected(unit_ids=unit_ids, date=timezone.localdate())


def _status_for_roster(sender, unit_ids, **kwargs) -> None:
    """New or moved people get their status (and the board its counts) once the change commits."""
    from django.db import transaction

    from lianfang.health.risk_services import people_needing_status
    from lianfang.health.status import recompute_on_commit

    ids = list(unit_ids)
    transaction.on_commit(lambda: recompute_on_commit(people_needing_status(ids)))
