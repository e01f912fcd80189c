"""Bulletin pages and downloads: what the office and leaders see, the permission matrix, the files."""

from __future__ import annotations

import io
import re
import zlib

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.reporting.choices import BulletinStatus
from lianfang.reporting.models import Bulletin
from lianfang.reporting.services import bulletins as bulletin_services
from lianfang.reporting.tests.test_bulletin import DAY, make_group
from lianfang.testing import ALL_ROLES, user_with_role


@pytest.fixture(autouse=True)
def _in_english():
    """These tests read the English wording of messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def bulletin(tree, office) -> Bulletin:
    make_group(tree)
    bulletin = bulletin_services.bulletin_build(actor=office, day=DAY)
    return bulletin_services.bulletin_update_summary(actor=office, bulletin=bulletin, summary="今日总体平稳。")


def signed_in(client, user, english: bool = True):
    client.force_login(user)
    if english:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def state(bulletin: Bulletin) -> tuple:
    b = Bulletin.objects.get(pk=bulletin.pk)
    changes = ObjectChange.objects.filter(object_id=b.pk, content_type__model="bulletin").count()
    return (b.status, b.summary, b.data, b.built_at, changes, Message.objects.count())


# --- what people see ----------------------------------------------------------------------------


def test_the_office_sees_the_draft_with_its_figures_and_actions(client, bulletin, office):
    page = signed_in(client, office).get(reverse("reporting:bulletin-detail", args=[bulletin.pk])).content.decode()

    assert 'data-total="completion">83.3%' in page
    assert re.search(r'data-unit="B">\s*<th scope="row">乙公司', page)
    assert 'data-action="publish"' in page and 'data-action="rebuild"' in page
    assert 'data-list="missing"><li data-unit="B">乙公司</li>' in page
    assert "急需口罩 2000 只" in page and "错峰就餐" in page
    # Charts: ECharts only on this page, each chart with its table.
    assert "vendor/echarts/echarts.min.js" in page
    assert 'data-chart-table="completion-14"' in page and 'data-chart-table="timely_rate-30"' in page
    assert 'id="trend-14" type="application/json"' in page


def test_the_dashboard_and_other_pages_do_not_load_echarts(client, tree, office):
    page = signed_in(client, office).get(reverse("reporting:bulletin-list")).content.decode()

    assert "echarts" not in page


def test_the_office_publishes_and_the_leader_reads_it_without_actions(client, bulletin, office, tree):
    leader = user_with_role(Role.LEADER, tree.group, "leader")
    signed_in(client, office).post(reverse("reporting:bulletin-publish", args=[bulletin.pk]))

    page = signed_in(client, leader).get(reverse("reporting:bulletin-detail", args=[bulletin.pk])).content.decode()

    assert 'data-status="published"' in page
    assert "今日总体平稳。" in page
    assert 'data-action="publish"' not in page and 'data-action="reopen"' not in page
    assert 'data-action="pdf"' in page
    assert Message.objects.get(recipient=leader).url == reverse("reporting:bulletin-detail", args=[bulletin.pk])


def test_the_build_button_creates_todays_draft(client, tree, office):
    response = signed_in(client, office).post(reverse("reporting:bulletin-build"))

    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bulletins/{bulletin.pk}/")
    assert bulletin.status == BulletinStatus.DRAFT


def test_rebuilding_a_published_bulletin_says_to_reopen_it_first(client, bulletin, office):
    bulletin_services.bulletin_publish(actor=office, bulletin=bulletin)
    before = state(bulletin)

    response = signed_in(client, office).post(reverse("reporting:bulletin-rebuild", args=[bulletin.pk]), follow=True)

    assert "Re-open it for correction" in response.content.decode()
    assert state(bulletin) == before


def test_the_office_reopens_a_published_bulletin_with_a_reason(client, bulletin, office):
    bulletin_services.bulletin_publish(actor=office, bulletin=bulletin)

    signed_in(client, office).post(reverse("reporting:bulletin-reopen", args=[bulletin.pk]), {"reason": "乙公司补报"})

    assert Bulletin.objects.get(pk=bulletin.pk).status == BulletinStatus.DRAFT


def test_the_print_view_uses_the_cjk_font_and_draws_charts_without_javascript(client, bulletin, office):
    page = signed_in(client, office).get(reverse("reporting:bulletin-print", args=[bulletin.pk])).content.decode()

    assert '"Noto Sans CJK SC"' in page
    assert page.count("<svg") == 3
    assert "<script" not in page


# --- the files ----------------------------------------------------------------------------------


def test_the_xlsx_has_the_summary_units_reports_and_raised_items(client, bulletin, office):
    from openpyxl import load_workbook

    response = signed_in(client, office).get(reverse("reporting:bulletin-export", args=[bulletin.pk, "xlsx"]))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('bulletin-2026-02-16.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Summary", "Units", "Unit reports", "Raised items"]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Check-in completion (%)"] == 83.3
    assert summary["Summary"] == "今日总体平稳。"
    assert summary["Missing units"] == "乙公司"
    units = [row for row in book["Units"].iter_rows(min_row=2, values_only=True)]
    assert [r[:5] for r in units] == [
        ("G", "联防集团 (own staff)", 2, 2, 100.0),
        ("A", "甲公司", 40, 35, 87.5),
        ("B", "乙公司", 20, 14, 70.0),
        ("C", "丙公司", 4, 4, 100.0),
    ]
    reports = {r[0]: r[2:4] for r in book["Unit reports"].iter_rows(min_row=2, values_only=True)}
    assert reports == {"A": ("On time", "Yes"), "B": ("Missing", None), "C": ("Late", None)}
    raised = list(book["Raised items"].iter_rows(min_row=2, values_only=True))
    assert raised == [("C", "丙公司", "Material need", "急需口罩 2000 只", "乙公司", "Open")]
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=office, detail__format="xlsx").exists()


def test_text_typed_by_units_is_escaped_in_the_xlsx(client, tree, office):
    group = make_group(tree)
    group.raised.text = '=HYPERLINK("http://evil","x")'
    group.raised.save()
    bulletin = bulletin_services.bulletin_build(actor=office, day=DAY)
    from openpyxl import load_workbook

    from lianfang.reporting.exports import bulletin_xlsx

    book = load_workbook(io.BytesIO(bulletin_xlsx(bulletin)))
    assert book["Raised items"]["D2"].value.startswith("'=")


def test_the_pdf_embeds_a_chinese_font(client, bulletin, office):
    response = signed_in(client, office).get(reverse("reporting:bulletin-export", args=[bulletin.pk, "pdf"]))

    content = response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=office, detail__format="pdf").exists()
    try:
        from pypdf import PdfReader
    except ImportError:  # pypdf is optional: the decompressed objects tell the same
        objects = inflated(content)
        assert b"/FontFile" in objects and b"Noto-Sans-CJK-SC" in objects
        return
    fonts = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    fonts.add(str(font["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in name for name in fonts), fonts


def inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams included) inflated, to search for names."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(parts)


def test_the_raw_pdf_names_an_embedded_cjk_font_even_without_pypdf(bulletin):
    from lianfang.reporting.exports import bulletin_pdf

    objects = inflated(bulletin_pdf(bulletin))

    assert b"/FontFile3" in objects and b"Noto-Sans-CJK-SC" in objects


# --- permissions --------------------------------------------------------------------------------

HOLDERS = ["group", "a"]  # a role on the group covers the bulletin; a role on subsidiary A does not


def _expect(role: str, holder: str) -> tuple[bool, bool]:
    on_group = holder == "group"
    return (on_group and role in (Role.GROUP_ADMIN, Role.LEADER), on_group and role == Role.GROUP_ADMIN)


@pytest.mark.parametrize("holder", HOLDERS)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_bulletin_page_obeys_the_scope_and_the_role(client, tree, bulletin, role, holder):
    user = user_with_role(role, getattr(tree, holder))
    can_view, can_change = _expect(role, holder)
    signed_in(client, user)
    before = state(bulletin)
    pk = bulletin.pk

    for name, args in [
        ("bulletin-detail", [pk]),
        ("bulletin-print", [pk]),
        ("bulletin-export", [pk, "xlsx"]),
        ("bulletin-export", [pk, "pdf"]),
    ]:
        assert client.get(reverse(f"reporting:{name}", args=args)).status_code == (200 if can_view else 404), name
    for name, data in [
        ("bulletin-summary", {"summary": "改过"}),
        ("bulletin-rebuild", {}),
        ("bulletin-reopen", {"reason": "x"}),
        ("bulletin-publish", {}),
    ]:
        status = client.post(reverse(f"reporting:{name}", args=[pk]), data).status_code
        assert status == (302 if can_change else 403 if can_view else 404), name
        if not can_change:
            assert state(bulletin) == before
    assert client.post(reverse("reporting:bulletin-build")).status_code == (302 if can_change else 403)
    if not can_change:
        assert state(bulletin) == before and Bulletin.objects.count() == 1


def test_a_liaison_cannot_open_the_bulletin_list(client, tree, bulletin):
    signed_in(client, user_with_role(Role.UNIT_ADMIN, tree.a1))

    assert client.get(reverse("reporting:bulletin-list")).status_code == 403


def test_the_list_shows_the_bulletins_to_the_leader(client, tree, bulletin):
    page = signed_in(client, user_with_role(Role.LEADER, tree.group)).get(reverse("reporting:bulletin-list"))

    assert f'data-row="{bulletin.pk}"' in page.content.decode()
