"""Demo cases for the demo group (``lianfang demo``): a small outbreak over the last two weeks.

Written through the services, as the office and the case managers would have written it, so the
change log, the inbox (office alerts, contact notices, a cluster alert) and the statuses follow:

* three cases at one heat station in the last week (a cluster alert opens there), one confirmed, one
  recovered, one a close contact of the first who became a case (the chain of the contact graph);
* a suspected case in another enterprise that was excluded, and an asymptomatic infection;
* close contacts of each, chosen among the colleagues on site on the same days (the suggestions);
* isolation orders: hospital observation of the cases, centralised and home isolation of contacts,
  some released with a negative test; follow-up readings twice a day, with yesterday's second
  reading missed for one person so "missed" shows on the follow-up page;
* one-on-one care for the confirmed cases with open needs (medicine, a child at home).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from lianfang.cases.choices import (
    ACTIVE_STATUSES,
    IN_HOSPITAL,
    MODE_OF_ISOLATION,
    CareNeed,
    CaseStatus,
    ExposureSetting,
    IsolationKind,
    IsolationReason,
    Treatment,
)
from lianfang.cases.models import Case, Isolation
from lianfang.cases.selectors import contact_suggestions
from lianfang.cases.services import care as care_services
from lianfang.cases.services import cases, contacts
from lianfang.cases.services import isolation as isolation_services
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.health.services.checkins import unit_day_recount
from lianfang.org.models import Unit
from lianfang.people.choices import Category, EmploymentStatus
from lianfang.people.models import Person


def _people(unit: Unit, n: int, rng: random.Random, exclude: set[int]) -> list[Person]:
    pool = list(
        Person.objects.filter(unit__path__startswith=unit.path, employment_status=EmploymentStatus.ACTIVE)
        .exclude(category=Category.FAMILY)
        .exclude(pk__in=exclude)
        .filter(user__isnull=True)  # not the personas: the demo employee still has a check-in to do
        .order_by("pk")[:200]
    )
    picked = rng.sample(pool, min(n, len(pool)))
    exclude.update(p.pk for p in picked)
    return picked


def _site(group: Unit, code: str) -> Unit:
    unit = Unit.objects.filter(path__startswith=group.path, code=code).first()
    if unit is None:  # a group without the demo's codes: the first leaf with people
        unit = Unit.objects.filter(path__startswith=group.path, people__isnull=False).order_by("-depth").first()
    assert unit is not None
    return unit


def _contacts(actor, case: Case, rng: random.Random, used: set[int], n: int) -> list:
    """Close contacts: the top suggestions (colleagues on site on the same days), else colleagues."""
    added = []
    suggestions = [
        s
        for s in contact_suggestions(viewer=actor, case=case, limit=20)
        # Never a persona (a person with an account): the demo employee is an ordinary green employee.
        if s.person.pk not in used and s.person.user_id is None
    ]
    for s in suggestions[:n]:
        used.add(s.person.pk)
        last = min(s.last_day, case.isolated_on or s.last_day)
        added.append(
            contacts.contact_add(
                actor=actor,
                case=case,
                person=s.person,
                last_exposure_on=last,
                setting=ExposureSetting.WORKPLACE,
                setting_note="同班组",
            )
        )
    for person in _people(case.unit, n - len(added), rng, used):
        added.append(
            contacts.contact_add(
                actor=actor,
                case=case,
                person=person,
                last_exposure_on=case.isolated_on or case.reported_on,
                setting=rng.choice([ExposureSetting.CANTEEN, ExposureSetting.MEETING, ExposureSetting.TRANSPORT]),
            )
        )
    return added


def _followups(actor, isolation, today: datetime.date, *, skip: tuple[datetime.date, int] | None = None) -> None:
    rng = random.Random(isolation.pk)
    day = isolation.start_on
    last = min(today, isolation.released_on - datetime.timedelta(days=1)) if isolation.released_on else today
    while day <= last:
        for slot in (1, 2):
            if (day, slot) == skip or (day == today and slot == 2):
                continue
            temperature = f"{rng.choice([36.2, 36.4, 36.5, 36.6, 36.8]):.1f}"
            isolation_services.followup_record(
                actor=actor, isolation=isolation, date=day, slot=slot, temperature=temperature
            )
        day += datetime.timedelta(days=1)


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    """Create the demo cases, contacts, isolations, follow-ups, care and the cluster alert."""
    admin = users["admin"]
    manager = users.get("epi") or admin
    days = lambda n: today - datetime.timedelta(days=n)  # noqa: E731
    used: set[int] = set()

    station = _site(group, "E01-HS01")
    other = _site(group, "E05-D01")

    # 1. The first case at the heat station, confirmed, in hospital; its contacts isolated.
    first_person = _people(station, 1, rng, used)[0]
    first = cases.case_register(
        actor=admin, person=first_person, reported_on=days(8), onset_on=days(9), isolated_on=days(8)
    )
    first = cases.case_transition(
        actor=admin,
        case=first,
        to_status=CaseStatus.CONFIRMED,
        on=days(7),
        treatment=Treatment.HOSPITAL,
        treatment_place="市第一人民医院",
    )
    isolation_services.isolation_order(
        actor=admin,
        person=first_person,
        kind=IsolationKind.HOSPITAL,
        reason=IsolationReason.CASE,
        case=first,
        start_on=days(8),
        place="市第一人民医院",
        responsible=manager,
    )
    first_contacts = _contacts(admin, first, rng, used, 5)
    isolations = []
    for i, contact in enumerate(first_contacts):
        kind = IsolationKind.CENTRAL if i % 2 == 0 else IsolationKind.HOME
        isolations.append(
            isolation_services.isolation_order(
                actor=admin,
                person=contact.person,
                kind=kind,
                reason=IsolationReason.CONTACT,
                contact=contact,
                start_on=days(7),
                place="渭城宾馆隔离点" if kind == IsolationKind.CENTRAL else "",
                responsible=manager,
            )
        )

    # 2. One of those contacts fell ill: the chain (contact → case), and their own contacts.
    second = contacts.contact_become_case(actor=admin, contact=first_contacts[0], reported_on=days(4), onset_on=days(5))
    second = cases.case_update(actor=admin, case=second, isolated_on=days(7), fields=["isolated_on"])
    second = cases.case_transition(
        actor=admin,
        case=second,
        to_status=CaseStatus.CONFIRMED,
        on=days(3),
        treatment=Treatment.MAKESHIFT,
        treatment_place="城南方舱医院",
    )
    _contacts(admin, second, rng, used, 2)

    # 3. A third case at the station: the cluster alert opens (3 cases within 14 days).
    third_person = _people(station, 1, rng, used)[0]
    third = cases.case_register(
        actor=admin, person=third_person, status=CaseStatus.ASYMPTOMATIC, reported_on=days(2), isolated_on=days(2)
    )
    isolation_services.isolation_order(
        actor=admin,
        person=third_person,
        kind=IsolationKind.CENTRAL,
        reason=IsolationReason.CASE,
        case=third,
        start_on=days(2),
        place="渭城宾馆隔离点",
        responsible=manager,
    )
    for contact in _contacts(admin, third, rng, used, 3):
        isolations.append(
            isolation_services.isolation_order(
                actor=admin,
                person=contact.person,
                kind=IsolationKind.HOME,
                reason=IsolationReason.CONTACT,
                contact=contact,
                start_on=days(1),
                responsible=manager,
            )
        )

    # 4. Elsewhere: a suspected case excluded after two negative tests; a recovered case.
    suspect_person = _people(other, 1, rng, used)[0]
    suspect = cases.case_register(actor=admin, person=suspect_person, reported_on=days(12), onset_on=days(12))
    cases.case_transition(actor=admin, case=suspect, to_status=CaseStatus.EXCLUDED, on=days(10))
    recovered_person = _people(other, 1, rng, used)[0]
    recovered = cases.case_register(
        actor=admin,
        person=recovered_person,
        status=CaseStatus.CONFIRMED,
        reported_on=days(13),
        onset_on=days(14),
        isolated_on=days(13),
        treatment=Treatment.HOSPITAL,
        treatment_place="市传染病医院",
    )
    cases.case_transition(actor=admin, case=recovered, to_status=CaseStatus.RECOVERED, on=days(1))

    # 5. Follow-ups, and releases of the first contacts' isolations.
    for i, iso in enumerate(isolations):
        if i in (1, 3):  # home isolation of seven days: released today with a negative test
            iso = isolation_services.isolation_release(
                actor=admin,
                isolation=iso,
                released_on=days(0),
                test_result="negative",
                test_on=days(1),
                note="两次核酸阴性",
            )
        skip = (days(1), 2) if i == 2 else None  # one reading missed yesterday
        _followups(manager, iso, today, skip=skip)

    # 6. One-on-one care of the confirmed cases, with open needs.
    for case, need, note in (
        (first, CareNeed.PSYCHOLOGICAL, "住院焦虑，需要定期通话"),
        (second, CareNeed.SUPPLIES, "家中老人缺降压药"),
    ):
        company = Unit.objects.filter(path=case.unit.path[: 2 * Unit.steplen]).first() or case.unit
        carer = _people(company, 1, rng, used)[0]  # a colleague of the same company
        assignment = care_services.care_assign(
            actor=admin, person=case.person, carer=carer, case=case, started_on=case.reported_on
        )
        care_services.care_contact_record(
            actor=admin, assignment=assignment, need=need, need_note=note, action="已电话联系", date=days(1)
        )
        care_services.care_contact_record(
            actor=admin,
            assignment=assignment,
            need=CareNeed.FINANCIAL,
            need_note="住院押金",
            action="工会垫付",
            outcome="已垫付 5000 元",
            settled=True,
            date=days(2),
        )

    _align_checkins(today)


def _align_checkins(today: datetime.date) -> None:
    """The demo's two weeks of check-ins were made before its cases: put the days of every isolation
    order (and of a case treated in hospital) at the mode its orders give, as the check-in guard
    would have held them, and recount the day counts of the units concerned. Seeding writes the rows
    directly (the check-ins exist already; their history is invented)."""
    changed: set[tuple[int, datetime.date]] = set()
    for order in Isolation.objects.select_related("case"):
        end = order.released_on or today + datetime.timedelta(days=1)
        mode = MODE_OF_ISOLATION[IsolationKind(order.kind)]
        rows = CheckIn.objects.filter(person_id=order.person_id, date__gte=order.start_on, date__lt=end)
        changed |= set(rows.exclude(work_mode=mode).values_list("unit_id", "date"))
        rows.update(work_mode=mode)
    for case in Case.objects.filter(status__in=ACTIVE_STATUSES, person__isnull=False, treatment__in=IN_HOSPITAL):
        rows = CheckIn.objects.filter(person_id=case.person_id, date__gte=case.reported_on)
        changed |= set(rows.exclude(work_mode=WorkMode.HOSPITAL).values_list("unit_id", "date"))
        rows.update(work_mode=WorkMode.HOSPITAL)
    unit_day_recount(keys=changed)
