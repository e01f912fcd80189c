"""Visitors: a host registers a visit, the visitor declares on their link and gets a single-use pass for
that day; the gate lets it in once; walk-ins are registered at the gate; visitor records go after their
own short retention."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange
from lianfang.health.choices import RiskLevel
from lianfang.health.models import RiskArea
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.roles import role_allows
from lianfang.privacy import purge
from lianfang.sites import passes
from lianfang.sites.choices import Decision, DenyReason, VisitStatus
from lianfang.sites.models import Checkpoint, Entry, Visitor
from lianfang.sites.retention import VISITORS
from lianfang.sites.services.gate import gate_check
from lianfang.sites.services.visitors import visit_cancel, visit_declare, visit_pass, visit_register
from lianfang.sites.services.walkins import visit_walk_in
from lianfang.sites.tests.conftest import DAY
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

NEXT_DAY = DAY + datetime.timedelta(days=1)
CLEAN = {"places": ["110101"]}  # 北京市东城区, no risk area


@pytest.fixture
def host(tree):
    """An employee of A1 with a roster record and no role but the employee's."""
    user = user_with_role(Role.EMPLOYEE, tree.a1, username="host")
    PersonFactory(unit=tree.a1, user=user, name="李主任", employee_no="A1-007")
    return user


@pytest.fixture
def gate(tree):
    return Checkpoint.objects.create(site=tree.a1s, name="东门")


def register(actor, site, **fields):
    data = {"day": DAY, "name": "赵小明", "phone": "13800138000", "company": "某设备公司", "reason": "设备检修"}
    return visit_register(actor=actor, site=site, **{**data, **fields})


# --- registering ----------------------------------------------------------------------------------------


def test_an_employee_registers_a_visitor_at_a_site_of_their_organisation_as_host(clock, host, gate, tree):
    visit = register(host, tree.a1s)

    assert visit.status == VisitStatus.INVITED
    assert visit.host.user == host
    assert len(visit.slug) == 32
    change = ObjectChange.objects.get(object_id=visit.pk, action=ChangeAction.CREATE)
    assert "13800138000" not in str(change.postchange_data)  # the phone is masked in the change log


def test_a_visit_on_a_past_day_is_refused_naming_the_day(clock, host, gate, tree):
    with pytest.raises(ValidationError) as exc:
        register(host, tree.a1s, day=DAY - datetime.timedelta(days=1))
    assert "day" in exc.value.message_dict
    assert not Visitor.objects.exists()


def test_a_phone_that_is_not_a_mainland_mobile_is_refused_naming_the_phone(clock, host, gate, tree):
    with pytest.raises(ValidationError) as exc:
        register(host, tree.a1s, phone="010-1234567")
    assert "11 digits" in exc.value.message_dict["phone"][0]


def test_a_site_without_a_gate_that_lets_visitors_in_is_refused(clock, host, gate, tree):
    Checkpoint.objects.create(site=tree.a2, name="北门", visitors_allowed=False)

    with pytest.raises(ValidationError) as exc:
        register(host, tree.a2)
    assert "site" in exc.value.message_dict


def test_an_employee_cannot_register_a_visitor_at_another_organisations_site(clock, host, tree):
    Checkpoint.objects.create(site=tree.b1, name="乙公司大门")

    with pytest.raises(PermissionDenied):
        register(host, tree.b1)
    assert not Visitor.objects.exists()


def test_someone_without_a_roster_record_or_a_role_cannot_register(clock, gate, tree):
    with pytest.raises(PermissionDenied):
        register(user_with_role(None, None, username="nobody"), tree.a1s)


# --- declaring ---------------------------------------------------------------------------------------------


