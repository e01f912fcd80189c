from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "lianfang.health"
    label = "health"
    verbose_name = _("Health")

    def ready(self) -> None:
        # The unit daily report counts the day's check-ins through these feeds.
        # Every process registers the cache's invalidation signals, not only those serving check-ins.
        from lianfang.health import (
            cache,  # noqa: F401
            feeds,  # noqa: F401
        )
        from lianfang.people.signals import roster_changed

        roster_changed.connect(_refresh_expected, dispatch_uid="health-refresh-expected")

        from lianfang.core import extensions
        from lianfang.health.selectors import checkin_todos
        from lianfang.health.services.reminders import checkin_round_send
        from lianfang.notify.choices import ReminderKind

        extensions.todo_providers.register("health", checkin_todos)
        # "My data" (PIPL Art. 45): the person's check-ins, answers and trips.
        from lianfang.health import personal_data

        extensions.personal_data_sources.register("health", personal_data.sections)
        # Retention (PIPL Art. 19): how privacy's purge deletes check-ins and trips past their time.
        from lianfang.health import retention

        for provider in retention.PROVIDERS:
            extensions.retention_providers.register(provider.key, provider)
        # The check-in reminders (e.g. 10:00 and 12:00), sent by notify's scheduler.
        extensions.reminder_rounds.register(
            ReminderKind.CHECKIN,
            extensions.ReminderRound(
                kind=ReminderKind.CHECKIN,
                times=lambda settings: settings.reminder_time_list(),
                send=checkin_round_send,
            ),
        )


def _refresh_expected(sender, unit_ids, **kwargs) -> None:
    """Today's expected headcounts follow the roster (dashboards compare them with check-ins)."""
    from django.utils import timezone

    from lianfang.health.services.checkins import unit_day_refresh_expected

    unit_day_refresh_expected(unit_ids=unit_ids, date=timezone.localdate())
