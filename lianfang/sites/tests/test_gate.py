"""The gate's decisions and the entries they record, online and uploaded from an offline gate."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lianfang.core.masking import mask_name_middle
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.sites import passes
from lianfang.sites.choices import Decision, DenyReason, Direction, LateCheck, PassKind
from lianfang.sites.models import Entry
from lianfang.sites.services import checkpoints as cp
from lianfang.sites.services.gate import gate_check, gate_upload
from lianfang.sites.services.issue import phone_pass
from lianfang.status.models import PersonStatus
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(tree, office):
    """东门 at subsidiary A's heat station: in and out, green only, 37.3 ℃."""
    return cp.checkpoint_create(actor=office, site=tree.a1s, name="东门")


@pytest.fixture
def worker(tree):
    """An engineer of subsidiary A (another department than the station's)."""
    return PersonFactory(unit=tree.a2, name="张建伟", employee_no="A2-0001")


@pytest.fixture
def liaison_a2(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a2, username="liaison-a2")


def colour(person, value, until=None):
    now = timezone.now()
    PersonStatus.objects.update_or_create(
        person=person,
        defaults={
            "unit": person.unit,
            "colour": value,
            "reason": "密接",
            "until": until,
            "since": now,
            "computed": now,
        },
    )


def check(staff, gate, code, **kw):
    return gate_check(actor=staff, checkpoint=gate, code=code, **kw)


def test_a_green_pass_goes_in_and_the_entry_says_who_when_and_how(staff, gate, worker, clock):
    entry, verdict = check(staff, gate, phone_pass(worker).text, temperature_ok=True)
    assert verdict.allowed and verdict.name == "张*伟" and verdict.colour == "green"
    assert entry.person == worker and entry.site_id == gate.site_id and entry.at == clock.now
    assert (entry.decision, entry.reason, entry.direction, entry.pass_kind) == ("allow", "", "in", "p")
    assert entry.temperature is None and entry.temperature_ok is True


def test_a_yellow_person_is_refused_and_their_liaison_is_told(
    staff, gate, worker, liaison_a2, django_capture_on_commit_callbacks
):
    colour(worker, "yellow")
    with django_capture_on_commit_callbacks(execute=True):
        entry, verdict = check(staff, gate, phone_pass(worker).text)
    assert verdict.reason == DenyReason.COLOUR and entry.decision == Decision.DENY
    message = Message.objects.get(recipient=liaison_a2)
    assert "张建伟" in message.title and "东门" in message.title


def test_a_gate_that_lets_yellow_in_does(staff, gate, worker, office):
    gate = cp.checkpoint_update(actor=office, checkpoint=gate, required_colour="not_red")
    colour(worker, "yellow")
    assert check(staff, gate, phone_pass(worker).text)[1].allowed
    colour(worker, "red")
    assert check(staff, gate, phone_pass(worker).text)[1].reason == DenyReason.COLOUR


def test_a_status_that_has_ended_no_longer_stops_anyone(staff, gate, worker):
    colour(worker, "yellow", until=timezone.localdate() - datetime.timedelta(days=1))
    assert check(staff, gate, phone_pass(worker).text)[1].allowed


def test_a_fever_is_refused_and_only_whether_it_was_in_range_is_kept(staff, gate, worker, liaison_a2):
    entry, verdict = check(staff, gate, phone_pass(worker).text, temperature="37.8")
    assert verdict.reason == DenyReason.FEVER
    assert entry.temperature is None and entry.temperature_ok is False


def test_where_the_office_keeps_readings_the_reading_is_kept(staff, gate, worker, office):
    gate = cp.checkpoint_update(actor=office, checkpoint=gate, keep_temperature=True)
    entry, verdict = check(staff, gate, phone_pass(worker).text, temperature="36.6")
    assert verdict.allowed and entry.temperature == decimal.Decimal("36.6") and entry.temperature_ok is True


def test_an_impossible_reading_is_refused_before_anything_is_written(staff, gate, worker):
    with pytest.raises(ValidationError) as caught:
        check(staff, gate, phone_pass(worker).text, temperature="3.65")
    assert "temperature" in caught.value.message_dict
    assert not Entry.objects.exists()


def test_the_same_pass_twice_through_the_same_way_is_a_replay(staff, gate, worker):
    text = phone_pass(worker).text
    assert check(staff, gate, text)[1].allowed
    assert check(staff, gate, text)[1].reason == DenyReason.REPLAYED
    assert check(staff, gate, text, direction=Direction.OUT)[1].allowed  # leaving with it is fine


def test_forged_and_expired_passes_are_refused_with_their_reason(staff, gate, worker, clock):
    text = phone_pass(worker).text
    assert check(staff, gate, text[:-4] + "AAAA")[1].reason == DenyReason.FORGED
    clock.advance(minutes=10)
    assert check(staff, gate, text)[1].reason == DenyReason.EXPIRED


def test_a_person_of_another_company_is_unknown_and_not_named(staff, gate, tree):
    outsider = PersonFactory(unit=tree.b1, name="李四")
    entry, verdict = check(staff, gate, phone_pass(outsider).text)
    assert verdict.reason == DenyReason.UNKNOWN
    assert verdict.as_json()["name"] == "" and entry.person is None