def test_a_place_in_a_risk_area_refuses_the_visit_and_tells_the_host(
    clock, host, gate, tree, django_capture_on_commit_callbacks
):
    RiskArea.objects.create(division_code="4201", name="湖北省武汉市", level=RiskLevel.HIGH, effective_from=DAY)
    visit = register(host, tree.a1s)

    with django_capture_on_commit_callbacks(execute=True):
        visit = visit_declare(visit=visit, answers={"places": ["420102"]}, now=clock.now)

    assert visit.status == VisitStatus.REFUSED
    assert "湖北省武汉市" in visit.risk_note
    message = Message.objects.get(recipient=host)
    assert "赵小明" in message.title
    with pytest.raises(ValidationError):
        visit_pass(visit, clock.now)


def test_a_risk_area_lifted_before_the_declaration_does_not_count(clock, host, gate, tree):
    RiskArea.objects.create(
        division_code="4201",
        name="湖北省武汉市",
        level=RiskLevel.HIGH,
        effective_from=DAY - datetime.timedelta(days=20),
        lifted_on=DAY - datetime.timedelta(days=1),
    )
    visit = visit_declare(visit=register(host, tree.a1s), answers={"places": ["420102"]}, now=clock.now)
    assert visit.status == VisitStatus.DECLARED


def test_a_declared_fever_refuses_the_visit(clock, host, gate, tree):
    visit = visit_declare(visit=register(host, tree.a1s), answers={**CLEAN, "fever": True}, now=clock.now)
    assert visit.status == VisitStatus.REFUSED
    assert "Fever" in visit.risk_note or "发热" in visit.risk_note


def test_a_declaration_two_days_ahead_is_refused_and_a_cancelled_visit_cannot_be_declared(clock, host, gate, tree):
    later = register(host, tree.a1s, day=DAY + datetime.timedelta(days=2))
    with pytest.raises(ValidationError):
        visit_declare(visit=later, answers=CLEAN, now=clock.now)

    cancelled = visit_cancel(actor=host, visit=register(host, tree.a1s))
    with pytest.raises(ValidationError, match="cancelled"):
        visit_declare(visit=cancelled, answers=CLEAN, now=clock.now)


def test_a_place_that_is_not_a_division_is_refused_naming_the_places(clock, host, gate, tree):
    with pytest.raises(ValidationError) as exc:
        visit_declare(visit=register(host, tree.a1s), answers={"places": ["999999"]}, now=clock.now)
    assert "places" in exc.value.message_dict
    assert Visitor.objects.get().status == VisitStatus.INVITED


# --- the gate ------------------------------------------------------------------------------------------------


def test_a_passed_declaration_gives_a_pass_the_gate_lets_in_once(clock, host, gate, staff, tree):
    visit = visit_declare(visit=register(host, tree.a1s), answers=CLEAN, now=clock.now)
    code = visit_pass(visit, clock.now)
    assert passes.verify(code, now=clock.now).name == "赵*明"

    entry, verdict = gate_check(actor=staff, checkpoint=gate, code=code, now=clock.now)
    assert verdict.allowed and entry.visitor == visit and verdict.name == "赵*明"

    again = visit_pass(visit, clock.now)  # the page opened again signs a new pass: still once only
    _entry, second = gate_check(actor=staff, checkpoint=gate, code=again, now=clock.advance(minutes=5))
    assert second.reason == DenyReason.REPLAYED


def test_a_pass_shown_on_another_day_has_no_appointment(clock, host, gate, staff, tree):
    visit = visit_declare(visit=register(host, tree.a1s, day=NEXT_DAY), answers=CLEAN, now=clock.now)
    code = visit_pass(visit, clock.now)

    _entry, verdict = gate_check(actor=staff, checkpoint=gate, code=code, now=clock.now)

    assert verdict.reason == DenyReason.NO_APPOINTMENT


def test_a_pass_at_a_gate_that_does_not_let_visitors_in_or_of_a_cancelled_visit_is_refused(
    clock, host, gate, staff, tree
):
    side = Checkpoint.objects.create(site=tree.a1s, name="员工通道", visitors_allowed=False)
    visit = visit_declare(visit=register(host, tree.a1s), answers=CLEAN, now=clock.now)
    code = visit_pass(visit, clock.now)

    assert gate_check(actor=staff, checkpoint=side, code=code, now=clock.now)[1].reason == DenyReason.NO_APPOINTMENT
    visit_cancel(actor=host, visit=visit)
    assert gate_check(actor=staff, checkpoint=gate, code=code, now=clock.now)[1].reason == DenyReason.NO_APPOINTMENT


