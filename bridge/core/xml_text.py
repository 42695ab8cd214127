"""Text for the XML documents the bridge writes: the privacy register's XLSX and the PTS DOCX.

Contract: :func:`xml_text` returns its argument with each character XML 1.0 cannot hold (its
``Char`` production) replaced by U+FFFD, the replacement character, and every other character
kept, so the result has the same length. Those characters are the C0 control characters other
than tab, line feed and carriage return (the ones openpyxl's ``ILLEGAL_CHARACTERS_RE`` lists),
U+FFFE, U+FFFF and surrogate code points (in a ``str``, lone surrogates: the UTF-8 encoder
refuses them). openpyxl and lxml (python-docx) refuse a document holding any of them; an alert's
annotations are stored as sent and may. Pure: no I/O.
"""

from __future__ import annotations

import re

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with each character XML 1.0 cannot hold shown as U+FFFD (see the module)."""
    return _NOT_XML.sub(REPLACEMENT, text)
