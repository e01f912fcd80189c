"""Retention and purge: after a purge no row, change-log snapshot or audit payload anywhere in the
database holds a purged value; aggregates and bulletin figures stay; every run leaves a receipt; a
dry run changes nothing."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models

from lianfang.cases.choices import CareNeed, CaseStatus, ContactDegree, IsolationKind
from lianfang.cases.models import Case, Contact, FollowUp, Isolation
from lianfang.cases.services import care, cases, contacts, isolation
from lianfang.cases.services.base import audit_sensitive_read
from lianfang.cases.tests.helpers import Clock
from lianfang.core.models import AuditEvent, ObjectChange
from lianfang.health.models import CheckIn, Question, Trip, UnitDayStat
from lianfang.health.services import checkins, questions, trips
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.org.choices import Role
from lianfang.privacy import purge, services
from lianfang.privacy.models import PurgeReceipt, RetentionPolicy
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

DAY0 = datetime.date(2026, 1, 6)
LATER = DAY0 + datetime.timedelta(days=400)

SYMPTOM = "ZZ灰鹦鹉咳嗽"
ANSWER = "ZZ答案去过青蛙镇"
PLACE = "ZZ青蛙镇火车站"
CASE_NOTE = "ZZ病例备注蓝鲸"
HOSPITAL = "ZZ定点医院白鹭"
EXTERNAL = "ZZ外部联系人赵某"
ISOLATION_PLACE = "ZZ隔离酒店红杉"
FOLLOWUP_NOTE = "ZZ随访咽痛"
CARE_NEED = "ZZ需要买药"
TEMPERATURE = "38.7"
SAMPLES = [SYMPTOM, ANSWER, PLACE, CASE_NOTE, HOSPITAL, EXTERNAL, ISOLATION_PLACE, FOLLOWUP_NOTE, CARE_NEED]


def holders(samples=SAMPLES):
    """Every text or JSON value in every table of the database that holds one of the samples:
    (model label, field, sample)."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                for sample in samples:
                    if sample in text:
                        found.append((model._meta.label_lower, name, sample))
    return found


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, day=DAY0)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def world(tree, office, clock):
    """A day of an outbreak in the past: a check-in with a fever, an "other" symptom and a free-text
    answer, a trip, a case with a close and a secondary contact, an isolation with follow-ups, care."""
    question = questions.question_create(
        actor=office, code="where-else", text="还去过哪里", text_en="Where else", kind="text", required=False
    )
    sick = employee(tree.a1, username="sick")
    close = employee(tree.a1, username="close")
    carer = employee(tree.a1, username="carer")
    checkins.checkin_submit(
        actor=sick.user,
        person=sick,
        data=CheckInData(
            temperature=TEMPERATURE,
            symptoms=["cough"],
            symptom_note=SYMPTOM,
            answers={**seed_answers(), str(question.current_id): ANSWER},
        ),
    )
    checkins.checkin_submit(
        actor=close.user, person=close, data=CheckInData(temperature="36.5", answers=seed_answers())
    )
    trips.trip_create(
        actor=sick.user,
        person=sick,
        place_name=PLACE,
        date_from=DAY0 - datetime.timedelta(days=3),
        date_to=DAY0 - datetime.timedelta(days=1),
    )
    case = cases.case_register(
        actor=office, person=sick, note=CASE_NOTE, treatment_place=HOSPITAL, treatment="hospital"
    )
    audit_sensitive_read(viewer=office, obj=case, what="case", said=CASE_NOTE)
    first = contacts.contact_add(actor=office, case=case, person=close, last_exposure_on=DAY0, notify=False)
    contacts.contact_add(
        actor=office,
        case=case,
        external_name=EXTERNAL,
        external_phone="13800138000",
        unit=tree.a1,
        degree=ContactDegree.SECONDARY,
        via=first,
        last_exposure_on=DAY0,
        notify=False,
    )
    order = isolation.isolation_order(
        actor=office,
        person=close,
        kind=IsolationKind.HOME,
        place=ISOLATION_PLACE,
        responsible=office,
        contact=first,
    )
    isolation.followup_record(actor=office, isolation=order, slot=1, temperature="36.9", note=FOLLOWUP_NOTE)
    assignment = care.care_assign(actor=office, person=close, carer=carer, isolation=order)
    care.care_contact_record(actor=office, assignment=assignment, need=CareNeed.values[0], need_note=CARE_NEED)
    clock.set(DAY0 + datetime.timedelta(days=12))
    cases.case_transition(actor=office, case=case, to_status=CaseStatus.CONFIRMED, on=DAY0 + datetime.timedelta(days=1))
    cases.case_transition(actor=office, case=case, to_status=CaseStatus.RECOVERED)
    care.care_end(actor=office, assignment=assignment)
    return {"sick": sick, "close": close, "case": case, "question": question}


