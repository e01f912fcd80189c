import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.health.choices import CheckInSource
from lianfang.health.models import CheckIn, Question
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.org.choices import Role
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkins/"


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def body(**extra):
    return {"temperature": "36.5", "answers": seed_answers(), **extra}


def test_a_person_checks_in_through_the_api_and_a_second_post_corrects_it(tree):
    person = employee(tree.a1)
    first = api(person.user).post(URL, body(), format="json")
    assert first.status_code == 201, first.data
    assert first.data["source"] == CheckInSource.API and first.data["date"] == timezone.localdate().isoformat()
    second = api(person.user).post(URL, body(temperature="37.9"), format="json")
    assert second.status_code == 200 and second.data["id"] == first.data["id"] and second.data["is_fever"]
    assert CheckIn.objects.count() == 1


def test_a_temperature_outside_the_range_is_a_400_naming_the_range(tree):
    person = employee(tree.a1)
    response = api(person.user).post(URL, body(temperature="44"), format="json")
    assert response.status_code == 400 and "34.0" in response.data["temperature"][0]


def test_unknown_fields_are_refused(tree):
    person = employee(tree.a1)
    response = api(person.user).post(URL, body(source="proxy"), format="json")
    assert response.status_code == 400 and "source" in response.data


def test_same_as_yesterday_through_the_api(tree):
    person = employee(tree.a1)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.3", answers=seed_answers()), date=yesterday
    )
    response = api(person.user).post(URL + "same-as-yesterday/", {}, format="json")
    assert response.status_code == 201 and response.data["temperature"] == "36.3"


def test_signed_out_requests_are_refused(tree):
    assert api().get(URL).status_code in (401, 403)
    assert api().post(URL, body(), format="json").status_code in (401, 403)
    assert api().get("/api/v1/checkin-questions/").status_code in (401, 403)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("relation", SCOPE_RELATIONS)
def test_proxy_check_in_permission_matrix(tree, role, relation):
    """A role held on A1; the person sits in A1 (own), A1S (child), A2 (sibling) or A (parent)."""
    actor = user_with_role(role, tree.a1)
    person = PersonFactory(unit=getattr(tree, SCOPE_RELATIONS[relation]))
    response = api(actor).post(URL, body(person=person.pk), format="json")
    allowed = role in (Role.GROUP_ADMIN, Role.UNIT_ADMIN, Role.DUTY_OFFICER) and relation in IN_SCOPE
    sees_people = role in (
        Role.GROUP_ADMIN,
        Role.UNIT_ADMIN,
        Role.DUTY_OFFICER,
        Role.CHECKPOINT,
        Role.LEADER,
        Role.CASE_MANAGER,
        Role.DUTY_LEADER,  # picks people for the rosters
    )
    if allowed:
        assert response.status_code == 201, response.data
        assert response.data["source"] == CheckInSource.PROXY
    elif sees_people and relation in IN_SCOPE:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert CheckIn.objects.exists() == allowed


@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_check_in_list_shows_what_the_role_may_see(tree, role):
    actor = user_with_role(role, tree.a1)
    ids = {}
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    for relation, attr in SCOPE_RELATIONS.items():
        person = PersonFactory(unit=getattr(tree, attr))
        checkin, _ = checkins.checkin_submit(
            actor=office, person=person, data=CheckInData(temperature="36.5"), source=CheckInSource.PROXY
        )
        ids[relation] = checkin.pk
    response = api(actor).get(URL)
    seen = {row["id"] for row in response.data["results"]}
    # Case managers read check-ins for the epidemiological history.
    sees = role in (Role.GROUP_ADMIN, Role.UNIT_ADMIN, Role.DUTY_OFFICER, Role.LEADER, Role.CASE_MANAGER)
    assert seen == ({ids[r] for r in IN_SCOPE} if sees else set())
    outside = api(actor).get(f"{URL}{ids['sibling']}/")
    assert outside.status_code == 404


