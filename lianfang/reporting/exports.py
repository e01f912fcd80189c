"""The bulletin as files: an .xlsx workbook and a PDF with its Chinese fonts embedded.

Both are made from the bulletin's stored figures (``Bulletin.data``), so a download of a published
bulletin always matches what was published. Every download writes an audit event (``export``).

The PDF is the print view (``reporting/bulletin_print.html``) rendered by WeasyPrint, which
embeds (subsets of) the system's Noto Sans CJK fonts; the charts in it are small SVGs drawn here,
because the browser charts (ECharts) need JavaScript. Why WeasyPrint: docs/adr/0006-pdf-and-charts.md.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_bytes, xlsx_response
from lianfang.core.extensions import bulletin_sections
from lianfang.core.models import AuditKind
from lianfang.reporting.choices import BulletinStatus, RaisedKind, RaisedStatus, Timeliness
from lianfang.reporting.models import Bulletin
from lianfang.reporting.selectors import dashboard
from lianfang.reporting.selectors.bulletins import trend_days

PDF_CONTENT_TYPE = "application/pdf"


def _file_stem(bulletin: Bulletin) -> str:
    return f"bulletin-{bulletin.date.isoformat()}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


# --- xlsx ---------------------------------------------------------------------------------------


def xlsx_sheets(bulletin: Bulletin) -> list[Sheet]:
    """Summary, per-unit table, unit reports and raised items, as the bulletin page shows them."""
    data: dict[str, Any] = bulletin.data or {}
    totals = data.get("totals") or {}
    reports = data.get("reports") or {}
    cases = data.get("cases") or {}
    timeliness = dict(Timeliness.choices)
    status = dict(BulletinStatus.choices)

    summary_rows: list[list[Any]] = [
        [_("Date"), bulletin.date],
        [_("Status"), str(status.get(bulletin.status, bulletin.status))],
        [_("Published"), bulletin.published_at],
        [_("Figures as of"), bulletin.built_at],
        [_("Summary"), bulletin.summary],
        [_("People expected to check in"), totals.get("expected")],
        [_("People checked in"), totals.get("reported")],
        [_("Check-in completion (%)"), totals.get("completion")],
        [_("Units at or above the target"), totals.get("units_reached")],
        [_("Units with people"), totals.get("units_with_people")],
        [_("Fever"), totals.get("fever")],
        [_("Flagged"), totals.get("flagged")],
        [_("Units expected to report"), reports.get("expected")],
        [_("Reports on time"), reports.get("timely")],
        [_("Reports late"), reports.get("late")],
        [_("Reports missing"), reports.get("missing")],
        [_("Zero reports"), reports.get("zero")],
        [_("New suspected cases"), cases.get("new_suspected")],
        [_("New confirmed cases"), cases.get("new_confirmed")],
        [_("New asymptomatic infections"), cases.get("new_asymptomatic")],
        [_("Under home isolation"), cases.get("home_isolation")],
        [_("Under centralised isolation"), cases.get("central_isolation")],
        [_("Close contacts"), cases.get("close_contacts")],
        [_("Late units"), "、".join(u["name"] for u in data.get("late_units") or [])],
        [_("Missing units"), "、".join(u["name"] for u in data.get("missing_units") or [])],
    ]
    summary_rows += [[_("Practice worth sharing"), f"{p['unit']}：{p['text']}"] for p in data.get("practices") or []]
    stored = data.get("sections") or {}
    for key, section in bulletin_sections.items():
        if key in stored:
            summary_rows += section.rows(stored[key])

    unit_rows = [
        [
            r["code"],
            r["name"] + (" " + _("(own staff)") if r.get("own_staff") else ""),
            r["expected"],
            r["reported"],
            r["completion"],
            r["fever"],
            r["flagged"],
            r["reports"]["timely"],
            r["reports"]["late"],
            r["reports"]["missing"],
            r["reports"]["zero"],
        ]
        for r in data.get("rows") or []
    ]
    report_rows = [
        [
            u["code"],
            u["name"],
            str(timeliness.get(u["status"], u["status"])),
            _("Yes") if u["zero"] else "",
            u["submitted_at"] or "",
            u.get("expected_people"),
            u.get("reported_people"),
            u.get("completion"),
        ]
        for u in data.get("report_units") or []
    ]
    kinds, states = dict(RaisedKind.choices), dict(RaisedStatus.choices)
    raised_rows = [
        [
            i["code"],
            i["unit"],
            str(kinds.get(i["kind"], i["kind"])),
            i["text"],
            i["routed_to"],
            str(states.get(i["status"], i["status"])),
        ]
        for i in data.get("raised") or []
    ]
    return [
        Sheet(
            title=_("Summary"),
            headers=[pgettext("summary", "Item"), pgettext("summary", "Value")],
            rows=summary_rows,
            widths=(32, 80),
        ),
        Sheet(
            title=_("Units"),
            headers=[
                _("Code"),
                _("Unit"),
                _("Expected"),
                _("Checked in"),
                _("Completion (%)"),
                _("Fever"),
                _("Flagged"),
                _("Reports on time"),
                _("Reports late"),
                _("Reports missing"),
                _("Zero reports"),
            ],
            rows=unit_rows,
            widths=(10, 28, 10, 10, 14, 8, 8, 12, 12, 12, 12),
        ),
        Sheet(
            title=_("Unit reports"),
            headers=[
                _("Code"),
                _("Unit"),
                pgettext("unit report", "Report"),
                _("Zero report"),
                _("Submitted"),
                _("Expected"),
                _("Checked in"),
                _("Completion (%)"),
            ],
            rows=report_rows,
            widths=(10, 28, 10, 10, 18, 10, 10, 14),
        ),
        Sheet(
            title=_("Raised items"),
            headers=[_("Code"), _("Unit"), _("Kind"), _("What was raised"), _("Routed to"), _("Status")],
            rows=raised_rows,
            widths=(10, 24, 18, 60, 24, 12),
        ),
    ]


def bulletin_xlsx(bulletin: Bulletin) -> bytes:
    return xlsx_bytes(xlsx_sheets(bulletin))


def xlsx_download(*, actor, bulletin: Bulletin) -> FileResponse:
    content = bulletin_xlsx(bulletin)
    record_event(
        kind=AuditKind.EXPORT,
        actor=actor,
        unit=bulletin.unit,
        object_repr=_("Daily bulletin %(date)s") % {"date": bulletin.date.isoformat()},
        what="bulletin",
        format="xlsx",
        bulletin=bulletin.pk,
    )
    return xlsx_response(content, file_name=f"{_file_stem(bulletin)}.xlsx")


# --- charts for print ---------------------------------------------------------------------------


def svg_line_chart(
    points: list[dict[str, Any]], key: str, *, label: str, max_value: float | None = None, width: int = 520
) -> SafeString:
    """A small line chart as inline SVG for the print view and the PDF (no JavaScript there).

    Days without a value (None) break the line instead of dropping to zero.
    """
    height, pad_left, pad_bottom, pad_top = 140, 36, 20, 10
    values = [p.get(key) for p in points]
    known = [v for v in values if v is not None]
    top = max_value if max_value is not None else max([*known, 1])
    top = top or 1
    n = max(len(points) - 1, 1)
    inner_w, inner_h = width - pad_left - 8, height - pad_top - pad_bottom

    def xy(i: int, v: float) -> str:
        return f"{pad_left + inner_w * i / n:.1f},{pad_top + inner_h * (1 - v / top):.1f}"

    segments: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(xy(i, v))
    lines = format_html_join(
        "",
        '<polyline fill="none" stroke="#1f6fb2" stroke-width="2" points="{}"/>',
        ((" ".join(s),) for s in segments if s),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2" fill="#1f6fb2"/>',
        (tuple(xy(i, v).split(",")) for i, v in enumerate(values) if v is not None),
    )
    first = points[0]["date"][5:] if points else ""
    last = points[-1]["date"][5:] if points else ""
    top_label = f"{top:g}"
    return format_html(
        '<svg class="chart" role="img" aria-label="{label}" width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<line x1="{pl}" y1="{pt}" x2="{pl}" y2="{base}" stroke="#9aa5b1"/>'
        '<line x1="{pl}" y1="{base}" x2="{right}" y2="{base}" stroke="#9aa5b1"/>'
        '<text x="{tx}" y="{ty}" font-size="9" text-anchor="end">{top}</text>'
        '<text x="{tx}" y="{base}" font-size="9" text-anchor="end">0</text>'
        '<text x="{pl}" y="{dy}" font-size="9">{first}</text>'
        '<text x="{right}" y="{dy}" font-size="9" text-anchor="end">{last}</text>'
        "{lines}{dots}</svg>",
        label=label,
        w=width,
        h=height,
        pl=pad_left,
        pt=pad_top,
        base=pad_top + inner_h,
        right=pad_left + inner_w,
        tx=pad_left - 4,
        ty=pad_top + 8,
        top=top_label,
        dy=height - 4,
        first=first,
        last=last,
        lines=lines,
        dots=dots,
    )


def print_charts(trend: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "title": _("Check-in completion (%)"),
            "svg": svg_line_chart(trend, "completion", label=_("Check-in completion (%)"), max_value=100),
        },
        {"title": _("People with a fever"), "svg": svg_line_chart(trend, "fever", label=_("People with a fever"))},
        {
            "title": _("Reports on time (%)"),
            "svg": svg_line_chart(trend, "timely_rate", label=_("Reports on time (%)"), max_value=100),
        },
    ]


def shown_sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The cards of the apps above (duty, urgent matters…) the bulletin has figures for, labelled in
    the reader's language. A bulletin built before an app was installed has no figures for it."""
    stored = data.get("sections") or {}
    return [
        {"key": key, "title": section.title, "template": section.template, "data": section.present(stored[key])}
        for key, section in bulletin_sections.items()
        if key in stored
    ]


