import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.health.choices import CheckInSource, QuestionKind, WorkMode
from lianfang.health.models import CheckIn, Question, UnitDayStat
from lianfang.health.services import checkins, questions
from lianfang.health.services.checkins import CheckInData, ProxyEntry
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.testing import PersonFactory, user_with_role


@pytest.fixture(autouse=True)
def _in_english():
    """These tests read the English wording of messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def normal(**fields) -> CheckInData:
    return CheckInData(
        temperature=fields.pop("temperature", "36.5"), answers=fields.pop("answers", None) or seed_answers(), **fields
    )


def submit(person, data=None, **kwargs):
    return checkins.checkin_submit(actor=person.user, person=person, data=data or normal(), **kwargs)


def test_a_person_checks_in_for_today_in_the_group_time_zone(tree, settings):
    person = employee(tree.a1)
    checkin, created = submit(person, normal(location_code="420102", work_mode=WorkMode.REMOTE))
    assert created
    assert checkin.date == timezone.localdate()
    assert checkin.location_name == "湖北省武汉市江岸区"
    assert checkin.unit == tree.a1 and checkin.source == CheckInSource.SELF
    assert not checkin.is_flagged


@pytest.mark.parametrize(
    ("utc_time", "shanghai_day"),
    [
        (datetime.datetime(2026, 3, 9, 15, 59, tzinfo=datetime.UTC), datetime.date(2026, 3, 9)),  # 23:59 in Shanghai
        (datetime.datetime(2026, 3, 9, 16, 1, tzinfo=datetime.UTC), datetime.date(2026, 3, 10)),  # 00:01 next day
    ],
)
def test_the_day_changes_at_midnight_in_shanghai_not_in_utc(tree, monkeypatch, utc_time, shanghai_day):
    monkeypatch.setattr(timezone, "now", lambda: utc_time)
    person = employee(tree.a1)
    checkin, _ = submit(person)
    assert checkin.date == shanghai_day
    assert utc_time.date() == datetime.date(2026, 3, 9)  # UTC would have said the 9th both times


def test_a_check_in_just_before_and_just_after_midnight_are_two_days(tree, monkeypatch):
    person = employee(tree.a1)
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2026, 3, 9, 23, 59, tzinfo=SHANGHAI))
    submit(person)
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2026, 3, 10, 0, 1, tzinfo=SHANGHAI))
    submit(person)
    assert sorted(CheckIn.objects.values_list("date", flat=True)) == [
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 10),
    ]


def test_submitting_again_the_same_day_corrects_it_and_the_correction_is_audited(tree):
    person = employee(tree.a1)
    first, _ = submit(person)
    second, created = submit(person, normal(temperature="37.8"))
    assert not created and second.pk == first.pk
    assert CheckIn.objects.count() == 1
    change = ObjectChange.objects.filter(object_id=first.pk, action=ChangeAction.UPDATE).get()
    assert change.prechange_data["temperature"] == "36.5"
    assert change.postchange_data["temperature"] == "37.8"
    assert change.user == person.user


@pytest.mark.parametrize("value", ["33.9", "43.1", "abc", ""])
def test_a_temperature_outside_the_range_is_refused_with_a_message_that_says_the_range(tree, value):
    person = employee(tree.a1)
    with pytest.raises(ValidationError) as exc:
        submit(person, normal(temperature=value))
    assert "34.0" in str(exc.value.message_dict["temperature"]) and "43.0" in str(exc.value.message_dict["temperature"])
    assert not CheckIn.objects.exists()


def test_a_future_date_is_refused(tree):
    person = employee(tree.a1)
    with pytest.raises(ValidationError) as exc:
        submit(person, date=timezone.localdate() + datetime.timedelta(days=1))
    assert "future" in str(exc.value.message_dict["date"])


def test_a_past_date_is_accepted_up_to_the_configured_days_back_only(tree):
    settings = GroupSettings.load()
    settings.checkin_backdate_days = 2
    settings.save()
    person = employee(tree.a1)
    today = timezone.localdate()
    submit(person, date=today - datetime.timedelta(days=2))
    with pytest.raises(ValidationError) as exc:
        submit(person, date=today - datetime.timedelta(days=3))
    assert "2 days back" in str(exc.value.message_dict["date"])


def test_a_fever_flags_the_check_in_and_tells_the_liaisons_of_the_unit_and_above(tree):
    liaison_a1 = user_with_role(Role.UNIT_ADMIN, tree.a1)
    liaison_a = user_with_role(Role.UNIT_ADMIN, tree.a)
    liaison_b = user_with_role(Role.UNIT_ADMIN, tree.b)
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    person = employee(tree.a1s)
    checkin, _ = submit(person, normal(temperature="37.5"))
    assert checkin.is_fever and checkin.is_flagged and checkin.flag_reasons == ["fever"]
    recipients = set(Message.objects.filter(kind="checkin_flag").values_list("recipient", flat=True))
    assert recipients == {liaison_a1.pk, liaison_a.pk}
    assert liaison_b.pk not in recipients and duty.pk not in recipients
    message = Message.objects.filter(recipient=liaison_a1).get()
    assert person.name in message.title and message.url.endswith(f"/{checkin.pk}/")


def test_the_fever_threshold_comes_from_the_group_settings(tree):
    settings = GroupSettings.load()
    settings.fever_threshold = Decimal("38.0")
    settings.save()
    checkin, _ = submit(employee(tree.a1), normal(temperature="37.5"))
    assert not checkin.is_fever


def test_a_symptom_or_a_risky_answer_flags_with_the_reasons(tree):
    person = employee(tree.a1)
    checkin, _ = submit(
        person, normal(symptoms=["cough"], answers=seed_answers(**{"travel-risk-area": "yes", "health-code": "yellow"}))
    )
    assert checkin.is_flagged and not checkin.is_fever
    assert checkin.flag_reasons == ["symptom:cough", "answer:travel-risk-area", "answer:health-code"]


def test_a_correction_that_stays_flagged_for_the_same_reason_does_not_notify_again(tree):
    user_with_role(Role.UNIT_ADMIN, tree.a1)
    person = employee(tree.a1)
    submit(person, normal(temperature="38.0"))
    submit(person, normal(temperature="38.2"))
    assert Message.objects.count() == 1


def test_required_questions_need_an_answer_and_the_message_names_the_question(tree):
    person = employee(tree.a1)
    answers = seed_answers()
    health_code = Question.objects.get(code="health-code")
    answers.pop(str(health_code.current_id))
    with pytest.raises(ValidationError) as exc:
        submit(person, normal(answers=answers))
    assert any(health_code.current.label in m for m in exc.value.message_dict["answers"])


@pytest.mark.parametrize(
    ("kind", "choices", "answer", "ok"),
    [
        (QuestionKind.YES_NO, [], "maybe", False),
        (QuestionKind.NUMBER, [], "12.5", True),
        (QuestionKind.NUMBER, [], "twelve", False),
        (QuestionKind.DATE, [], "2026-02-30", False),
        (QuestionKind.DATE, [], "2026-02-03", True),
        (QuestionKind.MULTIPLE, [{"value": "a"}, {"value": "b"}], ["a", "c"], False),
        (QuestionKind.MULTIPLE, [{"value": "a"}, {"value": "b"}], ["b", "a"], True),
        (QuestionKind.TEXT, [], "x" * 501, False),
    ],
)
def test_answers_are_checked_per_kind(tree, superuser, kind, choices, answer, ok):
    question = questions.question_create(actor=superuser, code="extra", text="附加问题", kind=kind, choices=choices)
    person = employee(tree.a1)
    answers = {**seed_answers(), str(question.current_id): answer}
    if ok:
        submit(person, normal(answers=answers))
    else:
        with pytest.raises(ValidationError) as exc:
            submit(person, normal(answers=answers))
        assert "附加问题" in str(exc.value.message_dict["answers"])


def test_a_question_shown_to_a_unit_covers_its_subtree_only(tree, superuser):
    question = questions.question_create(
        actor=superuser, code="site-only", text="站点问题", kind="text", units=[tree.a1]
    )
    versions_a1s = {v.pk for v in checkins.applicable_versions(tree.a1s)}
    versions_b = {v.pk for v in checkins.applicable_versions(tree.b1)}
    assert question.current_id in versions_a1s and question.current_id not in versions_b


def test_editing_a_question_keeps_the_wording_of_past_answers(tree, superuser):
    person = employee(tree.a1)
    question = Question.objects.get(code="travel-risk-area")
    old_version = question.current
    checkin, _ = submit(person)
    questions.question_update(actor=superuser, question=question, text="过去7天内是否到过中高风险地区？")
    question.refresh_from_db()
    assert question.current.version == 2 and question.current.text.startswith("过去7天")
    checkin.refresh_from_db()
    assert checkin.answers[str(old_version.pk)] == "no"
    old_version.refresh_from_db()
    assert old_version.text.startswith("过去14天")


def test_only_the_office_changes_questions(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    with pytest.raises(PermissionDenied):
        questions.question_create(actor=liaison, code="x", text="x", kind="text")
    assert not Question.objects.filter(code="x").exists()


def test_same_as_yesterday_copies_yesterday_for_today(tree):
    person = employee(tree.a1)
    today = timezone.localdate()
    submit(
        person,
        normal(temperature="36.6", location_code="110101", work_mode=WorkMode.REMOTE),
        date=today - datetime.timedelta(days=1),
    )
    checkin, created = checkins.checkin_same_as_yesterday(actor=person.user, person=person)
    assert created and checkin.date == today
    assert (checkin.temperature, checkin.location_code, checkin.work_mode) == (
        Decimal("36.6"),
        "110101",
        WorkMode.REMOTE,
    )
    assert checkin.source == CheckInSource.SAME_AS_YESTERDAY
    assert len(checkin.answers) == 3


def test_same_as_yesterday_without_yesterday_asks_to_fill_in_the_form(tree):
    from django.utils import translation

    person = employee(tree.a1)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        checkins.checkin_same_as_yesterday(actor=person.user, person=person)
    assert "fill in the form" in str(exc.value)


def test_nobody_else_checks_in_for_a_person_without_the_right(tree):
    person = employee(tree.a1)
    other = employee(tree.a1)
    with pytest.raises(PermissionDenied):
        checkins.checkin_submit(actor=other.user, person=person, data=normal())
    outsider = user_with_role(Role.UNIT_ADMIN, tree.b)
    with pytest.raises(PermissionDenied):
        checkins.checkin_submit(actor=outsider, person=person, data=normal(), source=CheckInSource.PROXY)
    assert not CheckIn.objects.exists()


def test_a_proxy_morning_check_records_everyone_at_once_and_keeps_self_reports(tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    people = [PersonFactory(unit=tree.a1) for _ in range(3)]
    self_reporter = employee(tree.a1)
    submit(self_reporter, normal(temperature="36.4"))
    entries = [ProxyEntry(person=p, temperature="36.5") for p in people]
    entries.append(ProxyEntry(person=self_reporter, temperature="36.4"))
    checkins.checkin_proxy_submit(actor=duty, entries=entries)
    assert CheckIn.objects.filter(source=CheckInSource.PROXY, reported_by=duty).count() == 3
    assert CheckIn.objects.get(person=self_reporter).source == CheckInSource.SELF


def test_a_proxy_check_with_one_bad_reading_writes_nothing(tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    a, b = PersonFactory(unit=tree.a1), PersonFactory(unit=tree.a1)
    with pytest.raises(ValidationError) as exc:
        checkins.checkin_proxy_submit(
            actor=duty, entries=[ProxyEntry(person=a, temperature="36.5"), ProxyEntry(person=b, temperature="63")]
        )
    assert list(exc.value.message_dict) == [str(b.pk)]
    assert not CheckIn.objects.exists()


def _recount(day):
    rows = (
        CheckIn.objects.filter(date=day)
        .values("unit_id")
        .annotate(
            reported=Count("pk"),
            fever=Count("pk", filter=Q(is_fever=True)),
            flagged=Count("pk", filter=Q(is_flagged=True)),
            on_site=Count("pk", filter=Q(work_mode=WorkMode.ON_SITE)),
            remote=Count("pk", filter=Q(work_mode=WorkMode.REMOTE)),
            on_leave=Count("pk", filter=Q(work_mode=WorkMode.ON_LEAVE)),
        )
    )
    return {r.pop("unit_id"): r for r in rows}


def test_unit_day_counts_equal_a_recount_after_random_submissions_and_corrections(tree):
    rng = random.Random(20260309)
    units = [tree.a1, tree.a1s, tree.a2, tree.b1]
    people = [employee(rng.choice(units)) for _ in range(12)]
    duty = user_with_role(Role.UNIT_ADMIN, tree.group)
    today = timezone.localdate()
    days = [today, today - datetime.timedelta(days=1)]
    checkins.unit_day_open(date=today)
    for _ in range(80):
        person = rng.choice(people)
        data = normal(
            temperature=rng.choice(["36.1", "36.8", "37.3", "38.5"]),
            symptoms=rng.choice([[], [], ["cough"]]),
            work_mode=rng.choice([WorkMode.ON_SITE, WorkMode.REMOTE, WorkMode.ON_LEAVE]),  # freely chosen
        )
        if rng.random() < 0.3:
            checkins.checkin_proxy_submit(
                actor=duty,
                entries=[ProxyEntry(person=person, temperature=data.temperature, work_mode=data.work_mode)],
                date=rng.choice(days),
            )
        else:
            submit(person, data, date=rng.choice(days))
    for day in days:
        recount = _recount(day)
        stats = {
            s.unit_id: {k: getattr(s, k) for k in ("reported", "fever", "flagged", "on_site", "remote", "on_leave")}
            for s in UnitDayStat.objects.filter(date=day)
        }
        assert {u: v for u, v in stats.items() if v["reported"]} == recount
    assert (
        UnitDayStat.objects.filter(date=today).aggregate(n=Sum("reported"))["n"]
        == CheckIn.objects.filter(date=today).count()
    )


def test_the_opening_job_sets_expected_to_the_active_headcount(tree):
    PersonFactory.create_batch(3, unit=tree.a1)
    PersonFactory(unit=tree.a1, employment_status="left")
    PersonFactory(unit=tree.a1s)
    today = timezone.localdate()
    checkins.unit_day_open(date=today)
    assert UnitDayStat.objects.get(unit=tree.a1, date=today).expected == 3
    assert UnitDayStat.objects.get(unit=tree.b, date=today).expected == 0
    PersonFactory(unit=tree.a1)
    checkins.unit_day_refresh_expected(unit_ids=[tree.a1.pk], date=today)
    checkins.unit_day_refresh_expected(unit_ids=[tree.a1.pk], date=today)
    assert UnitDayStat.objects.get(unit=tree.a1, date=today).expected == 4
    assert UnitDayStat.objects.filter(date=today).count() == 7


def test_the_hourly_job_opens_the_day_and_can_run_twice(tree):
    from lianfang.health.tasks import open_checkin_day

    PersonFactory.create_batch(2, unit=tree.b1)
    open_checkin_day.call_local()
    open_checkin_day.call_local()
    assert UnitDayStat.objects.get(unit=tree.b1, date=timezone.localdate()).expected == 2


@pytest.mark.django_db
def test_todays_expected_headcount_follows_a_person_moving_and_leaving(tree, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from lianfang.health.models import UnitDayStat
    from lianfang.org.choices import Role as _Role
    from lianfang.people.choices import EmploymentStatus
    from lianfang.people.services import person_create, person_update
    from lianfang.testing import user_with_role as _user_with_role

    office = _user_with_role(_Role.GROUP_ADMIN, tree.group)
    today = timezone.localdate()

    def expected(unit):
        return UnitDayStat.objects.get(unit=unit, date=today).expected

    with django_capture_on_commit_callbacks(execute=True):
        person = person_create(actor=office, unit=tree.a1, name="李娜", employee_no="X1")
    assert expected(tree.a1) == 1
    with django_capture_on_commit_callbacks(execute=True):
        person_update(actor=office, person=person, unit=tree.b1)
    assert (expected(tree.a1), expected(tree.b1)) == (0, 1)
    with django_capture_on_commit_callbacks(execute=True):
        person_update(actor=office, person=person, employment_status=EmploymentStatus.LEFT)
    assert expected(tree.b1) == 0
