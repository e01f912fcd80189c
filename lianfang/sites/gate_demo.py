"""The demo's checkpoints (卡口), as seed 004 tells it — "看好自己的门": the group office's main gate,
the heat company's office, and the two gates (东门 in and out, 北门 in only) of each of the 12
residential communities the property company serves. A week of passages: the communities' and
offices' staff going in and out, every day; the yellow and red people of the demo turned away for
their colour, two fevers, an expired pass and a screenshot passed on (replayed), a stranger's number;
one evening of a community gate offline (its records uploaded afterwards, one card that should have
been refused). Visitors at the group office: yesterday's came in, today's expected (one declared, one
still to declare), one refused for a trip to a risk area.

Rows are seeded directly (a week of entries in a few inserts); the services' checks are what the
tests are for. The checkpoint persona keeps 东门 of their community: today's passages there are theirs.
"""

from __future__ import annotations

import datetime
import random
import uuid
from typing import Any

from django.utils import timezone

from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person
from lianfang.sites import passes
from lianfang.sites.choices import Decision, DenyReason, Direction, Directions, LateCheck, Method, PassKind, VisitStatus
from lianfang.sites.models import Checkpoint, Entry, Visitor
from lianfang.status.models import PersonStatus

BACK = 6
PERSONA_SITE = "E02-C01"


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _checkpoints(units: dict[str, Unit], admin) -> list[Checkpoint]:
    specs: list[tuple[str, str, str, dict[str, Any]]] = [
        ("G-O01", "机关大门", Directions.BOTH, {"visitors_allowed": True}),
        ("E01-O01", "热力公司大门", Directions.BOTH, {"visitors_allowed": True}),
    ]
    for code in sorted(c for c in units if c.startswith("E02-C")):
        specs.append((code, "东门", Directions.BOTH, {"visitors_allowed": True}))
        specs.append(
            (
                code,
                "北门",
                Directions.IN,
                {"visitors_allowed": False, "opens_at": datetime.time(6), "closes_at": datetime.time(22)},
            )
        )
    rows = [
        Checkpoint(site=units[code], name=name, directions=directions, created_by=admin, **extra)
        for code, name, directions, extra in specs
        if code in units
    ]
    return Checkpoint.objects.bulk_create(rows)


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    units = {u.code: u for u in Unit.objects.filter(path__startswith=group.path, is_active=True)}
    admin = users["admin"]
    checkpoints = _checkpoints(units, admin)
    now = timezone.now()
    colours = dict(PersonStatus.objects.exclude(colour="green").values_list("person_id", "colour"))
    persona_user = users.get("checkpoint")
    entries: list[Entry] = []

    def add(cp: Checkpoint, person: Person | None, at, direction, decision=Decision.ALLOW, reason="", **kw):
        if at > now:
            return
        staff_user = persona_user if cp.site.code == PERSONA_SITE and cp.name == "东门" else admin
        entries.append(
            Entry(
                checkpoint=cp,
                site_id=cp.site_id,
                person=person,
                pass_kind=kw.pop("pass_kind", PassKind.PHONE if person else ""),
                at=at,
                direction=direction,
                decision=decision,
                reason=reason,
                method=kw.pop("method", Method.CAMERA),
                temperature_ok=kw.pop("temperature_ok", True if direction == Direction.IN else None),
                colour=kw.pop("colour", "green" if person else ""),
                token_id=uuid.uuid4().hex[:12],
                client_id=uuid.uuid4(),
                recorded_by=staff_user,
                **kw,
            )
        )

    for cp in checkpoints:
        company = cp.site.path[: 2 * Unit.steplen] if cp.site.depth >= 2 else cp.site.path
        # The site's own department's people (a community's property staff), or the group's for its office.
        near = Unit.objects.get_parent(cp.site) or cp.site
        people = list(
            Person.objects.filter(unit__path__startswith=near.path, employment_status=EmploymentStatus.ACTIVE).order_by(
                "pk"
            )[:60]
        ) or list(Person.objects.filter(unit__path__startswith=company).order_by("pk")[:40])
        if not people:
            continue
        daily = rng.sample(people, min(len(people), 12 if cp.directions == Directions.IN else 25))
        for back in range(BACK, -1, -1):
            day = today - datetime.timedelta(days=back)
            for person in daily:
                if rng.random() < 0.12:
                    continue  # off that day
                colour = colours.get(person.pk)
                arrive = _at(day, 7, 0) + datetime.timedelta(minutes=rng.randint(0, 110))
                if colour is not None:
                    add(cp, person, arrive, Direction.IN, Decision.DENY, DenyReason.COLOUR, colour=colour)
                    continue
                add(cp, person, arrive, Direction.IN)
                if cp.directions == Directions.BOTH:
                    leave = _at(day, 17, 0) + datetime.timedelta(minutes=rng.randint(0, 100))
                    add(cp, person, leave, Direction.OUT, temperature_ok=None)
    # The exceptions the staff met during the week, at the community gates and the office.
    gates = [cp for cp in checkpoints if cp.name == "东门"] or checkpoints
    sample_people = list(Person.objects.filter(unit__path__startswith=group.path).order_by("?")[:12])
    if sample_people:
        for n, (reason, extra) in enumerate(
            [
                (DenyReason.FEVER, {"temperature_ok": False}),
                (DenyReason.FEVER, {"temperature_ok": False}),
                (DenyReason.EXPIRED, {}),
                (DenyReason.REPLAYED, {}),
            ]
        ):
            cp = gates[n % len(gates)]
            when = _at(today - datetime.timedelta(days=1 + n % 3), 8, 10 + n)
            add(cp, sample_people[n], when, Direction.IN, Decision.DENY, reason, **extra)
        add(
            gates[0],
            None,
            _at(today - datetime.timedelta(days=1), 9, 5),
            Direction.IN,
            Decision.DENY,
            DenyReason.UNKNOWN,
            method=Method.TYPED,
            temperature_ok=None,
        )
        add(
            gates[0],
            None,
            _at(today - datetime.timedelta(days=2), 23, 40),
            Direction.IN,
            Decision.DENY,
            DenyReason.FORGED,
            temperature_ok=None,
        )
        # Two evenings ago the persona's gate lost its network: passages uploaded afterwards, one card
        # let in by the offline rule for someone who was yellow.
        offline_day = today - datetime.timedelta(days=2)
        for n, person in enumerate(sample_people[4:9]):
            add(
                gates[0],
                person,
                _at(offline_day, 19, 5 + 7 * n),
                Direction.IN,
                offline=True,
                late_check=LateCheck.PASSED,
            )
        # The yellow and red people of the demo who came to the group office's gate anyway.
        main_gate = next((cp for cp in checkpoints if cp.name == "机关大门"), gates[0])
        for n, (person_id, colour) in enumerate(sorted(colours.items())[:6]):
            when = _at(today - datetime.timedelta(days=1 + n % 5), 8, 20 + 3 * n)
            add(
                main_gate,
                Person.objects.get(pk=person_id),
                when,
                Direction.IN,
                Decision.DENY,
                DenyReason.COLOUR,
                colour=colour,
                temperature_ok=None,
            )
        yellow = next(iter(colours), None)
        if yellow is not None:
            add(
                gates[0],
                Person.objects.get(pk=yellow),
                _at(offline_day, 20, 2),
                Direction.IN,
                offline=True,
                late_check=LateCheck.FAILED,
                pass_kind=PassKind.CARD,
                colour="",
                method=Method.SCANNER,
            )
    Entry.objects.bulk_create(entries, batch_size=1000)
    passes.signing_key(now)
    _visitors(rng, today, units, admin)


