import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.health.choices import CheckInSource
from lianfang.health.models import CheckIn, Question
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _form(**overrides):
    data = {"temperature": "36.5", "work_mode": "on_site", "province": "42", "city": "4201", "district": "420102"}
    for key, value in seed_answers().items():
        data[f"q_{key}"] = value
    data.update(overrides)
    return data


def test_the_check_in_link_sends_a_signed_out_person_to_the_login_and_back(client):
    response = client.get("/health/checkin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=/health/checkin/" in response["Location"]


def test_a_person_checks_in_from_the_page(client, tree):
    person = employee(tree.a1)
    client.force_login(person.user)
    page = client.get("/health/checkin/", **EN)
    assert page.status_code == 200 and b"Check in" in page.content
    response = client.post("/health/checkin/", _form(), **EN)
    assert response.status_code == 302
    checkin = CheckIn.objects.get(person=person)
    assert checkin.location_name == "湖北省武汉市江岸区" and checkin.source == CheckInSource.SELF
    page = client.get("/health/checkin/", **EN)
    assert b"Checked in: 36.5" in page.content


def test_an_out_of_range_temperature_is_shown_on_its_field_with_the_range(client, tree):
    person = employee(tree.a1)
    client.force_login(person.user)
    response = client.post("/health/checkin/", _form(temperature="45"), **EN)
    assert response.status_code == 200
    assert "between 34.0 and 43.0" in response.context["form"].errors["temperature"][0]
    assert not CheckIn.objects.exists()


def test_a_missing_required_answer_is_shown_naming_the_question(client, tree):
    person = employee(tree.a1)
    client.force_login(person.user)
    health_code = Question.objects.get(code="health-code")
    response = client.post("/health/checkin/", _form(**{f"q_{health_code.current_id}": ""}), **EN)
    assert response.status_code == 200
    assert any(health_code.current.text_en in e for e in response.context["form"].non_field_errors())


def test_a_future_date_is_refused_with_a_message(client, tree):
    person = employee(tree.a1)
    client.force_login(person.user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post("/health/checkin/", _form(date=tomorrow.isoformat()), **EN)
    assert "future" in str(response.context["form"].non_field_errors())


def test_same_as_yesterday_is_one_tap(client, tree):
    person = employee(tree.a1)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.7", answers=seed_answers()), date=yesterday
    )
    client.force_login(person.user)
    assert b"same-as-yesterday" in client.get("/health/checkin/", **EN).content
    response = client.post("/health/checkin/same/", **EN)
    assert response.status_code == 302
    assert CheckIn.objects.get(person=person, date=timezone.localdate()).source == CheckInSource.SAME_AS_YESTERDAY


def test_the_division_endpoint_gives_the_cities_of_a_province(client):
    response = client.get("/health/divisions/?level=city&province=42")
    assert b'value="4201"' in response.content and "武汉市" in response.content.decode()


def test_a_user_not_on_the_roster_is_told_so(client, tree):
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    assert client.get("/health/checkin/", **EN).status_code == 403


def test_a_duty_officer_checks_in_the_unit_in_one_action(client, tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    people = PersonFactory.create_batch(3, unit=tree.a1)
    client.force_login(duty)
    page = client.get(f"/health/proxy/?unit={tree.a1.pk}", **EN)
    assert page.status_code == 200 and len(page.context["rows"]) == 3
    response = client.post("/health/proxy/", {"unit": tree.a1.pk, f"t_{people[0].pk}": "38.2", "all_normal": "1"}, **EN)
    assert response.status_code == 302
    temps = dict(CheckIn.objects.values_list("person_id", "temperature"))
    assert str(temps[people[0].pk]) == "38.2" and str(temps[people[1].pk]) == "36.5"
    assert set(CheckIn.objects.values_list("source", flat=True)) == {CheckInSource.PROXY}


def test_a_bad_reading_in_the_morning_check_saves_nothing_and_marks_the_row(client, tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    a, b = PersonFactory.create_batch(2, unit=tree.a1)
    client.force_login(duty)
    response = client.post("/health/proxy/", {"unit": tree.a1.pk, f"t_{a.pk}": "36.6", f"t_{b.pk}": "3.65"}, **EN)
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["person"] == b)
    assert "34.0" in row["errors"][0]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("relation", ["sibling", "parent"])
def test_a_liaison_cannot_open_the_morning_check_of_a_unit_outside_their_scope(client, tree, relation):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    unit = {"sibling": tree.a2, "parent": tree.a}[relation]
    person = PersonFactory(unit=unit)
    client.force_login(liaison)
    assert client.get(f"/health/proxy/?unit={unit.pk}").status_code == 404
    assert client.post("/health/proxy/", {"unit": unit.pk, f"t_{person.pk}": "36.5"}).status_code == 404
    assert not CheckIn.objects.exists()


def test_a_liaison_cannot_slip_an_outside_person_into_their_own_morning_check(client, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    outsider = PersonFactory(unit=tree.b1)
    client.force_login(liaison)
    client.post("/health/proxy/", {"unit": tree.a1.pk, f"t_{outsider.pk}": "36.5", "all_normal": "1"})
    assert not CheckIn.objects.filter(person=outsider).exists()


def test_completion_non_reporters_and_flags_pages_show_the_day(client, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    reporter, silent = employee(tree.a1), employee(tree.a1, phone="13812345678")
    checkins.unit_day_open()
    checkins.checkin_submit(
        actor=reporter.user, person=reporter, data=CheckInData(temperature="38.0", answers=seed_answers())
    )
    client.force_login(liaison)
    completion = client.get("/health/completion/", **EN)
    a1_row = next(r for r in completion.context["rows"] if r.unit == tree.a1)
    assert (a1_row.expected, a1_row.reported, a1_row.fever) == (2, 1, 1)
    non = client.get(f"/health/non-reporters/?unit={tree.a1.pk}", **EN)
    assert [r["person"] for r in non.context["rows"]] == [silent]
    assert non.context["rows"][0]["phone"] == "13812345678"  # the liaison may unmask
    flagged = client.get("/health/flagged/", **EN)
    assert [r["checkin"].person for r in flagged.context["rows"]] == [reporter]
    detail = client.get(reverse("health:checkin-detail", args=[flagged.context["rows"][0]["checkin"].pk]), **EN)
    assert detail.status_code == 200


def test_a_duty_officer_sees_non_reporters_with_phones_masked(client, tree):
    duty = user_with_role(Role.DUTY_OFFICER, tree.a1)
    employee(tree.a1, phone="13812345678")
    client.force_login(duty)
    non = client.get("/health/non-reporters/", **EN)
    assert non.context["rows"][0]["phone"] == "138****5678"


def test_an_out_of_scope_unit_in_the_completion_filter_is_404(client, tree):
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.a1))
    assert client.get(f"/health/non-reporters/?unit={tree.b.pk}").status_code == 404
    assert client.get(f"/health/completion/?unit={tree.b.pk}").status_code == 404


def test_the_office_adds_and_edits_a_question_without_code(client, tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client.force_login(office)
    assert client.get("/health/questions/", **EN).status_code == 200
    response = client.post(
        "/health/questions/new/",
        {
            "code": "fever-meds",
            "text": "是否服用退烧药？",
            "kind": "yes_no",
            "flag_values": "yes",
            "sort": 70,
            "units": [tree.a.pk],
        },
        **EN,
    )
    assert response.status_code == 302, response.context["form"].errors
    question = Question.objects.get(code="fever-meds")
    assert list(question.units.all()) == [tree.a]
    client.post(
        f"/health/questions/{question.pk}/edit/",
        {"text": "今天是否服用退烧药？", "kind": "yes_no", "flag_values": "yes", "sort": 70},
        **EN,
    )
    question.refresh_from_db()
    assert question.current.version == 2 and question.versions.count() == 2
    client.post(f"/health/questions/{question.pk}/active/", {"active": "0"})
    question.refresh_from_db()
    assert not question.is_active


def test_a_liaison_cannot_reach_the_question_pages(client, tree):
    client.force_login(user_with_role(Role.UNIT_ADMIN, tree.group))
    assert client.get("/health/questions/").status_code == 403
    assert (
        client.post("/health/questions/new/", {"code": "x", "text": "x", "kind": "text", "sort": 1}).status_code == 403
    )
    assert not Question.objects.filter(code="x").exists()
