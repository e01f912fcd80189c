"""Risk areas, trips and status rules: validation with messages that say what to do, the change
log, lifting instead of deleting, and the Excel import (all or nothing) and export."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from openpyxl import Workbook, load_workbook

from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.health import importer as risk_importer
from lianfang.health.models import RiskArea, Trip
from lianfang.health.services import risk_areas as risk_services
from lianfang.health.services import trips
from lianfang.health.tests.factories import employee
from lianfang.health.tests.status_helpers import WUHAN, WUHAN_JIANGAN, area, checkin, days_ago, rules, today
from lianfang.org.choices import Role
from lianfang.status import services
from lianfang.status.models import StatusRule
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.timedelta


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group)


def messages_of(exc: ValidationError) -> str:
    return " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(exc, "error_dict") else str(exc)


# --- status rules: bad input ------------------------------------------------------------------------


def rule_fields(**overrides):
    return {
        "name": "测试",
        "condition": {"fact": "fever", "within_days": 3},
        "colour": "yellow",
        "reason": "发热",
        "hold_days": 0,
        **overrides,
    }


def test_a_rule_with_an_unknown_fact_is_refused_naming_it_and_listing_the_valid_ones(office):
    before = StatusRule.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(condition={"fact": "temperature_field"}))
    text = messages_of(caught.value)
    assert "Unknown fact “temperature_field”" in text
    assert "fever" in text and "risk_travel" in text and "case_active" in text
    assert StatusRule.objects.count() == before


@pytest.mark.parametrize("hold", ["inf", float("inf"), 1e9, -1, 91, 1.5, True, "forever", None])
def test_an_endless_or_out_of_range_hold_is_refused_with_a_message(office, hold):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(hold_days=hold))
    assert "whole number of days from 0 to 90" in caught.value.message_dict["hold_days"][0]


@pytest.mark.parametrize("days", ["inf", 365, -3, 2.5])
def test_an_endless_or_out_of_range_look_back_is_refused(office, days):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(condition={"fact": "fever", "within_days": days}))
    assert "whole number of days from 0 to 90" in caught.value.message_dict["condition"][0]


def test_a_condition_with_an_unknown_field_is_refused(office):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(condition={"fact": "fever", "temperature_above": 38}))
    assert "Unknown field “temperature_above”" in messages_of(caught.value)


def test_days_given_to_a_fact_that_takes_none_are_refused(office):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(condition={"fact": "isolated", "within_days": 3}))
    assert "takes no number of days" in messages_of(caught.value)


def test_a_colour_that_does_not_exist_is_refused(office):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.status_rule_create(actor=office, **rule_fields(colour="blue"))
    assert "green, yellow or red" in caught.value.message_dict["colour"][0]


def test_a_valid_rule_is_saved_at_the_end_and_audited(office):
    rules()
    rule = services.status_rule_create(actor=office, **rule_fields(hold_days="2"))
    others = StatusRule.objects.exclude(pk=rule.pk).values_list("sort", flat=True)
    assert rule.hold_days == 2 and rule.sort > max(others)
    assert ObjectChange.objects.filter(object_id=rule.pk, action="create").exists()


def test_only_the_office_edits_rules(tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    with pytest.raises(PermissionDenied):
        services.status_rule_create(actor=liaison, **rule_fields())


def test_moving_a_rule_renumbers_them_in_the_new_order(office):
    ordered = list(StatusRule.objects.order_by("sort", "pk")) or list(rules().values())
    ordered = list(StatusRule.objects.order_by("sort", "pk"))
    services.status_rule_move(actor=office, rule=ordered[1], direction="up")
    after = list(StatusRule.objects.order_by("sort", "pk"))
    assert after[0].pk == ordered[1].pk and after[1].pk == ordered[0].pk
    assert [r.sort for r in after] == [10 * (i + 1) for i in range(len(after))]


# --- risk areas ------------------------------------------------------------------------------------


def test_a_risk_area_gets_the_division_name_and_is_audited(office):
    created = risk_services.risk_area_create(
        actor=office, division_code=WUHAN_JIANGAN, level="high", effective_from=today()
    )
    assert created.name == "湖北省武汉市江岸区"
    assert ObjectChange.objects.filter(object_id=created.pk, action="create").exists()


@pytest.mark.parametrize("code", ["999999", "4201x", "42010", ""])
def test_a_code_that_is_not_a_division_is_refused(office, code):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        risk_services.risk_area_create(actor=office, division_code=code, level="high", effective_from=today())
    assert "division_code" in caught.value.message_dict
    assert not RiskArea.objects.exists()


def test_an_area_lifted_before_it_starts_is_refused(office):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        risk_services.risk_area_create(
            actor=office, division_code=WUHAN, level="high", effective_from=today(), lifted_on=days_ago(1)
        )
    assert "cannot be lifted before" in caught.value.message_dict["lifted_on"][0]


def test_an_area_no_one_was_in_can_be_deleted_but_one_that_was_used_is_only_lifted(tree, office):
    unused = area(WUHAN_JIANGAN, days_ago(5))
    risk_services.risk_area_delete(actor=office, area=unused)
    assert not RiskArea.objects.filter(pk=unused.pk).exists()
    used = area(WUHAN, days_ago(5))
    checkin(PersonFactory(unit=tree.a1), days_ago(1), place=WUHAN_JIANGAN)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        risk_services.risk_area_delete(actor=office, area=used)
    assert "lift it instead" in caught.value.messages[0]
    risk_services.risk_area_lift(actor=office, area=used)
    used.refresh_from_db()
    assert used.lifted_on == today()


def test_a_liaison_cannot_add_risk_areas(tree):
    with pytest.raises(PermissionDenied):
        risk_services.risk_area_create(
            actor=user_with_role(Role.UNIT_ADMIN, tree.group), division_code=WUHAN, level="high", effective_from=today()
        )


# --- trips -------------------------------------------------------------------------------------------


def trip_fields(**overrides):
    return {"place_code": WUHAN_JIANGAN, "date_from": days_ago(3), "date_to": days_ago(1), **overrides}


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"date_from": days_ago(1), "date_to": days_ago(3)}, "date_to", "cannot be before the first day"),
        ({"date_to": today() + D(days=1)}, "date_to", "cannot end after today"),
        ({"place_code": "123456"}, "place_code", "Choose the place"),
        ({"place_code": "", "place_name": ""}, "place_name", "Say where"),
        ({"transport_no": "G12<script>"}, "transport_no", "letters and digits only"),
        ({"transport": "rocket"}, "transport", "means of transport"),
    ],
)
def test_a_trip_with_bad_input_is_refused_and_nothing_is_written(tree, overrides, field, words):
    person = employee(tree.a1)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        trips.trip_create(actor=person.user, person=person, **trip_fields(**overrides))
    assert words in " ".join(caught.value.message_dict[field])
    assert not Trip.objects.exists()


def test_a_person_adds_their_own_trip_but_cannot_change_it(tree):
    person = employee(tree.a1)
    recorded = trips.trip_create(actor=person.user, person=person, **trip_fields())
    with pytest.raises(PermissionDenied):
        trips.trip_update(actor=person.user, trip=recorded, note="改")


def test_a_colleague_cannot_add_a_trip_for_someone_else(tree):
    person, colleague = employee(tree.a1), employee(tree.a1)
    with pytest.raises(PermissionDenied):
        trips.trip_create(actor=colleague.user, person=person, **trip_fields())


def test_a_case_manager_corrects_a_trip_and_the_change_is_logged(tree):
    person = employee(tree.a1)
    manager = user_with_role(Role.CASE_MANAGER, tree.a)
    recorded = trips.trip_create(actor=manager, person=person, **trip_fields())
    trips.trip_update(actor=manager, trip=recorded, place_code=WUHAN)
    recorded.refresh_from_db()
    assert recorded.place_code == WUHAN and recorded.place_name == "湖北省武汉市"
    change = ObjectChange.objects.get(object_id=recorded.pk, action="update")
    assert change.prechange_data["place_code"] == WUHAN_JIANGAN


# --- import and export --------------------------------------------------------------------------------


def workbook(rows, headers=risk_importer.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_import_adds_every_row_and_updates_an_area_already_listed(office):
    existing = area(WUHAN, datetime.date(2022, 11, 1), level="medium")
    data = workbook(
        [
            [WUHAN, "武汉市", "高", datetime.date(2022, 11, 1), None, "通告1"],
            [420102, "", "medium", "2022-11-05", "2022-11-20", ""],
            ["610502", "临渭区", "低风险", datetime.datetime(2022, 11, 6), None, ""],
        ]
    )
    areas = risk_importer.risk_import(actor=office, file_name="list.xlsx", data=data)
    assert len(areas) == 3 and RiskArea.objects.count() == 3
    existing.refresh_from_db()
    assert (existing.level, existing.source) == ("high", "通告1")
    jiangan = RiskArea.objects.get(division_code="420102")
    assert (jiangan.name, jiangan.lifted_on) == ("湖北省武汉市江岸区", datetime.date(2022, 11, 20))
    assert AuditEvent.objects.filter(kind=AuditKind.IMPORT, detail__what="risk_areas").exists()


def test_an_import_with_a_bad_row_imports_nothing_and_names_every_problem(office):
    data = workbook(
        [
            [WUHAN, "武汉市", "高", "2022-11-01", None, ""],
            ["999999", "", "极高", "not a date", None, ""],
            [WUHAN_JIANGAN, "", "中", "2022-11-10", "2022-11-01", ""],
        ]
    )
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        risk_importer.risk_import(actor=office, file_name="list.xlsx", data=data)
    errors = risk_importer.import_errors(caught.value)
    where = {(e["row"], e["column"]) for e in errors}
    assert where == {(3, "区划代码"), (3, "风险等级"), (3, "生效日期"), (4, "解除日期")}
    assert all(e["message"] for e in errors)
    assert not RiskArea.objects.exists()


def test_a_file_without_the_required_columns_is_refused(office):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        risk_importer.risk_import(actor=office, file_name="list.xlsx", data=workbook([["x"]], headers=["名称"]))
    assert "区划代码" in risk_importer.import_errors(caught.value)[0]["message"]


def test_a_file_that_is_not_a_spreadsheet_is_refused_before_it_is_read(office):
    with pytest.raises(ValidationError):
        risk_importer.risk_import(actor=office, file_name="list.xlsx", data=b"%PDF-1.4 not a workbook")
    assert not RiskArea.objects.exists()


def test_the_export_imports_back_unchanged_and_the_template_has_the_headers(office):
    area(WUHAN, datetime.date(2022, 11, 1), lifted=datetime.date(2022, 11, 20))
    area(WUHAN_JIANGAN, datetime.date(2022, 11, 5), level="low")
    file, count = risk_importer.risk_export_file(actor=office, areas=RiskArea.objects.all())
    data = file.read()
    assert count == 2
    before = list(RiskArea.objects.order_by("pk").values("division_code", "level", "effective_from", "lifted_on"))
    risk_importer.risk_import(actor=office, file_name="back.xlsx", data=data)
    after = list(RiskArea.objects.order_by("pk").values("division_code", "level", "effective_from", "lifted_on"))
    assert after == before
    sheet = load_workbook(io.BytesIO(risk_importer.risk_template())).worksheets[0]
    assert [c.value for c in sheet[1]] == list(risk_importer.HEADERS)
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, detail__what="risk_areas").exists()


def test_the_template_example_row_imports(office):
    areas = risk_importer.risk_import(actor=office, file_name="t.xlsx", data=risk_importer.risk_template())
    assert [a.division_code for a in areas] == ["420102"]
