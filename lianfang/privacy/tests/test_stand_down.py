"""Stand-down (应急结束): two office administrators, check-ins end, the period's personal health data
purged after the grace period; and on PostgreSQL the audit trigger lets only the purge redact."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from lianfang.cases.tests.helpers import Clock
from lianfang.core.models import ObjectChange
from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.org.choices import Role
from lianfang.privacy import gate, services
from lianfang.privacy.models import EmergencyPeriod, PrivacySettings, PurgeReceipt, StandDown
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 6)
OVER = datetime.date(2026, 2, 20)
NOTE = "ZZ应急期症状描述"

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, day=START)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def second(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office-2")


@pytest.fixture
def period(office, clock):
    return services.emergency_open(actor=office, name="2026 春季疫情", declared_by="市卫健委", starts_on=START)


def check_in(person, note: str = ""):
    data = CheckInData(
        temperature="37.9", symptoms=["other"] if note else [], symptom_note=note, answers=seed_answers()
    )
    return checkins.checkin_submit(actor=person.user, person=person, data=data)


@pytest.fixture
def person(tree, period, clock):
    person = employee(tree.a1, username="worker")
    check_in(person, NOTE)
    clock.set(OVER)
    return person


def test_a_proposal_alone_changes_nothing(office, period, person):
    stand_down = services.stand_down_propose(actor=office, period=period)

    period.refresh_from_db()
    assert period.is_open and not stand_down.is_confirmed and stand_down.purge_on is None
    assert check_in(person)[1]  # check-ins go on


def test_the_proposer_cannot_confirm_their_own_stand_down(office, period, person):
    stand_down = services.stand_down_propose(actor=office, period=period)

    with pytest.raises(ValidationError) as refused:
        services.stand_down_confirm(actor=office, stand_down=stand_down)

    assert "second office administrator" in refused.value.messages[0]
    period.refresh_from_db()
    stand_down.refresh_from_db()
    assert period.is_open and not stand_down.is_confirmed


def test_the_database_refuses_one_person_as_both_proposer_and_confirmer(office, period):
    stand_down = services.stand_down_propose(actor=office, period=period)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (IntegrityError, whichever backend)
        StandDown.objects.filter(pk=stand_down.pk).update(confirmed_by=office, purge_on=OVER)


def test_only_office_administrators_propose_or_confirm(tree, office, period):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1, username="liaison")
    with pytest.raises(PermissionDenied):
        services.stand_down_propose(actor=liaison, period=period)
    stand_down = services.stand_down_propose(actor=office, period=period)
    with pytest.raises(PermissionDenied):
        services.stand_down_confirm(actor=liaison, stand_down=stand_down)


def test_a_second_administrator_confirms_the_period_closes_and_the_purge_is_scheduled(office, second, period, person):
    stand_down = services.stand_down_propose(actor=office, period=period)

    services.stand_down_confirm(actor=second, stand_down=stand_down)

    period.refresh_from_db()
    stand_down.refresh_from_db()
    assert not period.is_open and period.ends_on == OVER and period.closed_by == second
    assert stand_down.purge_on == OVER + datetime.timedelta(days=30)
    assert ObjectChange.objects.filter(content_type__model="standdown", object_id=stand_down.pk).count() == 2


def test_a_check_in_after_the_stand_down_is_refused_with_the_reason(office, second, period, person):
    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_confirm(actor=second, stand_down=stand_down)
    gate.invalidate()

    with pytest.raises(ValidationError) as refused:
        check_in(person)

    assert "declared over" in " ".join(refused.value.messages)
    assert not CheckIn.objects.filter(date=OVER).exists()


def test_a_new_emergency_opens_check_ins_again(office, second, period, person, clock):
    services.stand_down_confirm(actor=second, stand_down=services.stand_down_propose(actor=office, period=period))
    clock.set(OVER + datetime.timedelta(days=60))
    services.emergency_open(actor=office, name="第二波", declared_by="市卫健委", starts_on=clock.today)
    gate.invalidate()

    assert check_in(person)[1]


def test_the_period_is_purged_when_the_grace_period_ends_regardless_of_retention(office, second, period, person, clock):
    services.privacy_settings_update(actor=office, standdown_grace_days=10)
    services.retention_set(actor=office, category="health", days=365)
    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_confirm(actor=second, stand_down=stand_down)
    stats = list(UnitDayStat.objects.filter(date=START).values())

    clock.set(OVER + datetime.timedelta(days=9))
    services.purge_nightly()
    assert CheckIn.objects.filter(date=START).exists()  # still in the grace period

    clock.set(OVER + datetime.timedelta(days=10))
    receipts = services.purge_nightly()

    assert not CheckIn.objects.filter(date=START).exists()
    assert not ObjectChange.objects.filter(postchange_data__icontains="ZZ").exists()
    receipt = PurgeReceipt.objects.get(stand_down=stand_down)
    assert receipt in receipts and receipt.categories["health"]["rows"]["health.checkin"] == 1
    stand_down.refresh_from_db()
    assert stand_down.purged_at is not None
    assert list(UnitDayStat.objects.filter(date=START).values()) == stats
    # Done once: the next night does not purge the period again.
    assert len(services.purge_nightly()) == 1


def test_a_confirmed_stand_down_cannot_be_withdrawn_but_a_proposal_can(office, second, period):
    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_cancel(actor=second, stand_down=stand_down)
    assert not StandDown.objects.exists()

    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_confirm(actor=second, stand_down=stand_down)
    with pytest.raises(ValidationError):
        services.stand_down_cancel(actor=office, stand_down=stand_down)


def test_the_grace_period_is_a_group_setting_of_30_days_by_default(office):
    assert PrivacySettings.load().standdown_grace_days == 30
    with pytest.raises(ValidationError):
        services.privacy_settings_update(actor=office, standdown_grace_days=400)


@on_postgresql
def test_the_trigger_lets_the_purge_redact_and_still_refuses_any_other_update(office, second, period, person, clock):
    change = ObjectChange.objects.filter(content_type__model="checkin").first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_objectchange SET postchange_data = '{}'::jsonb WHERE id = %s", [change.pk])

    stand_down = services.stand_down_propose(actor=office, period=period)
    services.stand_down_confirm(actor=second, stand_down=stand_down)
    clock.set(OVER + datetime.timedelta(days=30))
    services.purge_nightly()  # redacts through purge_session: the trigger lets it through

    change = ObjectChange.objects.get(pk=change.pk)
    assert change.postchange_data == {"purged": True}
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_objectchange SET postchange_data = '{}'::jsonb WHERE id = %s", [change.pk])
    assert EmergencyPeriod.objects.get(pk=period.pk).is_open is False


def test_after_the_stand_down_nobody_is_reminded_or_asked_to_check_in(office, second, period, person, clock):
    import datetime as dt

    from lianfang.health.selectors import checkin_todos
    from lianfang.health.services.reminders import checkin_round_send

    assert [t.key for t in checkin_todos(person.user, OVER)] == ["health.checkin"]
    services.stand_down_confirm(actor=second, stand_down=services.stand_down_propose(actor=office, period=period))
    gate.invalidate()

    assert checkin_todos(person.user, OVER) == []
    assert checkin_round_send(day=OVER, at=dt.time(10, 0)) is None
