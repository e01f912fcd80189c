"""Everyone's status in the demo group, computed once as the nightly run would, after the cases,
isolations, risk areas and trips of the other apps' demos are on record."""

from __future__ import annotations

import datetime
import random
from typing import Any

from lianfang.org.models import Unit
from lianfang.status.choices import StatusCause
from lianfang.status.engine import recompute_all


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    recompute_all(cause=StatusCause.NIGHTLY, today=today)
