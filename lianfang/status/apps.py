from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "lianfang.status"
    label = "status"
    verbose_name = _("Health status")

    def ready(self) -> None:
        from lianfang.core import extensions
        from lianfang.people.signals import roster_changed
        from lianfang.status import engine, guards

        roster_changed.connect(_status_for_roster, dispatch_uid="status-roster")
        # The writes of health and cases tell which people's facts changed; we recompute them.
        extensions.facts_listeners.register("status", lambda ids, what: engine.recompute_on_commit(ids))
        extensions.risk_area_listeners.register("status", engine.after_risk_areas_changed)
        extensions.checkin_hooks.register("status", engine.after_checkin)
        # May this person come to work today? Asked by the check-in and everything that puts people
        # somewhere; answered from the status.
        extensions.checkin_guards.register("status", guards.work_verdicts)
        # "My data" (PIPL Art. 45): the person's status history and its reasons.
        from lianfang.status import personal_data

        extensions.personal_data_sources.register("status", personal_data.sections)


def _status_for_roster(sender, unit_ids, **kwargs) -> None:
    """New or moved people get their status (and the board its counts) once the change commits."""
    from django.db import transaction

    from lianfang.status.engine import recompute_on_commit
    from lianfang.status.services import people_needing_status

    ids = list(unit_ids)
    transaction.on_commit(lambda: recompute_on_commit(people_needing_status(ids)))
