"""What each role may do, per model. The single table behind ``restrict(user, action)``.

A model not listed for a role is invisible to that role. Employees see their own person record
through ``Person.scope_self`` and nothing else through their role.
"""

from __future__ import annotations

from lianfang.core.scoping import Action
from lianfang.org.choices import Role

V, A, C, D, I, E, U, P = (  # noqa: E741
    Action.VIEW,
    Action.ADD,
    Action.CHANGE,
    Action.DELETE,
    Action.IMPORT,
    Action.EXPORT,
    Action.UNMASK,
    Action.APPROVE,
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
        # Sign-in protection (issue 11): service tokens; others' sign-ins, ended by the office (delete).
        "accounts.servicetoken": frozenset({V, A, C}),
        "accounts.usersession": frozenset({V, D}),
        "health.checkin": frozenset({V, A, C, E}),
        "health.question": frozenset({V, A, C}),
        "health.unitdaystat": frozenset({V, E}),
        "reporting.unitdailyreport": frozenset({V, A, C, E}),
        "reporting.raiseditem": frozenset({V, C}),
        "reporting.bulletin": frozenset({V, A, C, E}),
        "reporting.reportfield": frozenset({V, A, C}),
        "notify.robotchannel": frozenset({V, A, C, D}),
        "notify.delivery": frozenset({V}),
        # Prevention and control (issue 4). Unmask on a status = see its reason, not only the colour.
        "health.riskarea": frozenset({V, A, C, D, I, E}),
        "status.statusrule": frozenset({V, A, C, D}),
        "health.trip": frozenset({V, A, C, D, E}),
        "status.personstatus": frozenset({V, C, E, U}),
        "status.statuschange": frozenset({V}),
        "cases.case": frozenset({V, A, C, E, U}),
        "cases.contact": frozenset({V, A, C, D, E, U}),
        "cases.isolation": frozenset({V, A, C, E}),
        "cases.followup": frozenset({V, A, C}),
        "cases.careassignment": frozenset({V, A, C}),
        "cases.carecontact": frozenset({V, A, C}),
        "cases.clusteralert": frozenset({V, C}),
        # Materials (issue 5).
        "materials.item": frozenset({V, A, C}),
        "materials.stock": frozenset({V, C, E}),
        "materials.movement": frozenset({V, A, E}),
        "materials.stocktake": frozenset({V, A, E}),
        "materials.materialrequest": frozenset({V, A, C, E}),
        "materials.offer": frozenset({V, A, C, E}),
        "materials.transfer": frozenset({V, A, C, E, P}),
        "materials.rebalanceproposal": frozenset({V, A, C, P}),
        "donations.donation": frozenset({V, A, C, E}),
        "donations.collection": frozenset({V, A, C, E}),
        "donations.fund": frozenset({V, A, C, E}),
        "donations.spending": frozenset({V, A, C, E, P}),
        # Privacy (issue 11): the notice, legal bases and emergencies are set on the group itself;
        # change on a consent record = review a withdrawal (records never change).
        "privacy.privacynotice": frozenset({V, A, C}),
        "privacy.legalbasis": frozenset({V, C}),
        "privacy.emergencyperiod": frozenset({V, A, C}),
        "privacy.consentrecord": frozenset({V, A, C, E}),
        # Retention and purge (issue 11): set on the group itself; add on a receipt = start a purge run
        # (a dry run from the page); a stand-down is proposed (add) and confirmed (change) by two admins.
        "privacy.retentionpolicy": frozenset({V, C}),
        "privacy.purgereceipt": frozenset({V, A, E}),
        "privacy.standdown": frozenset({V, A, C}),
        # Duty (issue 12): the office decides which units keep duty (posts), may override any roster
        # and approve any swap (approve), and sees every gap, conflict and unaccepted handover.
        "duty.dutypost": frozenset({V, A, C, D, E}),
        "duty.shift": frozenset({V, A, C, D, E, P}),
        "duty.leave": frozenset({V, A, C, D}),
        "duty.swap": frozenset({V, A, C, P}),
        "duty.coveragegap": frozenset({V}),
        "duty.shiftconflict": frozenset({V}),
        "duty.logentry": frozenset({V, A, C, E}),
        "duty.handover": frozenset({V, A, C}),
        # Urgent matters (issue 12): report, act at any level (change), close; the levels' limits.
        "command.urgentmatter": frozenset({V, A, C, E}),
        "command.severitylevel": frozenset({V, C}),
        # Outings (issue 13): the office sees every outing, asks for someone, confirms a return for them,
        # decides any step in its subtree (approve) and acknowledges filings; it sets the route.
        "outings.outing": frozenset({V, A, C, E, P}),
        "outings.outingstep": frozenset({V}),
        "outings.monitoringreading": frozenset({V, A}),
        "outings.outingsettings": frozenset({V, C}),
        # Disinfection (issue 13): the office keeps the catalogue of disinfectants, plans for any site,
        # opens a terminal disinfection by hand (add on a round) and logs a round anywhere.
        "sites.disinfectant": frozenset({V, A, C}),
        "sites.disinfectionplan": frozenset({V, A, C, E}),
        "sites.disinfectionslot": frozenset({V, A, E}),
        "sites.disinfectionlog": frozenset({V, A, C, E}),
        # Checkpoints (issue 13): the office sets up gates anywhere, reads and exports entries, sees
        # visitors' phones (audited) and rotates the keys that sign passes.
        "sites.checkpoint": frozenset({V, A, C}),
        "sites.entry": frozenset({V, E}),
        "sites.visitor": frozenset({V, A, C, E, U}),
        "sites.passkey": frozenset({V, C}),
        # Teams (issue 14): the office keeps the group's commando, vanguard and reserve teams, takes in
        # members from anywhere in the group, deploys and calls them up, records hours, ends with a report.
        "teams.team": frozenset({V, A, C, E}),
        "teams.teammember": frozenset({V, A, C, E}),
        "teams.deployment": frozenset({V, A, C, E}),
        "teams.assignment": frozenset({V, C, E}),
        "teams.shifthours": frozenset({V, A, C}),
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
        # The liaison sees the colours of the unit's people and records trips of returning staff.
        "health.trip": frozenset({V, A}),
        "status.personstatus": frozenset({V}),
        "materials.item": frozenset({V}),
        "materials.stock": frozenset({V}),
        "materials.movement": frozenset({V}),
        "materials.stocktake": frozenset({V}),
        "materials.materialrequest": frozenset({V, A}),
        "materials.offer": frozenset({V, A}),
        "materials.transfer": frozenset({V}),
        "donations.donation": frozenset({V}),
        # Add on a collection: record what the unit gave (to one organised above it, too).
        "donations.collection": frozenset({V, A}),
        "donations.fund": frozenset({V}),
        "donations.spending": frozenset({V, A}),
        # Paper consent of staff without phones (attested by the liaison), and the unit's register.
        "privacy.consentrecord": frozenset({V, A}),
        # Duty (issue 12): the liaison keeps the unit's roster (shifts, leave) and reads its log.
        "duty.dutypost": frozenset({V}),
        "duty.shift": frozenset({V, A, C, D, E}),
        "duty.leave": frozenset({V, A, C, D}),
        "duty.swap": frozenset({V, A}),
        "duty.coveragegap": frozenset({V}),
        "duty.shiftconflict": frozenset({V}),
        "duty.logentry": frozenset({V, E}),
        "duty.handover": frozenset({V}),
        # Urgent matters (issue 12): report for the unit, act at its level (acknowledge, forward, resolve).
        "command.urgentmatter": frozenset({V, A, C}),
        # Outings (issue 13): the liaison sees the unit's outings, asks and confirms a return for staff
        # without phones, records their monitoring readings; approves only where the office made the
        # liaison the approving role (the service checks the step's role).
        "outings.outing": frozenset({V, A, C, E, P}),
        "outings.outingstep": frozenset({V}),
        "outings.monitoringreading": frozenset({V, A}),
        # Disinfection (issue 13): the liaison plans the unit's sites, logs rounds and corrects a record.
        "sites.disinfectant": frozenset({V}),
        "sites.disinfectionplan": frozenset({V, A, C, E}),
        "sites.disinfectionslot": frozenset({V, A, E}),
        "sites.disinfectionlog": frozenset({V, A, C, E}),
        # Checkpoints (issue 13): the liaison sets up the unit's gates, reads their entries, registers
        # and calls visitors (phones audited) and prints cards for staff without phones.
        "sites.checkpoint": frozenset({V, A, C}),
        "sites.entry": frozenset({V, E}),
        "sites.visitor": frozenset({V, A, C, E, U}),
        # Teams (issue 14): the liaison runs the unit's own teams and deployments, sees the unit's people
        # in any team and holds one back when the unit needs them (change on the member).
        "teams.team": frozenset({V, A, C}),
        "teams.teammember": frozenset({V, A, C}),
        "teams.deployment": frozenset({V, A, C}),
        "teams.assignment": frozenset({V, C}),
        "teams.shifthours": frozenset({V, A, C}),
    },
    # The duty officer runs the morning check of the staff on duty.
    Role.DUTY_OFFICER: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
        "health.checkin": frozenset({V, A, C}),
        "health.unitdaystat": frozenset({V}),
        "reporting.unitdailyreport": frozenset({V}),
        "status.personstatus": frozenset({V}),
        # Keeps the duty log, hands over and takes over, asks for swaps (add) and answers them (change).
        "duty.dutypost": frozenset({V}),
        "duty.shift": frozenset({V}),
        "duty.leave": frozenset({V}),
        "duty.swap": frozenset({V, A, C}),
        "duty.coveragegap": frozenset({V}),
        "duty.shiftconflict": frozenset({V}),
        "duty.logentry": frozenset({V, A, C}),
        "duty.handover": frozenset({V, A, C}),
        # Urgent matters (issue 12): the duty room reports, acknowledges, forwards and resolves.
        "command.urgentmatter": frozenset({V, A, C}),
    },
    # At the gate: the colour decides entry.
    Role.CHECKPOINT: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
        "status.personstatus": frozenset({V}),
        # Urgent matters (issue 12): a checkpoint incident is reported from the gate.
        "command.urgentmatter": frozenset({V, A}),
        # Disinfection (issue 13): the site's staff do the rounds and log them from a phone.
        "sites.disinfectant": frozenset({V}),
        "sites.disinfectionplan": frozenset({V}),
        "sites.disinfectionslot": frozenset({V}),
        "sites.disinfectionlog": frozenset({V, A}),
        # The gate (issue 13): scans passes and records entries, registers walk-in visitors.
        "sites.checkpoint": frozenset({V}),
        "sites.entry": frozenset({V, A}),
        "sites.visitor": frozenset({V, A, C}),
    },
    # Cases, contacts, isolation and care of the unit's subtree: the only role below the office that
    # sees case details (every read audited); calls people, so sees phones.
    Role.CASE_MANAGER: {
        "org.unit": frozenset({V}),
        # Outings (issue 13): where people are and were, and who is under enhanced monitoring.
        "outings.outing": frozenset({V, E}),
        "outings.outingstep": frozenset({V}),
        "outings.monitoringreading": frozenset({V}),
        "people.person": frozenset({V, U}),
        "health.checkin": frozenset({V}),
        "health.trip": frozenset({V, A, C, D, E}),
        "status.personstatus": frozenset({V, E, U}),
        "status.statuschange": frozenset({V}),
        "cases.case": frozenset({V, A, C, E, U}),
        "cases.contact": frozenset({V, A, C, D, E, U}),
        "cases.isolation": frozenset({V, A, C, E}),
        "cases.followup": frozenset({V, A, C}),
        "cases.careassignment": frozenset({V, A, C}),
        "cases.carecontact": frozenset({V, A, C}),
        "cases.clusteralert": frozenset({V}),
        # Urgent matters (issue 12): a suspected case at work is reported at once.
        "command.urgentmatter": frozenset({V, A}),
        # Disinfection (issue 13): whether the terminal disinfection after a case was done, and when.
        "sites.disinfectionslot": frozenset({V}),
        "sites.disinfectionlog": frozenset({V}),
        # Who passed a gate where a case was, that day: the evidence of contact suggestions.
        "sites.entry": frozenset({V}),
    },
    # Keeps the unit's store: issues, receives, counts, ships and receives transfers, records donations.
    Role.MATERIALS_KEEPER: {
        "org.unit": frozenset({V}),
        "materials.item": frozenset({V}),
        "materials.stock": frozenset({V, C, E}),
        "materials.movement": frozenset({V, A, E}),
        "materials.stocktake": frozenset({V, A, E}),
        "materials.materialrequest": frozenset({V, A, C, E}),
        "materials.offer": frozenset({V, A, C, E}),
        "materials.transfer": frozenset({V, A, C, E}),
        "donations.donation": frozenset({V, A, C, E}),
        "donations.collection": frozenset({V}),
        "donations.fund": frozenset({V}),
        "donations.spending": frozenset({V, A}),
        # Urgent matters (issue 12): a shortage that stops front-line work.
        "command.urgentmatter": frozenset({V, A}),
    },
    # The overall duty leader (总带班领导) of the unit's subtree: approves swaps, may edit the roster,
    # reads the logs and handovers and sees the gaps.
    Role.DUTY_LEADER: {
        "org.unit": frozenset({V}),
        "people.person": frozenset({V}),
        "duty.dutypost": frozenset({V}),
        "duty.shift": frozenset({V, A, C, E}),
        "duty.leave": frozenset({V, A, C}),
        "duty.swap": frozenset({V, A, C, P}),
        "duty.coveragegap": frozenset({V}),
        "duty.shiftconflict": frozenset({V}),
        "duty.logentry": frozenset({V, E}),
        "duty.handover": frozenset({V}),
        # Urgent matters (issue 12): the overall duty leader acts at the levels of the subtree.
        "command.urgentmatter": frozenset({V, A, C, E}),
    },
    Role.INSPECTOR: {
        "org.unit": frozenset({V}),
        "health.unitdaystat": frozenset({V}),
        "reporting.unitdailyreport": frozenset({V}),
        "reporting.raiseditem": frozenset({V}),
        "command.urgentmatter": frozenset({V}),
        # Disinfection (issue 13): the record sheet (消毒记录表) inspectors ask for, plans and photos.
        "sites.disinfectant": frozenset({V}),
        "sites.disinfectionplan": frozenset({V}),
        "sites.disinfectionslot": frozenset({V}),
        "sites.disinfectionlog": frozenset({V}),
        # Checkpoints (issue 13): which gates a site has and their rules (entries are whereabouts).
        "sites.checkpoint": frozenset({V}),
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
        "status.personstatus": frozenset({V, E}),
        "cases.clusteralert": frozenset({V}),
        "materials.item": frozenset({V}),
        "materials.stock": frozenset({V, E}),
        "materials.movement": frozenset({V, E}),
        "materials.stocktake": frozenset({V}),
        "materials.materialrequest": frozenset({V}),
        "materials.offer": frozenset({V}),
        "materials.transfer": frozenset({V, E}),
        "materials.rebalanceproposal": frozenset({V}),
        "donations.donation": frozenset({V, E}),
        "donations.collection": frozenset({V, E}),
        "donations.fund": frozenset({V, E}),
        "donations.spending": frozenset({V, E}),
        "duty.dutypost": frozenset({V}),
        "duty.shift": frozenset({V, E}),
        "duty.swap": frozenset({V}),
        "duty.coveragegap": frozenset({V}),
        "duty.shiftconflict": frozenset({V}),
        "duty.logentry": frozenset({V, E}),
        "duty.handover": frozenset({V}),
        "command.urgentmatter": frozenset({V, E}),
        # Outings (issue 13): the unit's leader approves its people's outings (领导审批), by default.
        "outings.outing": frozenset({V, E, P}),
        "outings.outingstep": frozenset({V}),
        "outings.monitoringreading": frozenset({V}),
        "sites.disinfectant": frozenset({V}),
        "sites.disinfectionplan": frozenset({V, E}),
        "sites.disinfectionslot": frozenset({V, E}),
        "sites.disinfectionlog": frozenset({V, E}),
        # Teams (issue 14): the leader sees the unit's teams, who is deployed where and their hours.
        "teams.team": frozenset({V}),
        "teams.teammember": frozenset({V}),
        "teams.deployment": frozenset({V}),
        "teams.assignment": frozenset({V}),
        "teams.shifthours": frozenset({V}),
    },
    Role.EMPLOYEE: {},
}


def role_allows(role: str, model_label: str, action: str) -> bool:
    return action in ROLE_PERMISSIONS.get(role, {}).get(model_label, frozenset())
