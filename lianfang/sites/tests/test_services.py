"""Plans, the rounds they give each day, starting and finishing a round, the contact time, photos,
taking back a round started by mistake; with frozen time (Monday 2026-12-07, 08:00 in Shanghai)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.core.models import ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.sites import selectors, services
from lianfang.sites.choices import RoundKind, RoundStatus
from lianfang.sites.models import DisinfectionLog, DisinfectionSlot
from lianfang.sites.tests.conftest import DAY, local, photo
from lianfang.sites.tests.factories import twice_a_day, ventilation, weekly
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


def statuses(site, day=DAY):
    return [(timezone_hhmm(r.slot.due_at), r.status) for r in selectors.site_day(site=site, day=day)]


def timezone_hhmm(at):
    from django.utils import timezone

    return f"{timezone.localtime(at):%H:%M}"


# --- plans and the rounds they give -------------------------------------------------------------------


def test_a_twice_a_day_plan_gives_two_rounds_today_with_their_deadlines(tree, clock, agents, liaison):
    plan = twice_a_day(liaison, tree.a1s, agents["chlorine"])

    slots = list(DisinfectionSlot.objects.filter(plan=plan).order_by("due_at"))
    tomorrow = DAY + datetime.timedelta(days=1)
    assert [s.due_at for s in slots] == [
        local(DAY, "10:00"),
        local(DAY, "16:00"),
        local(tomorrow, "10:00"),
        local(tomorrow, "16:00"),
    ]
    assert {s.agent for s in slots} == {agents["chlorine"]}
    assert statuses(tree.a1s) == [("10:00", RoundStatus.PENDING), ("16:00", RoundStatus.PENDING)]


def test_making_the_rounds_again_adds_none(tree, clock, agents, liaison):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])

    assert services.slots_generate_due() == 0
    assert services.slots_generate(day=DAY) == 0
    assert DisinfectionSlot.objects.count() == 4


def test_the_job_makes_each_day_s_rounds_as_the_days_pass(tree, clock, agents, liaison):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.advance(days=2)

    assert services.slots_generate_due() == 4  # the day after tomorrow had none yet; and the day after
    assert DisinfectionSlot.objects.filter(day=DAY + datetime.timedelta(days=2)).count() == 2


def test_a_weekly_plan_gives_rounds_only_on_its_weekdays(tree, clock, agents, liaison):
    weekly(liaison, tree.a1s, agents["chlorine"], weekdays=[0, 3])  # Mondays and Thursdays by 18:00

    for n in range(2, 8):
        services.slots_generate(day=DAY + datetime.timedelta(days=n))

    days = sorted(DisinfectionSlot.objects.values_list("day", flat=True))
    assert days == [DAY, DAY + datetime.timedelta(days=3), DAY + datetime.timedelta(days=7)]


def test_a_plan_made_at_noon_does_not_make_the_morning_round_overdue(tree, clock, agents, liaison):
    clock.at("12:00")
    twice_a_day(liaison, tree.a1s, agents["chlorine"])

    assert statuses(tree.a1s) == [("16:00", RoundStatus.PENDING)]
    assert services.slots_generate(day=DAY) == 0


def test_a_changed_plan_changes_the_rounds_to_come_and_keeps_the_past_ones(tree, clock, agents, liaison):
    plan = twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("11:00")

    services.plan_update(actor=liaison, plan=plan, times=["10:00", "15:00", "17:00"])

    assert statuses(tree.a1s) == [
        ("10:00", RoundStatus.OVERDUE),
        ("15:00", RoundStatus.PENDING),
        ("17:00", RoundStatus.PENDING),
    ]


def test_a_changed_note_leaves_the_rounds_as_they_are(tree, clock, agents, liaison):
    plan = twice_a_day(liaison, tree.a1s, agents["chlorine"])
    before = set(DisinfectionSlot.objects.values_list("pk", flat=True))

    services.plan_update(actor=liaison, plan=plan, note="用湿抹布擦拭")

    assert set(DisinfectionSlot.objects.values_list("pk", flat=True)) == before


def test_a_retired_plan_gives_no_more_rounds(tree, clock, agents, liaison):
    plan = twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("11:00")

    services.plan_update(actor=liaison, plan=plan, is_active=False)
    clock.advance(days=1)
    services.slots_generate_due()

    assert statuses(tree.a1s) == [("10:00", RoundStatus.OVERDUE)]
    assert not DisinfectionSlot.objects.filter(day__gt=DAY).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"times": []}, "times"),
        ({"times": ["25:00"]}, "times"),
        ({"times": ["10:00", "10:00"]}, "times"),
        ({"frequency": "weekly"}, "weekdays"),
        ({"agent": None}, "agent"),
        ({"kind": "terminal"}, "kind"),
        ({"ends_on": DAY - datetime.timedelta(days=1)}, "ends_on"),
    ],
)
def test_a_plan_that_says_nothing_usable_is_refused_on_the_field(tree, clock, agents, liaison, change, field):
    fields = {"area": "office", "agent": agents["chlorine"], "times": ["10:00"], **change}

    with pytest.raises(ValidationError) as refused:
        services.plan_create(actor=liaison, site=tree.a1s, **fields)

    assert field in refused.value.message_dict


def test_a_ventilation_plan_needs_no_disinfectant_and_lasts_thirty_minutes_by_default(tree, clock, liaison):
    plan = ventilation(liaison, tree.a1s)

    assert plan.agent is None and plan.min_minutes == 30
    assert DisinfectionSlot.objects.filter(plan=plan, kind=RoundKind.VENTILATION).count() == 4


def test_only_the_liaison_of_the_site_plans_it(tree, clock, agents, staff):
    other = user_with_role(Role.UNIT_ADMIN, tree.b)

    for actor in (staff, other):
        with pytest.raises(PermissionDenied):
            twice_a_day(actor, tree.a1s, agents["chlorine"])
    assert not DisinfectionSlot.objects.exists()


# --- logging a round ----------------------------------------------------------------------------------


def _first(site):
    return selectors.site_day(site=site, day=DAY)[0].slot


def test_a_round_started_and_finished_after_the_contact_time_is_done_on_time(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    slot = _first(tree.a1s)
    clock.at("09:10")

    log = services.log_start(actor=staff, slot=slot)
    assert statuses(tree.a1s)[0] == ("10:00", RoundStatus.IN_PROGRESS)
    clock.at("09:41")
    services.log_finish(actor=staff, log=log, photo=photo())

    log.refresh_from_db()
    assert (log.operator_name, log.concentration, log.minutes) == ("王师傅", "500 mg/L", 31)
    assert log.photo.name.endswith(".jpg") and log.photo.name.startswith("sites/disinfection/2026/12/")
    assert statuses(tree.a1s)[0] == ("10:00", RoundStatus.DONE)
    assert ObjectChange.objects.filter(object_id=log.pk, action=ChangeAction.UPDATE).exists()


def test_finishing_before_the_contact_time_is_refused_naming_the_minimum(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("09:10")
    log = services.log_start(actor=staff, slot=_first(tree.a1s))
    clock.at("09:22")

    with pytest.raises(ValidationError) as refused:
        services.log_finish(actor=staff, log=log)

    message = refused.value.message_dict["ended_at"][0]
    assert "must act at least 30 minutes" in message and "lasted 12" in message
    assert "Finish at 09:40 at the earliest" in message
    log.refresh_from_db()
    assert log.ended_at is None


def test_alcohol_needs_only_its_own_contact_time(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["alcohol"], area="lift")
    clock.at("09:10")

    log = services.log_record(
        actor=staff,
        slot=_first(tree.a1s),
        started_at=local(DAY, "09:00"),
        ended_at=local(DAY, "09:02"),
    )

    assert log.agent == agents["alcohol"] and log.concentration == "75%"


def test_a_round_recorded_afterwards_is_checked_like_one_done_on_the_spot(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("17:00")
    slot = _first(tree.a1s)

    with pytest.raises(ValidationError) as refused:
        services.log_record(
            actor=staff, slot=slot, started_at=local(DAY, "09:30"), ended_at=local(DAY, "09:45"), operator_name="李师傅"
        )
    assert "at least 30 minutes" in refused.value.message_dict["ended_at"][0]
    assert "Finish at" not in refused.value.message_dict["ended_at"][0]  # that time has passed

    log = services.log_record(
        actor=staff, slot=slot, started_at=local(DAY, "09:30"), ended_at=local(DAY, "10:05"), operator_name="李师傅"
    )
    assert log.operator_name == "李师傅" and log.operator is None
    assert statuses(tree.a1s) == [("10:00", RoundStatus.LATE), ("16:00", RoundStatus.OVERDUE)]


def test_ventilation_must_last_the_plan_s_minimum(tree, clock, liaison, staff):
    ventilation(liaison, tree.a1s, min_minutes=45)
    clock.at("10:00")
    slot = _first(tree.a1s)

    with pytest.raises(ValidationError) as refused:
        services.log_record(actor=staff, slot=slot, started_at=local(DAY, "09:00"), ended_at=local(DAY, "09:40"))

    assert "windows must stay open at least 45 minutes" in refused.value.message_dict["ended_at"][0]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("09:30", "10:40", "ended_at"),  # ends in the future
        ("09:40", "09:10", "ended_at"),  # ends before it starts
    ],
)
def test_times_that_cannot_be_true_are_refused(tree, clock, agents, liaison, staff, start, end, field):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("10:00")

    with pytest.raises(ValidationError) as refused:
        services.log_record(actor=staff, slot=_first(tree.a1s), started_at=local(DAY, start), ended_at=local(DAY, end))

    assert field in refused.value.message_dict


def test_a_round_of_yesterday_cannot_be_started_today_before_its_day(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    tomorrow = DisinfectionSlot.objects.filter(day=DAY + datetime.timedelta(days=1)).first()

    with pytest.raises(ValidationError) as refused:
        services.log_start(actor=staff, slot=tomorrow)

    assert "This round is for 2026-12-08" in refused.value.message_dict["started_at"][0]


def test_a_round_is_logged_once(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    slot = _first(tree.a1s)
    services.log_start(actor=staff, slot=slot)

    with pytest.raises(ValidationError, match="already been logged"):
        services.log_start(actor=liaison, slot=slot)


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_stored(tree, clock, agents, liaison, staff, settings):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    log = services.log_start(actor=staff, slot=_first(tree.a1s))
    clock.advance(minutes=35)
    fake = photo()
    fake.file.write(b"")  # keep the name, replace the content below
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("round.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")

    with pytest.raises(ValidationError, match="not a photo"):
        services.log_finish(actor=staff, log=log, photo=fake)

    log.refresh_from_db()
    assert log.ended_at is None and not log.photo
    assert not (settings.MEDIA_ROOT / "sites").exists()


def test_a_photo_over_the_limit_is_refused(tree, clock, agents, liaison, staff, settings):
    settings.LIANFANG_MAX_PHOTO_BYTES = 100
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    log = services.log_start(actor=staff, slot=_first(tree.a1s))
    clock.advance(minutes=35)

    with pytest.raises(ValidationError, match="photos up to 100"):
        services.log_finish(actor=staff, log=log, photo=photo())


def test_someone_outside_the_site_cannot_log_its_rounds(tree, clock, agents, liaison):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    for actor in (user_with_role(Role.CHECKPOINT, tree.a2), user_with_role(Role.INSPECTOR, tree.a)):
        with pytest.raises(PermissionDenied):
            services.log_start(actor=actor, slot=_first(tree.a1s))
    assert not DisinfectionLog.objects.exists()


def test_a_round_started_by_mistake_is_taken_back_but_a_finished_one_stays(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    slot = _first(tree.a1s)
    log = services.log_start(actor=staff, slot=slot)

    services.log_cancel(actor=staff, log=log)
    assert not DisinfectionLog.objects.exists()
    assert ObjectChange.objects.filter(object_id=log.pk, action=ChangeAction.DELETE).exists()

    log = services.log_record(actor=staff, slot=slot, started_at=local(DAY, "07:00"), ended_at=local(DAY, "07:40"))
    with pytest.raises(ValidationError, match="is the record"):
        services.log_cancel(actor=liaison, log=log)


def test_another_staff_member_cannot_take_back_someone_else_s_start(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    log = services.log_start(actor=staff, slot=_first(tree.a1s))
    colleague = user_with_role(Role.CHECKPOINT, tree.a1s)

    with pytest.raises(PermissionDenied):
        services.log_cancel(actor=colleague, log=log)
    services.log_cancel(actor=liaison, log=log)


# --- overdue -----------------------------------------------------------------------------------------------


def test_a_round_is_overdue_once_its_deadline_passes_without_a_finished_log(tree, clock, agents, liaison, staff):
    twice_a_day(liaison, tree.a1s, agents["chlorine"])
    clock.at("09:59")
    assert statuses(tree.a1s)[0][1] == RoundStatus.PENDING
    services.log_start(actor=staff, slot=_first(tree.a1s))

    clock.at("10:01")

    assert statuses(tree.a1s) == [("10:00", RoundStatus.OVERDUE), ("16:00", RoundStatus.PENDING)]
