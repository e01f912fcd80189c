"""How the cases app's personal data is purged (PIPL Art. 19, 47): registered in
``lianfang.core.extensions.retention_providers`` for privacy's purge engine.

A case goes with its close and secondary contacts, the isolation orders made for it or for its
contacts, and their follow-up readings. ``Contact.via`` is PROTECT (a secondary contact names the
close contact it came through), so the delete goes from the leaves up: follow-ups, isolation orders,
secondary contacts, close contacts, then the case. An open case (suspected, confirmed, asymptomatic)
is kept by the retention purge whatever its age; a stand-down's purge takes it too. Isolation orders
of no case go by their planned end, follow-ups by their day, care by its end.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min, Q

from lianfang.cases.choices import CaseStatus
from lianfang.cases.models import CareAssignment, CareContact, Case, Contact, FollowUp, Isolation
from lianfang.core.extensions import PurgeProvider, PurgeTarget, purge_batches, purge_months
from lianfang.privacy.choices import CARE, CASES

OPEN = (CaseStatus.SUSPECTED, CaseStatus.CONFIRMED, CaseStatus.ASYMPTOMATIC)


def _cases(since=None):
    qs = Case._base_manager.all()
    return qs if since is not None else qs.exclude(status__in=OPEN)


def _contacts_of(case_ids: Sequence[int]) -> list[int]:
    """The cases' contacts, and every contact that came through one of them (whatever its case)."""
    found = set(Contact._base_manager.filter(case_id__in=list(case_ids)).values_list("pk", flat=True))
    frontier = set(found)
    while frontier:
        more = set(Contact._base_manager.filter(via_id__in=list(frontier)).values_list("pk", flat=True)) - found
        found |= more
        frontier = more
    return sorted(found)


def _isolations_of(case_ids: Sequence[int], contact_ids: Sequence[int]) -> list[int]:
    return list(
        Isolation._base_manager.filter(Q(case_id__in=list(case_ids)) | Q(contact_id__in=list(contact_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def case_related(pks: Sequence[int]) -> dict:
    contacts = _contacts_of(pks)
    isolations = _isolations_of(pks, contacts)
    followups = list(FollowUp._base_manager.filter(isolation_id__in=isolations).values_list("pk", flat=True))
    return {Contact: contacts, Isolation: isolations, FollowUp: followups}


def _delete_isolations(ids: Sequence[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    followups = FollowUp._base_manager.filter(isolation_id__in=list(ids))._raw_delete(FollowUp._base_manager.db)
    counts[FollowUp._meta.label_lower] = followups
    CareAssignment._base_manager.filter(isolation_id__in=list(ids)).update(isolation=None)
    counts[Isolation._meta.label_lower] = Isolation._base_manager.filter(pk__in=list(ids))._raw_delete(
        Isolation._base_manager.db
    )
    return counts


def delete_cases(pks: Sequence[int]) -> dict[str, int]:
    related = case_related(pks)
    contacts = related[Contact]
    counts = _delete_isolations(related[Isolation])
    # Links that only point (SET_NULL in the model): cleared first, then the rows go without the collector.
    Case._base_manager.filter(source_contact_id__in=contacts).update(source_contact=None)
    Contact._base_manager.filter(became_case_id__in=list(pks)).update(became_case=None)
    CareAssignment._base_manager.filter(case_id__in=list(pks)).update(case=None)
    # Leaves first: a contact that others came through (via, PROTECT) goes after them.
    deleted_contacts = 0
    remaining = set(contacts)
    while remaining:
        referenced = set(
            Contact._base_manager.filter(via_id__in=list(remaining), pk__in=list(remaining)).values_list(
                "via_id", flat=True
            )
        )
        leaves = sorted(remaining - referenced) or sorted(remaining)
        deleted_contacts += Contact._base_manager.filter(pk__in=leaves)._raw_delete(Contact._base_manager.db)
        remaining -= set(leaves)
    counts[Contact._meta.label_lower] = deleted_contacts
    # A cluster alert keeps its count of cases; only its links to the purged cases go.
    for alert_through in _cluster_through():
        alert_through.objects.filter(case_id__in=list(pks)).delete()
    counts[Case._meta.label_lower] = Case._base_manager.filter(pk__in=list(pks))._raw_delete(Case._base_manager.db)
    return counts


def _cluster_through():
    from lianfang.cases.models import ClusterAlert

    return [ClusterAlert.cases.through]


def isolation_related(pks: Sequence[int]) -> dict:
    return {FollowUp: list(FollowUp._base_manager.filter(isolation_id__in=list(pks)).values_list("pk", flat=True))}


def delete_followups(pks: Sequence[int]) -> dict[str, int]:
    n = FollowUp._base_manager.filter(pk__in=list(pks))._raw_delete(FollowUp._base_manager.db)
    return {FollowUp._meta.label_lower: n}


def care_related(pks: Sequence[int]) -> dict:
    return {
        CareContact: list(CareContact._base_manager.filter(assignment_id__in=list(pks)).values_list("pk", flat=True))
    }


def delete_care(pks: Sequence[int]) -> dict[str, int]:
    contacts = CareContact._base_manager.filter(assignment_id__in=list(pks))._raw_delete(CareContact._base_manager.db)
    n = CareAssignment._base_manager.filter(pk__in=list(pks))._raw_delete(CareAssignment._base_manager.db)
    return {CareContact._meta.label_lower: contacts, CareAssignment._meta.label_lower: n}


def _case_batches(target: PurgeTarget):
    return purge_batches(_cases(target.since), "reported_on", target)


def _isolations():
    return Isolation._base_manager.all()


def _care():
    return CareAssignment._base_manager.filter(ended_on__isnull=False)


PROVIDERS = (
    PurgeProvider(
        key="cases.case",
        category=CASES,
        model=Case,
        months=lambda before, since=None: purge_months(_cases(since), "reported_on", before, since),
        batches=_case_batches,
        delete=delete_cases,
        related=case_related,
        oldest=lambda: Case._base_manager.aggregate(d=Min("reported_on"))["d"],
        order=20,
    ),
    PurgeProvider(
        key="cases.isolation",
        category=CASES,
        model=Isolation,
        months=lambda before, since=None: purge_months(_isolations(), "planned_end_on", before, since),
        batches=lambda target: purge_batches(_isolations(), "planned_end_on", target),
        delete=_delete_isolations,
        related=isolation_related,
        oldest=lambda: _isolations().aggregate(d=Min("start_on"))["d"],
        order=30,
    ),
    PurgeProvider(
        key="cases.followup",
        category=CARE,
        model=FollowUp,
        months=lambda before, since=None: purge_months(FollowUp._base_manager.all(), "date", before, since),
        batches=lambda target: purge_batches(FollowUp._base_manager.all(), "date", target),
        delete=delete_followups,
        oldest=lambda: FollowUp._base_manager.aggregate(d=Min("date"))["d"],
        order=40,
    ),
    PurgeProvider(
        key="cases.care",
        category=CARE,
        model=CareAssignment,
        months=lambda before, since=None: purge_months(_care(), "ended_on", before, since),
        batches=lambda target: purge_batches(_care(), "ended_on", target),
        delete=delete_care,
        related=care_related,
        oldest=lambda: CareAssignment._base_manager.aggregate(d=Min("started_on"))["d"],
        order=40,
    ),
)
