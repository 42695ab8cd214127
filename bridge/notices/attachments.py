"""Documents attached to notices: for PTS, the report as a Word document (DOCX) whose sections
follow the e-service's questions, ready to upload or to paste from; for any other report that
goes by a regulator's portal (the CSIRT's), the approved version as an HTML document to keep,
upload or paste from.

Why DOCX (python-docx): PTS's e-service takes the report as form answers plus attachments, and
compliance staff often amend the document before uploading; DOCX is editable, handles Swedish
text without font files, and python-docx is well kept. The document's text depends only on the
approved version and the operator, so a resend carries the same bytes; its properties name the
operator and the report, never the library or its template (:mod:`bridge.core.office_files`).
Characters XML 1.0 cannot hold (C0 control characters but tab, line feed and carriage return;
U+FFFE, U+FFFF, lone surrogates), which an alert's annotations may bring, show as U+FFFD in the
document (:func:`bridge.core.xml_text.xml_text`); python-docx would refuse them.
"""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import docx

from bridge.core import office_files
from bridge.core.casework import PORTAL, Draft, Version
from bridge.core.drafts import LABELS, PLACEHOLDERS, TITLES, Sender
from bridge.core.xml_text import xml_text

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment_for(draft: Draft, version: Version, sender: Sender) -> tuple[str, str, bytes] | None:
    """``(file name, MIME type, bytes)`` of the document a draft carries, or None."""
    if draft.regulator != "pts" and draft.channel == PORTAL:
        reference = version.fields.get("reference") or draft.incident_id
        name = file_name(f"{draft.kind.replace('_', '-')}-{reference}.html")
        return name, "text/html", version.html.encode("utf-8")
    if draft.regulator != "pts" or draft.kind == "subscriber_notice":
        return None  # a subscriber notice goes to subscribers, not to PTS's e-service
    reference = version.fields.get("reference") or draft.incident_id
    name = file_name(f"PTS-{draft.kind.replace('_', '-')}-{reference}.docx")
    return name, DOCX_MIME, pts_document(draft, version, sender.of("SE"))


_NOT_IN_A_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029/\\"]+')


def file_name(name: str) -> str:
    """A file name safe in any header: no control characters, line breaks, path separators or
    quotes (each run becomes ``-``); at most 200 characters. The MIME part still quotes it
    per RFC 2045/2231 (the e-mail library does), and :func:`content_disposition` per RFC 6266."""
    return _NOT_IN_A_NAME.sub("-", name).strip()[:200] or "attachment"


def content_disposition(name: str) -> str:
    """``attachment`` with ``name`` as an RFC 6266 header: an ASCII ``filename`` (quoted, non-ASCII
    as ``_``) and the exact name as ``filename*`` (RFC 8187 UTF-8, percent-encoded)."""
    safe = file_name(name)
    ascii_name = "".join(c if " " <= c < "\x7f" else "_" for c in safe)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe, safe='')}"


def pts_document(draft: Draft, version: Version, sender: Sender) -> bytes:
    """The PTS report as a Word document; its properties name the provider registered in
    Sweden as author (none when it has no name) and the report as title, nothing of the
    library (:func:`bridge.core.office_files.finished`)."""
    document = docx.Document()
    document.add_heading(TITLES[draft.kind], level=1)
    if version.repealed:  # owed to no regulator: said first, above everything, as in the text
        document.add_paragraph().add_run(xml_text(version.repealed)).bold = True
    document.add_paragraph(
        xml_text(
            f"Operatör: {sender.name} (org.nr {sender.org_number})\n"
            f"Referensnummer: {version.fields.get('reference', '')}"
        )
    )
    if version.reference_note:  # the other references it now covers (a merge)
        document.add_paragraph(xml_text(version.reference_note))
    labels = LABELS["sv"]
    for key, value in version.fields.items():
        document.add_heading(xml_text(labels.get(key, key)), level=2)
        # replaced before the split: a vertical tab or form feed shows as U+FFFD, as in the XLSX
        for line in xml_text(value or PLACEHOLDERS["sv"]).splitlines() or [""]:
            document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return office_files.finished(out.getvalue(), TITLES[draft.kind], sender.name)
