from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "lianfang.reporting"
    label = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from lianfang.core import extensions
        from lianfang.notify.choices import ReminderKind
        from lianfang.reporting.selectors.bulletins import bulletin_todos
        from lianfang.reporting.selectors.reports import report_todos
        from lianfang.reporting.services.reminders import deadline_round_send

        extensions.todo_providers.register("reporting", report_todos)
        # The office: today's bulletin draft is ready to review and publish.
        extensions.todo_providers.register("reporting.bulletin", bulletin_todos)
        # At the report deadline: late and missing units are chased, the office told.
        extensions.reminder_rounds.register(
            ReminderKind.DEADLINE,
            extensions.ReminderRound(
                kind=ReminderKind.DEADLINE,
                times=lambda settings: [settings.report_deadline],
                send=deadline_round_send,
            ),
        )
