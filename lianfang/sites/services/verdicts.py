"""What the gate shows for one passage: allowed or not, why, and who (masked). Shared by the gate's
decision (:mod:`gate`) and the visitors' check (:mod:`visitors`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lianfang.people.models import Person
from lianfang.sites.choices import Decision, DenyReason
from lianfang.sites.models import Visitor
from lianfang.status.choices import Colour


@dataclass
class Verdict:
    """What the gate shows: allowed or not, why, and who (masked)."""

    decision: str
    reason: str = ""
    name: str = ""
    unit: str = ""
    colour: str = ""
    person: Person | None = None
    visitor: Visitor | None = None
    kind: str = ""
    token_id: str = ""
    temperature_ok: bool | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == Decision.ALLOW

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "reason_text": str(DenyReason(self.reason).label) if self.reason else "",
            "name": self.name,
            "unit": self.unit,
            "colour": self.colour,
            "colour_text": str(Colour(self.colour).label) if self.colour in Colour.values else "",
        }


def deny(reason: str, **shown: Any) -> Verdict:
    return Verdict(decision=Decision.DENY, reason=reason, **shown)
