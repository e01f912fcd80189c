"""The pages: on duty now, the month roster and its print, a shift, swaps, coverage, the day's log
and its print; who may see which (own unit, child, sibling, parent)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from lianfang.duty.choices import HandoverStatus, PhoneCheck
from lianfang.duty.models import Handover, LogEntry, Shift
from lianfang.duty.tests.conftest import local
from lianfang.duty.tests.factories import make_post, make_shift
from lianfang.org.choices import Role
from lianfang.testing import IN_SCOPE, SCOPE_RELATIONS, PersonFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def tomorrow(n: int = 1) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def running(post, staff):
    now = timezone.now()
    return make_shift(
        post,
        now - datetime.timedelta(hours=3),
        now + datetime.timedelta(hours=21),
        leader=staff[0],
        officers=[staff[1]],
    )


def test_on_duty_now_shows_the_leader_and_masks_phones_for_a_duty_officer(tree, running, staff):
    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    page = client_for(officer).get(reverse("duty:index")).content.decode()
    assert staff[0].name in page and "0913-2100000" in page
    assert staff[0].phone not in page and staff[0].phone[:3] + "****" + staff[0].phone[-4:] in page


def test_on_duty_now_shows_phones_in_full_to_the_liaison(liaison, running, staff):
    page = client_for(liaison).get(reverse("duty:index")).content.decode()
    assert staff[0].phone in page


def test_someone_without_a_duty_role_or_shift_may_not_see_the_duty_pages(tree, post):
    nobody = UserFactory()
    for name, args in [("duty:index", []), ("duty:gaps", []), ("duty:roster", [post.pk]), ("duty:log", [post.pk])]:
        assert client_for(nobody).get(reverse(name, args=args)).status_code in (403, 404)


def test_a_person_on_duty_sees_their_own_shift_and_can_ask_a_swap(tree, post, staff):
    user = UserFactory()
    staff[1].user = user
    staff[1].save()
    shift = make_shift(
        post,
        datetime.datetime.combine(tomorrow(), datetime.time(8), tzinfo=timezone.get_current_timezone()),
        local(tomorrow(2)),
        officers=[staff[1]],
    )
    client = client_for(user)
    assert shift.pk and client.get(reverse("duty:index")).status_code == 200
    response = client.post(
        reverse("duty:shift", args=[shift.pk]),
        {"form": "swap", "swap-person": staff[1].pk, "swap-replacement": staff[2].pk, "swap-reason": "家中有事"},
    )
    assert response.status_code == 302
    assert shift.swaps.get().replacement == staff[2]


@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
def test_a_liaison_sees_posts_of_their_unit_and_below_only(tree, relation, staff):
    unit = getattr(tree, SCOPE_RELATIONS[relation])
    post = make_post(unit)
    make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=PersonFactory(unit=unit))
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    client = client_for(liaison)
    expected = 200 if relation in IN_SCOPE else 404
    for name in ("duty:roster", "duty:roster-print", "duty:log", "duty:log-print"):
        assert client.get(reverse(name, args=[post.pk])).status_code == expected, name
    shift = Shift.objects.get(post=post)
    assert client.get(reverse("duty:shift", args=[shift.pk])).status_code == expected
    index = client.get(reverse("duty:index")).content.decode()
    assert (f'data-post="{post.pk}"' in index) == (relation in IN_SCOPE)


def test_the_month_view_lists_every_day_and_the_shifts(liaison, post, staff):
    make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0], officers=[staff[1]])
    month = tomorrow().replace(day=1)
    page = client_for(liaison).get(reverse("duty:roster", args=[post.pk]), {"month": f"{month:%Y-%m}"}).content.decode()
    assert f'data-day="{tomorrow():%Y-%m-%d}"' in page and staff[0].name in page
    assert "Generate from a rota" in page


def test_this_month_s_view_jumps_to_today_and_another_month_s_does_not(liaison, post):
    url = reverse("duty:roster", args=[post.pk])
    today = timezone.localdate()
    page = client_for(liaison).get(url).content.decode()
    assert 'href="#today"' in page and f'data-day="{today:%Y-%m-%d}" id="today"' in page
    later = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    assert 'href="#today"' not in client_for(liaison).get(url, {"month": f"{later:%Y-%m}"}).content.decode()


def test_the_month_view_says_in_red_which_shift_has_no_leader_and_which_no_officer(liaison, post, staff):
    make_shift(post, local(tomorrow()), local(tomorrow(), 20), officers=[staff[1], staff[2]])
    make_shift(post, local(tomorrow(), 20), local(tomorrow(2)), leader=staff[0])
    month = tomorrow().replace(day=1)
    page = client_for(liaison).get(reverse("duty:roster", args=[post.pk]), {"month": f"{month:%Y-%m}"}).content.decode()
    assert '<span class="who conflict" data-missing="leader">No leader on duty</span>' in page
    assert '<span class="who conflict" data-missing="officer">No duty officer</span>' in page
    assert f"{staff[1].name} {staff[2].name}</span>" in page


def test_the_month_view_on_a_bad_month_shows_this_month(liaison, post):
    response = client_for(liaison).get(reverse("duty:roster", args=[post.pk]), {"month": "2026-13"})
    assert response.status_code == 200


def test_the_liaison_generates_a_roster_from_the_page(liaison, post, staff):
    response = client_for(liaison).post(
        reverse("duty:roster", args=[post.pk]),
        {
            "form": "generate",
            "gen-starts_on": tomorrow(),
            "gen-ends_on": tomorrow(3),
            "gen-leaders": [staff[0].pk, staff[3].pk],
            "gen-officers": [staff[1].pk, staff[2].pk],
            "gen-officers_per_shift": 1,
        },
    )
    assert response.status_code == 302
    assert Shift.objects.filter(post=post).count() == 3


def test_a_shift_with_nobody_is_refused_on_the_page(liaison, post):
    response = client_for(liaison).post(
        reverse("duty:roster", args=[post.pk]),
        {"form": "shift", "shift-starts_at": f"{tomorrow()}T08:00", "shift-ends_at": f"{tomorrow(2)}T08:00"},
        follow=True,
    )
    assert "needs a leader" in response.content.decode()
    assert not Shift.objects.exists()


def test_a_duty_officer_cannot_post_to_the_roster(tree, post, staff):
    officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    response = client_for(officer).post(
        reverse("duty:roster", args=[post.pk]),
        {
            "form": "shift",
            "shift-starts_at": f"{tomorrow()}T08:00",
            "shift-ends_at": f"{tomorrow(2)}T08:00",
            "shift-leader": staff[0].pk,
        },
    )
    assert response.status_code == 403


def test_the_print_view_is_a_table_of_the_month(liaison, post, staff):
    make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0])
    page = (
        client_for(liaison)
        .get(reverse("duty:roster-print", args=[post.pk]), {"month": f"{tomorrow():%Y-%m}"})
        .content.decode()
    )
    assert staff[0].name in page and "<table>" in page


def test_a_duty_officer_logs_an_entry_and_hands_over_and_the_next_accepts(tree, post, staff):
    outgoing, incoming = user_with_role(Role.DUTY_OFFICER, tree.a), user_with_role(Role.DUTY_OFFICER, tree.a)
    now = timezone.now()
    shift = make_shift(
        post, now - datetime.timedelta(hours=23), now + datetime.timedelta(minutes=30), officers=[staff[1]]
    )
    make_shift(post, now + datetime.timedelta(minutes=30), now + datetime.timedelta(hours=24), officers=[staff[2]])
    out = client_for(outgoing)
    response = out.post(
        reverse("duty:log", args=[post.pk]),
        {"kind": "call_in", "counterpart": "一号热力站", "content": "报告测温枪故障", "action": "已通知物资组"},
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get()
    assert entry.shift == shift
    response = out.post(
        reverse("duty:handover-create", args=[shift.pk]),
        {"h-phone_check": PhoneCheck.OK, "h-open_items": "等待物资组回复"},
    )
    assert response.status_code == 302
    handover = Handover.objects.get()
    page = client_for(incoming).get(reverse("duty:gaps")).content.decode()
    assert f'data-handover="{handover.pk}"' in page
    client_for(incoming).post(reverse("duty:handover-accept", args=[handover.pk]), {"a-missing": ""})
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.ACCEPTED
    printed = out.get(
        reverse("duty:log-print", args=[post.pk]), {"date": f"{timezone.localdate(entry.at)}"}
    ).content.decode()
    assert "报告测温枪故障" in printed and "等待物资组回复" in printed


def test_people_on_duty_by_the_roster_alone_hand_over_late_and_take_over_early_from_the_log_page(
    tree, post, staff, office
):
    outgoing, incoming = UserFactory(), UserFactory()
    staff[1].user, staff[2].user = outgoing, incoming
    staff[1].save()
    staff[2].save()
    now = timezone.now()
    shift = make_shift(
        post, now - datetime.timedelta(hours=10), now - datetime.timedelta(minutes=5), officers=[staff[1]]
    )
    make_shift(post, now + datetime.timedelta(minutes=10), now + datetime.timedelta(hours=12), officers=[staff[2]])
    log_url = reverse("duty:log", args=[post.pk]) + f"?date={timezone.localdate(shift.ends_at)}"
    # Five minutes after the shift ended, nobody's shift running: its officer still hands over.
    assert (
        f'action="{reverse("duty:handover-create", args=[shift.pk])}"'
        in client_for(outgoing).get(log_url).content.decode()
    )
    client_for(outgoing).post(reverse("duty:handover-create", args=[shift.pk]), {"h-phone_check": PhoneCheck.OK})
    handover = Handover.objects.get()
    accept = f'action="{reverse("duty:handover-accept", args=[handover.pk])}"'
    assert accept not in client_for(outgoing).get(log_url).content.decode()
    # Ten minutes before the night shift starts, its officer takes over.
    assert accept in client_for(incoming).get(log_url).content.decode()
    client_for(incoming).post(reverse("duty:handover-accept", args=[handover.pk]), {"a-missing": ""})
    handover.refresh_from_db()
    assert handover.status == HandoverStatus.ACCEPTED
    # The day's log and its print name who handed over and who took over (their names, not logins).
    for name in ("duty:log", "duty:log-print"):
        url = reverse(name, args=[post.pk]) + f"?date={timezone.localdate(shift.ends_at)}"
        text = "".join(strip_tags(client_for(office).get(url).content.decode()).replace(":", "").split())
        assert f"Handedoverby{staff[1].name}" in text and f"Acceptedby{staff[2].name}" in text


def test_the_coverage_page_lists_the_gaps(liaison, post, staff):
    make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0], officers=[staff[1]])
    page = client_for(liaison).get(reverse("duty:gaps")).content.decode()
    assert "No leader on duty" in page and f'data-gap="{post.pk}-leader"' in page


def test_the_swaps_page_lets_the_replacement_accept_and_the_duty_leader_approve(
    tree, post, staff, duty_leader, liaison
):
    from lianfang.duty import services

    asker, taker = UserFactory(), UserFactory()
    staff[1].user, staff[2].user = asker, taker
    staff[1].save()
    staff[2].save()
    shift = make_shift(post, local(tomorrow()), local(tomorrow(2)), leader=staff[0], officers=[staff[1]])
    swap = services.swap_request(actor=asker, shift=shift, person=staff[1], replacement=staff[2])
    assert "Accept" in client_for(taker).get(reverse("duty:swaps")).content.decode()
    client_for(taker).post(reverse("duty:swap-decide", args=[swap.pk, "accept"]))
    assert "Approve" in client_for(duty_leader).get(reverse("duty:swaps")).content.decode()
    client_for(duty_leader).post(reverse("duty:swap-decide", args=[swap.pk, "approve"]))
    swap.refresh_from_db()
    assert swap.status == "approved"
    assert client_for(taker).post(reverse("duty:swap-decide", args=[swap.pk, "explode"])).status_code == 404


def test_the_office_adds_a_unit_that_keeps_duty(tree, office):
    response = client_for(office).post(
        reverse("duty:post-create"),
        {"unit": tree.b.pk, "phone": "0913-555", "pattern": "24h", "day_starts": "08:00", "is_active": "on"},
    )
    assert response.status_code == 302
    assert tree.b.duty_post.phone == "0913-555"
    assert client_for(user_with_role(Role.UNIT_ADMIN, tree.b)).get(reverse("duty:post-create")).status_code == 403
