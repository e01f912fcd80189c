import uuid

import pytest

from lianfang.core import context
from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.org.choices import Role
from lianfang.people.services import person_create, person_reveal, person_update
from lianfang.testing import make_id_number, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")


def test_a_created_person_is_logged_with_who_and_the_request_id(tree, liaison):
    request_id = uuid.uuid4()
    with context.bind(context.RequestContext(request_id=request_id)):
        person = person_create(actor=liaison, unit=tree.a1, name="王芳", employee_no="E1", phone="13812345678")
    change = ObjectChange.objects.get(object_id=person.pk, content_type__model="person")
    assert change.action == "create"
    assert change.user_name == "liaison"
    assert change.request_id == request_id
    assert change.unit == tree.a1
    assert change.postchange_data["name"] == "王芳"


def test_snapshots_keep_sensitive_values_masked(tree, liaison):
    id_number = make_id_number(5)
    person = person_create(actor=liaison, unit=tree.a1, name="王芳", employee_no="E1", id_number=id_number)
    person_update(actor=liaison, person=person, phone="13812345678")
    change = ObjectChange.objects.filter(object_id=person.pk).first()
    assert change.action == "update"
    assert change.postchange_data["phone"] == "138****5678"
    assert id_number not in str(change.postchange_data)
    assert id_number not in str(change.prechange_data)
    assert [row[0] for row in change.diff()] == ["phone"]


def test_an_update_that_changes_nothing_is_not_logged(tree, liaison):
    person = person_create(actor=liaison, unit=tree.a1, name="王芳", employee_no="E1")
    person_update(actor=liaison, person=person, name="王芳")
    assert ObjectChange.objects.filter(object_id=person.pk, content_type__model="person").count() == 1


def test_revealing_an_id_number_is_audited(tree, liaison):
    id_number = make_id_number(6)
    person = person_create(actor=liaison, unit=tree.a1, name="王芳", employee_no="E1", id_number=id_number)
    assert person_reveal(actor=liaison, person=person, field="id_number") == id_number
    event = AuditEvent.objects.get(kind=AuditKind.UNMASK)
    assert event.user == liaison
    assert event.detail["field"] == "id_number"
    assert event.unit == tree.a1


def test_a_failed_login_is_recorded_without_the_password(client, tree, liaison):
    client.post("/login/", {"username": "liaison", "password": "wrong-password-1"})
    event = AuditEvent.objects.get(kind=AuditKind.LOGIN_FAILED)
    assert event.user_name == "liaison"
    assert "wrong-password-1" not in str(event.detail)