# --- walk-ins -----------------------------------------------------------------------------------------------------


def test_a_walk_in_is_registered_declared_and_let_in_at_once(clock, host, gate, staff, tree):
    visit, entry, verdict = visit_walk_in(
        actor=staff,
        checkpoint=gate,
        name="钱多多",
        phone="139 0013 9000",
        reason="送货",
        host_employee_no="A1-007",
        answers=CLEAN,
        now=clock.now,
    )

    assert verdict.allowed and entry.decision == Decision.ALLOW
    assert visit.walk_in and visit.status == VisitStatus.ENTERED and visit.entered_at == clock.now
    assert visit.host.user == host and visit.phone == "13900139000"


def test_a_walk_in_from_a_risk_area_is_refused_with_the_declaration_as_reason(clock, gate, staff, tree):
    RiskArea.objects.create(division_code="42", name="湖北省", level=RiskLevel.MEDIUM, effective_from=DAY)

    visit, entry, verdict = visit_walk_in(
        actor=staff,
        checkpoint=gate,
        name="孙某",
        phone="13700137000",
        reason="送货",
        answers={"places": ["420102"]},
        now=clock.now,
    )

    assert verdict.reason == DenyReason.DECLARATION and entry.decision == Decision.DENY
    assert visit.status == VisitStatus.REFUSED


def test_a_walk_in_with_an_unknown_host_number_keeps_nothing(clock, gate, staff, tree):
    with pytest.raises(ValidationError) as exc:
        visit_walk_in(
            actor=staff,
            checkpoint=gate,
            name="孙某",
            phone="13700137000",
            reason="送货",
            answers=CLEAN,
            host_employee_no="X-1",
            now=clock.now,
        )
    assert "host_employee_no" in exc.value.message_dict
    assert not Visitor.objects.exists() and not Entry.objects.exists()


def test_only_the_sites_checkpoint_staff_register_walk_ins(clock, host, gate, tree):
    with pytest.raises(PermissionDenied):
        visit_walk_in(
            actor=host, checkpoint=gate, name="孙某", phone="13700137000", reason="送货", answers=CLEAN, now=clock.now
        )


# --- retention ------------------------------------------------------------------------------------------------------


def test_visits_past_their_retention_go_and_their_entries_lose_the_link(clock, host, gate, staff, tree):
    visit = visit_declare(visit=register(host, tree.a1s), answers=CLEAN, now=clock.now)
    entry, _verdict = gate_check(actor=staff, checkpoint=gate, code=visit_pass(visit, clock.now), now=clock.now)
    recent = register(host, tree.a1s, day=DAY + datetime.timedelta(days=20))

    purge.run_retention(category=VISITORS, today=DAY + datetime.timedelta(days=35))

    assert list(Visitor.objects.all()) == [recent]
    entry.refresh_from_db()
    assert entry.visitor is None and entry.decision == Decision.ALLOW


def test_a_visit_younger_than_the_retention_stays(clock, host, gate, tree):
    register(host, tree.a1s)
    purge.run_retention(category=VISITORS, today=DAY + datetime.timedelta(days=10))
    assert Visitor.objects.count() == 1


# --- pages ------------------------------------------------------------------------------------------------------------


def page_client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_the_visitor_declares_on_their_link_without_an_account_and_sees_the_pass(clock, host, gate, tree):
    visit = register(host, tree.a1s)
    url = reverse("visit:declare", args=[visit.slug])

    form_page = page_client().get(url)
    assert form_page.status_code == 200 and 'data-testid="declaration-form"' in form_page.content.decode()

    done = page_client().post(url, {"province": ["11", "", ""], "city": ["1101", "", ""], "truthful": "on"})
    assert done.status_code == 302
    page = page_client().get(url).content.decode()
    assert 'data-testid="visit-pass"' in page and "<svg" in page and "Valid once" in page
    assert "赵**" in page and "赵小明" not in page
    assert Visitor.objects.get().declaration["places"] == ["1101"]


