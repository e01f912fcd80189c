"""The scheduled bulletin draft. Thin: the work is in :func:`lianfang.reporting.services.bulletins.bulletin_draft_due`.

Huey discovers ``tasks.py`` modules only, so ``lianfang/reporting/tasks.py`` imports this module.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.reporting.services.bulletins import bulletin_draft_due


# Every minute rather than a crontab at the bulletin time: the office changes that time in the group
# settings without a restart, and the job is idempotent (one draft per date).
@db_periodic_task(crontab(minute="*"))
def build_bulletin_draft() -> int | None:
    """Build today's draft bulletin once the group's bulletin time has passed; returns its id."""
    bulletin = bulletin_draft_due()
    return bulletin.pk if bulletin else None
