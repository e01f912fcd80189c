"""Who counts for what: the one definition of each headcount, used by every page, report, export and
bulletin that counts people (docs/counts.md). A page that shows a count names which one it is.

* **Expected to check in (应打卡人员)**: people whose employment is active, of every category —
  employees, temporary, dispatched and outsourced workers, and the family members the group
  registers (they report daily too). The base of completion, non-reporters, the dashboard, the unit
  report's "expected" line, the bulletin and the status board. People on leave, who have left or
  retired are not expected.
* **Staff (职工，不含家属)**: the people expected to check in without family members: the unit
  report's headcount line and the bulletin's.
* **On the roster (在册)**: active or on leave: whose status is kept and who may return to work.
* **At work (到岗)** is not a headcount but a count of the day's check-ins that say "on site"; a person
  in isolation or in hospital is never counted at work (the check-in guards hold their mode).
"""

from __future__ import annotations

from django.db.models import Q

from lianfang.people.choices import Category, EmploymentStatus


def expected(prefix: str = "") -> Q:
    """People expected to check in (``prefix``: the path to the person, e.g. ``"person__"``)."""
    return Q(**{f"{prefix}employment_status": EmploymentStatus.ACTIVE})


def staff(prefix: str = "") -> Q:
    """Expected to check in, family members left out."""
    return expected(prefix) & ~Q(**{f"{prefix}category": Category.FAMILY})


def on_roster(prefix: str = "") -> Q:
    """Active or on leave."""
    return Q(**{f"{prefix}employment_status__in": (EmploymentStatus.ACTIVE, EmploymentStatus.ON_LEAVE)})
