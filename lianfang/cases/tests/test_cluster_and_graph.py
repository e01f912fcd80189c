"""Cluster alerts (N cases in one unit within D days) and the contact graph's chains."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianfang.cases.choices import AlertStatus, CaseStatus, ContactDegree
from lianfang.cases.models import ClusterAlert
from lianfang.cases.selectors import contact_graph
from lianfang.cases.services import cases, clusters, contacts
from lianfang.notify.choices import MessageKind
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.testing import PersonFactory, make_tree, user_with_role

from .helpers import TODAY, Clock, days_before

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(monkeypatch):
    Clock(monkeypatch)
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    manager = user_with_role(Role.CASE_MANAGER, tree.a, username="manager")
    return {"tree": tree, "office": office, "manager": manager}


def register(w, unit, reported_on=TODAY, **kw):
    return cases.case_register(actor=w["office"], person=PersonFactory(unit=unit), reported_on=reported_on, **kw)


def cluster_messages(w):
    return Message.objects.filter(recipient=w["office"], kind=MessageKind.CLUSTER_ALERT)


def test_the_third_case_in_a_unit_within_14_days_opens_one_alert_and_tells_the_office(w):
    a1 = w["tree"].a1
    register(w, a1, days_before(13))
    register(w, a1, days_before(3))
    assert not ClusterAlert.objects.exists()
    third = register(w, a1)
    alert = ClusterAlert.objects.get()
    assert (alert.unit, alert.status, alert.case_count) == (a1, AlertStatus.OPEN, 3)
    assert (alert.window_from, alert.window_to) == (days_before(13), TODAY)
    assert third in alert.cases.all()
    assert cluster_messages(w).count() == 1
    # A fourth extends the open alert: no second alert, no second message.
    register(w, w["tree"].a1s)
    alert.refresh_from_db()
    assert ClusterAlert.objects.count() == 1 and alert.case_count == 4
    assert cluster_messages(w).count() == 1


def test_a_case_older_than_the_window_or_excluded_does_not_count(w):
    a1 = w["tree"].a1
    register(w, a1, days_before(14))  # 15 days ago counting today: outside 14 days
    register(w, a1, days_before(2))
    register(w, a1)
    assert not ClusterAlert.objects.exists()
    fourth = register(w, a1)
    alert = ClusterAlert.objects.get()
    assert alert.case_count == 3
    cases.case_transition(actor=w["office"], case=fourth, to_status=CaseStatus.EXCLUDED)
    alert.refresh_from_db()
    assert alert.case_count == 2  # still open: the office closes it


def test_cases_spread_over_departments_open_the_alert_on_their_lowest_common_unit(w):
    tree = w["tree"]
    register(w, tree.a1)
    register(w, tree.a2)
    register(w, tree.a1s)  # A1's subtree holds 2, A's holds 3
    assert ClusterAlert.objects.get().unit == tree.a
    register(w, tree.b1)
    assert ClusterAlert.objects.count() == 1


def test_the_threshold_and_window_are_the_groups_settings(w):
    settings = GroupSettings.load()
    settings.cluster_cases, settings.cluster_days = 2, 3
    settings.save()
    register(w, w["tree"].b1, days_before(3))
    register(w, w["tree"].b1)
    assert not ClusterAlert.objects.exists()  # 3 days: today and the two before
    register(w, w["tree"].b1, days_before(1))
    assert ClusterAlert.objects.get().unit == w["tree"].b1


def test_the_office_acknowledges_and_closes_with_a_note_and_a_new_cluster_opens_a_new_alert(w):
    for _n in range(3):
        register(w, w["tree"].a1)
    alert = ClusterAlert.objects.get()
    with pytest.raises(PermissionDenied):
        clusters.cluster_alert_handle(actor=w["manager"], alert=alert, status=AlertStatus.ACKNOWLEDGED)
    with pytest.raises(ValidationError):
        clusters.cluster_alert_handle(actor=w["office"], alert=alert, status=AlertStatus.CLOSED)
    clusters.cluster_alert_handle(actor=w["office"], alert=alert, status=AlertStatus.ACKNOWLEDGED, note="流调中")
    clusters.cluster_alert_handle(actor=w["office"], alert=alert, status=AlertStatus.CLOSED, note="已处置")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED and alert.closed and "流调中" in alert.note and "已处置" in alert.note
    register(w, w["tree"].a1)
    assert ClusterAlert.objects.exclude(status=AlertStatus.CLOSED).count() == 1
    assert cluster_messages(w).count() == 2


# --- the graph ----------------------------------------------------------------------------------


def test_the_graph_follows_contacts_who_became_cases_two_generations_and_back(w, django_assert_max_num_queries):
    tree, office = w["tree"], w["office"]
    first = register(w, tree.a1, days_before(6))
    x, y, wp, z = (PersonFactory(unit=tree.a1, name=n) for n in ("甲", "乙", "丙", "丁"))
    cx = contacts.contact_add(actor=office, case=first, person=x, last_exposure_on=days_before(6))
    cw = contacts.contact_add(actor=office, case=first, person=wp, last_exposure_on=days_before(6))
    contacts.contact_add(
        actor=office, case=first, person=z, last_exposure_on=days_before(5), degree=ContactDegree.SECONDARY, via=cw
    )
    second = contacts.contact_become_case(actor=office, contact=cx, reported_on=days_before(2))
    contacts.contact_add(actor=office, case=second, person=y, last_exposure_on=days_before(2))
    outsider = PersonFactory(unit=tree.b1, name="外")
    contacts.contact_add(actor=office, case=second, person=outsider, last_exposure_on=days_before(2))

    with django_assert_max_num_queries(12):
        graph = contact_graph(viewer=office, case=first, hops=2)
    labels = {n.id: n.label for n in graph.nodes}
    edges = {(labels[e.source], labels[e.target]) for e in graph.edges}
    assert edges == {
        (f"{first.number} {first.person.name}", "丙"),
        ("丙", "丁"),  # the secondary contact hangs from the close contact it came through
        (f"{first.number} {first.person.name}", f"{second.number} 甲"),  # the contact drawn as the case
        (f"{second.number} 甲", "乙"),
        (f"{second.number} 甲", "外"),
    }
    # From the second case the chain goes back to the first.
    back = contact_graph(viewer=office, case=second, hops=2)
    assert {n.pk: n.hop for n in back.nodes if n.kind == "case"} == {second.pk: 0, first.pk: -1}
    # A case manager of company A does not see the contact in company B.
    mine = contact_graph(viewer=w["manager"], case=first, hops=2)
    assert "外" not in {n.label for n in mine.nodes}
    assert (first.created - datetime.timedelta(0)) is not None
