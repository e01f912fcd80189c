"""The roster API (/api/v1/people/, /api/v1/tags/): masking, audited reveal, scoped writes."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from lianfang.core.exports import XLSX_CONTENT_TYPE
from lianfang.core.models import AuditEvent, AuditKind, Job, JobStatus, ObjectChange
from lianfang.org.choices import Role
from lianfang.people.choices import Category, Whereabouts
from lianfang.people.importer import HEADERS
from lianfang.people.models import Person, Tag
from lianfang.testing import PersonFactory, make_id_number, user_with_role

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"
ID_NUMBER = make_id_number(7)
PHONE = "13912345678"


def client_for(user) -> APIClient:
    cache.clear()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def person_url(person: Person, action: str = "") -> str:
    return f"{PEOPLE}{person.pk}/" + (f"{action}/" if action else "")


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def new_person(unit, **fields) -> dict:
    return {"unit": unit.pk, "name": "王小明", "employee_no": "N0001", **fields}


@pytest.fixture
def liaison(tree):
    """Liaison of subsidiary A: may see, add, change and unmask people in A's subtree."""
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def person(tree):
    return PersonFactory(unit=tree.a1, name="张三", id_number=ID_NUMBER, phone=PHONE)


# --- Masking and reveal -------------------------------------------------------------------------