def _visitors(rng: random.Random, today: datetime.date, units: dict[str, Unit], admin) -> None:
    office = units.get("G-O01")
    if office is None:
        return
    hosts = list(Person.objects.filter(unit__path__startswith=office.path).order_by("pk")[:5])
    host = hosts[0] if hosts else None
    yesterday = today - datetime.timedelta(days=1)
    gate = Checkpoint.objects.filter(site=office, name="机关大门").first()
    rows = [
        ("赵立新", "13912340001", "省住建厅", "供热保障工作调研", yesterday, VisitStatus.ENTERED, ""),
        ("孙海燕", "13912340002", "市疾控中心", "指导机关消杀工作", yesterday, VisitStatus.ENTERED, ""),
        ("钱进", "13912340003", "宏达物资公司", "口罩、消毒液送货", today, VisitStatus.DECLARED, ""),
        ("周明", "13912340004", "市供电公司", "配电室检修协调", today, VisitStatus.INVITED, ""),
        (
            "吴刚",
            "13912340005",
            "外省客户",
            "业务洽谈",
            today,
            VisitStatus.REFUSED,
            "14天内到过中风险地区，请推迟来访。",
        ),
    ]
    for name, phone, company, reason, day, status, note in rows:
        declared = status != VisitStatus.INVITED
        visit = Visitor.objects.create(
            site=office,
            day=day,
            name=name,
            phone=phone,
            company=company,
            reason=reason,
            host=host,
            status=status,
            declaration={"fever": False, "cough": False, "contact": False, "places": []} if declared else {},
            declared_at=_at(day - datetime.timedelta(days=1), 18, rng.randint(0, 59)) if declared else None,
            risk_note=note,
            entered_at=_at(day, 9, rng.randint(0, 50)) if status == VisitStatus.ENTERED else None,
            created_by=admin,
        )
        if status == VisitStatus.ENTERED and gate is not None:
            Entry.objects.create(
                checkpoint=gate,
                site=office,
                visitor=visit,
                pass_kind=PassKind.VISITOR,
                at=visit.entered_at,
                direction=Direction.IN,
                decision=Decision.ALLOW,
                temperature_ok=True,
                token_id=f"visit-{visit.pk}",
                recorded_by=admin,
            )
