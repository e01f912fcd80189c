"""Uploaded files: spreadsheets checked before anything parses them, then read as rows; photos
checked and stored as a clean copy (:func:`clean_photo`).

Every import reads its file through here, so the defences live in one place:

* the size is checked against ``settings.LIANFANG_MAX_UPLOAD_BYTES`` before the bytes are looked at;
* the type is decided by the content, not the file name (an .xlsx is a zip, an old .xls or an
  encrypted workbook is an OLE container, a CSV is text);
* an .xlsx is inspected with :mod:`zipfile` *before* openpyxl opens it: member count, declared
  uncompressed sizes and compression ratios. The declared sizes can be trusted as upper bounds
  because :class:`zipfile.ZipExtFile` stops at a member's declared size (and then fails its CRC
  check), so a member that lies about its size cannot expand beyond what was checked here;
* CSV text is accepted as UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text")
  or GB18030, the superset of the GBK that Chinese Excel uses for "CSV (comma delimited)".

XML inside a workbook is parsed by the standard library's C parser (see :func:`_fast_xml`), which
is markedly faster than the pure-Python parser defusedxml plugs into openpyxl. It is as safe here:
every XML member is refused if its prolog declares a DTD (so there are no entities to expand and no
external references), and expat (>= 2.4.1) has its own limits on entity amplification besides.
docs/adr/0005-spreadsheet-parsing.md has the measurements and the reasoning.

Messages are for the person who uploaded the file, so they say what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

SpreadsheetKind = Literal["xlsx", "csv"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and .xlsx files saved with a password
_OTHER_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"MZ")

# An .xlsx has a dozen members; thousands of them are a way to exhaust the reader.
MAX_ZIP_MEMBERS = 1000
# Spreadsheet XML deflates 5–20 times (measured on Excel, WPS and openpyxl files, see
# docs/benchmarks.md); a zip bomb deflates 1,000 times and more. Small members (styles, themes) may
# compress well without mattering, so the ratio is only checked on members above 1 MB.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_ABOVE_BYTES = 1024 * 1024
# An XML prolog (declaration, comments) is a few hundred bytes; the root element must start in this.
MAX_PROLOG_BYTES = 64 * 1024
_ROOT_START = re.compile(rb"<(?![?!])")


def max_upload_bytes() -> int:
    return int(settings.LIANFANG_MAX_UPLOAD_BYTES)


def max_expanded_bytes() -> int:
    """The most an .xlsx may expand to: by default 16 times the upload limit (480 MB for 30 MB).

    A legitimate workbook at the upload limit expands to about 8 times its size.
    """
    return int(getattr(settings, "LIANFANG_MAX_XLSX_EXPANDED_BYTES", 16 * max_upload_bytes()))


def _reject(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def check_size(size: int) -> None:
    """Refuse an empty or oversized upload; called before the bytes are read where possible."""
    if size <= 0:
        raise _reject(
            _("The file is empty. Fill in at least one row under the header row, or choose the right file."), "empty"
        )
    limit = max_upload_bytes()
    if size > limit:
        raise _reject(
            _("The file is %(size)s; files up to %(limit)s can be imported. Split it into smaller files.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            "too_large",
        )


def check_spreadsheet(*, file_name: str, data: bytes) -> SpreadsheetKind:
    """Decide whether ``data`` is an .xlsx or a CSV file, and refuse anything else or anything unsafe."""
    check_size(len(data))
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if data.startswith(_ZIP_MAGIC):
        # A renamed .xlsx is still a workbook: the content decides, not the name.
        check_xlsx_archive(data)
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        raise _reject(
            _(
                "This is an old-format Excel file (.xls) or a workbook protected by a password. "
                "Open it in Excel, remove any password and save it as “Excel Workbook (.xlsx)”."
            ),
            "old_excel",
        )
    if suffix in ("xlsx", "xlsm") or data.startswith(_OTHER_MAGIC):
        raise _not_a_spreadsheet()
    if suffix not in ("csv", "txt"):
        raise _reject(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."), "file_type")
    decode_text(data)  # refuses binary data and unknown encodings
    return "csv"


def _not_a_spreadsheet() -> ValidationError:
    return _reject(
        _("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
        "not_spreadsheet",
    )


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a zip that is not a workbook, is encrypted, or would expand too far (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _not_a_spreadsheet() from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_a_spreadsheet()
    too_big = _reject(
        _(
            "This workbook expands to far more data than a roster holds, so it was not opened. "
            "Save it again from Excel, or split it into smaller files."
        ),
        "zip_bomb",
    )
    if len(members) > MAX_ZIP_MEMBERS:
        raise too_big
    expanded = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise _reject(_("The workbook is encrypted; remove the password and save it again."), "encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _not_a_spreadsheet()
        expanded += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_ABOVE_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise too_big
    if expanded > max_expanded_bytes():
        raise too_big
    for member in members:
        if not member.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            has_dtd = _declares_dtd(archive, member)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error):
            raise _not_a_spreadsheet() from None
        if has_dtd:
            raise _reject(
                _(
                    "This workbook contains XML that Excel does not write (a document type declaration), so it was "
                    "not opened. Open the file in Excel or WPS and save it again as .xlsx."
                ),
                "xml_dtd",
            )


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Does the XML member declare a DTD? A DTD can only appear in the prolog, before the root
    element, so reading up to the root's start tag is enough (a bounded read of one member)."""
    with archive.open(member) as stream:
        head = stream.read(MAX_PROLOG_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    elif head.startswith((b"<\x00", b"\x00<")):
        # UTF-16 without a byte-order mark: expat recognises it by these first bytes (XML 1.0,
        # appendix F), so a DTD written in it would otherwise slip past the byte search below.
        encoding = "utf-16-le" if head.startswith(b"<") else "utf-16-be"
        head = head.decode(encoding, errors="ignore").encode("utf-8")
    root = _ROOT_START.search(head)
    if root is None:
        return bool(head.strip())  # no element within the limit: not the XML Excel writes
    return b"<!DOCTYPE" in head[: root.start()] or b"<!ENTITY" in head[: root.start()]


def decode_text(data: bytes) -> str:
    """The text of a CSV file in whichever encoding Excel or WPS saved it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data[:8192]:
        raise _not_a_spreadsheet()
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise _not_a_spreadsheet()
        return text
    raise _reject(
        _("The text of this CSV file could not be read. Save it from Excel as “CSV UTF-8 (comma delimited)”."),
        "encoding",
    )


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n\x0c")
    return controls > max(8, len(sample) // 1000)


@dataclass
class SheetRows:
    """The rows of the first worksheet (or of a CSV file) as tuples of cell values.

    ``total`` is the number of rows including headers when the file says so up front (Excel records
    a sheet's dimension; CSV lines are counted), else ``None``.
    """

    rows: Iterator[tuple[Any, ...]]
    total: int | None
    # The worksheet read ("" for a CSV file): the first visible one that has data, said in the result.
    sheet: str = ""


class UnreadableFile(ValidationError):
    """The file passed the checks but the reader failed on it (a damaged or hand-made file)."""


@contextmanager
def open_rows(*, kind: SpreadsheetKind, data: bytes) -> Iterator[SheetRows]:
    """Stream the rows of a checked file: openpyxl in read-only mode, or the csv module.

    Reader failures surface as :class:`UnreadableFile` whenever they happen, including halfway
    through the rows, so callers report them like any other problem with the file.
    """
    if kind == "csv":
        text = decode_text(data)
        yield SheetRows(rows=_guard(_csv_rows(text), kind), total=text.count("\n") + 1)
        return
    from openpyxl import load_workbook

    _fast_xml()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises anything from KeyError to ParseError on a damaged file
        raise _unreadable(kind) from None
    try:
        if not workbook.worksheets:
            raise _unreadable(kind)
        sheet = _first_sheet_with_data(workbook, kind)
        total = sheet.max_row
        # Read-only openpyxl stops at the dimension the file declares; some tools write a wrong one
        # ("A1"), which would silently drop rows. Count it for progress only and read every row.
        sheet.reset_dimensions()
        yield SheetRows(rows=_guard(sheet.iter_rows(values_only=True), kind), total=total, sheet=sheet.title)
    finally:
        workbook.close()


def _first_sheet_with_data(workbook, kind: SpreadsheetKind):
    """The first visible worksheet that has a value in any cell: a hidden sheet (a lookup list, an
    old version) or an empty "cover" sheet before the data is passed over. When no visible sheet
    has data, the first visible one, so the caller reports the file as empty."""
    visible = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if not visible:
        return workbook.worksheets[0]
    for ws in visible:
        ws.reset_dimensions()
        for row in _guard(ws.iter_rows(values_only=True), kind):
            if any(value is not None and str(value).strip() for value in row):
                return ws
    return visible[0]


_fast_xml_lock = threading.Lock()
_fast_xml_done = False


def _fast_xml() -> None:
    """Let openpyxl stream worksheets and shared strings with the C ElementTree parser.

    With defusedxml installed, openpyxl parses everything with defusedxml's pure-Python parser, the
    largest single cost of reading a 100,000-row roster. Worksheets and the shared-string table
    are the bulk of a workbook, and every workbook Lianfang reads has passed
    :func:`check_xlsx_archive`, which refuses XML that declares a DTD, the precondition of the
    attacks defusedxml guards against. The small parts (workbook, styles) keep defusedxml.

    Skipped when the expat library predates its own entity-amplification limits (2.4.1).
    """
    global _fast_xml_done
    if _fast_xml_done:
        return
    with _fast_xml_lock:
        import pyexpat
        from xml.etree.ElementTree import iterparse

        from openpyxl.reader import strings
        from openpyxl.worksheet import _reader

        if pyexpat.version_info >= (2, 4, 1):
            # Module globals looked up at call time; if openpyxl moves them, this changes nothing.
            for module in (_reader, strings):
                if hasattr(module, "iterparse"):
                    module.iterparse = iterparse
        _fast_xml_done = True


def _unreadable(kind: str) -> UnreadableFile:
    if kind == "csv":
        message = _("The CSV file could not be read. Save it from Excel as “CSV UTF-8 (comma delimited)”.")
    else:
        message = _("The workbook could not be read; it may be damaged. Open it in Excel and save it again.")
    return UnreadableFile(message, code="unreadable")


def _guard(rows: Iterator[tuple[Any, ...]], kind: str) -> Iterator[tuple[Any, ...]]:
    try:
        yield from rows
    except ValidationError:
        raise
    except Exception:
        raise _unreadable(kind) from None


def _csv_rows(text: str) -> Iterator[tuple[str, ...]]:
    first_line = text[: text.find("\n")] if "\n" in text else text
    # Excel writes commas, "Unicode text" writes tabs, some European locales write semicolons.
    delimiter = max((",", "\t", ";"), key=first_line.count)
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield tuple(row)


# --- Photos -----------------------------------------------------------------------------------------
#
# A photo taken as evidence (a disinfection round) comes from a phone's camera: a JPEG, PNG or WebP of
# a few megabytes (a browser sends an iPhone's HEIC photo as a JPEG). It is refused before it is stored
# when it is too large or is not an image, and what is stored is a copy Pillow wrote itself: a JPEG of
# at most ``PHOTO_MAX_SIDE`` pixels a side, without the original's metadata (EXIF carries where the
# photo was taken, whereabouts under PIPL, and the phone's serial number) and without anything appended
# to the image data (a polyglot file).

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
PHOTO_MAX_SIDE = 1600
# A phone camera takes 12 to 50 megapixels; a "photo" of more is a decompression bomb in the making.
PHOTO_MAX_PIXELS = 64_000_000


def max_photo_bytes() -> int:
    return int(getattr(settings, "LIANFANG_MAX_PHOTO_BYTES", 10 * 1024 * 1024))


def check_photo(upload: Any) -> None:
    """Refuse an empty or oversized upload, or one that is not a photo, before anything is stored.

    ``upload`` is a Django ``UploadedFile`` (or any file object with ``size``, ``read`` and ``seek``).
    The size is checked before a byte is read; the type by the content (the name and the browser's
    content type are the sender's word); the image is then opened by Pillow and its pixel count
    checked before it is decoded.
    """
    _check_photo_size(upload)
    _open_photo(upload)  # not closed: Pillow would close the upload with it


def _check_photo_size(upload: Any) -> None:
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise _reject(_("The photo is empty. Take the photo again."), "empty")
    limit = max_photo_bytes()
    if size > limit:
        raise _reject(
            _("The photo is %(size)s; photos up to %(limit)s are accepted. Take it again at a lower resolution.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            "too_large",
        )


def _not_a_photo() -> ValidationError:
    return _reject(_("This file is not a photo. Upload a JPEG, PNG or WebP image."), "not_image")


def _open_photo(upload: Any):
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if not head.startswith(_IMAGE_MAGIC) or (head.startswith(b"RIFF") and head[8:12] != b"WEBP"):
        raise _not_a_photo()
    try:
        image = Image.open(upload)
        width, height = image.size
        if width * height > PHOTO_MAX_PIXELS:
            raise _reject(
                _("The photo has too many pixels (%(width)d × %(height)d). Take it again at a lower resolution.")
                % {"width": width, "height": height},
                "too_many_pixels",
            )
        image.verify()  # reads the whole file: a truncated or damaged image fails here
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_a_photo() from None
    upload.seek(0)
    return Image.open(upload)  # ``verify`` leaves the image unusable: open it again to decode


def clean_photo(upload: Any, *, name: str = "photo") -> Any:
    """The checked photo as a new JPEG (a Django ``ContentFile`` named ``<name>.jpg``): turned upright
    as the camera held it, at most ``PHOTO_MAX_SIDE`` pixels a side, without metadata."""
    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps

    _check_photo_size(upload)
    try:
        image = _open_photo(upload)
        image = ImageOps.exif_transpose(image) or image
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_a_photo() from None
    return ContentFile(out.getvalue(), name=f"{name}.jpg")
