"""The privacy register (:mod:`bridge.core.register`) as CSV and as XLSX (openpyxl).

Both start with the header row :data:`bridge.core.register.COLUMNS`. A cell starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` so a spreadsheet shows
it as text instead of running it as a formula (free text in a case is untrusted). The CSV keeps
every character as stored. A worksheet cannot hold the characters XML 1.0 cannot (the C0
control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF and lone
surrogates): free text from an alert may hold them, and the XLSX shows each as U+FFFD, the
replacement character, instead of failing (:func:`bridge.core.xml_text.xml_text`). The XLSX's
properties name the operator as author and the register as title, at a fixed time, and nothing
of openpyxl (:func:`bridge.core.office_files.finished`), so its bytes depend on the rows and the
author only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from bridge.core import office_files
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


#: the XLSX's title
TITLE = "Förteckning över integritetsincidenter"


def to_xlsx(rows: Sequence[Sequence[str]], author: str = "") -> bytes:
    """The register as a workbook; ``author``: the operator's name (none when empty)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Förteckning"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([safe(xml_text(c)) for c in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return office_files.finished(out.getvalue(), TITLE, author)
