"""Helpers of the status and risk tests: records created directly, as the cases helper's services
would leave them, and the statuses read back."""

from __future__ import annotations

import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from lianfang.health.models import CheckIn, RiskArea, Trip
from lianfang.status.defaults import ensure_default_status_rules
from lianfang.status.models import PersonStatus, StatusRule
from lianfang.testing import UserFactory

_numbers = count(1)

# A district of Wuhan, its city, and a district elsewhere (Weinan, Linwei).
WUHAN_JIANGAN, WUHAN, LINWEI = "420102", "4201", "610502"


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def rules() -> dict[str, StatusRule]:
    """The default rules by fact (created if a flush removed them)."""
    ensure_default_status_rules()
    return {r.condition["fact"]: r for r in StatusRule.objects.all()}


def checkin(person, day: datetime.date, *, fever=False, flagged=False, place="", mode="on_site", temp=None) -> CheckIn:
    return CheckIn.objects.create(
        person=person,
        unit=person.unit,
        date=day,
        temperature=temp or (Decimal("38.2") if fever else Decimal("36.5")),
        is_fever=fever,
        is_flagged=flagged or fever,
        flag_reasons=["fever"] if fever else (["answer:health-code"] if flagged else []),
        location_code=place,
        work_mode=mode,
    )


def area(code: str, start: datetime.date, lifted: datetime.date | None = None, level="high") -> RiskArea:
    return RiskArea.objects.create(division_code=code, name=code, level=level, effective_from=start, lifted_on=lifted)


def trip(person, place: str, first: datetime.date, last: datetime.date) -> Trip:
    return Trip.objects.create(
        person=person, unit=person.unit, place_code=place, place_name=place, date_from=first, date_to=last
    )


def case(person, status="confirmed", **fields):
    from lianfang.cases.models import Case

    return Case.objects.create(
        number=f"BL-T-{next(_numbers):04d}",
        person=person,
        unit=person.unit,
        status=status,
        reported_on=fields.pop("reported_on", days_ago(1)),
        **fields,
    )


def isolation(person, start: datetime.date, end: datetime.date, **fields):
    from lianfang.cases.models import Isolation

    return Isolation.objects.create(
        person=person,
        unit=person.unit,
        kind=fields.pop("kind", "central"),
        reason=fields.pop("reason", "contact"),
        start_on=start,
        planned_end_on=end,
        responsible=fields.pop("responsible", None) or UserFactory(),
        **fields,
    )


def contact(person, exposed: datetime.date, of_case=None, **fields):
    from lianfang.cases.models import Contact
    from lianfang.testing import PersonFactory

    of_case = of_case or case(PersonFactory(unit=person.unit))
    return Contact.objects.create(case=of_case, person=person, unit=person.unit, last_exposure_on=exposed, **fields)


def status_of(person) -> PersonStatus | None:
    return PersonStatus.objects.filter(person=person).first()


def colour(person) -> str:
    st = status_of(person)
    return st.colour if st else "green"
