"""The privacy register (:mod:`bridge.core.register`) as CSV and as XLSX (openpyxl).

Both start with the header row :data:`bridge.core.register.COLUMNS`. A cell starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` so a spreadsheet shows
it as text instead of running it as a formula (free text in a case is untrusted). The CSV keeps
every character as stored. A worksheet cannot hold the characters XML 1.0 cannot (the C0
control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF and lone
surrogates): free text from an alert may hold them, and the XLSX shows each as U+FFFD, the
replacement character, instead of failing (:func:`bridge.core.xml_text.xml_text`). The XLSX
has fixed document properties, so its bytes depend on the rows only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime

from openpyxl import Workbook

from bridge.core.register import COLUMNS
from bridge.core.xml_text import xml_text

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def to_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheets then read åäö right), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe(c) for c in row])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[Sequence[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Förteckning"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([safe(xml_text(c)) for c in row])
    sheet.freeze_panes = "A2"
    fixed = datetime(2000, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    book.properties.created = book.properties.modified = fixed
    book.properties.title = "Förteckning över integritetsincidenter"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
