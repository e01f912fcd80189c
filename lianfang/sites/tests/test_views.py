"""The pages: the sites' rounds, a site's day on a phone (start with one tap, finish with a photo, record
afterwards, take back), the record sheet, plans and the catalogue, the photo; who may see which."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.org.choices import Role
from lianfang.sites import selectors
from lianfang.sites.models import DisinfectionLog, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.tests.conftest import DAY, local, photo
from lianfang.sites.tests.factories import twice_a_day
from lianfang.testing import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def plan(tree, clock, agents, liaison):
    return twice_a_day(liaison, tree.a1s, agents["chlorine"])


def day_page(user, site, day=DAY) -> str:
    response = client_for(user).get(reverse("sites:site-day", args=[site.pk]), {"date": f"{day:%Y-%m-%d}"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_site_staff_start_a_round_with_one_tap_and_finish_it_with_a_photo(tree, clock, plan, staff):
    slot = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    page = day_page(staff, tree.a1s)
    assert f'action="{reverse("sites:round-start", args=[slot.pk])}"' in page
    assert "Start this round now" in page and "acting at least 30 minutes" in page

    clock.at("09:00")
    client = client_for(staff)
    response = client.post(reverse("sites:round-start", args=[slot.pk]), {"agent": slot.agent_id})
    assert response.status_code == 302
    page = day_page(staff, tree.a1s)
    assert "It can be finished from 09:30." in page and 'capture="environment"' in page

    clock.at("09:20")
    response = client.post(reverse("sites:round-finish", args=[slot.pk]), {"photo": photo()}, follow=True)
    assert "Too short" in response.content.decode() and "Finish at 09:30 at the earliest" in response.content.decode()

    clock.at("09:31")
    client.post(reverse("sites:round-finish", args=[slot.pk]), {"photo": photo()})
    log = DisinfectionLog.objects.get(slot=slot)
    assert log.ended_at == local(DAY, "09:31") and log.photo
    page = day_page(staff, tree.a1s)
    assert 'data-status="done"' in page and reverse("sites:log-photo", args=[log.pk]) in page

    picture = client.get(reverse("sites:log-photo", args=[log.pk]))
    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"


def test_a_round_recorded_afterwards_from_the_page(tree, clock, plan, staff):
    slot = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    clock.at("12:00")

    response = client_for(staff).post(
        reverse("sites:round-record", args=[slot.pk]),
        {
            "started_at": "2026-12-07T09:00",
            "ended_at": "2026-12-07T09:40",
            "agent": slot.agent_id,
            "operator_name": "李师傅",
        },
        follow=True,
    )

    assert "The round is logged." in response.content.decode()
    assert DisinfectionLog.objects.get(slot=slot).operator_name == "李师傅"


def test_a_photo_that_is_not_an_image_is_refused_on_the_page(tree, clock, plan, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    slot = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    clock.at("12:00")
    response = client_for(staff).post(
        reverse("sites:round-record", args=[slot.pk]),
        {
            "started_at": "2026-12-07T09:00",
            "ended_at": "2026-12-07T09:40",
            "agent": slot.agent_id,
            "photo": SimpleUploadedFile("round.jpg", b"MZ\x90\x00 a program", content_type="image/jpeg"),
        },
        follow=True,
    )

    assert "This file is not a photo" in response.content.decode()
    assert not DisinfectionLog.objects.exists()


def test_a_start_by_mistake_is_taken_back_from_the_page(tree, clock, plan, staff):
    slot = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    client = client_for(staff)
    client.post(reverse("sites:round-start", args=[slot.pk]))
    assert "Take it back" in day_page(staff, tree.a1s)

    client.post(reverse("sites:round-cancel", args=[slot.pk]))

    assert not DisinfectionLog.objects.exists()


def test_the_record_sheet_lists_the_day_s_rounds_with_lines_to_sign(tree, clock, plan, staff):
    slot = selectors.site_day(site=tree.a1s, day=DAY)[0].slot
    clock.at("12:00")
    client_for(staff).post(
        reverse("sites:round-record", args=[slot.pk]),
        {"started_at": "2026-12-07T09:00", "ended_at": "2026-12-07T09:40", "operator_name": "李师傅"},
    )
    page = client_for(staff).get(reverse("sites:site-print", args=[tree.a1s.pk]), {"date": "2026-12-07"})

    text = page.content.decode()
    assert "Disinfection record sheet" in text and 'data-total="2"' in text
    assert "李师傅" in text and "500 mg/L" in text and "09:00" in text and "09:40" in text
    assert "Person in charge (signature):" in text


def test_the_overview_lists_the_sites_with_their_rounds(tree, clock, plan, staff, liaison):
    page = client_for(liaison).get(reverse("sites:disinfection")).content.decode()
    assert f'data-site="{tree.a1s.pk}"' in page and 'data-total="due">2<' in page

    page = client_for(staff).get(reverse("sites:disinfection")).content.decode()
    assert reverse("sites:site-day", args=[tree.a1s.pk]) in page


def test_the_liaison_plans_a_site_from_the_page(tree, clock, agents, liaison):
    response = client_for(liaison).post(
        reverse("sites:plans"),
        {
            "site": tree.a1s.pk,
            "kind": "disinfection",
            "area": "lift",
            "area_note": "1号楼",
            "agent": agents["alcohol"].pk,
            "frequency": "weekly",
            "weekdays": ["0", "3"],
            "times": "10:00，16点",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    plan = DisinfectionPlan.objects.get()
    assert (plan.times, plan.weekdays, plan.area_note) == (["10:00", "16:00"], [0, 3], "1号楼")
    assert DisinfectionSlot.objects.filter(plan=plan, day=DAY).count() == 2  # today is a Monday


def test_a_plan_the_service_refuses_shows_the_reason_on_its_field(tree, clock, agents, liaison):
    response = client_for(liaison).post(
        reverse("sites:plans"),
        {"site": tree.a1s.pk, "kind": "disinfection", "area": "office", "frequency": "weekly", "times": "10:00"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose the weekdays of a weekly plan." in page and "Choose the disinfectant this plan uses." in page
    assert not DisinfectionPlan.objects.exists()


def test_a_plan_is_retired_on_its_edit_page(tree, clock, plan, liaison):
    clock.at("11:00")
    data = {
        "kind": "disinfection",
        "area": "office",
        "agent": plan.agent_id,
        "frequency": "daily",
        "times": "10:00, 16:00",
        "starts_on": "2026-12-07",
        "note": "",
    }  # "is_active" left out: unticked

    response = client_for(liaison).post(reverse("sites:plan-edit", args=[plan.pk]), data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert not plan.is_active
    assert list(DisinfectionSlot.objects.filter(plan=plan).values_list("due_at", flat=True)) == [local(DAY, "10:00")]


def test_the_office_keeps_the_catalogue_and_the_liaison_only_reads_it(tree, clock, agents, office, liaison):
    response = client_for(office).post(
        reverse("sites:agents"),
        {
            "name": "季铵盐消毒剂",
            "name_en": "Quaternary ammonium",
            "concentration": "1000 mg/L",
            "contact_minutes": 10,
            "is_active": "on",
            "sort": 50,
        },
    )
    assert response.status_code == 302

    page = client_for(liaison).get(reverse("sites:agents")).content.decode()
    assert "Quaternary ammonium" in page and "10 minutes" in page
    assert "Add a disinfectant" not in page
    assert client_for(liaison).post(reverse("sites:agents"), {"name": "x"}).status_code == 403


def test_a_site_outside_the_scope_is_not_found_and_a_stranger_sees_no_disinfection(tree, clock, plan):
    other = user_with_role(Role.CHECKPOINT, tree.b1)
    slot = DisinfectionSlot.objects.first()

    assert client_for(other).get(reverse("sites:site-day", args=[tree.a1s.pk])).status_code == 404
    assert client_for(other).post(reverse("sites:round-start", args=[slot.pk])).status_code == 404
    assert client_for(UserFactory()).get(reverse("sites:disinfection")).status_code == 403
    assert not DisinfectionLog.objects.exists()


def test_an_inspector_reads_the_rounds_and_the_sheet_but_cannot_log(tree, clock, plan):
    inspector = user_with_role(Role.INSPECTOR, tree.a)
    slot = DisinfectionSlot.objects.first()

    page = day_page(inspector, tree.a1s)
    assert "Start this round now" not in page
    assert client_for(inspector).get(reverse("sites:site-print", args=[tree.a1s.pk])).status_code == 200
    assert client_for(inspector).post(reverse("sites:round-start", args=[slot.pk])).status_code == 403
    assert not DisinfectionLog.objects.exists()


def test_the_menu_offers_disinfection_to_the_site_staff(tree, clock, plan, staff):
    page = client_for(staff).get(reverse("home")).content.decode()

    assert reverse("sites:disinfection") in page and "disinfection round" in page