def settle_retention(office, days=90):
    for category in ("health", "whereabouts", "cases", "care"):
        floor, ceiling = purge.bounds(category)
        services.retention_set(actor=office, category=category, days=min(max(days, floor), ceiling))


def test_the_sample_values_are_everywhere_before_the_purge(world):
    found = {sample for _label, _field, sample in holders()}
    assert found == set(SAMPLES)
    # The change log holds them too: that is what the purge must redact.
    assert {s for label, _f, s in holders() if label == "core.objectchange"} >= {SYMPTOM, PLACE, CASE_NOTE, EXTERNAL}


def test_after_a_purge_no_table_holds_a_purged_value(world, office, clock):
    settle_retention(office)
    clock.set(LATER)

    receipt = services.purge_nightly()[-1]

    assert holders() == []
    assert not CheckIn.objects.filter(date=DAY0).exists()
    assert not Trip.objects.exists()
    assert not Case.objects.exists() and not Contact.objects.exists()
    assert not Isolation.objects.exists() and not FollowUp.objects.exists()
    assert receipt.categories["health"]["rows"]["health.checkin"] == 2
    assert receipt.categories["cases"]["rows"]["cases.contact"] == 2
    assert receipt.categories["health"]["changes_redacted"] >= 2
    assert receipt.categories["cases"]["events_redacted"] == 1
    assert not receipt.dry_run and receipt.finished is not None


def test_the_skeleton_of_the_change_log_and_audit_events_stays(world, office, clock):
    case = world["case"]
    changes_before = ObjectChange.objects.count()
    events_before = AuditEvent.objects.count()
    settle_retention(office)
    clock.set(LATER)

    services.purge_nightly()

    change = ObjectChange.objects.get(content_type__model="case", object_id=case.pk, action="create")
    assert change.user_id == office.pk
    assert change.postchange_data == purge.REDACTED and change.object_repr.endswith(f"#{case.pk}")
    event = AuditEvent.objects.get(kind="sensitive_read", detail__pk=case.pk)
    assert event.user_id == office.pk and event.detail["model"] == "cases.case"
    assert CASE_NOTE not in json.dumps(event.detail, ensure_ascii=False)
    # Rows were redacted, none deleted (beyond the settings' own changes, which add rows).
    assert ObjectChange.objects.count() >= changes_before and AuditEvent.objects.count() == events_before


def test_aggregates_and_bulletin_figures_are_unchanged_by_the_purge(world, office, clock):
    from lianfang.reporting.services.bulletins import bulletin_build

    clock.set(DAY0)
    bulletin = bulletin_build(actor=office, day=DAY0)
    figures = bulletin.data
    stats = list(UnitDayStat.objects.filter(date=DAY0).order_by("unit_id").values())
    assert any(s["reported"] for s in stats) and any(s["fever"] for s in stats)
    settle_retention(office)
    clock.set(LATER)

    services.purge_nightly()

    bulletin.refresh_from_db()
    assert bulletin.data == figures
    assert list(UnitDayStat.objects.filter(date=DAY0).order_by("unit_id").values()) == stats


def test_a_dry_run_changes_nothing_and_reports_what_it_would_delete(world, office, clock):
    settle_retention(office)
    clock.set(LATER)
    before = {m._meta.label_lower: m._base_manager.count() for m in apps.get_models() if m is not PurgeReceipt}
    snapshots = list(ObjectChange.objects.order_by("pk").values_list("postchange_data", flat=True))

    receipt = services.purge_run(actor=office, dry_run=True)

    after = {m._meta.label_lower: m._base_manager.count() for m in apps.get_models() if m is not PurgeReceipt}
    assert after == before
    assert list(ObjectChange.objects.order_by("pk").values_list("postchange_data", flat=True)) == snapshots
    assert receipt.dry_run
    assert receipt.categories["health"]["rows"] == {"health.checkin": 2}
    assert receipt.categories["cases"]["rows"]["cases.contact"] == 2
    assert {s for _l, _f, s in holders()} == set(SAMPLES)


