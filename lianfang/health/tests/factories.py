"""Test helpers for the health app."""

from __future__ import annotations

from lianfang.health.models import Question
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role


def employee(unit, *, username: str | None = None, **fields):
    """A person on ``unit`` with an account holding the employee role (as activation makes it)."""
    person = PersonFactory(unit=unit, **fields)
    user = user_with_role(Role.EMPLOYEE, unit, username=username or person.employee_no)
    person.user = user
    person.save(update_fields=["user"])
    return person


def seed_answers(**overrides) -> dict[str, object]:
    """Answers to the seed questions of a normal day, keyed by current version id."""
    plain = {"travel-risk-area": "no", "contact-case": "no", "health-code": "green", **overrides}
    out = {}
    for question in Question.objects.filter(code__in=plain).select_related("current"):
        out[str(question.current_id)] = plain[question.code]
    return out
