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
        "org.groupsettings": frozenset({V, C}),
        "people.person": frozenset({V, A, C, D, I, E, U}),
        "core.objectchange": frozenset({V}),
        "core.auditevent": frozenset({V}),
        "core.job": frozenset({V}),
        "health.checkin": frozenset({V, A, C, E}),
        "health.question": frozenset({V, A, C}),
        "health.unitdaystat": frozenset({V, E}),
        "reporting.unitdailyreport": frozenset({V, A, C, E}),
        "reporting.raiseditem": frozenset({V, C}),
        "reporting.bulletin": frozenset({V, A, C, E}),
        "reporting.reportfield": frozenset({V, A, C}),
        "notify.robotchannel": frozenset({V, A, C, D}),
        "notify.delivery": frozenset({V}),
    },
    # The liaison keeps the unit's roster and calls its people, so sees phones and ID numbers
    # (each unmask is audited), but cannot grant roles or see the audit log.
    Role.UNIT_ADMIN: {
        "org.unit": frozenset({V, A, C, E}),
        "org.roleassignment": frozenset({V}),
        "people.person": frozenset({V, A, C, I, E, U}),
        "core.job": frozenset({V}),
        # Proxy check-ins (晨检) for staff without phones, and the unit's daily report.
        "health.checkin": frozenset({V, A, C, E}),
        "health.unitdaystat": frozenset({V, E}),
        "reporting.unitdailyreport": frozenset({V, A, C, E}),
        "reporting.raiseditem": frozenset({V}),
        "notify.robotchannel": frozenset({V, A, C, D}),
        "notify.delivery": frozenset({V}),
    },
    # The duty officer runs the morning check of the staff on duty.
    Role.DUTY_OFFICER: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
        "health.checkin": frozenset({V, A, C}),
        "health.unitdaystat": frozenset({V}),
        "reporting.unitdailyreport": frozenset({V}),
    },
    Role.CHECKPOINT: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
    },
    Role.INSPECTOR: {
        "org.unit": frozenset({V}),
        "health.unitdaystat": frozenset({V}),
        "reporting.unitdailyreport": frozenset({V}),
        "reporting.raiseditem": frozenset({V}),
    },
    Role.LEADER: {
        "org.unit": frozenset({V, E}),
        "people.person": frozenset({V, E}),
        "org.roleassignment": frozenset({V}),
        "health.checkin": frozenset({V, E}),
        "health.unitdaystat": frozenset({V, E}),
        "reporting.unitdailyreport": frozenset({V, E}),
        "reporting.raiseditem": frozenset({V}),
        "reporting.bulletin": frozenset({V, E}),
    },
    Role.EMPLOYEE: {},
}


def role_allows(role: str, model_label: str, action: str) -> bool:
    return action in ROLE_PERMISSIONS.get(role, {}).get(model_label, frozenset())
