"""Words that mean two things carry a context, so that the Chinese cannot be written for the other one.

A bare msgid has one translation for every place it is used. "From" is a date on a filter and the
sending unit on a transfer note; "Ship" is a vessel in a trip and a button on a transfer; "Left" is an
employment status and the money still to pass on. Without a context the printed transfer note read
开始日期 / 结束日期 for its units and 轮船 on its ship button. docs/glossary.md holds the words; this
test extracts the messages afresh from a copy of the source (as tests/test_translations.py does) and
fails when a word of AMBIGUOUS is used without a context, naming where.
"""

import shutil
from pathlib import Path

import polib
import pytest

from tests.test_translations import _extract

CATALOGUE = Path(__file__).resolve().parent.parent / "lianfang" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Short English words with more than one meaning in an office's Chinese. Use each with a context:
# pgettext("transfer", "From") in Python, {% translate "From" context "date range" %} in templates.
AMBIGUOUS = frozenset(
    {
        "Approved",  # a spending's status 已批准 / a transfer step 批准
        "Balance",  # the ledger's 结存 / a fund's 余额
        "Case",  # a case 病例 / an instance
        "Category",  # a person's 人员类别 / an item's 物资类别
        "category",
        "Change",  # a change-log entry 变更记录 / a button 切换 / to edit 修改
        "Contact",  # a close contact 接触者 / a contact person 联系人
        "Contacts",  # a case's close contacts 接触者 / a unit's contact people 负责人与联络人 / care contacts 联系记录
        "Covered",  # a request 已落实
        "Decided",  # when a spending was decided
        "From",  # a date range 开始日期 / a sending unit 调出单位
        "from",  # the same, as a model field's name (the change log and the API show it)
        "Item",  # a catalogue item 物资 / a line of a summary 项目
        "Items",
        "Keep",
        "Left",  # employment status 离职 / money still to pass on 待转交
        "Level",  # stock level / risk level
        "Lines",
        "Name",  # a person's 姓名 / a unit's, robot's or rule's 名称
        "Number",  # a document number 单号 / a question's answer kind 数字
        "Offer",  # a button / an offer of surplus stock
        "Open",  # a status 待处理 / a link 查看
        "Order",  # a sort order 排序 / an isolation order 隔离通知
        "Person",  # a column 人员 / a section of facts
        "Receive",  # a transfer's 收货 / stock's 入库
        "Received",  # a donation 收到 / a transfer 已收货 / a quantity 实收数量
        "Record",  # a button 登记 / a record
        "Report",  # a unit report 日报 / a statistics report
        "Run",
        "Ship",  # a transfer's 发货 / a means of transport 轮船
        "To",  # a date range 结束日期 / a receiving unit 调入单位 / a recipient 接收方
        "to",
        "Type",
        "Waiting",  # a job 排队中 / a delivery 待发送 / a spending 待审批
    }
)

# Paths whose words have not been reviewed yet (none: every app's words carry their contexts).
_NOT_YET_REVIEWED: tuple[str, ...] = ()

# Chinese that a word in this context must never be translated with: the other meaning's words
# (docs/glossary.md, the "never" notes). Checked in the repository's catalogue, entries in use only.
WRONG_MEANINGS = {
    ("transfer", "From"): ("开始", "日期"),
    ("transfer", "To"): ("结束", "日期"),
    ("transfer", "Ship"): ("船",),
    ("transfer", "Number"): ("数字",),
    ("transfer date", "Proposed"): ("待",),
    ("material", "Item"): ("项目", "人员"),
    ("material", "Items"): ("项目", "人员"),
    ("material", "Category"): ("人员",),
    ("collection", "Left"): ("离职",),
    ("recipient", "To"): ("结束", "日期"),
    ("money", "To"): ("结束", "日期"),
    ("column", "Person"): ("信息",),
    ("unit", "Name"): ("姓名",),
    ("robot", "Name"): ("姓名",),
    ("rule", "Name"): ("姓名",),
    ("person", "Category"): ("物资",),
    ("employment status", "Left"): ("剩", "余"),
}


def bare_uses(catalogue: polib.POFile) -> list[str]:
    """Where a word of AMBIGUOUS is used without a context, as "'From' at cases/forms.py:364"."""
    found = []
    for entry in catalogue:
        if entry.msgctxt or entry.obsolete or entry.msgid not in AMBIGUOUS:
            continue
        for path, line in entry.occurrences:
            if not path.startswith(_NOT_YET_REVIEWED):
                found.append(f"{entry.msgid!r} at {path}:{line}")
    return found


def wrong_meanings(catalogue: polib.POFile) -> list[str]:
    """Translations in use (not fuzzy, not obsolete) that carry a word of the other meaning."""
    found = []
    for entry in catalogue.translated_entries():
        if any(wrong in entry.msgstr for wrong in WRONG_MEANINGS.get((entry.msgctxt, entry.msgid), ())):
            found.append(f"({entry.msgctxt!r}, {entry.msgid!r}) reads {entry.msgstr!r}")
    return found


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_no_ambiguous_word_is_used_without_a_context(tmp_path):
    found = bare_uses(_extract(tmp_path))
    assert not found, (
        f"{len(found)} uses of an ambiguous word have no context (pgettext / translate … context …); "
        f"see docs/glossary.md: {found}"
    )


def test_the_chinese_catalogue_never_gives_a_word_its_other_meaning():
    found = wrong_meanings(polib.pofile(str(CATALOGUE)))
    assert not found, f"translated for the other meaning (docs/glossary.md): {found}"


def _catalogue(*entries: polib.POEntry) -> polib.POFile:
    catalogue = polib.POFile()
    catalogue.extend(entries)
    return catalogue


def test_a_bare_ambiguous_word_is_named_with_the_place_it_is_used():
    catalogue = _catalogue(
        polib.POEntry(msgid="From", msgstr="", occurrences=[("status/templates/status/history.html", "26")]),
        polib.POEntry(msgid="From", msgctxt="date range", msgstr="", occurrences=[("core/forms.py", "100")]),
        polib.POEntry(msgid="Fever", msgstr="", occurrences=[("health/choices.py", "6")]),
    )
    assert bare_uses(catalogue) == ["'From' at status/templates/status/history.html:26"]


def test_a_bare_use_is_reported_in_every_app_with_where_it_is():
    catalogue = _catalogue(
        polib.POEntry(
            msgid="Ship",
            msgstr="",
            occurrences=[("materials/templates/materials/transfers/x.html", "3"), ("health/choices.py", "62")],
        )
    )
    assert bare_uses(catalogue) == [
        "'Ship' at materials/templates/materials/transfers/x.html:3",
        "'Ship' at health/choices.py:62",
    ]


def test_a_transfer_note_labelled_with_dates_is_caught():
    catalogue = _catalogue(
        polib.POEntry(msgid="From", msgctxt="transfer", msgstr="开始日期"),
        polib.POEntry(msgid="From", msgctxt="transfer", msgstr="开始日期", flags=["fuzzy"]),
        polib.POEntry(msgid="From", msgctxt="date range", msgstr="开始日期"),
        polib.POEntry(msgid="Ship", msgctxt="transfer", msgstr="发货"),
    )
    assert wrong_meanings(catalogue) == ["('transfer', 'From') reads '开始日期'"]