def test_a_typed_employee_number_is_checked_like_a_pass(staff, gate, worker):
    entry, verdict = check(staff, gate, " A2-0001 ", method="typed")
    assert verdict.allowed and entry.person == worker and entry.method == "typed"
    assert check(staff, gate, "NOBODY", method="typed")[1].reason == DenyReason.UNKNOWN


def test_a_printed_card_carries_no_colour_and_the_server_checks_it(staff, gate, worker):
    card = passes.sign(
        kind=PassKind.CARD, subject=worker.pk, name="张*伟", unit="甲", expires=timezone.now() + passes.CARD_TTL
    )
    assert check(staff, gate, card)[1].allowed
    colour(worker, "red")
    assert check(staff, gate, card, direction=Direction.IN)[1].reason == DenyReason.COLOUR


def test_hours_and_direction(staff, gate, worker, office, clock):
    gate = cp.checkpoint_update(
        actor=office, checkpoint=gate, opens_at=datetime.time(22), closes_at=datetime.time(6), directions="in"
    )
    clock.at("12:00")
    assert check(staff, gate, phone_pass(worker).text)[1].reason == DenyReason.OUTSIDE_HOURS
    clock.at("23:30")
    assert check(staff, gate, phone_pass(worker).text)[1].allowed
    assert check(staff, gate, phone_pass(worker).text, direction="out")[1].reason == DenyReason.WRONG_WAY


def test_a_retry_with_the_same_client_id_records_once(staff, gate, worker):
    client_id = uuid.uuid4()
    text = phone_pass(worker).text
    first = check(staff, gate, text, client_id=client_id)
    again = check(staff, gate, text, client_id=client_id)
    assert first[0].pk == again[0].pk and again[1].allowed
    assert Entry.objects.count() == 1


def test_only_checkpoint_staff_of_the_site_keep_its_gate(tree, gate, worker):
    elsewhere = user_with_role(Role.CHECKPOINT, tree.b1, username="gate-b")
    nobody = user_with_role(None, None, username="plain")
    for user in (elsewhere, nobody):
        with pytest.raises(PermissionDenied):
            check(user, gate, phone_pass(worker).text)
    assert not Entry.objects.exists()


def test_the_masked_name_keeps_first_and_last_characters():
    assert [mask_name_middle(n) for n in ("张伟", "张建伟", "欧阳建峰")] == ["张*", "张*伟", "欧**峰"]


# --- the offline gate's upload -----------------------------------------------------------------------


def record(code, **kw):
    base = {
        "client_id": str(uuid.uuid4()),
        "code": code,
        "direction": "in",
        "method": "camera",
        "at": timezone.now().isoformat(),
        "decision": "allow",
        "reason": "",
    }
    base.update(kw)
    return base


def test_an_upload_stores_each_record_once_however_often_it_is_sent(staff, gate, worker, clock):
    batch = [record(phone_pass(worker).text), record("A2-0001", method="typed")]
    assert len(gate_upload(actor=staff, checkpoint=gate, records=batch)["stored"]) == 2
    assert len(gate_upload(actor=staff, checkpoint=gate, records=batch)["stored"]) == 2
    assert Entry.objects.filter(offline=True).count() == 2
    assert set(Entry.objects.values_list("late_check", flat=True)) == {LateCheck.PASSED}


def test_a_pass_scanned_offline_is_judged_at_the_time_it_was_scanned(staff, gate, worker, clock):
    scanned = record(phone_pass(worker).text, at=clock.now.isoformat())
    clock.advance(hours=2)  # uploaded long after the pass expired
    gate_upload(actor=staff, checkpoint=gate, records=[scanned])
    assert Entry.objects.get().late_check == LateCheck.PASSED


def test_a_card_let_in_offline_for_someone_red_is_flagged_and_their_liaison_told(
    staff, gate, worker, liaison_a2, django_capture_on_commit_callbacks
):
    colour(worker, "red")
    card = passes.sign(
        kind=PassKind.CARD, subject=worker.pk, name="张*伟", unit="甲", expires=timezone.now() + passes.CARD_TTL
    )
    with django_capture_on_commit_callbacks(execute=True):
        gate_upload(actor=staff, checkpoint=gate, records=[record(card)])
    entry = Entry.objects.get()
    assert entry.decision == Decision.ALLOW and entry.late_check == LateCheck.FAILED
    assert Message.objects.filter(recipient=liaison_a2, title__contains="张建伟").exists()


def test_a_denial_recorded_offline_keeps_the_gates_reason(staff, gate, worker):
    gate_upload(actor=staff, checkpoint=gate, records=[record("LF1.x.y", decision="deny", reason="forged")])
    entry = Entry.objects.get()
    assert (entry.decision, entry.reason, entry.person) == ("deny", "forged", None)


def test_a_bad_record_is_refused_with_its_reason_and_the_others_stored(staff, gate, worker, clock):
    good = record("A2-0001")
    future = record("A2-0001", at=(clock.now + datetime.timedelta(hours=1)).isoformat())
    old = record("A2-0001", at=(clock.now - datetime.timedelta(days=8)).isoformat())
    result = gate_upload(actor=staff, checkpoint=gate, records=[good, future, old, {"client_id": "x"}])
    assert result["stored"] == [good["client_id"]]
    assert set(result["refused"]) == {future["client_id"], old["client_id"], "x"}
    assert "clock" in result["refused"][future["client_id"]][0]