def test_the_command_dry_run_prints_the_counts_and_deletes_nothing(world, office, clock, capsys):
    settle_retention(office)
    clock.set(LATER)

    call_command("purge", "--dry-run", "--category", "health")

    out = capsys.readouterr().out
    assert "dry run" in out and "health" in out and "2" in out
    assert CheckIn.objects.count() == 2


def test_rows_younger_than_the_retention_are_kept(world, office, clock):
    settle_retention(office, days=365)
    clock.set(DAY0 + datetime.timedelta(days=100))

    receipt = services.purge_nightly()[-1]

    assert CheckIn.objects.count() == 2 and Case.objects.count() == 1
    assert receipt.categories["health"]["deleted"] == 0
    assert receipt.categories["health"]["oldest_kept"] == DAY0.isoformat()
    assert {s for _l, _f, s in holders()} == set(SAMPLES)


def test_an_open_case_is_kept_by_the_retention_purge(tree, office, clock):
    sick = employee(tree.a1, username="sick")
    cases.case_register(actor=office, person=sick, note=CASE_NOTE)
    settle_retention(office)
    clock.set(LATER)

    services.purge_nightly()

    assert Case.objects.count() == 1


def test_a_retention_below_the_floor_or_above_the_ceiling_is_refused_naming_the_limits(office):
    floor, ceiling = purge.bounds("health")
    with pytest.raises(ValidationError) as low:
        services.retention_set(actor=office, category="health", days=floor - 1)
    assert f"at least {floor} days" in low.value.message_dict["days"][0]
    assert f"at most {ceiling}" in low.value.message_dict["days"][0]
    with pytest.raises(ValidationError) as high:
        services.retention_set(actor=office, category="health", days=ceiling + 1)
    assert "above the ceiling" in high.value.message_dict["days"][0]
    assert not RetentionPolicy.objects.exists()


def test_a_purge_with_a_retention_below_the_floor_is_refused_and_deletes_nothing(world, office, clock):
    RetentionPolicy.objects.create(category="health", days=3)  # set before the floor was raised
    clock.set(LATER)

    with pytest.raises(ValidationError):
        services.purge_run(actor=office, dry_run=False)

    assert CheckIn.objects.count() == 2


def test_only_the_office_runs_a_purge_or_sets_a_retention(tree, world):
    from django.core.exceptions import PermissionDenied

    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison")
    with pytest.raises(PermissionDenied):
        services.purge_run(actor=liaison)
    with pytest.raises(PermissionDenied):
        services.retention_set(actor=liaison, category="health", days=60)


def test_a_question_is_not_personal_data_and_stays(world, office, clock):
    settle_retention(office)
    clock.set(LATER)
    services.purge_nightly()
    assert Question.objects.filter(pk=world["question"].pk).exists()
    assert Decimal(TEMPERATURE)  # the sample temperature was purged with its check-in (no row left)


def test_a_month_wholly_past_retention_takes_the_partition_fast_path_after_its_change_log_is_redacted(
    world, office, clock
):
    """A provider whose month is a partition of its own: the engine redacts the month's change log in
    batches, then asks the provider to drop the month (here: a stand-in that deletes the rows)."""
    from lianfang.core.extensions import PurgeProvider, purge_batches, purge_months, retention_providers
    from lianfang.health.retention import delete_checkins

    dropped = []

    def drop(target):
        assert not ObjectChange.objects.filter(content_type__model="checkin", postchange_data__has_key="date").exists()
        dropped.append(target.month)
        pks = list(
            CheckIn._base_manager.filter(date__gte=target.month, date__lt=target.before).values_list("pk", flat=True)
        )
        return delete_checkins(pks)

    original = retention_providers.get("health.checkin")
    retention_providers.register(
        "health.checkin",
        PurgeProvider(
            key="health.checkin",
            category="health",
            model=CheckIn,
            months=lambda before, since=None: purge_months(CheckIn._base_manager.all(), "date", before, since),
            batches=lambda target: purge_batches(CheckIn._base_manager.all(), "date", target),
            delete=delete_checkins,
            partitioned=lambda target: True,
            drop_month=drop,
        ),
    )
    try:
        settle_retention(office)
        clock.set(LATER)
        receipt = services.purge_run(actor=office, dry_run=False, category="health")
    finally:
        retention_providers.register("health.checkin", original)

    assert dropped == [DAY0.replace(day=1)]
    assert receipt.categories["health"]["rows"] == {"health.checkin": 2}
    assert holders([SYMPTOM, ANSWER]) == []
