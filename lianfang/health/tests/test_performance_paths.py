"""The fast paths of the check-in write: the configuration cache, the insert-first upsert, the
token that brings the person along (one pre-written query), the plain request body read without the
serializer, the change-log row inserted without ``save()``, and the hand-written response body.

They run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…); each must behave exactly as the
plain path it replaces.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lianfang.core.models import ObjectChange
from lianfang.health import cache as config_cache
from lianfang.health.api.checkins import CheckInSerializer, CheckInSubmitSerializer, plain_submission
from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.health.services import checkins, questions
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.org.models import GroupSettings
from lianfang.people.authentication import TokenAuthentication
from lianfang.privacy import gate as privacy_gate
from lianfang.status import engine
from lianfang.testing import UserFactory, make_tree

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkins/"


@pytest.fixture
def cached(settings):
    """The configuration cache switched on (the suite runs with it off), empty before and after."""
    settings.LIANFANG_CHECKIN_CONFIG_CACHE = True
    config_cache.invalidate()
    yield
    config_cache.invalidate()


@pytest.fixture
def group(db) -> GroupSettings:
    """The settings row exists before the cache is first read (creating it would reset the cache)."""
    return GroupSettings.load()


@pytest.fixture
def clock(monkeypatch):
    """A monotonic clock the test moves by hand."""
    now = [1000.0]
    monkeypatch.setattr(config_cache.time, "monotonic", lambda: now[0])
    return now


def warm(tree) -> None:
    """Everything a process has read once before its first check-in: config, content type, day rows,
    and the status engine's copy of who is not green (which the check-in guard reads)."""
    checkins.unit_day_open()
    config_cache.group_settings()
    ContentType.objects.get_for_model(CheckIn)
    engine._reload_hot()
    privacy_gate.warm(timezone.localdate())  # the consent gate's copy of the notice and the bases