def test_an_employee_sees_their_own_check_ins_only(tree):
    me, other = employee(tree.a1), employee(tree.a1)
    for p in (me, other):
        checkins.checkin_submit(actor=p.user, person=p, data=CheckInData(temperature="36.5", answers=seed_answers()))
    response = api(me.user).get(URL)
    assert [row["person"] for row in response.data["results"]] == [me.pk]


def test_the_list_filters_by_unit_subtree_date_and_flag(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    for unit, temp in ((tree.a1, "38.0"), (tree.a1s, "36.5"), (tree.b1, "38.5")):
        checkins.checkin_submit(
            actor=office,
            person=PersonFactory(unit=unit),
            data=CheckInData(temperature=temp),
            source=CheckInSource.PROXY,
        )
    client = api(office)
    assert client.get(URL, {"unit": tree.a1.pk}).data["count"] == 2
    assert client.get(URL, {"unit": tree.a1.pk, "flagged": "true"}).data["count"] == 1
    assert client.get(URL, {"date": timezone.localdate().isoformat()}).data["count"] == 3
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    assert api(liaison).get(URL, {"unit": tree.b1.pk}).status_code == 400  # not a choice: out of scope


def test_questions_are_read_by_everyone_and_written_by_the_office(tree):
    person = employee(tree.a1)
    listing = api(person.user).get("/api/v1/checkin-questions/")
    assert listing.status_code == 200 and listing.data["count"] == 6
    new = {"code": "mask", "text": "是否佩戴口罩？", "kind": "yes_no", "flag_values": ["no"], "units": [tree.a.pk]}
    assert api(person.user).post("/api/v1/checkin-questions/", new, format="json").status_code == 403
    liaison = user_with_role(Role.UNIT_ADMIN, tree.group)
    assert api(liaison).post("/api/v1/checkin-questions/", new, format="json").status_code == 403
    assert not Question.objects.filter(code="mask").exists()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    created = api(office).post("/api/v1/checkin-questions/", new, format="json")
    assert created.status_code == 201, created.data
    changed = api(office).patch(
        f"/api/v1/checkin-questions/{created.data['id']}/", {"text": "今天是否佩戴口罩？"}, format="json"
    )
    assert changed.status_code == 200 and changed.data["current"]["version"] == 2
    bad = api(office).post(
        "/api/v1/checkin-questions/", {**new, "code": "bad", "kind": "single", "choices": []}, format="json"
    )
    assert bad.status_code == 400 and "choices" in bad.data


def test_completion_and_non_reporters_endpoints(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    done, missing = employee(tree.a1), employee(tree.a1s)
    PersonFactory(unit=tree.b1)
    checkins.unit_day_open()
    checkins.checkin_submit(actor=done.user, person=done, data=CheckInData(temperature="36.5", answers=seed_answers()))
    completion = api(liaison).get("/api/v1/checkin-completion/")
    assert completion.status_code == 200
    assert completion.data["totals"]["expected"] == 2 and completion.data["totals"]["reported"] == 1
    a_row = next(r for r in completion.data["units"] if r["code"] == "A")
    assert a_row["subtree"]["expected"] == 2 and a_row["subtree"]["rate"] == 50.0
    assert {r["code"] for r in completion.data["units"]} == {"A", "A1", "A1S", "A2"}
    trend = api(liaison).get("/api/v1/checkin-completion/trend/", {"days": 3})
    assert [r["reported"] for r in trend.data] == [0, 0, 1]
    non = api(liaison).get("/api/v1/checkin-non-reporters/")
    assert [r["employee_no"] for r in non.data["results"]] == [missing.employee_no]
    assert api(liaison).get("/api/v1/checkin-non-reporters/", {"unit": tree.b.pk}).status_code == 404
    assert api(liaison).get("/api/v1/checkin-completion/", {"unit": tree.b.pk}).status_code == 404


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.CHECKPOINT, None])
def test_completion_is_refused_to_roles_without_the_counts(tree, role):
    actor = user_with_role(role, tree.a1)
    assert api(actor).get("/api/v1/checkin-completion/").status_code == 403
    assert api(actor).get("/api/v1/checkin-non-reporters/").status_code == 403
