"""The dashboard's prevention and control panel: counts within the viewer's scope, never a name."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from lianfang.cases.choices import CaseStatus, IsolationKind, IsolationReason
from lianfang.cases.services import cases
from lianfang.cases.services.isolation import isolation_order
from lianfang.materials.choices import MovementKind
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.org.choices import Role
from lianfang.reporting.selectors.dashboard import control_figures
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbreak(tree):
    """A confirmed case in A1 with an isolated contact; masks below the threshold in A1."""
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    today = timezone.localdate()
    patient = PersonFactory(unit=tree.a1, name="韩冬梅")
    contact = PersonFactory(unit=tree.a1)
    case = cases.case_register(actor=office, person=patient, reported_on=today, isolated_on=today)
    cases.case_transition(actor=office, case=case, to_status=CaseStatus.CONFIRMED, on=today)
    isolation_order(
        actor=office,
        person=contact,
        kind=IsolationKind.CENTRAL,
        reason=IsolationReason.CONTACT,
        start_on=today,
        responsible=office,
    )
    masks = items()["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, max(int(masks.reorder_threshold) - 1, 1), date=today)
    return {"office": office, "today": today}


def test_the_office_sees_the_day_s_cases_isolation_and_low_stock(tree, outbreak):
    figures = control_figures(viewer=outbreak["office"], roots=[tree.group], day=outbreak["today"])

    # Suspected and confirmed the same day: counted in both lines, not twice in one.
    assert figures["cases"] == {
        "new_suspected": 1,
        "new_confirmed": 1,
        "new_asymptomatic": 0,
        "active": 1,
        "contacts": 0,
        "isolated": 1,
    }
    assert figures["alerts"] == 0
    assert figures["stock_low"] == 1
    assert figures["requests_open"] == 0


def test_a_liaison_of_another_unit_counts_nothing_of_a1(tree, outbreak):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a2)
    figures = control_figures(viewer=liaison, roots=[tree.a2], day=outbreak["today"])
    assert set(figures["cases"].values()) == {0}
    assert figures["stock_low"] == 0
    assert "alerts" not in figures  # liaisons do not see cluster alerts


def test_the_leader_s_dashboard_shows_counts_but_never_who(client, tree, outbreak):
    leader = user_with_role(Role.LEADER, tree.group)
    client.force_login(leader)

    page = client.get(reverse("reporting:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Prevention and control" in page
    assert 'data-control="new_confirmed">1<' in page
    assert 'data-control="active">1<' in page
    assert 'data-control="isolated">1<' in page
    assert "韩冬梅" not in page


def test_the_dashboard_counts_the_day_s_disinfection_rounds_in_the_viewer_s_scope(client, tree, outbreak, monkeypatch):
    import datetime

    from lianfang.sites import services as sites
    from lianfang.sites.defaults import ensure_default_disinfectants
    from lianfang.sites.models import Disinfectant

    noon = timezone.make_aware(datetime.datetime.combine(outbreak["today"], datetime.time(12)))
    monkeypatch.setattr(timezone, "now", lambda: noon)
    ensure_default_disinfectants()
    chlorine = Disinfectant.objects.get(concentration="500 mg/L")
    sites.plan_create(actor=outbreak["office"], site=tree.a1s, area="office", agent=chlorine, times=["16:00"])
    sites.terminal_open(actor=outbreak["office"], site=tree.b1, note="病例 BL-2026-0009 曾到")

    office = control_figures(viewer=outbreak["office"], roots=[tree.group], day=outbreak["today"])
    liaison = control_figures(viewer=user_with_role(Role.UNIT_ADMIN, tree.a), roots=[tree.a], day=outbreak["today"])
    leader = user_with_role(Role.LEADER, tree.group)

    assert office["disinfection"] == {"due": 2, "done": 0, "overdue": 0, "terminal_open": 1}
    assert liaison["disinfection"] == {"due": 1, "done": 0, "overdue": 0, "terminal_open": 0}
    client.force_login(leader)
    page = client.get(reverse("reporting:dashboard")).content.decode()
    assert 'data-control="disinfection">0/2<' in page
