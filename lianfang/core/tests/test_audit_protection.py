"""Audit events and the change log cannot be changed or deleted through the application (issue 11, 等保 2.0).

Only the purge, inside ``purge_session``, may redact or expire them; on PostgreSQL a trigger refuses
any other client's UPDATE and DELETE.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import override_settings
from django.utils import translation

from lianfang.core.append_only import AuditRecordProtected, audit_retention_days, purge_session
from lianfang.core.audit import record_change, record_event, snapshot
from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def event(office, tree):
    return record_event(kind=AuditKind.EXPORT, actor=office, unit=tree.a, object_repr="roster.xlsx", rows=3)


@pytest.fixture
def change(office, tree):
    before = snapshot(tree.a1)
    tree.a1.name = "甲公司行政部"
    tree.a1.save()
    return record_change(actor=office, obj=tree.a1, action=ChangeAction.UPDATE, before=before)


def _unchanged(row) -> None:
    fresh = type(row)._base_manager.get(pk=row.pk)
    for f in type(row)._meta.concrete_fields:
        assert getattr(fresh, f.attname) == getattr(row, f.attname), f.name


def test_a_new_audit_event_is_written(event):
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("which", ["event", "change"])
def test_saving_an_existing_audit_row_is_refused(request, which):
    row = request.getfixturevalue(which)
    row.object_repr = "edited"
    with translation.override("en"), pytest.raises(AuditRecordProtected, match="cannot be changed or deleted"):
        row.save()
    row.refresh_from_db()
    assert row.object_repr != "edited"


@pytest.mark.parametrize("which", ["event", "change"])
def test_deleting_an_audit_row_is_refused(request, which):
    row = request.getfixturevalue(which)
    with pytest.raises(AuditRecordProtected):
        row.delete()
    _unchanged(row)


@pytest.mark.parametrize("model", [AuditEvent, ObjectChange])
def test_queryset_update_and_delete_are_refused(event, change, model):
    with pytest.raises(AuditRecordProtected):
        model.objects.update(object_repr="edited")
    with pytest.raises(AuditRecordProtected):
        model.objects.filter(pk__gt=0).delete()
    with pytest.raises(AuditRecordProtected):
        model.objects.all()._raw_delete(model.objects.db)
    rows = list(model.objects.all())
    for row in rows:
        row.object_repr = "edited"
    with pytest.raises(AuditRecordProtected), transaction.atomic():
        model.objects.bulk_update(rows, ["object_repr"])
    assert not model.objects.filter(object_repr="edited").exists()
    assert model.objects.count() == 1


def test_the_purge_session_may_redact_and_expire(event, change):
    with purge_session():
        AuditEvent.objects.filter(pk=event.pk).update(detail={})
        change.postchange_data = {"name": "[purged]"}
        change.save()
        ObjectChange.objects.filter(pk=change.pk).delete()
        event.refresh_from_db()
        event.delete()
    assert not AuditEvent.objects.exists()
    assert not ObjectChange.objects.exists()


def test_the_guard_is_back_after_the_purge_session(event):
    with purge_session():
        pass
    with pytest.raises(AuditRecordProtected):
        event.delete()


def test_a_user_or_unit_named_by_audit_rows_cannot_be_deleted(office, tree, event):
    # Users and units are deactivated, never deleted: the audit trail keeps who and where.
    with pytest.raises(ProtectedError), transaction.atomic():
        office.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        tree.a.delete()
    event.refresh_from_db()
    assert event.user == office
    assert event.unit == tree.a


@pytest.mark.parametrize("path", ["/api/v1/audit/events/", "/api/v1/audit/changes/"])
def test_the_api_offers_no_way_to_change_or_delete_audit_rows(client, office, event, change, path):
    row = event if "events" in path else change
    client.force_login(office)
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(
            f"{path}{row.pk}/", data={"object_repr": "x"}, content_type="application/json"
        )
        assert response.status_code in (403, 405), (method, response.status_code)
    response = client.post(path, data={"object_repr": "x"}, content_type="application/json")
    assert response.status_code in (403, 405)
    _unchanged(row)


def test_the_api_viewsets_are_read_only():
    from lianfang.core.api import AuditEventViewSet, ObjectChangeViewSet

    for viewset in (AuditEventViewSet, ObjectChangeViewSet):
        for action in ("create", "update", "partial_update", "destroy"):
            assert not hasattr(viewset, action), (viewset.__name__, action)


@pytest.mark.parametrize("path", ["/audit/", "/audit/events/"])
def test_the_audit_pages_change_nothing_when_posted_to(client, office, event, change, path):
    client.force_login(office)
    client.post(path, {"object_repr": "x", "id": event.pk})
    client.post(f"/audit/changes/{change.pk}/", {"object_repr": "x"})
    _unchanged(event)
    _unchanged(change)


def test_no_admin_site_can_edit_audit_rows(rf, office):
    # The Django admin is not installed; should it ever be, audit rows must be registered read-only.
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib import admin

    request = rf.get("/")
    request.user = office
    for model in (AuditEvent, ObjectChange):
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditevent SET user_name = 'mallory'",
        "DELETE FROM core_auditevent",
        "UPDATE core_objectchange SET postchange_data = NULL",
        "DELETE FROM core_objectchange",
    ],
)
def test_the_trigger_refuses_raw_sql_outside_the_purge(event, change, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    _unchanged(event)
    _unchanged(change)


@on_postgresql
def test_the_trigger_lets_the_purge_redact_and_expire(event, change):
    with purge_session(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_objectchange SET postchange_data = '{}'::jsonb")
        cursor.execute("DELETE FROM core_auditevent")
    assert not AuditEvent.objects.exists()
    assert ObjectChange.objects.get().postchange_data == {}
    # The setting ends with the purge's transaction.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_objectchange")


def test_audit_records_are_kept_three_years_by_default():
    assert audit_retention_days() == 1095
    assert not [m for m in run_checks() if m.id and m.id.startswith("lianfang.E10")]


@pytest.mark.parametrize(
    ("value", "check"), [(100, "lianfang.E102"), ("182", "lianfang.E102"), ("six", "lianfang.E101")]
)
def test_a_retention_below_six_months_stops_lianfang_at_start(value, check):
    with override_settings(LIANFANG_AUDIT_RETENTION_DAYS=value):
        assert check in [m.id for m in run_checks()]
        with pytest.raises(ImproperlyConfigured):
            audit_retention_days()


def test_a_longer_retention_is_allowed():
    with override_settings(LIANFANG_AUDIT_RETENTION_DAYS="2000"):
        assert audit_retention_days() == 2000
        assert not [m for m in run_checks() if m.id and m.id.startswith("lianfang.E10")]
