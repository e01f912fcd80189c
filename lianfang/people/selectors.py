"""Reads of the roster. Every one takes the viewer and goes through ``restrict``."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from lianfang.core.extensions import Headcounts
from lianfang.core.fields import blind_index
from lianfang.core.scoping import Action
from lianfang.people import counts
from lianfang.people.models import Person
from lianfang.people.validators import normalize_id_number


def person_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Person]:
    return Person.objects.restrict(viewer, action).select_related("unit", "unit__kind").prefetch_related("tags")


def person_search(qs: QuerySet[Person], text: str, *, viewer) -> QuerySet[Person]:
    """Name or employee number contains ``text``. Phone digits and an exact ID number match only
    people whose unmasked values the viewer may see: otherwise a search would reveal what the
    page masks (guess digits until the row appears)."""
    text = (text or "").strip()
    if not text:
        return qs
    condition = Q(name__icontains=text) | Q(employee_no__icontains=text)
    sensitive = Q(phone__contains=text)
    id_number = normalize_id_number(text)
    if len(id_number) == 18:
        sensitive |= Q(id_number_digest=blind_index(id_number))
    unmaskable = Person.objects.restrict(viewer, Action.UNMASK).values("pk")
    condition |= sensitive & Q(pk__in=unmaskable)
    return qs.filter(condition)


def can_unmask(*, viewer, person: Person) -> bool:
    from lianfang.org.scoping import can

    return can(viewer, Action.UNMASK, Person, person.unit)


def headcounts(viewer, path: str) -> Headcounts:
    """People expected to check in (lianfang.people.counts) whom the viewer may see in the subtree at
    ``path``, by unit path: the headcounts of the unit pages (one grouped query)."""
    rows = (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(counts.expected(), unit__path__startswith=path)
        .order_by()
        .values_list("unit__path")
        .annotate(n=Count("pk"))
    )
    return Headcounts(by_path=dict(rows))