def test_lists_and_details_mask_id_numbers_and_phones_even_for_a_viewer_allowed_to_unmask(liaison, person):
    client = client_for(liaison)

    listed = rows(client.get(PEOPLE))[0]
    detail = client.get(person_url(person)).json()

    for row in (listed, detail):
        assert row["id_number"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
        assert row["phone"] == "139****5678"
        assert ID_NUMBER not in str(row) and PHONE not in str(row)


def test_reveal_gives_the_full_value_and_records_who_unmasked_what(liaison, person):
    response = client_for(liaison).get(person_url(person, "reveal"), {"field": "id_number"})

    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": ID_NUMBER}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(kind=AuditKind.UNMASK)
    assert (event.user, event.unit, event.detail["field"]) == (liaison, person.unit, "id_number")


def test_reveal_of_a_phone_works_the_same_way(liaison, person):
    response = client_for(liaison).get(person_url(person, "reveal"), {"field": "phone"})

    assert response.json()["value"] == PHONE


def test_a_viewer_without_unmask_may_not_reveal_and_nothing_is_recorded(tree, person):
    duty_officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    client = client_for(duty_officer)

    assert client.get(person_url(person)).status_code == 200
    response = client.get(person_url(person, "reveal"), {"field": "id_number"})

    assert response.status_code == 403
    assert ID_NUMBER not in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()


def test_reveal_of_a_person_outside_the_scope_is_not_found(tree, person):
    liaison_b = user_with_role(Role.UNIT_ADMIN, tree.b)

    response = client_for(liaison_b).get(person_url(person, "reveal"), {"field": "id_number"})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()


def test_reveal_names_the_fields_it_can_reveal(liaison, person):
    response = client_for(liaison).get(person_url(person, "reveal"), {"field": "name"})

    assert response.status_code == 400
    assert "field" in response.json()
    assert not AuditEvent.objects.filter(kind=AuditKind.UNMASK).exists()


def test_the_office_on_the_group_sees_every_person(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    PersonFactory(unit=tree.a1s)
    PersonFactory(unit=tree.b1)

    assert client_for(office).get(PEOPLE).json()["count"] == 2


def test_an_employee_sees_their_own_record_masked_and_nobody_elses(tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1)
    me = PersonFactory(unit=tree.a1, user=employee, phone=PHONE)
    colleague = PersonFactory(unit=tree.a1)
    client = client_for(employee)

    listed = rows(client.get(PEOPLE))

    assert [row["id"] for row in listed] == [me.pk]
    assert listed[0]["phone"] == "139****5678"
    assert listed[0]["has_account"] is True
    assert client.get(person_url(colleague)).status_code == 404
    assert client.get(person_url(me, "reveal"), {"field": "phone"}).status_code == 403


# --- Adding -------------------------------------------------------------------------------------


def test_a_liaison_adds_a_person_with_full_values_and_reads_them_back_masked(tree, liaison):
    Tag.objects.get_or_create(code="front-line", defaults={"name": "一线"})

    response = client_for(liaison).post(
        PEOPLE,
        new_person(tree.a1s, id_number=ID_NUMBER.lower(), phone="+86 139 1234 5678", tags=["front-line"]),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "139****5678"
    assert response.json()["tags"] == ["front-line"]
    person = Person.objects.get(employee_no="N0001")
    assert (person.id_number, person.phone, person.unit) == (ID_NUMBER, PHONE, tree.a1s)
    assert ObjectChange.objects.filter(object_id=person.pk, user=liaison).exists()


def test_adding_a_person_to_a_unit_outside_the_writers_scope_looks_like_a_missing_unit(tree, liaison):
    client = client_for(liaison)

    outside = client.post(PEOPLE, new_person(tree.b1), format="json")
    missing = client.post(PEOPLE, {**new_person(tree.b1), "unit": 999999}, format="json")

    assert outside.status_code == missing.status_code == 400
    assert outside.json()["unit"][0] == missing.json()["unit"][0].replace("999999", str(tree.b1.pk))
    assert not Person.objects.exists()


def test_adding_a_person_with_forbidden_fields_names_each_field_and_writes_nothing(tree, liaison):
    response = client_for(liaison).post(
        PEOPLE,
        new_person(
            tree.a1, created_by=1, is_staff=True, id_number_digest="0" * 32, user=liaison.pk, created="2020-01-01"
        ),
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"created_by", "is_staff", "id_number_digest", "user", "created"}
    assert not Person.objects.exists()


def test_a_wrong_id_number_checksum_is_refused_on_the_id_number_field(tree, liaison):
    response = client_for(liaison).post(PEOPLE, new_person(tree.a1, id_number=ID_NUMBER[:-1] + "0"), format="json")

    assert response.status_code == 400
    assert "check character" in response.json()["id_number"][0]
    assert not Person.objects.exists()


def test_a_person_who_returned_from_elsewhere_needs_a_return_date(tree, liaison):
    response = client_for(liaison).post(
        PEOPLE, new_person(tree.a1, whereabouts=Whereabouts.RETURNED, returned_from="武汉"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["Give the date of return for a person who returned from elsewhere."]
    assert not Person.objects.exists()


def test_an_employee_number_already_used_in_the_group_is_refused(tree, liaison):
    PersonFactory(unit=tree.b1, employee_no="N0001")

    response = client_for(liaison).post(PEOPLE, new_person(tree.a1), format="json")

    assert response.status_code == 400
    assert "employee_no" in response.json()
    assert Person.objects.count() == 1


def test_a_leader_may_not_add_people(tree):
    leader = user_with_role(Role.LEADER, tree.group)

    response = client_for(leader).post(PEOPLE, new_person(tree.a1), format="json")

    assert response.status_code == 403
    assert not Person.objects.exists()


# --- Changing -----------------------------------------------------------------------------------


def test_a_liaison_moves_a_person_to_another_unit_of_their_subtree(tree, liaison, person):
    response = client_for(liaison).patch(person_url(person), {"unit": tree.a2.pk}, format="json")

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.unit == tree.a2


def test_moving_a_person_out_of_the_writers_scope_is_refused_and_changes_nothing(tree, liaison, person):
    response = client_for(liaison).patch(person_url(person), {"unit": tree.b1.pk, "name": "李四"}, format="json")

    assert response.status_code == 400
    assert "unit" in response.json()
    person.refresh_from_db()
    assert (person.unit, person.name) == (tree.a1, "张三")


def test_sending_a_masked_value_back_is_refused_rather_than_stored(liaison, person):
    client = client_for(liaison)
    masked = client.get(person_url(person)).json()["id_number"]

    response = client.patch(person_url(person), {"id_number": masked}, format="json")

    assert response.status_code == 400
    person.refresh_from_db()
    assert person.id_number == ID_NUMBER


def test_a_full_update_keeps_the_person_in_a_unit_that_has_since_been_deactivated(tree, liaison, person):
    tree.a1.__class__.objects.filter(pk=tree.a1.pk).update(is_active=False)

    response = client_for(liaison).put(
        person_url(person),
        {"unit": tree.a1.pk, "name": "张三丰", "employee_no": person.employee_no, "category": Category.TEMPORARY},
        format="json",
    )

    assert response.status_code == 200, response.json()
    person.refresh_from_db()
    assert (person.name, person.category, person.phone) == ("张三丰", Category.TEMPORARY, PHONE)


def test_a_viewer_who_may_not_change_people_gets_403_and_nothing_changes(tree, person):
    checkpoint = user_with_role(Role.CHECKPOINT, tree.a)

    response = client_for(checkpoint).patch(person_url(person), {"name": "李四"}, format="json")

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name == "张三"


def test_people_are_not_deleted_through_the_api(liaison, person):
    response = client_for(liaison).delete(person_url(person))

    assert response.status_code == 405
    assert Person.objects.filter(pk=person.pk).exists()


# --- Filters ------------------------------------------------------------------------------------


def test_people_can_be_searched_and_filtered_with_the_rosters_filters(tree, liaison):
    PersonFactory(unit=tree.a1s, name="王五", category=Category.DISPATCHED)
    PersonFactory(unit=tree.a2, name="赵六", category=Category.FAMILY)
    PersonFactory(unit=tree.b1, name="王七", category=Category.DISPATCHED)
    client = client_for(liaison)

    def names(**params) -> list[str]:
        return [row["name"] for row in rows(client.get(PEOPLE, params))]

    assert names(q="王") == ["王五"]
    assert names(category=Category.FAMILY) == ["赵六"]
    assert names(unit=tree.a1.pk) == ["王五"]
    assert names(unit=tree.b.pk) == []


def test_people_can_be_filtered_by_tag_code(tree, liaison):
    volunteer = Tag.objects.get_or_create(code="volunteer", defaults={"name": "志愿者"})[0]
    PersonFactory(unit=tree.a1s, name="王五").tags.add(volunteer)
    PersonFactory(unit=tree.a1s, name="赵六")

    response = client_for(liaison).get(PEOPLE, {"tag": "volunteer"})

    assert [row["name"] for row in rows(response)] == ["王五"]


def test_the_people_list_costs_the_same_few_queries_however_many_people_it_shows(
    tree, liaison, django_assert_max_num_queries
):
    volunteer = Tag.objects.get_or_create(code="volunteer", defaults={"name": "志愿者"})[0]
    for _ in range(30):
        PersonFactory(unit=tree.a1s).tags.add(volunteer)
    client = client_for(liaison)

    with django_assert_max_num_queries(6):
        assert len(rows(client.get(PEOPLE))) == 30


def test_people_are_paged_and_the_page_size_can_be_chosen(tree, liaison):
    for _ in range(3):
        PersonFactory(unit=tree.a1)

    page = client_for(liaison).get(PEOPLE, {"page_size": 2, "page": 2}).json()

    assert page["count"] == 3
    assert len(page["results"]) == 1
    assert page["previous"] is not None and page["next"] is None


def test_people_cannot_be_sorted_by_a_masked_column(tree, liaison):
    first = PersonFactory(unit=tree.a1, employee_no="E1", phone="13900000009")
    second = PersonFactory(unit=tree.a1, employee_no="E2", phone="13900000001")

    listed = rows(client_for(liaison).get(PEOPLE, {"ordering": "phone"}))

    assert [row["id"] for row in listed] == [first.pk, second.pk]


def test_tags_are_listed_for_any_signed_in_user(tree):
    Tag.objects.get_or_create(code="overseas", defaults={"name": "海外"})
    employee = user_with_role(Role.EMPLOYEE, tree.a1)

    response = client_for(employee).get("/api/v1/tags/")

    assert "overseas" in [row["code"] for row in rows(response)]


# --- Import and export --------------------------------------------------------------------------


@pytest.fixture
def jobs_run_immediately():
    """Jobs run inside the test once the upload commits (the settings are loaded before conftest.py
    could set LIANFANG_JOBS_IMMEDIATE)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def roster_xlsx(*rows: dict) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADERS))
    for values in rows:
        sheet.append([values.get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)


def roster_row(employee_no: str, unit: str = "A1", **overrides) -> dict:
    return {"姓名": "王芳", "工号": employee_no, "身份证号": make_id_number(), "单位编码": unit, **overrides}


def test_a_liaison_imports_a_roster_and_polls_the_job_until_it_is_done(
    tree, liaison, jobs_run_immediately, django_capture_on_commit_callbacks
):
    client = client_for(liaison)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{PEOPLE}import/", {"file": roster_xlsx(roster_row("R1"), roster_row("R2", "A1S"))}, format="multipart"
        )

    assert response.status_code == 202, response.json()
    assert response["Location"] == response.json()["url"]
    job = client.get(response.json()["url"]).json()
    assert (job["status"], job["is_finished"], job["percent"]) == (JobStatus.SUCCEEDED, True, 100)
    assert set(Person.objects.values_list("employee_no", "unit__code")) == {("R1", "A1"), ("R2", "A1S")}


def test_an_import_with_a_bad_row_writes_nothing_and_its_job_names_the_row_and_column(
    tree, liaison, jobs_run_immediately, django_capture_on_commit_callbacks
):
    client = client_for(liaison)
    bad = roster_row("R2", 身份证号=ID_NUMBER[:-1] + "0")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PEOPLE}import/", {"file": roster_xlsx(roster_row("R1"), bad)}, format="multipart")

    job = client.get(response.json()["url"]).json()
    assert job["status"] == JobStatus.FAILED
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "身份证号")]
    assert not Person.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_at_once_on_the_file_field(tree, liaison):
    upload = SimpleUploadedFile("roster.pdf", b"%PDF-1.4 not a roster", content_type="application/pdf")

    response = client_for(liaison).post(f"{PEOPLE}import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["file"]
    assert not Job.objects.exists()


def test_an_import_without_a_file_names_the_missing_field(tree, liaison):
    response = client_for(liaison).post(f"{PEOPLE}import/", {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


def test_importing_needs_the_import_permission(tree):
    leader = user_with_role(Role.LEADER, tree.group)

    response = client_for(leader).post(f"{PEOPLE}import/", {"file": roster_xlsx(roster_row("R1"))}, format="multipart")

    assert response.status_code == 403
    assert not Job.objects.exists()
    assert not Person.objects.exists()


def test_the_export_holds_exactly_the_people_the_user_may_export_with_the_lists_filters(tree, liaison):
    PersonFactory(unit=tree.a1, name="甲一", category=Category.EMPLOYEE)
    PersonFactory(unit=tree.a2, name="甲二", category=Category.FAMILY)
    PersonFactory(unit=tree.b1, name="乙一", category=Category.EMPLOYEE)

    response = client_for(liaison).get(f"{PEOPLE}export/", {"category": Category.EMPLOYEE})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["甲一"]
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=liaison).count() == 1


def test_the_export_answers_a_client_that_asks_for_a_workbook(tree, liaison):
    response = client_for(liaison).get(f"{PEOPLE}export/", HTTP_ACCEPT=XLSX_CONTENT_TYPE)

    assert response.status_code == 200


def test_exporting_needs_the_export_permission_and_is_refused_in_json(tree):
    duty_officer = user_with_role(Role.DUTY_OFFICER, tree.a)
    PersonFactory(unit=tree.a1)

    response = client_for(duty_officer).get(f"{PEOPLE}export/", HTTP_ACCEPT=XLSX_CONTENT_TYPE)

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()
