"""The ``lianfang`` console command: ``manage.py`` under the project's own name.

Every Django management command works (``lianfang migrate``, ``lianfang createsuperuser`` …), plus
Lianfang's own: ``lianfang serve`` (production-style server with the job consumer), ``lianfang demo``
(the demo group, its logins, and the server), ``lianfang load_demo``, and ``lianfang backup`` /
``lianfang restore`` (the database and uploaded files in one archive, docs/operations.md).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else list(argv)
    execute_from_command_line(["lianfang", *args])


if __name__ == "__main__":  # ``python -m lianfang.cli``: how ``serve`` starts its job consumer
    main()
