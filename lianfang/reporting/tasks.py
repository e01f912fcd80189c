"""Jobs of the reporting app. Huey discovers tasks.py modules only, so the bulletin's jobs are imported here."""

from lianfang.reporting import tasks_bulletin  # noqa: F401