def test_an_unknown_link_is_not_found(db):
    assert page_client().get(reverse("visit:declare", args=["0" * 32])).status_code == 404


def test_the_host_sees_their_visitor_with_the_link_to_send(clock, host, gate, tree):
    visit = register(host, tree.a1s)

    page = page_client(host).get(reverse("sites:visitors")).content.decode()

    assert f'data-row="{visit.pk}"' in page and visit.slug in page and "138****8000" in page


def test_a_host_cannot_register_at_a_site_outside_their_organisation_from_the_page(clock, host, gate, tree):
    Checkpoint.objects.create(site=tree.b1, name="乙公司大门")
    data = {"site": tree.b1.pk, "day": "2026-12-07", "name": "赵小明", "phone": "13800138000", "reason": "检修"}

    response = page_client(host).post(reverse("sites:visitors"), data)

    assert response.status_code == 200 and "site" in response.context["form"].errors
    assert not Visitor.objects.exists()


def test_the_liaison_sees_a_visitors_phone_only_by_asking_and_it_is_audited(clock, host, gate, liaison, staff, tree):
    visit = register(host, tree.a1s)
    page = page_client(liaison).get(reverse("sites:site-visitors", args=[tree.a1s.pk])).content.decode()
    assert "138****8000" in page and "13800138000" not in page

    shown = page_client(liaison).post(reverse("sites:visit-phone", args=[visit.pk]))
    assert "13800138000" in shown.content.decode()
    assert AuditEvent.objects.filter(kind=AuditKind.UNMASK, user=liaison).exists()

    assert page_client(staff).post(reverse("sites:visit-phone", args=[visit.pk])).status_code == 403


def test_the_walk_in_page_registers_and_shows_the_gates_decision(clock, gate, staff, tree):
    data = {"name": "钱多多", "phone": "13900139000", "reason": "送货", "province": ["11"], "truthful": "on"}

    response = page_client(staff).post(reverse("sites:walk-in", args=[gate.pk]), data)

    assert response.status_code == 200 and 'data-decision="allow"' in response.content.decode()
    assert Visitor.objects.get().status == VisitStatus.ENTERED


ANONYMOUS, NO_ROLE = "anonymous", "no-role"


@pytest.mark.parametrize("relation", list(SCOPE_RELATIONS))
@pytest.mark.parametrize("actor", [ANONYMOUS, NO_ROLE, *ALL_ROLES])
def test_a_sites_visitors_open_only_to_its_staff_inside_the_scope(clock, tree, actor, relation):
    site = getattr(tree, SCOPE_RELATIONS[relation])
    walk_gate = Checkpoint.objects.create(site=site, name="东门")
    user = None
    if actor == NO_ROLE:
        user = user_with_role(None, None, username="nobody")
    elif actor != ANONYMOUS:
        user = user_with_role(actor, tree.a1, username=f"matrix-{actor}")

    listing = page_client(user).get(reverse("sites:site-visitors", args=[site.pk]))
    walk_in = page_client(user).get(reverse("sites:walk-in", args=[walk_gate.pk]))

    if actor == ANONYMOUS:
        assert listing.status_code == walk_in.status_code == 302
        return
    seen = actor in ALL_ROLES and role_allows(actor, "sites.visitor", "view") and relation in IN_SCOPE
    assert listing.status_code == (200 if seen else 404)
    works_gate = seen and role_allows(actor, "sites.visitor", "add") and role_allows(actor, "sites.entry", "add")
    assert walk_in.status_code == (200 if works_gate else 404 if not seen else 403)
    if not seen:
        assert site.name not in listing.content.decode()
