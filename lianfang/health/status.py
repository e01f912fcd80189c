"""The personal health status engine (green / yellow / red). To be written (issue 4)."""

from __future__ import annotations

from collections.abc import Iterable

from lianfang.health.choices import StatusCause


def recompute(person_ids: Iterable[int], *, cause: str = StatusCause.EVENT) -> int:
    """Recompute the status of these people now; answer how many changed. Called on commit by the
    services whose records are facts of the rules (cases, contacts, isolation, follow-ups, trips,
    check-ins, risk areas) and nightly for everyone."""
    return 0