def display_context(bulletin: Bulletin) -> dict[str, Any]:
    """What the detail page, the print view and the PDF show: the stored figures, labelled."""
    data = dict(bulletin.data or {})
    timeliness, kinds, states = dict(Timeliness.choices), dict(RaisedKind.choices), dict(RaisedStatus.choices)
    # Labels in the reader's language; the stored snapshot keeps the codes.
    data["report_units"] = [
        {**u, "status_label": timeliness.get(u["status"], u["status"])} for u in data.get("report_units") or []
    ]
    data["raised"] = [
        {**i, "kind_label": kinds.get(i["kind"], i["kind"]), "status_label": states.get(i["status"], i["status"])}
        for i in data.get("raised") or []
    ]
    trend14, trend30 = trend_days(data, 14), trend_days(data, 30)
    return {
        "bulletin": bulletin,
        "data": data,
        "sections": shown_sections(data),
        "trend14": trend14,
        "trend30": trend30,
        "charts14": dashboard.chart_specs(trend14, period=14),
        "charts30": dashboard.chart_specs(trend30, period=30),
        "print_charts": print_charts(trend30),
    }


# --- PDF ----------------------------------------------------------------------------------------


def bulletin_pdf(bulletin: Bulletin, *, base_url: str | None = None) -> bytes:
    """The print view as a PDF. Fonts come from the system (fonts-noto-cjk) and are embedded."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string("reporting/bulletin_print.html", {**display_context(bulletin), "for_pdf": True})
    # The document is ours, but it carries text units typed (practices, raised items): nothing in it
    # may make the server fetch a URL or read a local file. Only inline data: URIs are allowed.
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def pdf_download(*, actor, bulletin: Bulletin, base_url: str | None = None) -> HttpResponse:
    content = bulletin_pdf(bulletin, base_url=base_url)
    record_event(
        kind=AuditKind.EXPORT,
        actor=actor,
        unit=bulletin.unit,
        object_repr=_("Daily bulletin %(date)s") % {"date": bulletin.date.isoformat()},
        what="bulletin",
        format="pdf",
        bulletin=bulletin.pk,
    )
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_file_stem(bulletin)}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