def statements(captured) -> list[str]:
    """The SQL sent, without the savepoints of the test's own transaction."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def token_client(user) -> APIClient:
    token = Token.objects.create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


# --- the configuration cache ---------------------------------------------------------------------


def test_the_settings_and_questions_are_read_once_and_then_served_from_memory(cached, clock, tree):
    config_cache.group_settings()
    with CaptureQueriesContext(connection) as captured:
        threshold = config_cache.group_settings().fever_threshold
        versions = config_cache.versions_for(tree.a1)
    assert statements(captured) == []
    assert threshold == Decimal("37.3")
    assert {v.question.code for v in versions} >= {"travel-risk-area", "contact-case", "health-code"}


def test_a_settings_change_saved_in_this_process_is_seen_at_once(cached, clock, tree):
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")
    group = GroupSettings.load()
    group.fever_threshold = Decimal("37.8")
    group.save()
    assert config_cache.group_settings().fever_threshold == Decimal("37.8")


def test_a_question_added_or_stopped_by_the_office_is_seen_at_once(cached, clock, tree, superuser):
    before = {v.question.code for v in config_cache.versions_for(tree.a1)}
    question = questions.question_create(actor=superuser, code="fever-clinic", text="去过发热门诊吗？", kind="yes_no")
    assert {v.question.code for v in config_cache.versions_for(tree.a1)} == before | {"fever-clinic"}
    questions.question_set_active(actor=superuser, question=question, is_active=False)
    assert {v.question.code for v in config_cache.versions_for(tree.a1)} == before


def test_a_question_limited_to_other_units_is_not_asked_from_the_cache(cached, clock, tree, superuser):
    questions.question_create(actor=superuser, code="b-only", text="B 的问题", kind="yes_no", units=[tree.b])
    assert "b-only" in {v.question.code for v in config_cache.versions_for(tree.b1)}
    assert "b-only" not in {v.question.code for v in config_cache.versions_for(tree.a1)}


def test_a_change_from_another_process_is_seen_once_the_shared_stamp_moves(group, cached, clock, tree, monkeypatch):
    # Redis in production: pretend the cache is shared, so only the stamp can trigger a reload.
    monkeypatch.setattr(config_cache, "_shared", lambda: True)
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")
    GroupSettings.objects.update(fever_threshold=Decimal("38.0"))  # another process: no signal here
    clock[0] += config_cache.RECHECK_SECONDS + 0.1
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")  # stamp unchanged: kept
    config_cache.shared_cache.set(config_cache.STAMP_KEY, "changed-elsewhere")
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")  # not rechecked within a second
    clock[0] += config_cache.RECHECK_SECONDS + 0.1
    assert config_cache.group_settings().fever_threshold == Decimal("38.0")


def test_without_a_shared_cache_a_copy_is_never_older_than_the_local_bound(group, cached, clock, tree):
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")
    GroupSettings.objects.update(fever_threshold=Decimal("38.0"))  # another process: no signal, no stamp
    clock[0] += config_cache.LOCAL_MAX_SECONDS - 0.5
    assert config_cache.group_settings().fever_threshold == Decimal("37.3")
    clock[0] += 1.0
    assert config_cache.group_settings().fever_threshold == Decimal("38.0")


def test_a_fever_threshold_change_applies_to_the_next_check_in(cached, clock, tree):
    person = employee(tree.a1)
    group = GroupSettings.load()
    group.fever_threshold = Decimal("38.5")
    group.save()
    checkin, _created = checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="38.0", answers=seed_answers())
    )
    assert not checkin.is_fever


# --- the upsert ------------------------------------------------------------------------------------


def test_a_first_check_in_with_a_warm_cache_is_one_insert_one_count_update_and_one_log_row(cached, clock, tree):
    person = employee(tree.a1)
    warm(tree)
    data = CheckInData(temperature="36.5", answers=seed_answers())
    with CaptureQueriesContext(connection) as captured:
        checkin, created = checkins.checkin_submit(actor=person.user, person=person, data=data)
    sent = statements(captured)
    assert created and checkin.pk is not None
    assert len(sent) == 3, sent
    assert "ON CONFLICT" in sent[0].upper() or "OR IGNORE" in sent[0].upper()
    assert "RETURNING" in sent[0].upper()
    assert CheckIn.objects.get(pk=checkin.pk).temperature == Decimal("36.5")


def test_the_upsert_creates_then_corrects_with_the_change_logged_before_and_after(tree):
    person = employee(tree.a1)
    first, created = checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.5", answers=seed_answers())
    )
    assert created
    second, created_again = checkins.checkin_submit(
        actor=person.user,
        person=person,
        data=CheckInData(temperature="37.9", work_mode="remote", answers=seed_answers()),
    )
    assert not created_again and second.pk == first.pk
    assert CheckIn.objects.filter(person=person).count() == 1
    change = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(CheckIn), object_id=first.pk, action="update"
    ).get()
    assert change.prechange_data["temperature"] == "36.5" and change.postchange_data["temperature"] == "37.9"
    stat = UnitDayStat.objects.get(unit=tree.a1)
    assert (stat.reported, stat.fever, stat.on_site, stat.remote) == (1, 1, 0, 1)


def test_an_identical_resubmission_writes_no_change_log_row(tree):
    person = employee(tree.a1)
    data = CheckInData(temperature="36.5", answers=seed_answers())
    checkin, _created = checkins.checkin_submit(actor=person.user, person=person, data=data)
    checkins.checkin_submit(actor=person.user, person=person, data=data)
    logged = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(CheckIn), object_id=checkin.pk)
    assert list(logged.values_list("action", flat=True)) == ["create"]


# --- the API ----------------------------------------------------------------------------------------


def test_a_token_check_in_reads_the_person_with_the_token(cached, clock, tree):
    person = employee(tree.a1)
    warm(tree)
    client = token_client(person.user)
    payload = {"temperature": "36.5", "answers": seed_answers()}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.data
    sent = statements(captured)
    assert len(sent) == 4, sent  # token + user + person + unit, insert, day count, change log
    assert "people_person" in sent[0] and "org_unit" in sent[0]


def test_the_response_body_is_what_the_check_in_serializer_gives(tree):
    person = employee(tree.a1)
    client = token_client(person.user)
    created = client.post(URL, {"temperature": "36.55", "answers": seed_answers()}, format="json")
    corrected = client.post(URL, {"temperature": "37.9", "answers": seed_answers()}, format="json")
    assert (created.status_code, corrected.status_code) == (201, 200)
    stored = CheckInSerializer(CheckIn.objects.select_related("person", "reported_by").get()).data
    assert corrected.json() == stored
    assert created.json()["id"] == stored["id"] and created.json()["created"] == stored["created"]
    assert created.json()["temperature"] == "36.6"


def test_a_token_without_a_person_is_asked_to_name_one(tree):
    user = UserFactory(username="no-person")
    response = token_client(user).post(URL, {"temperature": "36.5"}, format="json")
    assert response.status_code == 400 and "person" in response.data


def test_a_wrong_token_is_refused(tree):
    client = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40, HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(URL, {"temperature": "36.5"}, format="json").status_code == 401


def test_an_inactive_user_with_a_token_is_refused(tree):
    person = employee(tree.a1)
    client = token_client(person.user)
    person.user.is_active = False
    person.user.save()
    assert client.post(URL, {"temperature": "36.5", "answers": seed_answers()}, format="json").status_code == 401
    assert not CheckIn.objects.exists()


def test_the_token_query_builds_the_same_token_user_person_and_unit_as_the_orm(tree):
    person = employee(tree.a1)
    token = Token.objects.create(user=person.user)
    fast, _token = TokenAuthentication().authenticate_credentials(token.key)
    plain = Token.objects.select_related("user", "user__person", "user__person__unit").get(key=token.key).user
    with CaptureQueriesContext(connection) as captured:
        for a, b in ((fast, plain), (fast.person, plain.person), (fast.person.unit, plain.person.unit)):
            assert type(a) is type(b)
            assert {f.attname: getattr(a, f.attname) for f in a._meta.concrete_fields} == {
                f.attname: getattr(b, f.attname) for f in b._meta.concrete_fields
            }
            assert not a._state.adding and a._state.db == b._state.db
        assert fast.person.user is fast
    assert captured.captured_queries == []  # all of it came with the token
    assert fast.person.id_number == person.id_number != ""  # the encrypted field is read back decrypted


def test_the_token_query_caches_a_missing_person_without_a_query(tree):
    user = UserFactory(username="no-roster")
    token = Token.objects.create(user=user)
    fast, _token = TokenAuthentication().authenticate_credentials(token.key)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ObjectDoesNotExist):
        fast.person  # noqa: B018
    assert captured.captured_queries == []


PLAIN_BODIES = [
    {"temperature": "36.5"},
    {"temperature": "36.5", "answers": {"1": "no", 2: "yes", "3": ["a", "b"], "4": 3}},
    {"temperature": "37.9", "symptoms": ["cough", "fever"], "symptom_note": "", "work_mode": "remote"},
    {"temperature": "36.5", "location_code": "110101", "symptom_note": "头痛", "symptoms": []},
]
# Each is refused by the serializer, or changed by it: the fast path hands them all over.
OTHER_BODIES = [
    {},
    {"temperature": ""},
    {"temperature": " 36.5"},
    {"temperature": 36.5},
    {"temperature": "36.5", "person": 4},
    {"temperature": "36.5", "date": "2026-01-01"},
    {"temperature": "36.5", "source": "api"},
    {"temperature": "36.5", "symptoms": ["headache"]},
    {"temperature": "36.5", "symptoms": "cough"},
    {"temperature": "36.5", "work_mode": "away"},
    {"temperature": "36.5", "answers": ["no"]},
    {"temperature": "36.5", "answers": {"1": None}},
    {"temperature": "36.5", "location_code": "1" * 13},
    {"temperature": "36.5", "symptom_note": "a\x00b"},
    {"temperature": "36.5", "symptom_note": "x" * 201},
    ["temperature"],
]


@pytest.mark.parametrize("body", PLAIN_BODIES)
def test_a_plain_submission_is_read_as_the_serializer_reads_it(body):
    serializer = CheckInSubmitSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert plain_submission(body) == dict(serializer.validated_data)


@pytest.mark.parametrize("body", OTHER_BODIES)
def test_anything_else_is_left_to_the_serializer(body):
    assert plain_submission(body) is None


def test_a_refused_body_still_gets_the_serializers_message(tree):
    person = employee(tree.a1)
    response = token_client(person.user).post(URL, {"temperature": "36.5", "work_mode": "away"}, format="json")
    assert response.status_code == 400 and "work_mode" in response.data
    assert not CheckIn.objects.exists()


def test_a_change_log_row_written_by_the_fast_insert_reads_back_as_written(tree):
    person = employee(tree.a1)
    checkin, _created = checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.5", answers=seed_answers())
    )
    change = ObjectChange.objects.get(content_type=ContentType.objects.get_for_model(CheckIn), object_id=checkin.pk)
    assert (change.action, change.user, change.user_name, change.unit_id) == (
        "create",
        person.user,
        person.user.username,
        tree.a1.pk,
    )
    assert change.object_repr == str(checkin)[:200] and change.time is not None
    assert change.prechange_data is None and change.postchange_data["temperature"] == "36.5"
    assert change.postchange_data["answers"] == checkin.answers


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers")
def test_fifty_threads_sharing_the_cached_configuration_still_make_one_row(cached):
    tree = make_tree()
    person = employee(tree.a1)
    data = CheckInData(temperature="37.6", answers=seed_answers())
    barrier = threading.Barrier(50)
    results: list[bool] = []
    errors: list[BaseException] = []

    def submit():
        try:
            barrier.wait()
            results.append(checkins.checkin_submit(actor=person.user, person=person, data=data)[1])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results.count(True) == 1
    assert CheckIn.objects.filter(person=person).count() == 1
    stat = UnitDayStat.objects.get(unit=tree.a1)
    assert (stat.reported, stat.fever, stat.flagged) == (1, 1, 1)
