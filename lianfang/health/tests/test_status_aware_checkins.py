"""Check-ins that know the person's status: a case or a person in isolation is never recorded at work,
whether they check in themselves, copy their last check-in, are checked by a liaison at the morning
check, or go through the API — one rule, the check-in guard's."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.core.extensions import feed_counts
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.health.tests.status_helpers import case, isolation, rules, today
from lianfang.org.choices import Role
from lianfang.status.engine import recompute_all
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def unit_with_a_case_and_an_isolation(tree):
    rules()
    well = PersonFactory.create_batch(3, unit=tree.a1)
    sick = PersonFactory(unit=tree.a1, name="王病例")
    case(sick, "confirmed")
    isolated = PersonFactory(unit=tree.a1, name="李隔离")
    isolation(isolated, today() - datetime.timedelta(days=2), today() + datetime.timedelta(days=6), kind="central")
    recompute_all()
    return {"well": well, "sick": sick, "isolated": isolated}


def client_for(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


def test_the_morning_check_shows_what_each_status_means_for_work_and_all_normal_leaves_them_out(
    tree, unit_with_a_case_and_an_isolation
):
    world = unit_with_a_case_and_an_isolation
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    client = client_for(liaison)
    page = client.get(f"{reverse('health:proxy')}?unit={tree.a1.pk}")
    html = page.content.decode()
    rows = {r["person"].pk: r for r in page.context["rows"]}
    assert "In centralised isolation until" in rows[world["isolated"].pk]["verdict"].label
    assert "may not come to work" in html
    assert rows[world["isolated"].pk]["modes"] == [(WorkMode.CENTRAL_ISOLATION, "In centralised isolation")]
    assert not rows[world["sick"].pk]["reason"]  # a liaison does not read medical reasons

    response = client.post(
        reverse("health:proxy"), {"unit": tree.a1.pk, "all_normal": "1", "people": list(rows)}, follow=True
    )
    assert response.status_code == 200
    recorded = set(CheckIn.objects.filter(date=today()).values_list("person_id", flat=True))
    assert recorded == {p.pk for p in world["well"]}
    assert "may not come to work today" in response.content.decode()  # and the page says who was left out
    assert feed_counts(tree.a1, today(), ["checkin.on_site"]) == {"checkin.on_site": 3}


def test_someone_in_isolation_cannot_be_recorded_on_site_at_the_morning_check(tree, unit_with_a_case_and_an_isolation):
    isolated = unit_with_a_case_and_an_isolation["isolated"]
    client = client_for(user_with_role(Role.UNIT_ADMIN, tree.a1))
    response = client.post(
        reverse("health:proxy"),
        {"unit": tree.a1.pk, "people": [isolated.pk], f"t_{isolated.pk}": "36.6", f"m_{isolated.pk}": "on_site"},
    )
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["person"] == isolated)
    assert "In centralised isolation" in row["errors"][0]
    assert not CheckIn.objects.exists()

    client.post(
        reverse("health:proxy"),
        {
            "unit": tree.a1.pk,
            "people": [isolated.pk],
            f"t_{isolated.pk}": "36.6",
            f"m_{isolated.pk}": "central_isolation",
        },
    )
    assert CheckIn.objects.get(person=isolated).work_mode == WorkMode.CENTRAL_ISOLATION


def test_a_case_checking_in_sees_why_at_the_top_and_cannot_say_on_site(tree):
    rules()
    me = employee(tree.a1)
    case(me, "confirmed")
    recompute_all()
    client = client_for(me.user)
    page = client.get(reverse("health:checkin"))
    html = page.content.decode()
    assert html.index('data-testid="work-verdict"') < html.index('data-testid="submit-checkin"')
    assert "may not come to work" in html
    assert [value for value, _label in page.context["form"].fields["work_mode"].choices] == ["remote", "on_leave"]
    with pytest.raises(Exception, match="Record working remotely or on leave"):
        checkins.checkin_submit(
            actor=me.user, person=me, data=CheckInData(temperature="36.5", answers=seed_answers(), work_mode="on_site")
        )


def test_a_person_in_isolation_is_held_at_isolation_and_same_as_last_time_keeps_them_there(tree):
    rules()
    me = employee(tree.a1)
    checkins.checkin_submit(
        actor=me.user,
        person=me,
        data=CheckInData(temperature="36.5", answers=seed_answers()),
        date=today() - datetime.timedelta(days=2),
    )
    isolation(me, today() - datetime.timedelta(days=1), today() + datetime.timedelta(days=6), kind="home")
    recompute_all()
    page = client_for(me.user).get(reverse("health:checkin"))
    assert page.context["form"].fields["work_mode"].choices == [("home_isolation", "In home isolation")]
    assert page.context["can_copy"]
    assert "Same as" in page.content.decode()  # the button names the day it copies, two days ago
    saved, _created = checkins.checkin_same_as_yesterday(actor=me.user, person=me)
    assert saved.work_mode == WorkMode.HOME_ISOLATION


def test_the_api_refuses_on_site_for_a_person_in_isolation_with_the_reason(tree):
    rules()
    me = employee(tree.a1)
    isolation(me, today(), today() + datetime.timedelta(days=6), kind="home")
    api = APIClient(**EN)
    api.force_authenticate(me.user)
    response = api.post("/api/v1/checkins/", {"temperature": "36.5", "answers": seed_answers()}, format="json")
    assert response.status_code == 400
    assert "In home isolation" in response.json()["work_mode"][0]


def test_a_chinese_keyboard_types_the_temperature_as_it_likes():
    for typed in ("３６．５", "36。5", "36,5", " 36.5℃ "):
        assert str(checkins.parse_temperature(typed)) == "36.5", typed


def test_a_check_in_link_for_tomorrow_or_too_long_ago_is_refused_before_the_form(tree):
    me = employee(tree.a1)
    client = client_for(me.user)
    for day in (today() + datetime.timedelta(days=1), today() - datetime.timedelta(days=40)):
        response = client.get(f"{reverse('health:checkin')}?date={day}")
        assert response.status_code == 400
        assert b"submit-checkin" not in response.content
        assert b"date-refused" in response.content


def test_a_fever_check_in_gives_the_offices_advice_and_names_each_reason_once(tree):
    from lianfang.org.models import GroupSettings

    settings = GroupSettings.load()
    settings.fever_advice = "请居家休息，最近的发热门诊：市第一人民医院。"
    settings.save()
    me = employee(tree.a1)
    checkins.checkin_submit(
        actor=me.user,
        person=me,
        data=CheckInData(temperature="38.4", symptoms=["fever"], answers=seed_answers(), work_mode="remote"),
    )
    html = client_for(me.user).get(reverse("health:checkin")).content.decode()
    assert "市第一人民医院" in html
    assert checkins.reason_labels(["fever", "symptom:fever"]) == ["Fever"]
