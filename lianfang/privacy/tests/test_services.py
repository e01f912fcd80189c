"""The consent register, the gate and the chain, through the services."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lianfang.health.models import CheckIn
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData, ProxyEntry
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.notify.models import Message
from lianfang.privacy import services
from lianfang.privacy.choices import Basis, Channel, ConsentAction
from lianfang.privacy.models import ConsentRecord, EmergencyPeriod
from lianfang.privacy.tests.conftest import publish

pytestmark = pytest.mark.django_db


def check_in(person, actor=None):
    return checkins.checkin_submit(
        actor=actor or person.user, person=person, data=CheckInData(temperature="36.5", answers=seed_answers())
    )


def test_before_any_notice_is_published_the_check_in_is_open_as_before(tree):
    person = employee(tree.a1)
    _checkin, created = check_in(person)
    assert created


def test_once_a_notice_is_published_a_check_in_without_consent_is_refused_with_the_reason(tree, notice):
    person = employee(tree.a1)
    with pytest.raises(ValidationError) as refused:
        check_in(person)
    assert "No consent to the privacy notice (version 1)" in refused.value.message_dict["consent"][0]
    assert not CheckIn.objects.filter(person=person).exists()


def test_consent_to_health_and_whereabouts_opens_the_check_in(tree, notice):
    person = employee(tree.a1)
    records = services.consent_give(actor=person.user, person=person)
    assert {r.category for r in records} == {"health", "whereabouts"}
    assert all(r.channel == Channel.SELF and r.notice_version == 1 for r in records)
    _checkin, created = check_in(person)
    assert created


def test_consent_to_one_category_only_keeps_the_check_in_closed(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person, categories=["health"])
    with pytest.raises(ValidationError) as refused:
        check_in(person)
    assert "Whereabouts" in refused.value.message_dict["consent"][0]


def test_nobody_gives_consent_for_someone_else(tree, notice, liaison):
    person = employee(tree.a1)
    with pytest.raises(PermissionDenied):
        services.consent_give(actor=liaison, person=person)


def test_withdrawal_closes_the_check_in_and_tells_the_liaison(tree, notice, liaison):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    services.consent_withdraw(actor=person.user, person=person)
    with pytest.raises(ValidationError) as refused:
        check_in(person)
    assert "was withdrawn on" in refused.value.message_dict["consent"][0]
    message = Message.objects.get(recipient=liaison, kind="consent_withdrawn")
    assert person.name in message.title


def test_a_proxy_check_in_for_someone_who_withdrew_is_refused_on_their_row(tree, notice, liaison):
    consenting, withdrawn = employee(tree.a1), employee(tree.a1)
    services.consent_give(actor=consenting.user, person=consenting)
    services.consent_give(actor=withdrawn.user, person=withdrawn)
    services.consent_withdraw(actor=withdrawn.user, person=withdrawn)
    with pytest.raises(ValidationError) as refused:
        checkins.checkin_proxy_submit(
            actor=liaison,
            entries=[
                ProxyEntry(person=consenting, temperature="36.5"),
                ProxyEntry(person=withdrawn, temperature="36.6"),
            ],
        )
    assert set(refused.value.message_dict) == {str(withdrawn.pk)}
    assert "withdrawn" in refused.value.message_dict[str(withdrawn.pk)][0]
    assert not CheckIn.objects.exists()


def test_a_substantive_new_notice_asks_for_consent_again_and_a_wording_fix_does_not(tree, office, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    publish(office, substantive=False, title="措辞修订")
    check_in(person)  # still valid: version 2 is a wording fix
    publish(office, substantive=True, title="实质变更")
    with pytest.raises(ValidationError) as refused:
        check_in(person)
    assert "(version 3)" in refused.value.message_dict["consent"][0]
    services.consent_give(actor=person.user, person=person)
    check_in(person)


def test_under_the_emergency_basis_no_consent_is_needed_until_the_period_closes(tree, office, notice):
    person = employee(tree.a1)
    period = services.emergency_open(
        actor=office, name="新冠疫情一级响应", declared_by="省人民政府", starts_on=timezone.localdate()
    )
    for category in ("health", "whereabouts"):
        services.legal_basis_set(actor=office, category=category, basis=Basis.EMERGENCY, emergency=period)
    _checkin, created = check_in(person)
    assert created
    services.consent_withdraw(actor=person.user, person=person)  # recorded, reviewed by the office
    assert (
        ConsentRecord.objects.filter(person=person, action=ConsentAction.WITHDRAW, basis=Basis.EMERGENCY).count() == 2
    )
    check_in(person)  # still collected under the emergency basis
    services.emergency_close(actor=office, period=period)
    with pytest.raises(ValidationError):
        check_in(person)


def test_only_one_emergency_period_is_open_at_a_time(tree, office):
    services.emergency_open(actor=office, name="一", declared_by="省政府", starts_on=timezone.localdate())
    with pytest.raises(ValidationError):
        services.emergency_open(actor=office, name="二", declared_by="省政府", starts_on=timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():
        EmergencyPeriod.objects.create(name="三", declared_by="x", starts_on=timezone.localdate(), is_open=True)


def test_the_emergency_basis_needs_an_open_period(tree, office):
    with pytest.raises(ValidationError):
        services.legal_basis_set(actor=office, category="health", basis=Basis.EMERGENCY)


def test_only_the_office_publishes_notices(tree, liaison):
    with pytest.raises(PermissionDenied):
        services.notice_create(actor=liaison, title="t", title_en="t", body="b", body_en="b")


def test_a_published_notice_never_changes(tree, office, notice):
    with pytest.raises(ValidationError):
        services.notice_update(actor=office, notice=notice, body="改")


def test_a_liaison_attests_paper_consent_in_own_units_only(tree, notice, liaison):
    own, other = employee(tree.a1), employee(tree.b1)
    records = services.consent_attest_paper(actor=liaison, person=own, signed_on=timezone.localdate())
    assert {r.attested_by_id for r in records} == {liaison.pk}
    assert all(r.channel == Channel.PAPER for r in records)
    check_in(own)
    with pytest.raises(PermissionDenied):
        services.consent_attest_paper(actor=liaison, person=other, signed_on=timezone.localdate())


def test_paper_consent_cannot_be_dated_in_the_future(tree, notice, liaison):
    with pytest.raises(ValidationError):
        services.consent_attest_paper(
            actor=liaison, person=employee(tree.a1), signed_on=timezone.localdate() + datetime.timedelta(days=1)
        )


# --- the chain ------------------------------------------------------------------------------------


def test_an_untouched_chain_verifies(tree, notice, liaison):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    services.consent_withdraw(actor=person.user, person=person)
    services.consent_attest_paper(actor=liaison, person=person, signed_on=timezone.localdate())
    result = services.consent_chain_verify()
    assert result.ok and result.checked == 6
    call_command("verify_consents")


def test_the_chain_verification_finds_an_edited_record(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    first, _second = ConsentRecord.objects.order_by("id")
    # Someone edits the database behind the application's back: a consent made to look older.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET action = %s WHERE id = %s",  # noqa: S608
            [ConsentAction.WITHDRAW, first.pk],
        )
    result = services.consent_chain_verify()
    assert not result.ok and result.broken.pk == first.pk
    with pytest.raises(Exception, match="broken at record"):
        call_command("verify_consents")


def test_the_chain_verification_finds_a_removed_record(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    services.consent_withdraw(actor=person.user, person=person)
    victim = ConsentRecord.objects.order_by("id")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ConsentRecord._meta.db_table} WHERE id = %s", [victim.pk])  # noqa: S608
    result = services.consent_chain_verify()
    assert not result.ok and result.broken.pk > victim.pk


def test_consent_records_cannot_be_changed_or_deleted_through_the_application(tree, notice):
    person = employee(tree.a1)
    record = services.consent_give(actor=person.user, person=person)[0]
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        ConsentRecord.objects.filter(pk=record.pk).update(action="withdraw")
    with pytest.raises(TypeError):
        ConsentRecord.objects.all().delete()


def test_the_hash_covers_metadata_only(tree, notice):
    person = employee(tree.a1)
    record = services.consent_give(actor=person.user, person=person)[0]
    assert set(record.canonical()) == {
        "person", "category", "notice_version", "time", "channel", "basis", "action", "attested_by", "attested_on",
    }  # fmt: skip
