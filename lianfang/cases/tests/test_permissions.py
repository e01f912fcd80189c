"""Permission matrix of every cases endpoint, API and pages: role × where the object sits.

Each role is held on A1 ("own"); a case, a contact, an isolation with a follow-up, a care assignment
with an open need and a cluster alert sit in A1, its child A1S, its sibling A2 and its parent A.
Expectations come from ``ROLE_PERMISSIONS``: only case managers and the group office see case and
contact details; out of scope is 404, in view scope without the action 403; a refusal changes
nothing (no row, no change log, no message, no audit of a read). Reads of case details that are
allowed are audited. Then the people who see rows as themselves: the person responsible for an
isolation and a carer.

The world is built once per module on top of ``tests.matrix_world``; each test runs in a savepoint.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.cases.choices import CareNeed, IsolationKind, IsolationReason
from lianfang.cases.models import CareAssignment, CareContact, Case, ClusterAlert, Contact, FollowUp, Isolation
from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.core.scoping import Action
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.notify.models import Message
from lianfang.org.roles import role_allows
from lianfang.people.models import Person
from lianfang.testing import ALL_ROLES, IN_SCOPE, PersonFactory
from tests.matrix_world import ACTORS, ANONYMOUS, OTHER_USER, RELATIONS, World, module_world

from .helpers import TODAY, Clock, days_before

pytestmark = pytest.mark.django_db

CASE, CONTACT, ISOLATION, FOLLOWUP = "cases.case", "cases.contact", "cases.isolation", "cases.followup"
CARE, CARE_CONTACT, ALERT = "cases.careassignment", "cases.carecontact", "cases.clusteralert"


@dataclass
class CasesWorld:
    base: World
    cases: dict[str, Case] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    isolations: dict[str, Isolation] = field(default_factory=dict)
    followups: dict[str, FollowUp] = field(default_factory=dict)
    care: dict[str, CareAssignment] = field(default_factory=dict)
    needs: dict[str, CareContact] = field(default_factory=dict)
    alerts: dict[str, ClusterAlert] = field(default_factory=dict)
    fresh: dict[str, Person] = field(default_factory=dict)  # never named anywhere yet
    colleagues: dict[str, Person] = field(default_factory=dict)  # on site with the case: a suggestion
    carers: dict[str, Person] = field(default_factory=dict)
    carer_user: int = 0


def build(base: World) -> CasesWorld:
    w = CasesWorld(base=base)
    user_model = get_user_model()
    responsible = user_model.objects.get(username=OTHER_USER)
    carer_account = user_model(username="carer-account")
    carer_account.set_unusable_password()
    carer_account.save()
    w.carer_user = carer_account.pk
    for n, (rel, unit) in enumerate(base.units.items(), start=1):
        sick = base.people[rel]
        case = Case.objects.create(
            number=f"BL-2026-{n:04d}",
            person=sick,
            unit=unit,
            reported_on=days_before(2),
            suspected_on=days_before(2),
            onset_on=days_before(3),
            external_phone="",
        )
        w.cases[rel] = case
        contact_person = PersonFactory(unit=unit, name=f"{rel}-密接")
        w.contacts[rel] = Contact.objects.create(
            case=case, person=contact_person, unit=unit, last_exposure_on=days_before(3)
        )
        colleague = PersonFactory(unit=unit, name=f"{rel}-同事")
        w.colleagues[rel] = colleague
        for d in (2, 3):
            for p in (sick, colleague):
                CheckIn.objects.create(
                    person=p, unit=unit, date=days_before(d), temperature=Decimal("36.5"), work_mode=WorkMode.ON_SITE
                )
        isolated = PersonFactory(unit=unit, name=f"{rel}-隔离")
        iso = Isolation.objects.create(
            person=isolated,
            unit=unit,
            kind=IsolationKind.HOME,
            reason=IsolationReason.CONTACT,
            start_on=days_before(1),
            planned_end_on=days_before(1) + datetime.timedelta(days=7),
            responsible=responsible,
        )
        w.isolations[rel] = iso
        w.followups[rel] = FollowUp.objects.create(
            isolation=iso, unit=unit, date=days_before(1), slot=1, temperature=Decimal("36.4")
        )
        carer = PersonFactory(unit=unit, name=f"{rel}-关怀人", user=carer_account if rel == "own" else None)
        w.carers[rel] = carer
        w.care[rel] = CareAssignment.objects.create(person=isolated, unit=unit, carer=carer, started_on=days_before(1))
        w.needs[rel] = CareContact.objects.create(
            assignment=w.care[rel], unit=unit, date=days_before(1), need=CareNeed.SUPPLIES, need_note="缺药"
        )
        w.alerts[rel] = ClusterAlert.objects.create(
            unit=unit, window_from=days_before(13), window_to=TODAY, case_count=3
        )
        w.fresh[rel] = PersonFactory(unit=unit, name=f"{rel}-新人")
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    outer = module_world(django_db_blocker)
    base = next(outer)
    with django_db_blocker.unblock():
        cases_world = build(base)
    yield cases_world
    for _rest in outer:  # closes the outer transaction (rolled back)
        pass


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return Clock(monkeypatch)


def state() -> tuple:
    return (
        list(Case.objects.order_by("pk").values()),
        list(Contact.objects.order_by("pk").values()),
        list(Isolation.objects.order_by("pk").values()),
        list(FollowUp.objects.order_by("pk").values()),
        list(CareAssignment.objects.order_by("pk").values()),
        list(CareContact.objects.order_by("pk").values()),
        list(ClusterAlert.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
        Message.objects.count(),
        AuditEvent.objects.filter(kind__in=[AuditKind.SENSITIVE_READ, AuditKind.UNMASK]).count(),
    )


def user_of(world: CasesWorld, actor: str):
    return get_user_model().objects.get(pk=world.base.users[actor])


def api(world: CasesWorld, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(user_of(world, actor))
    return client


def web(world: CasesWorld, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(user_of(world, actor))
    return client


# --- expectations -------------------------------------------------------------------------------


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def may_here(actor: str, label: str, action: str, rel: str) -> bool:
    return may(actor, label, action) and rel in IN_SCOPE


def on_object(label: str, action: str, ok: int, view_label: str | None = None) -> Callable[[str, str], int]:
    """404 unless the object is visible, then ok if the action is allowed there, else 403."""

    def expect(actor: str, rel: str) -> int:
        if not may_here(actor, view_label or label, Action.VIEW, rel):
            return 404
        return ok if may_here(actor, label, action, rel) else 403

    return expect


def on_collection(label: str, ok: int, outside: int) -> Callable[[str, str], int]:
    """403 when the role may not add anywhere; ok in scope; ``outside`` for a target outside it."""

    def expect(actor: str, rel: str) -> int:
        if not may(actor, label, Action.ADD):
            return 403
        return ok if rel in IN_SCOPE else outside

    return expect


def on_page(label: str, action: str = Action.VIEW) -> Callable[[str, str], int]:
    return lambda actor, rel: 200 if may(actor, label, action) else 403


# --- API ----------------------------------------------------------------------------------------

Body = Callable[[CasesWorld, str], dict]
Url = Callable[[CasesWorld, str], str]


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Url
    expect: Callable[[str, str], int]
    body: Body = lambda w, rel: {}
    audited: bool = False  # an allowed call writes a SENSITIVE_READ


def _api(name: str, attr: str | None = None) -> Url:
    if attr is None:
        return lambda w, rel: reverse(f"api:{name}")
    return lambda w, rel: reverse(f"api:{name}", args=[getattr(w, attr)[rel].pk])


API: dict[str, Endpoint] = {
    "case-retrieve": Endpoint("get", _api("case-detail", "cases"), on_object(CASE, Action.VIEW, 200), audited=True),
    "case-create": Endpoint(
        "post", _api("case-list"), on_collection(CASE, 201, 400), lambda w, rel: {"person": w.fresh[rel].pk}
    ),
    "case-update": Endpoint(
        "patch", _api("case-detail", "cases"), on_object(CASE, Action.CHANGE, 200), lambda w, rel: {"note": "更新"}
    ),
    "case-transition": Endpoint(
        "post",
        _api("case-transition", "cases"),
        on_object(CASE, Action.CHANGE, 200),
        lambda w, rel: {"status": "confirmed"},
    ),
    "case-graph": Endpoint("get", _api("case-graph", "cases"), on_object(CASE, Action.VIEW, 200), audited=True),
    "case-suggestions": Endpoint("get", _api("case-suggestions", "cases"), on_object(CASE, Action.VIEW, 200)),
    "case-add-suggested": Endpoint(
        "post",
        _api("case-add-suggested", "cases"),
        on_object(CONTACT, Action.ADD, 201, view_label=CASE),
        lambda w, rel: {"people": [w.colleagues[rel].pk]},
    ),
    "case-reveal-phone": Endpoint("post", _api("case-reveal-phone", "cases"), on_object(CASE, Action.UNMASK, 200)),
    "contact-retrieve": Endpoint(
        "get", _api("case-contact-detail", "contacts"), on_object(CONTACT, Action.VIEW, 200), audited=True
    ),
    "contact-create": Endpoint(
        "post",
        _api("case-contact-list"),
        on_collection(CONTACT, 201, 400),
        lambda w, rel: {"case": w.cases[rel].pk, "person": w.fresh[rel].pk, "last_exposure_on": str(days_before(3))},
    ),
    "contact-delete": Endpoint(
        "delete", _api("case-contact-detail", "contacts"), on_object(CONTACT, Action.DELETE, 204)
    ),
    "contact-become-case": Endpoint(
        "post", _api("case-contact-become-case", "contacts"), on_object(CONTACT, Action.CHANGE, 201)
    ),
    "isolation-retrieve": Endpoint("get", _api("isolation-detail", "isolations"), on_object(ISOLATION, "view", 200)),
    "isolation-create": Endpoint(
        "post",
        _api("isolation-list"),
        on_collection(ISOLATION, 201, 404),
        lambda w, rel: {"person": w.fresh[rel].pk, "kind": "home"},
    ),
    "isolation-update": Endpoint(
        "patch",
        _api("isolation-detail", "isolations"),
        on_object(ISOLATION, Action.CHANGE, 200),
        lambda w, rel: {"planned_end_on": str(TODAY + datetime.timedelta(days=9)), "reason": "复检"},
    ),
    "isolation-release": Endpoint(
        "post",
        _api("isolation-release", "isolations"),
        on_object(ISOLATION, Action.CHANGE, 200),
        lambda w, rel: {"test_result": "negative"},
    ),
    "followup-retrieve": Endpoint("get", _api("followup-detail", "followups"), on_object(FOLLOWUP, "view", 200)),
    "followup-create": Endpoint(
        "post",
        _api("followup-list"),
        on_object(FOLLOWUP, Action.ADD, 201, view_label=ISOLATION),
        lambda w, rel: {"isolation": w.isolations[rel].pk, "slot": 2, "temperature": "36.7"},
    ),
    "care-retrieve": Endpoint("get", _api("care-assignment-detail", "care"), on_object(CARE, Action.VIEW, 200)),
    "care-create": Endpoint(
        "post",
        _api("care-assignment-list"),
        on_collection(CARE, 201, 404),
        lambda w, rel: {"person": w.fresh[rel].pk, "carer": w.carers[rel].pk},
    ),
    "care-end": Endpoint("post", _api("care-assignment-end", "care"), on_object(CARE, Action.CHANGE, 200)),
    "need-retrieve": Endpoint("get", _api("care-contact-detail", "needs"), on_object(CARE_CONTACT, "view", 200)),
    "need-create": Endpoint(
        "post",
        _api("care-contact-list"),
        on_object(CARE_CONTACT, Action.ADD, 201, view_label=CARE),
        lambda w, rel: {"assignment": w.care[rel].pk, "need": "medical", "need_note": "复诊"},
    ),
    "need-settle": Endpoint(
        "post",
        _api("care-contact-settle", "needs"),
        on_object(CARE_CONTACT, Action.ADD, 200),
        lambda w, rel: {"outcome": "已送药"},
    ),
    "alert-retrieve": Endpoint("get", _api("cluster-alert-detail", "alerts"), on_object(ALERT, Action.VIEW, 200)),
    "alert-handle": Endpoint(
        "post",
        _api("cluster-alert-handle", "alerts"),
        on_object(ALERT, Action.CHANGE, 200),
        lambda w, rel: {"status": "acknowledged", "note": "处置中"},
    ),
}


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(API))
def test_api_endpoint(world, name, actor, rel):
    endpoint = API[name]
    before = state()
    reads_before = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    client = api(world, actor)
    response = getattr(client, endpoint.method)(endpoint.url(world, rel), endpoint.body(world, rel), format="json")
    expected = 401 if actor == ANONYMOUS else endpoint.expect(actor, rel)
    assert response.status_code == expected, response.content[:400]
    if expected >= 400:
        assert state() == before
    elif endpoint.audited:
        assert AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count() == reads_before + 1


LISTS = {
    "case-list": (CASE, "cases"),
    "case-contact-list": (CONTACT, "contacts"),
    "isolation-list": (ISOLATION, "isolations"),
    "followup-list": (FOLLOWUP, "followups"),
    "care-assignment-list": (CARE, "care"),
    "care-contact-list": (CARE_CONTACT, "needs"),
    "cluster-alert-list": (ALERT, "alerts"),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(LISTS))
def test_api_list_holds_exactly_what_the_role_may_view(world, name, actor):
    label, attr = LISTS[name]
    response = api(world, actor).get(reverse(f"api:{name}"), {"page_size": 500})
    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    ids = {row["id"] for row in response.json()["results"]}
    expected = {getattr(world, attr)[rel].pk for rel in RELATIONS if may_here(actor, label, Action.VIEW, rel)}
    assert ids == expected


def test_a_leader_sees_cluster_alerts_but_never_which_cases(world):
    body = api(world, "leader").get(reverse("api:cluster-alert-detail", args=[world.alerts["own"].pk])).json()
    assert body["case_count"] == 3 and body["cases"] == []


# --- pages --------------------------------------------------------------------------------------


def _page(name: str, attr: str | None = None) -> Url:
    if attr is None:
        return lambda w, rel: reverse(f"cases:{name}")
    return lambda w, rel: reverse(f"cases:{name}", args=[getattr(w, attr)[rel].pk])


def _form_or(ok: int) -> Callable[[str, str], int]:
    """A form naming a person by employee number: out of scope, "nobody with this number" (200)."""
    return lambda actor, rel: ok if rel in IN_SCOPE else 200


def on_form(label: str, ok: int) -> Callable[[str, str], int]:
    def expect(actor: str, rel: str) -> int:
        if not may(actor, label, Action.ADD):
            return 403
        return _form_or(ok)(actor, rel)

    return expect


today = str(TODAY)

PAGES: dict[str, Endpoint] = {
    "list": Endpoint("get", _page("list"), on_page(CASE)),
    "export": Endpoint("get", _page("export"), on_page(CASE, Action.EXPORT)),
    "create-form": Endpoint("get", _page("create"), on_page(CASE, Action.ADD)),
    "create": Endpoint(
        "post",
        _page("create"),
        on_form(CASE, 302),
        lambda w, rel: {
            "who": "roster",
            "employee_no": w.fresh[rel].employee_no,
            "status": "suspected",
            "reported_on": today,
            "treatment": "none",
        },
    ),
    "detail": Endpoint("get", _page("detail", "cases"), on_object(CASE, Action.VIEW, 200), audited=True),
    "edit": Endpoint(
        "post", _page("edit", "cases"), on_object(CASE, Action.CHANGE, 302), lambda w, rel: {"treatment": "home"}
    ),
    "transition": Endpoint(
        "post",
        _page("transition", "cases"),
        on_object(CASE, Action.CHANGE, 302),
        lambda w, rel: {"status": "confirmed", "on": today},
    ),
    "reveal-phone": Endpoint("post", _page("reveal-phone", "cases"), on_object(CASE, Action.UNMASK, 302)),
    "contact-add-form": Endpoint("get", _page("contact-add", "cases"), on_object(CASE, Action.VIEW, 200)),
    "contact-add": Endpoint(
        "post",
        _page("contact-add", "cases"),
        on_object(CONTACT, Action.ADD, 302, view_label=CASE),
        lambda w, rel: {
            "who": "roster",
            "employee_no": w.fresh[rel].employee_no,
            "degree": "close",
            "last_exposure_on": str(days_before(3)),
            "setting": "workplace",
        },
    ),
    "add-suggested": Endpoint(
        "post",
        _page("add-suggested", "cases"),
        on_object(CONTACT, Action.ADD, 302, view_label=CASE),
        lambda w, rel: {"people": [w.colleagues[rel].pk]},
    ),
    "graph": Endpoint("get", _page("graph", "cases"), on_object(CASE, Action.VIEW, 200), audited=True),
    "become-case": Endpoint(
        "post",
        _page("contact-become-case", "contacts"),
        on_object(CONTACT, Action.CHANGE, 302),
        lambda w, rel: {"status": "suspected", "reported_on": today},
    ),
    "contact-delete": Endpoint("post", _page("contact-delete", "contacts"), on_object(CONTACT, Action.DELETE, 302)),
    "isolations": Endpoint("get", _page("isolations"), on_page(ISOLATION)),
    "isolation-create": Endpoint(
        "post",
        _page("isolation-create"),
        on_form(ISOLATION, 302),
        lambda w, rel: {
            "employee_no": w.fresh[rel].employee_no,
            "kind": "home",
            "reason": "contact",
            "start_on": today,
        },
    ),
    "isolation-detail": Endpoint(
        "get", _page("isolation-detail", "isolations"), on_object(ISOLATION, Action.VIEW, 200), audited=True
    ),
    "isolation-end": Endpoint(
        "post",
        _page("isolation-end", "isolations"),
        on_object(ISOLATION, Action.CHANGE, 302),
        lambda w, rel: {"planned_end_on": str(TODAY + datetime.timedelta(days=9)), "reason": "复检"},
    ),
    "isolation-release": Endpoint(
        "post",
        _page("isolation-release", "isolations"),
        on_object(ISOLATION, Action.CHANGE, 302),
        lambda w, rel: {"released_on": today, "test_result": "negative"},
    ),
    "followup-record": Endpoint(
        "post",
        _page("followup-record", "isolations"),
        on_object(FOLLOWUP, Action.ADD, 302, view_label=ISOLATION),
        lambda w, rel: {"date": today, "slot": 1, "temperature": "36.5"},
    ),
    "followups": Endpoint("get", _page("followups"), on_page(ISOLATION)),
    "care": Endpoint("get", _page("care"), on_page(CARE)),
    "care-assign": Endpoint(
        "post",
        _page("care-assign"),
        on_form(CARE, 302),
        lambda w, rel: {
            "employee_no": w.fresh[rel].employee_no,
            "carer_no": w.carers[rel].employee_no,
            "started_on": today,
        },
    ),
    "care-detail": Endpoint("get", _page("care-detail", "care"), on_object(CARE, Action.VIEW, 200)),
    "care-record": Endpoint(
        "post",
        _page("care-detail", "care"),
        on_object(CARE_CONTACT, Action.ADD, 302, view_label=CARE),
        lambda w, rel: {"date": today, "need": "medical", "need_note": "复诊"},
    ),
    "care-end": Endpoint("post", _page("care-end", "care"), on_object(CARE, Action.CHANGE, 302)),
    "care-settle": Endpoint(
        "post",
        _page("care-settle", "needs"),
        on_object(CARE_CONTACT, Action.ADD, 302),
        lambda w, rel: {"outcome": "已送药"},
    ),
    "alerts": Endpoint("get", _page("alerts"), on_page(ALERT)),
    "alert-detail": Endpoint("get", _page("alert-detail", "alerts"), on_object(ALERT, Action.VIEW, 200)),
    "alert-handle": Endpoint(
        "post",
        _page("alert-detail", "alerts"),
        on_object(ALERT, Action.CHANGE, 302),
        lambda w, rel: {"status": "acknowledged", "note": "处置中"},
    ),
}


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page(world, name, actor, rel):
    endpoint = PAGES[name]
    before = state()
    reads_before = AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count()
    client = web(world, actor)
    url = endpoint.url(world, rel)
    response = client.get(url) if endpoint.method == "get" else client.post(url, endpoint.body(world, rel))
    if actor == ANONYMOUS:
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert state() == before
        return
    expected = endpoint.expect(actor, rel)
    assert response.status_code == expected, response.content[:600]
    if expected >= 400 or (expected == 200 and endpoint.method == "post"):
        assert state() == before
    elif endpoint.audited:
        assert AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).count() == reads_before + 1
    if expected == 302 and endpoint.method == "post":
        follow = client.get(response["Location"])
        assert follow.status_code == 200
        assert b"message-error" not in follow.content, follow.content.decode()[:2000]


def test_the_case_list_names_people_only_to_those_who_may_see_cases(world):
    for actor in ACTORS[1:]:
        response = web(world, actor).get(reverse("cases:list"))
        shows = world.base.people["own"].name in response.content.decode()
        assert shows == may(actor, CASE, Action.VIEW), actor


# --- people who see rows as themselves ----------------------------------------------------------


def test_the_responsible_person_sees_and_follows_up_their_isolations_but_cannot_release(world):
    user = get_user_model().objects.get(username=OTHER_USER)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    listed = {row["id"] for row in client.get(reverse("api:isolation-list")).json()["results"]}
    assert listed == {iso.pk for iso in world.isolations.values()}
    iso = world.isolations["sibling"]
    response = client.post(
        reverse("api:followup-list"), {"isolation": iso.pk, "slot": 2, "temperature": "36.6"}, format="json"
    )
    assert response.status_code == 201
    before = state()
    assert client.post(reverse("api:isolation-release", args=[iso.pk]), {"test_result": "negative"}).status_code == 403
    assert state() == before
    assert client.get(reverse("api:case-detail", args=[world.cases["own"].pk])).status_code == 404
    page = Client()
    page.force_login(user)
    content = page.get(reverse("cases:followups")).content.decode()
    assert all(iso.person.name in content for iso in world.isolations.values())


def test_a_carer_sees_the_person_they_look_after_and_records_contacts(world):
    user = get_user_model().objects.get(pk=world.carer_user)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    listed = {row["id"] for row in client.get(reverse("api:care-assignment-list")).json()["results"]}
    assert listed == {world.care["own"].pk}
    response = client.post(
        reverse("api:care-contact-list"), {"assignment": world.care["own"].pk, "need": "psychological"}, format="json"
    )
    assert response.status_code == 201
    assert (
        client.post(reverse("api:care-contact-settle", args=[world.needs["own"].pk]), {"outcome": "好转"}).status_code
        == 200
    )
    before = state()
    assert client.post(reverse("api:care-assignment-end", args=[world.care["own"].pk])).status_code == 403
    assert client.get(reverse("api:care-assignment-detail", args=[world.care["child"].pk])).status_code == 404
    assert state() == before
