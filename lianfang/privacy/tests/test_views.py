"""The pages: the notice step before the check-in, withdrawal, the register's scope, paper consent,
the chain page and "My data"."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.health.models import CheckIn, Trip
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.privacy import selectors, services
from lianfang.privacy.choices import Basis
from lianfang.privacy.models import ConsentRecord, PrivacyNotice

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_check_in_page_sends_a_person_without_consent_to_the_notice_and_back(tree, notice):
    person = employee(tree.a1)
    client = client_for(person.user)

    response = client.get(reverse("health:checkin"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:notice-step"))

    step = client.get(response["Location"])
    assert step.status_code == 200
    assert "Text" in step.content.decode()  # the English body of the notice
    done = client.post(
        reverse("privacy:notice-step"),
        {"consent_health": "on", "consent_whereabouts": "on", "next": reverse("health:checkin")},
    )
    assert done.status_code == 302 and done["Location"] == reverse("health:checkin")
    assert ConsentRecord.objects.filter(person=person).count() == 2
    assert client.get(reverse("health:checkin")).status_code == 200


def test_the_notice_step_asks_each_consent_separately(tree, notice):
    person = employee(tree.a1)
    response = client_for(person.user).post(reverse("privacy:notice-step"), {})
    assert response.status_code == 200
    assert not ConsentRecord.objects.exists()


def test_under_the_emergency_basis_the_notice_is_shown_once_and_recorded(tree, office, notice):
    person = employee(tree.a1)
    period = services.emergency_open(actor=office, name="应急", declared_by="省政府", starts_on=timezone.localdate())
    for category in ("health", "whereabouts"):
        services.legal_basis_set(actor=office, category=category, basis=Basis.EMERGENCY, emergency=period)
    client = client_for(person.user)
    first = client.get(reverse("health:checkin"))
    assert first.status_code == 302
    client.post(reverse("privacy:notice-step"), {"acknowledge": "1", "next": reverse("health:checkin")})
    assert set(ConsentRecord.objects.filter(person=person).values_list("action", flat=True)) == {"notice_shown"}
    assert client.get(reverse("health:checkin")).status_code == 200


def test_withdrawing_on_my_consents_closes_the_check_in_with_the_reason(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    client = client_for(person.user)
    asked = client.post(reverse("privacy:mine"), {"category": "health"}, follow=True).content.decode()
    assert 'data-confirm="withdraw"' in asked, "the first click asks to confirm"
    assert selectors.own_state(person)["health"] == "valid"
    assert client.post(reverse("privacy:mine"), {"category": "health", "confirm": "1"}).status_code == 302
    page = client.get(reverse("health:checkin"), follow=True)
    assert "was withdrawn on" in page.content.decode()
    response = client.post(reverse("health:checkin-same"))
    assert response.status_code == 302
    assert not CheckIn.objects.filter(person=person).exists()


def test_the_morning_check_shows_and_refuses_someone_without_consent(tree, notice, liaison):
    person = employee(tree.a1)
    client = client_for(liaison)
    page = client.get(reverse("health:proxy"), {"unit": tree.a1.pk})
    assert "data-no-consent" in page.content.decode()
    response = client.post(
        reverse("health:proxy") + f"?unit={tree.a1.pk}", {"people": [person.pk], f"t_{person.pk}": "36.5"}
    )
    assert response.status_code == 200
    assert "No consent to the privacy notice" in response.content.decode()
    assert not CheckIn.objects.filter(person=person).exists()


def test_the_register_lists_only_the_liaisons_units_and_filters_by_status(tree, notice, liaison):
    own, child, other = employee(tree.a1), employee(tree.a1s), employee(tree.b1)
    services.consent_give(actor=own.user, person=own)
    page = client_for(liaison).get(reverse("privacy:register"))
    listed = page.content.decode()
    assert f'data-row="{own.pk}"' in listed and f'data-row="{child.pk}"' in listed
    assert f'data-row="{other.pk}"' not in listed
    missing = client_for(liaison).get(reverse("privacy:register"), {"status": "missing"}).content.decode()
    assert f'data-row="{child.pk}"' in missing and f'data-row="{own.pk}"' not in missing


def test_an_employee_has_no_register(tree, notice):
    person = employee(tree.a1)
    assert client_for(person.user).get(reverse("privacy:register")).status_code == 403


def test_a_liaison_records_paper_consent_with_a_scan(tree, notice, liaison, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    person = employee(tree.a1)
    scan = io.BytesIO(b"%PDF-1.4 signed paper")
    scan.name = "signed.pdf"
    response = client_for(liaison).post(
        reverse("privacy:paper"),
        {
            "person": person.pk,
            "signed_on": timezone.localdate().isoformat(),
            "consent_health": "on",
            "consent_whereabouts": "on",
            "scan": scan,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    records = ConsentRecord.objects.filter(person=person)
    assert records.count() == 2 and all(r.attested_by_id == liaison.pk and r.scan for r in records)


def test_the_office_pages_open_for_the_office_only(tree, office, liaison):
    for name in ("privacy:notices", "privacy:bases", "privacy:emergencies", "privacy:chain"):
        assert client_for(office).get(reverse(name)).status_code == 200
        assert client_for(liaison).get(reverse(name)).status_code == 403


def test_the_office_publishes_a_notice_from_the_page(tree, office):
    client = client_for(office)
    client.post(
        reverse("privacy:notices"),
        {"title": "告知书", "body": "正文", "title_en": "Notice", "body_en": "Text", "substantive": "on"},
    )
    notice = PrivacyNotice.objects.get()
    assert not notice.is_published
    client.post(reverse("privacy:notice-publish", args=[notice.pk]))
    assert services.current_notice().version == 1


def test_my_data_shows_each_section_and_the_download_is_audited(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.7", answers=seed_answers())
    )
    Trip.objects.create(
        person=person,
        unit=person.unit,
        place_name="武汉市",
        date_from=timezone.localdate(),
        date_to=timezone.localdate(),
    )
    client = client_for(person.user)
    page = client.get(reverse("privacy:my-data")).content.decode()
    for key in (
        "health.checkins", "health.answers", "health.trips", "status.history", "cases.cases", "cases.contacts",
        "cases.isolation", "cases.followups", "cases.care", "privacy.consents",
    ):  # fmt: skip
        assert f'data-section="{key}"' in page
    assert "36.7" in page and "武汉市" in page

    download = client.get(reverse("privacy:my-data"), {"format": "json"})
    body = json.loads(download.content)
    assert {s["key"] for s in body["sections"]} >= {"health.checkins", "privacy.consents"}
    assert "no-store" in download["Cache-Control"]
    workbook = client.get(reverse("privacy:my-data"), {"format": "xlsx"})
    assert len(load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).sheetnames) >= 10
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=person.user, detail__what="personal_data").count() == 2


def test_my_data_is_only_ever_my_own(tree, notice, liaison):
    # A liaison with no person record has no "My data", and no parameter reaches anyone else's.
    person = employee(tree.a1)
    assert client_for(liaison).get(reverse("privacy:my-data"), {"person": person.pk}).status_code == 404


def test_my_data_shows_answers_in_words_dates_as_iso_and_the_current_status(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    checkins.checkin_submit(
        actor=person.user, person=person, data=CheckInData(temperature="36.7", answers=seed_answers())
    )
    page = client_for(person.user).get(reverse("privacy:my-data")).content.decode()
    answers = page.split('data-section="health.answers"')[1].split("</section>")[0]
    assert "<td>No</td>" in answers and "<td>no</td>" not in answers and "<td>green</td>" not in answers
    checkin_section = page.split('data-section="health.checkins"')[1].split("</section>")[0]
    assert f"<td>{timezone.localdate().isoformat()}</td>" in checkin_section
    assert "False" not in checkin_section and "[]" not in checkin_section and "<td>—</td>" in checkin_section
    assert 'data-section="status.current"' in page


def test_a_person_who_consented_is_told_when_and_not_asked_again(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    page = client_for(person.user).get(reverse("privacy:notice-step")).content.decode()
    assert "data-consented" in page and timezone.localdate().isoformat() in page
    assert "Give consent and continue" not in page


def test_withdrawing_asks_first_and_shows_categories_in_words(tree, notice):
    person = employee(tree.a1)
    services.consent_give(actor=person.user, person=person)
    client = client_for(person.user)
    page = client.get(reverse("privacy:mine")).content.decode()
    assert ">health<" not in page and "Health check-ins and answers" in page
    client.post(reverse("privacy:mine"), {"category": "health"})
    assert ConsentRecord.objects.filter(person=person, action="withdraw").count() == 0


def test_the_register_counts_the_scope_pages_by_a_hundred_and_names_the_company(tree, notice, liaison):
    people = [employee(tree.a1) for _ in range(101)]
    services.consent_give(actor=people[0].user, person=people[0])
    client = client_for(liaison)
    page = client.get(reverse("privacy:register")).content.decode()
    assert 'data-total-valid="1"' in page and 'data-total-missing="100"' in page
    assert page.count("data-row=") == 100 and "Page 1 of 2" in page
    assert f"{tree.a.name} · {tree.a1.name}" in page
    none = client.get(reverse("privacy:register"), {"status": "withdrawn"}).content.decode()
    assert "Nobody in the chosen scope has withdrawn consent." in none


def test_the_privacy_tabs_mark_the_current_page_and_an_empty_receipt_list_has_no_download(tree, office):
    page = client_for(office).get(reverse("privacy:receipts")).content.decode()
    assert f'href="{reverse("privacy:receipts")}" aria-current="page"' in page
    assert "?format=xlsx" not in page and "02:40" in page


def test_the_paper_form_offers_today_as_a_date_the_date_input_accepts(tree, notice, liaison):
    employee(tree.a1)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(liaison)
    page = client.get(reverse("privacy:paper")).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert 'class="check-line"' in page  # each consent box beside its words, in the house form markup
