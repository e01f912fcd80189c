"""Background work of the roster. Thin: the import itself is in :mod:`lianfang.people.importer`.

The Huey task is the generic ``lianfang.core.tasks.run_job``; this module tells it how to run a
roster import (the consumer imports every app's ``tasks.py`` at start-up).
"""

from __future__ import annotations

from typing import Any

from lianfang.core.jobs import register_runner
from lianfang.core.models import Job
from lianfang.people.importer import ROSTER_IMPORT, roster_import_run


@register_runner(ROSTER_IMPORT)
def run_roster_import(job: Job) -> dict[str, Any]:
    return roster_import_run(job=job)
