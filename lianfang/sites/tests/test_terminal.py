"""A confirmed case opens a terminal disinfection (终末消毒) at its unit, once, due in 24 hours; the site's
staff are told; it shows on their home page until it is logged. The cases app knows nothing of it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.cases.choices import CaseStatus
from lianfang.cases.services import cases as case_services
from lianfang.core.extensions import todos_for
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.sites import selectors, services
from lianfang.sites.choices import RoundKind, RoundStatus
from lianfang.sites.models import DisinfectionSlot
from lianfang.sites.tests.conftest import DAY, T0, local
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(tree):
    return PersonFactory(unit=tree.a1s, name="病例人")


def confirm(office, person, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        return case_services.case_register(actor=office, person=person, status=CaseStatus.CONFIRMED, **kw)


def test_a_confirmed_case_opens_a_terminal_disinfection_at_its_unit_due_in_a_day(
    tree, clock, agents, office, staff, patient, django_capture_on_commit_callbacks
):
    case = confirm(office, patient, django_capture_on_commit_callbacks)

    slot = DisinfectionSlot.objects.get(case=case)
    assert (slot.site, slot.kind, slot.area) == (tree.a1s, RoundKind.TERMINAL, "whole")
    assert slot.due_at == T0 + datetime.timedelta(hours=24)
    assert slot.agent == agents["chlorine_1000"]
    message = Message.objects.get(recipient=staff, kind="disinfection")
    assert tree.a1s.name in message.title and case.number in message.body
    assert patient.name not in message.title + message.body  # a case number, never the person


def test_a_suspected_case_opens_nothing_until_it_is_confirmed(
    tree, clock, agents, office, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_services.case_register(actor=office, person=patient)
    assert not DisinfectionSlot.objects.exists()

    clock.advance(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_transition(actor=office, case=case, to_status=CaseStatus.CONFIRMED)

    assert DisinfectionSlot.objects.get(case=case).due_at == T0 + datetime.timedelta(hours=27)


def test_an_asymptomatic_infection_confirmed_later_opens_one_task_only(
    tree, clock, agents, office, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_services.case_register(actor=office, person=patient, status=CaseStatus.ASYMPTOMATIC)
        case_services.case_transition(actor=office, case=case, to_status=CaseStatus.CONFIRMED)

    assert DisinfectionSlot.objects.filter(case=case).count() == 1


def test_nothing_is_opened_when_the_case_is_rolled_back(
    tree, clock, agents, office, patient, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        case_services.case_register(actor=office, person=patient, status=CaseStatus.CONFIRMED)
        raise RuntimeError("the request failed after the case was written")

    assert not DisinfectionSlot.objects.exists()


def test_the_terminal_disinfection_is_a_to_do_of_the_site_until_it_is_logged(
    tree, clock, agents, office, staff, patient, django_capture_on_commit_callbacks
):
    case = confirm(office, patient, django_capture_on_commit_callbacks)
    slot = DisinfectionSlot.objects.get(case=case)

    todo = next(t for t in todos_for(staff, DAY) if t.key == "sites.terminal")
    assert todo.urgent and todo.due == slot.due_at and tree.a1s.name in todo.title

    clock.at("15:00")
    services.log_record(actor=staff, slot=slot, started_at=local(DAY, "14:00"), ended_at=local(DAY, "14:45"))
    assert not [t for t in todos_for(staff, DAY) if t.key == "sites.terminal"]
    assert selectors.rows_of([DisinfectionSlot.objects.get(pk=slot.pk)])[0].status == RoundStatus.DONE


def test_an_open_terminal_disinfection_shows_on_the_site_s_later_days_until_done(
    tree, clock, agents, office, staff, patient, django_capture_on_commit_callbacks
):
    confirm(office, patient, django_capture_on_commit_callbacks)
    clock.advance(days=1, hours=2)  # past its deadline

    rows = selectors.site_day(site=tree.a1s, day=DAY + datetime.timedelta(days=1))

    assert [(r.slot.kind, r.status) for r in rows] == [(RoundKind.TERMINAL, RoundStatus.OVERDUE)]


def test_the_liaison_opens_one_by_hand_for_a_case_from_elsewhere(
    tree, clock, agents, liaison, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        slot = services.terminal_open(actor=liaison, site=tree.a1s, note="乙公司病例 BL-2026-0003 曾到站")

    assert slot.case is None and slot.opened_by == liaison
    assert Message.objects.get(recipient=staff, kind="disinfection").body == "乙公司病例 BL-2026-0003 曾到站"


def test_opening_one_by_hand_needs_a_reason_and_the_right(tree, clock, agents, liaison, staff):
    with pytest.raises(ValidationError) as refused:
        services.terminal_open(actor=liaison, site=tree.a1s)
    assert "note" in refused.value.message_dict

    with pytest.raises(PermissionDenied):
        services.terminal_open(actor=staff, site=tree.a1s, note="x")
    with pytest.raises(PermissionDenied):
        services.terminal_open(actor=user_with_role(Role.UNIT_ADMIN, tree.b), site=tree.a1s, note="x")
