"""No full ID number or phone reaches a viewer who may not unmask it (issue 11, "Tests and figures").

A crawler (marked ``crawl``; it runs in the normal suite, about a minute on SQLite). The demo group
is loaded once for the module; each demo persona is signed in (``force_login``: two-factor sign-in
is off in tests) and reads, breadth-first from the home page, the Manage hub and every page of the
URL conf that takes no argument, every same-site link and HTMX fragment (``href``, ``hx-get``) it
is shown — a few addresses per route, so a list's first details but not all of them, at most
``MAX_PAGES`` — with every export those pages link to (.xlsx read cell by cell, .csv as text, a PDF
as the HTML it is made of: no PDF text extractor is installed, so WeasyPrint is stood in for), then
every GET endpoint of the OpenAPI schema: each list's first page, the first object's detail and the
detail actions under it (the reveal with each field it takes, the bulletin export).

Each answer is scanned for mainland ID numbers (17 digits and a check character, with a valid
ISO 7064 checksum, so that long numeric ids do not count) and mobile numbers (``1[3-9]`` and nine
digits, not inside a longer run of digits or letters, so that hashes and tokens do not count). A
full value is allowed only where the persona may see it:

- their own record, and the invented examples of the roster template;
- a value held by a person, a unit's contacts or a case/contact of a unit where the persona's role
  allows ``unmask`` (lianfang/org/roles.py). The leader, duty officer, checkpoint staff, inspector,
  materials keeper and employee hold it nowhere, so they may see no full number but their own; the
  group office, the liaison (her company) and the case manager (two companies) none outside their
  subtree.

For the personas who may unmask, a person's full number (not a unit's contact phone, a work number
shown to be called: docs/api.md, "ID numbers and phones") must come with an ``unmask`` audit event
written by the same request. A ``tel:`` link must carry a full number (a masked one cannot be
dialled). Failures are listed as (persona, address, the value masked, the text around it).

Result when it was written, after the API probe's fixes of issue 11 (unit contact phones in
``units/``, the non-reporters' phones, ``reports/status/``): 0 full numbers shown to a persona who
may not see them, over 180–370 addresses per persona (also with limits ten times higher), and every
full person number an unmasking persona saw was audited (reveal, export, non-reporter list). Made
to show the unit page's and the API's contact phones to everyone, it reports 110 numbers for the
leader alone.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.core.scoping import Action
from lianfang.demo import loader as demo
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths
from lianfang.people.models import Person

pytestmark = pytest.mark.crawl

PERSONAS = [p.username for p in demo.PERSONAS]
MAX_PAGES = 400  # per persona, pages and exports together
PER_ROUTE = 2  # distinct addresses per (route, query keys): a list's first details, not all of them
PER_VIEW = 4  # per route, whatever the query
PER_EXPORT = 1  # an export is read cell by cell (2,000 people): one of each (a filter does not unmask)
UNMASK_LABELS = ("people.person", "cases.case", "cases.contact")

LINK = re.compile(r'(?:href|hx-get)="([^"]+)"')
TEL = re.compile(r'href="tel:([^"]*)"')
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")
# Not content: static files, signing out, switching language, the Django admin, the API's own pages
# (the API is read from the schema instead).
SKIP = re.compile(r"^/(static|media|i18n|admin)/|^/(accounts/)?logout|^/login/|^/api/")
# Invented examples printed on purpose: the roster template's sample row and the phone format hint.
EXAMPLES = {"11010519491231002X", "13812345678"}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def _id_number_valid(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], WEIGHTS, strict=True))
    return CHECK[total % 11] == value[17].upper()


def full_numbers(text: str) -> list[re.Match]:
    """Every full ID number (checksum valid) and mobile number in the text."""
    found = [m for m in ID_NUMBER.finditer(text) if _id_number_valid(m.group(1))]
    return found + list(MOBILE.finditer(text))


def _masked(value: str) -> str:
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


@dataclass(frozen=True)
class Leak:
    persona: str
    url: str
    value: str  # masked, so that the report itself leaks nothing
    context: str

    def __str__(self) -> str:
        return f"{self.persona}  {self.url}  {self.value}  …{self.context}…"


@dataclass
class Owners:
    """Every ID number and phone the database holds → the paths of the units it belongs to."""

    paths: dict[str, set[str]] = field(default_factory=dict)
    unit_contacts: set[str] = field(default_factory=set)  # work numbers shown to be called, not audited

    def add(self, value: str | None, path: str) -> None:
        if value:
            self.paths.setdefault(value.strip().upper(), set()).add(path)


def _owners() -> Owners:
    from lianfang.cases.models import Case, Contact

    owners = Owners()
    for person in Person.objects.select_related("unit"):
        owners.add(person.phone, person.unit.path)
        owners.add(person.id_number, person.unit.path)
    for unit in Unit.objects.all():
        for phone in (unit.person_in_charge_phone, unit.liaison_phone):
            owners.add(phone, unit.path)
            if phone:
                owners.unit_contacts.add(phone.strip())
    for model in (Case, Contact):
        for row in model.objects.exclude(external_phone="").select_related("unit"):
            owners.add(row.external_phone, row.unit.path)
    return owners


@pytest.fixture(scope="module")
def demo_owners(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo.load()
        yield _owners()
        transaction.set_rollback(True)


@dataclass
class Crawl:
    persona: str
    owners: Owners
    own: set[str]
    unmask: tuple[str, ...]  # paths where the persona may unmask
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: Counter = field(default_factory=Counter)  # answers read, by kind: html, json, xlsx, csv, pdf
    leaks: list[Leak] = field(default_factory=list)

    def allowed(self, value: str) -> bool:
        value = value.upper()
        if value in self.own or value in EXAMPLES:
            return True
        return bool(self.unmask) and any(p.startswith(self.unmask) for p in self.owners.paths.get(value, ()))

    def scan(self, url: str, text: str, *, audited: bool) -> None:
        for match in full_numbers(text):
            value = match.group(1)
            if not self.allowed(value):
                self._leak(url, text, match, "")
            elif not audited and value.upper() not in self.own | EXAMPLES and value not in self.owners.unit_contacts:
                self._leak(url, text, match, "shown in full without an unmask audit event: ")
        for tel in TEL.findall(text):
            if "*" in tel or not tel.strip():
                self.leaks.append(Leak(self.persona, url, tel, "a tel: link without a full number to dial"))

    def _leak(self, url: str, text: str, match: re.Match, why: str) -> None:
        start, end = match.span(1)
        context = text[max(start - 60, 0) : start] + _masked(match.group(1)) + text[end : end + 20]
        self.leaks.append(Leak(self.persona, url, _masked(match.group(1)), why + " ".join(context.split())))


def _body_text(response) -> str | None:
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
        )
    if "csv" in kind:
        return "\n".join("\t".join(row) for row in csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    if "pdf" in kind or kind.startswith(("image/", "font/")):  # a PDF: its HTML source, see _read
        return None
    return body.decode("utf-8", errors="replace")


def _last_unmask() -> int:
    return AuditEvent.objects.filter(kind=AuditKind.UNMASK).order_by("-pk").values_list("pk", flat=True).first() or 0


class _PdfSource:
    """Stands in for ``weasyprint.HTML``: keeps the HTML a PDF would be made of, so that it can be
    scanned (no PDF text extractor is installed), and makes a one-line PDF (fast)."""

    rendered: list[str] = []

    def __init__(self, *, string: str = "", **_kwargs) -> None:
        self.rendered.append(string)

    def write_pdf(self, *_args, **_kwargs) -> bytes:
        return b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def pdf_source(monkeypatch):
    weasyprint = pytest.importorskip("weasyprint")
    monkeypatch.setattr(weasyprint, "HTML", _PdfSource)
    _PdfSource.rendered = []
    return _PdfSource


def _read(client: Client, crawl: Crawl, url: str):
    """GET the address and scan the answer: the response and its text ("" when not read)."""
    before = _last_unmask()
    _PdfSource.rendered = []
    response = client.get(url, HTTP_ACCEPT="text/html, application/json;q=0.9, */*;q=0.8")
    crawl.statuses[url] = response.status_code
    text = (_body_text(response) or "") if response.status_code == 200 else ""
    if response.status_code == 200 and "pdf" in response.get("Content-Type", ""):
        text = "\n".join(_PdfSource.rendered)
    if text:
        crawl.scan(url, text, audited=_last_unmask() != before)
        kind = response.get("Content-Type", "")
        crawl.kinds[next((k for k in ("html", "json", "spreadsheetml", "csv", "pdf") if k in kind), kind)] += 1
    return response, text


def _pages_without_arguments() -> list[str]:
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and not p.pattern.regex.groups and "^" not in str(p.pattern):
                found.append("/" + prefix + str(p.pattern).rstrip("$"))

    walk(get_resolver(), "")
    return [u for u in found if not SKIP.search(u)]


def _route_key(url: str) -> tuple[str, tuple[str, ...]] | None:
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.view_name, tuple(sorted({k for k, _v in parse_qsl(parts.query)} - {"page"}))


def _crawl_pages(client: Client, crawl: Crawl) -> None:
    # The home page and the Manage hub first, then every page that takes no argument, so that a page
    # no menu links to yet is read too.
    queue = deque(dict.fromkeys(["/", "/manage/", *_pages_without_arguments()]))
    seen = set(queue)
    per_route: Counter = Counter()
    per_view: Counter = Counter()
    while queue and len(crawl.statuses) < MAX_PAGES:
        url = queue.popleft()
        response, text = _read(client, crawl, url)
        if response.status_code in (301, 302, 303):
            links = [response["Location"]]
        elif "html" in response.get("Content-Type", ""):
            links = [html.unescape(link) for link in LINK.findall(text)]
        else:
            continue
        for link in links:
            link = link.split("#")[0]
            if link.startswith("?"):
                link = url.split("?")[0] + link
            if not link.startswith("/") or link.startswith("//") or link in seen or SKIP.search(link):
                continue
            seen.add(link)
            key = _route_key(link)
            if key is None or per_route[key] >= PER_ROUTE:
                continue
            if per_view[key[0]] >= (PER_EXPORT if "export" in key[0] else PER_VIEW):
                continue
            per_route[key] += 1
            per_view[key[0]] += 1
            queue.append(link)


_SCHEMA_GETS: list[tuple[str, dict]] = []


def _schema_gets() -> list[tuple[str, dict]]:
    if not _SCHEMA_GETS:
        from drf_spectacular.generators import SchemaGenerator

        schema = SchemaGenerator().get_schema(request=None, public=True)
        _SCHEMA_GETS.extend((path, ops["get"]) for path, ops in schema["paths"].items() if "get" in ops)
    return _SCHEMA_GETS


def _detail_urls(path: str, operation: dict, first_id: str) -> list[str]:
    """The detail (action) address for the first object, once per value of a required query parameter."""
    names = re.findall(r"\{(\w+)\}", path)
    url = path.replace("{" + names[0] + "}", first_id, 1)
    parameters = operation.get("parameters", [])
    for name in names[1:]:  # a format: the first the schema allows, or .xlsx
        enum = next((p["schema"].get("enum") for p in parameters if p["name"] == name and p["in"] == "path"), None)
        url = url.replace("{" + name + "}", str(enum[0]) if enum else "xlsx")
    required = [p for p in parameters if p.get("required") and p["in"] == "query" and p["schema"].get("enum")]
    if not required:
        return [url]
    return [f"{url}?{p['name']}={value}" for p in required for value in p["schema"]["enum"]]


def _crawl_api(client: Client, crawl: Crawl) -> None:
    first_ids: dict[str, str] = {}
    for path, _operation in _schema_gets():
        if "{" in path:
            continue
        response, text = _read(client, crawl, path)
        if text and response.get("Content-Type", "").startswith("application/json"):
            data = json.loads(text)
            rows = data.get("results") if isinstance(data, dict) else data
            if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "id" in rows[0]:
                first_ids[path] = str(rows[0]["id"])
    for path, operation in _schema_gets():
        prefix = path.split("{", 1)[0]
        if "{" in path and prefix in first_ids:
            for url in _detail_urls(path, operation, first_ids[prefix]):
                _read(client, crawl, url)


def test_the_scan_finds_full_numbers_and_ignores_masked_values_ids_and_hashes():
    text = (
        "<td>138****5678</td><td>610502********1234</td> id 12345678901234567 ean 4006381333931 "
        "hash d67bae5da4c9fb4107c56d0523370645c3f80c6b24f18012341626d83f tel:13912345678 "
        '"id_number": "11010519491231002X" bad 110105194912310021'
    )
    assert [m.group(1) for m in full_numbers(text)] == ["11010519491231002X", "13912345678"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_api_answer_or_export_shows_a_full_number_the_persona_may_not_see(demo_owners, pdf_source, persona):
    user = get_user_model().objects.get(username=persona)
    own = Person.objects.filter(user=user).first()
    crawl = Crawl(
        persona=persona,
        owners=demo_owners,
        own={v.strip().upper() for v in (own.phone, own.id_number) if v} if own else set(),
        unmask=tuple({p for label in UNMASK_LABELS for p in allowed_paths(user, label, Action.UNMASK)}),
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(user)

    _crawl_pages(client, crawl)
    _crawl_api(client, crawl)

    read = sum(1 for status in crawl.statuses.values() if status == 200)
    assert read >= 60, f"{persona} read only {read} pages and answers: the crawl did not get far"
    if persona == "admin":  # the office reaches every kind of answer: the scan reads each of them
        assert {"html", "json", "spreadsheetml", "csv", "pdf"} <= set(crawl.kinds), crawl.kinds
    report = "\n".join(str(leak) for leak in crawl.leaks[:60])
    assert crawl.leaks == [], f"{len(crawl.leaks)} full numbers shown to {persona}:\n{report}"
