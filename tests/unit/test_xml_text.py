"""The one rule for text in the XML documents the bridge writes (bridge.core.xml_text): each
character outside XML 1.0's ``Char`` production becomes U+FFFD, every other character stays."""

from __future__ import annotations

import ast
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from bridge.core.xml_text import REPLACEMENT, xml_text

#: XML 1.0 (Fifth Edition) §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
#: | [#x10000-#x10FFFF]
XML_CHAR = (
    (0x9, 0x9),
    (0xA, 0xA),
    (0xD, 0xD),
    (0x20, 0xD7FF),
    (0xE000, 0xFFFD),
    (0x10000, 0x10FFFF),
)


def is_xml_char(code: int) -> bool:
    return any(low <= code <= high for low, high in XML_CHAR)


def test_exactly_the_characters_xml_cannot_hold_become_the_replacement_character() -> None:
    text = "".join(map(chr, range(0x110000)))
    shown = xml_text(text)
    assert len(shown) == len(text)
    wrong = [
        hex(code)
        for code, (before, after) in enumerate(zip(text, shown, strict=True))
        if after != (before if is_xml_char(code) else REPLACEMENT)
    ]
    assert wrong == []


def test_what_openpyxl_refuses_is_replaced() -> None:
    """The XLSX export relies on it: every character openpyxl refuses in a cell is replaced."""
    refused = [chr(c) for c in range(0x110000) if ILLEGAL_CHARACTERS_RE.match(chr(c))]
    assert refused and all(xml_text(c) == REPLACEMENT for c in refused)


def test_text_without_such_characters_is_unchanged() -> None:
    text = "Strömavbrott i Östersund\r\n\tDEL \x7f, NEL \x85, emoji 😀, U+FFFD \ufffd"
    assert xml_text(text) == text


#: The libraries that write Office Open XML documents (python-docx, openpyxl): they refuse a
#: character XML cannot hold, so text reaches them only through xml_text.
DOCUMENT_LIBRARIES = ("docx", "openpyxl")
BRIDGE = Path(__file__).resolve().parents[2] / "bridge"


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def test_every_module_that_writes_an_office_document_goes_through_xml_text() -> None:
    """Each module of the bridge that imports python-docx or openpyxl (today the PTS document,
    bridge/notices/attachments.py, and the privacy register's XLSX,
    bridge/privacy/register_export.py) imports xml_text and calls it: a new export path cannot
    forget it, and a control character in people's text or an alert's annotation never makes a
    document fail to build or open."""
    writers = {}
    for path in sorted(BRIDGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _imports(tree)
        if any(name.split(".")[0] in DOCUMENT_LIBRARIES for name in imported):
            calls = [
                node
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "xml_text"
            ]
            writers[path.relative_to(BRIDGE).as_posix()] = (
                "bridge.core.xml_text.xml_text" in imported and len(calls) > 0
            )
    assert writers == {"notices/attachments.py": True, "privacy/register_export.py": True}
