"""Generate a unit tree and an N-row roster .xlsx with valid data, for the import benchmark.

The tree is a pure description (codes, names, kinds, parents), so the same codes can be written into
the file here and created in a benchmark database by ``bench_import.py``. Data are deterministic for
a given seed, so runs are comparable.

    .venv/bin/python bench/generate_roster.py --rows 100000 --out /tmp/roster-100000.xlsx
"""

from __future__ import annotations

import argparse
import datetime
import random
import re
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

HEADERS = [
    "姓名",
    "性别",
    "工号",
    "身份证号",
    "手机号",
    "单位编码",
    "人员类别",
    "标签",
    "在职状态",
    "去向类别",
    "返回地",
    "返回日期",
    "预计返回日期",
]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宇浩凯鹏飞晨雪琳欣怡子涵"
_REGIONS = ["610502", "610503", "610521", "330302", "330303", "420102", "420103", "110105", "370202"]
_CITIES = ["西安", "杭州", "武汉", "北京", "青岛", "上海", "广州", "成都"]
_CATEGORIES = ["正式员工"] * 14 + ["临时工", "劳务派遣", "外包", "家属"] * 1
_TAGS = ["", "", "", "", "党员", "一线", "党员、一线", "志愿者", "境外"]


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    parent: str | None


def tree_spec(subsidiaries: int = 12, departments: int = 6, sites: int = 3) -> list[UnitSpec]:
    """A group with subsidiaries, departments under each and sites under each department (parents first)."""
    units = [UnitSpec("BG", "基准集团", "group", None)]
    site_kinds = ["heat-station", "community", "office"]
    for s in range(1, subsidiaries + 1):
        sub = f"BS{s:02d}"
        units.append(UnitSpec(sub, f"基准第{s}公司", "subsidiary", "BG"))
        for d in range(1, departments + 1):
            dep = f"{sub}-D{d:02d}"
            units.append(UnitSpec(dep, f"基准第{s}公司{d}部", "department", sub))
            for t in range(1, sites + 1):
                units.append(UnitSpec(f"{dep}-S{t}", f"基准第{s}公司{d}部{t}号场所", site_kinds[t % 3], dep))
    return units


def id_number(rng: random.Random, n: int) -> str:
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 40 * 365))
    first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{n % 1000:03d}"
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]
    return first17 + check


def roster_rows(rows: int, unit_codes: list[str], seed: int = 2020):
    """Rows of valid roster data, as the cells of the template (dates as real dates)."""
    rng = random.Random(seed)
    base = datetime.date(2022, 1, 20)
    for n in range(rows):
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.6 else "")
        roll = rng.random()
        if roll < 0.7:
            whereabouts, returned_from, returned_on, expected = "留守本地", "", None, None
        elif roll < 0.9:
            whereabouts, returned_from = "外地返回", rng.choice(_CITIES)
            returned_on, expected = base + datetime.timedelta(days=rng.randrange(0, 30)), None
        else:
            whereabouts, returned_from, returned_on = "尚未返回", rng.choice(_CITIES), None
            expected = base + datetime.timedelta(days=rng.randrange(30, 60))
        yield [
            name,
            rng.choice("男女"),
            f"BE{n + 1:07d}",
            id_number(rng, n),
            f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}",
            rng.choice(unit_codes),
            rng.choice(_CATEGORIES),
            rng.choice(_TAGS),
            "在职" if rng.random() < 0.97 else "休假",
            whereabouts,
            returned_from,
            returned_on,
            expected,
        ]


def write_roster(path: Path, rows: int, unit_codes: list[str], seed: int = 2020, excel_like: bool = True) -> Path:
    """Write the roster with dates as date cells and ID numbers and phones as text.

    With ``excel_like`` the file is then rewritten the way Excel saves it (see :func:`make_excel_like`).
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(HEADERS)
    for values in roster_rows(rows, unit_codes, seed):
        row = []
        for value in values:
            if isinstance(value, datetime.date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    if excel_like:
        make_excel_like(path, rows=rows + 1, columns=len(HEADERS))
    return path


_INLINE_CELL = re.compile(rb'<c r="([A-Z]+\d+)" t="inlineStr"(?: />|><is><t>(.*?)</t></is></c>)')


def make_excel_like(path: Path, *, rows: int, columns: int) -> None:
    """Rewrite a streamed (write-only) workbook the way Excel and WPS save one.

    openpyxl's write-only mode stores strings inline, writes empty cells and omits the sheet's
    ``<dimension>``; Excel keeps strings in a shared table, leaves empty cells out and records the
    dimension. Readers behave differently on the two (without a dimension openpyxl reads the whole
    sheet twice), so the benchmark measures what users actually upload.
    """
    strings: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        text = match.group(2)
        if text is None:
            return b""
        index = strings.setdefault(text, len(strings))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), index)

    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    sheet = _INLINE_CELL.sub(shared, members["xl/worksheets/sheet1.xml"])
    last = f"{chr(ord('A') + columns - 1)}{rows}".encode()
    sheet = sheet.replace(b"</sheetPr>", b'</sheetPr><dimension ref="A1:%s" />' % last, 1)
    members["xl/worksheets/sheet1.xml"] = sheet
    table = [b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n']
    table.append(
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        % (len(strings), len(strings))
    )
    table.extend(b"<si><t>%s</t></si>" % text for text in strings)
    table.append(b"</sst>")
    members["xl/sharedStrings.xml"] = b"".join(table)
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)


def default_path(rows: int, seed: int = 2020) -> Path:
    """Where generated files are kept between runs (generating 100,000 rows takes ~10 s)."""
    return Path(tempfile.gettempdir()) / "lianfang-bench" / f"roster-{rows}-{seed}.xlsx"


def leaf_codes(units: list[UnitSpec]) -> list[str]:
    """People sit in departments and sites, as in a real roster."""
    return [u.code for u in units if u.kind not in ("group", "subsidiary")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--streamed", action="store_true", help="keep openpyxl's write-only layout (no Excel rewrite)")
    args = parser.parse_args()
    out = args.out or default_path(args.rows, args.seed)
    started = time.perf_counter()
    write_roster(out, args.rows, leaf_codes(tree_spec()), args.seed, excel_like=not args.streamed)
    size = out.stat().st_size / 1e6
    print(f"wrote {args.rows} rows to {out} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
