from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "lianfang.status"
    label = "status"
    verbose_name = _("Health status")

    def ready(self) -> None:
        from lianfang.people.signals import roster_changed

        roster_changed.connect(_status_for_roster, dispatch_uid="status-roster")


def _status_for_roster(sender, unit_ids, **kwargs) -> None:
    """New or moved people get their status (and the board its counts) once the change commits."""
    from django.db import transaction

    from lianfang.status.engine import recompute_on_commit
    from lianfang.status.services import people_needing_status

    ids = list(unit_ids)
    transaction.on_commit(lambda: recompute_on_commit(people_needing_status(ids)))
