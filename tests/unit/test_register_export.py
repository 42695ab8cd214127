"""The register's files (bridge.privacy.register_export): an XLSX holds any text a case may hold,
characters a worksheet cannot take shown as U+FFFD, formulas still shown as text."""

from __future__ import annotations

import io

import openpyxl

from bridge.core.register import COLUMNS
from bridge.privacy.register_export import to_csv, to_xlsx

FFFD = "\N{REPLACEMENT CHARACTER}"


def cells(xlsx: bytes) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book.active is not None
    return list(book.active.iter_rows(values_only=True))


def test_the_xlsx_takes_control_characters_and_shows_them_as_the_replacement_character() -> None:
    """C0 control characters (but tab, line feed, carriage return), U+FFFE, U+FFFF and a lone
    surrogate become U+FFFD; the rest of the text, line breaks and tabs stay."""
    texts = [
        "Anna Svensson\x0b0701234567",
        "\x00nul \x08bs \x0cff \x1besc \x1fus",
        "non\ufffechar\uffff",
        "lone \ud800 surrogate",
        "line\nbreak\r\nand\ttab",
        "\x0b=HYPERLINK(1)",
    ]
    row = [*texts, *[""] * (len(COLUMNS) - len(texts))]
    header, written = cells(to_xlsx([row]))
    assert header == COLUMNS
    assert list(written[: len(texts)]) == [
        f"Anna Svensson{FFFD}0701234567",
        f"{FFFD}nul {FFFD}bs {FFFD}ff {FFFD}esc {FFFD}us",
        f"non{FFFD}char{FFFD}",
        f"lone {FFFD} surrogate",
        "line\nbreak\r\nand\ttab",
        f"{FFFD}=HYPERLINK(1)",
    ]


def test_formulas_are_still_text_and_the_csv_keeps_every_character() -> None:
    """The formula guard holds in both files; the CSV keeps a control character as stored."""
    row = ["=1+1", "a\x0bb", *[""] * (len(COLUMNS) - 2)]
    assert cells(to_xlsx([row]))[1][:2] == ("'=1+1", f"a{FFFD}b")
    text = to_csv([row]).decode("utf-8-sig")
    assert "'=1+1,a\x0bb," in text


def test_the_xlsx_names_the_operator_and_no_library_and_carries_no_build_time() -> None:
    """Read back: the author is the operator's name (empty when none), the title the
    register's, created and modified one fixed time as every ZIP member's, and no part names
    openpyxl (its creator and "Microsoft Excel Compatible / Openpyxl" application were there,
    and the save's time made two exports of the same rows differ)."""
    import zipfile
    from datetime import datetime

    for author in ("Exempel Nät AB", ""):
        body = to_xlsx([], author=author)
        props = openpyxl.load_workbook(io.BytesIO(body)).properties
        # openpyxl reads a workbook without an author as its own ("openpyxl"): the XML says
        assert props.creator == (author or "openpyxl")
        assert props.title == "Förteckning över integritetsincidenter"
        fixed = datetime(2000, 1, 1)  # noqa: DTZ001 (openpyxl reads them naive, in UTC)
        assert props.created == props.modified == fixed
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
            meta = z.read("docProps/core.xml") + z.read("docProps/app.xml")
        assert b"penpyxl" not in meta and b"Microsoft" not in meta
        assert (b"<dc:creator>" in meta) == bool(author)
