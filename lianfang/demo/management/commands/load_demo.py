"""``lianfang load_demo``: load the invented demo group (lianfang/demo/loader.py) into an empty database."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from lianfang.demo import loader as demo


def refuse_in_production() -> None:
    # The demo's password is printed in the README: a production database must never get these logins.
    if settings.PRODUCTION:
        raise CommandError(_("The demo group is never loaded when LIANFANG_PRODUCTION is set."))


def reset_sqlite_database() -> None:
    """Delete the SQLite file and migrate afresh. Never offered for PostgreSQL: that is real data."""
    connection = connections["default"]
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite":
        raise CommandError(_("--force-reset only works on the embedded SQLite database."))
    if name == ":memory:" or "mode=memory" in name:
        raise CommandError(_("--force-reset cannot reset an in-memory database."))
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(name + suffix).unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def print_result(write, result: demo.DemoSummary) -> None:
    if result.already_loaded:
        write(_("The demo group is already loaded."))
    else:
        values = {
            "seconds": result.seconds,
            "units": result.units,
            "enterprises": result.enterprises,
            "people": result.people,
        }
        write(
            _("Demo group loaded in %(seconds).1f s: %(enterprises)d enterprises, %(units)d units, %(people)d people.")
            % values
        )
        if result.daily is not None:
            write(
                _(
                    "The last two weeks: %(checkins)d check-ins, %(reports)d unit daily reports, "
                    "%(raised)d problems and needs raised, yesterday's bulletin published."
                )
                % {"checkins": result.daily.checkins, "reports": result.daily.reports, "raised": result.daily.raised}
            )
        write(_control_and_materials())
        write(_gates())


def _control_and_materials() -> str:
    """What the demo holds of cases and materials, counted from the database."""
    from lianfang.cases.models import Case, Contact, Isolation
    from lianfang.donations.models import Donation
    from lianfang.materials.models import Movement, Transfer

    return _(
        "Prevention and control: %(cases)d cases, %(contacts)d close contacts, %(isolated)d people in "
        "isolation. Materials: %(movements)d stock movements, %(transfers)d transfers, %(donations)d donations."
    ) % {
        "cases": Case.objects.count(),
        "contacts": Contact.objects.count(),
        "isolated": Isolation.objects.filter(released_on__isnull=True).count(),
        "movements": Movement.objects.count(),
        "transfers": Transfer.objects.count(),
        "donations": Donation.objects.count(),
    }


def _gates() -> str:
    """What the demo holds at the gates, counted from the database."""
    from lianfang.sites.choices import Decision
    from lianfang.sites.models import Checkpoint, Entry, Visitor

    return _(
        "Checkpoints: %(checkpoints)d gates, %(entries)d passages in the last week (%(denied)d turned away), "
        "%(visitors)d visitors."
    ) % {
        "checkpoints": Checkpoint.objects.count(),
        "entries": Entry.objects.count(),
        "denied": Entry.objects.filter(decision=Decision.DENY).count(),
        "visitors": Visitor.objects.count(),
    }


class Command(BaseCommand):
    help = "Load the demo group (12 enterprises, about 2,000 people, one login per persona) into an empty database."
    leave_locale_alone = True

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force-reset",
            action="store_true",
            help="SQLite only: delete the database file and start again from an empty database.",
        )

    def handle(self, *args, **options) -> None:
        refuse_in_production()
        if options["force_reset"]:
            reset_sqlite_database()
        try:
            result = demo.load()
        except demo.DemoRefused as exc:
            raise CommandError(
                _("%(reason)s Use an empty database, or --force-reset to wipe the embedded SQLite one.")
                % {"reason": exc}
            ) from exc
        print_result(self.stdout.write, result)
        self.stdout.write("")
        self.stdout.write(demo.logins_table())
