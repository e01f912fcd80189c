"""What each role may do, per model. The single table behind ``restrict(user, action)``.

A model not listed for a role is invisible to that role. Employees see their own person record
through ``Person.scope_self`` and nothing else through their role.
"""

from __future__ import annotations

from lianfang.org.choices import Action, Role

V, A, C, D, I, E, U = (  # noqa: E741
    Action.VIEW,
    Action.ADD,
    Action.CHANGE,
    Action.DELETE,
    Action.IMPORT,
    Action.EXPORT,
    Action.UNMASK,
)

ROLE_PERMISSIONS: dict[str, dict[str, frozenset[str]]] = {
    Role.GROUP_ADMIN: {
        "org.unit": frozenset({V, A, C, D, E}),
        "org.roleassignment": frozenset({V, A, C, D}),
        "people.person": frozenset({V, A, C, D, I, E, U}),
        "core.objectchange": frozenset({V}),
        "core.auditevent": frozenset({V}),
        "core.job": frozenset({V}),
    },
    # The liaison keeps the unit's roster and calls its people, so sees phones and ID numbers
    # (each unmask is audited), but cannot grant roles or see the audit log.
    Role.UNIT_ADMIN: {
        "org.unit": frozenset({V, A, C, E}),
        "org.roleassignment": frozenset({V}),
        "people.person": frozenset({V, A, C, I, E, U}),
        "core.job": frozenset({V}),
    },
    Role.DUTY_OFFICER: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
    },
    Role.CHECKPOINT: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
    },
    Role.INSPECTOR: {
        "org.unit": frozenset({V}),
    },
    Role.LEADER: {
        "org.unit": frozenset({V, E}),
        "people.person": frozenset({V, E}),
        "org.roleassignment": frozenset({V}),
    },
    Role.EMPLOYEE: {},
}


def role_allows(role: str, model_label: str, action: str) -> bool:
    return action in ROLE_PERMISSIONS.get(role, {}).get(model_label, frozenset())
