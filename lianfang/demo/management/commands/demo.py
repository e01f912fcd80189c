"""``lianfang demo``: migrate, load the demo group if the database is empty, print the logins, serve."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianfang.core.management.commands.serve import add_serve_arguments, migrate, serve
from lianfang.demo import loader as demo
from lianfang.demo.management.commands.load_demo import print_result, refuse_in_production


class Command(BaseCommand):
    help = "Try Lianfang: migrate, load the demo group into an empty database, print the logins and serve."
    leave_locale_alone = True
    requires_system_checks = []  # migrate() runs them, so they run once

    def add_arguments(self, parser) -> None:
        add_serve_arguments(parser)
        parser.add_argument("--no-serve", action="store_true", help="Load and print the logins, then stop.")

    def handle(self, *args, **options) -> None:
        refuse_in_production()
        write = self.stdout.write
        migrate(write)
        loaded = demo.is_loaded() or demo.is_empty()
        if loaded:
            try:
                print_result(write, demo.load())
            except demo.DemoRefused as exc:
                raise CommandError(str(exc)) from exc
        else:
            # Someone's own data: serve it as it is, and never mix invented people into it.
            write(_("The database holds data that is not the demo group; the demo is not loaded."))

        def show_logins() -> None:
            if loaded:
                write("")
                write(demo.logins_table())
                write("")

        if options["no_serve"]:
            show_logins()
            return
        # The logins are printed once the server answers, so they are the last thing on screen.
        code = serve(options, write, run_migrations=False, quiet=True, on_ready=show_logins)
        if code:
            raise CommandError(_("Lianfang stopped because one of its processes failed."), returncode=code)
