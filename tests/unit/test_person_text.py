"""The characters a person's text may not hold (bridge/core/person_text.py): it reaches a
regulator as typed, so an escape sequence, a NUL or a bidirectional override would too."""

from __future__ import annotations

import pytest

from bridge.core.person_text import (
    BIDI,
    LINES,
    MAX_REFERENCE,
    clean_text,
    cleaned,
    problem,
    refused,
)
from bridge.errors import BadInput


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ok\x00", (2, "\x00")),  # C0
        ("\x1b[31mred", (0, "\x1b")),
        ("a\x7fb", (1, "\x7f")),  # DEL
        ("a\x85b", (1, "\x85")),  # C1: next line
        ("a\x9bb", (1, "\x9b")),  # C1: control sequence introducer
        ("2026/\u202e9990", (5, "\u202e")),  # right-to-left override
        ("a\u2066b", (1, "\u2066")),  # left-to-right isolate
        ("a\ud800b", (1, "\ud800")),  # lone surrogate
        ("one\nline", (3, "\n")),  # nothing kept: one line
    ],
)
def test_what_is_refused(text: str, found: tuple[int, str]) -> None:
    assert refused(text) == found
    assert refused(text, formats=False) == found  # refused in prose as well


def test_what_a_text_of_lines_keeps_and_what_only_short_texts_refuse() -> None:
    assert refused("a\nb\tc", "\n\t") is None
    assert refused("a\r\nb", "\n\t") == (1, "\r")
    assert refused("a\r\nb", "\n\r\t") is None
    # format characters other than the bidirectional controls: refused in short texts only
    for c in ("\u00ad", "\u200b", "\u200d", "\ufeff", "\u200e"):
        assert refused(f"a{c}b") == (1, c)
        assert refused(f"a{c}b", formats=False) is None
    assert all(refused(c, formats=False) == (0, c) for c in BIDI)
    # letters of any script, and the punctuation references hold, are text
    assert refused("Sak 2026/04117-2 Østersund Ärende «ref» – ok") is None


def test_the_problem_names_the_character_and_where_never_the_text() -> None:
    assert problem((3, "\x1b")) == "control character U+001B (character 4) is not allowed"
    assert problem((0, "\u202e")) == "bidirectional control U+202E (character 1) is not allowed"
    assert problem((1, "\u200b")) == "format character U+200B (character 2) is not allowed"
    assert problem((1, "\ud800")) == "lone surrogate U+D800 (character 2) is not allowed"


def test_clean_text_strips_bounds_and_names_the_field() -> None:
    assert clean_text("  2026/0999 ", "reference", MAX_REFERENCE, one_line=True) == "2026/0999"
    assert clean_text("a\n\tb", "text", 10, one_line=False) == "a\n\tb"
    for value, expected in (
        ("a\nb", "control character U+000A"),
        ("x" * 101, "at most 100 characters, got 101"),
        (7, "expected text, got int"),
    ):
        with pytest.raises(BadInput) as err:
            clean_text(value, "reference", MAX_REFERENCE, one_line=True)
        assert err.value.field == "reference" and expected in str(err.value)


def test_cleaned_drops_what_a_person_s_text_may_not_hold_and_keeps_lines() -> None:
    """Text the bridge did not get from a person, where it enters a notice or a title: the
    characters :func:`refused` finds are dropped (line feed and tab kept unless told),
    letters of any script stay (homoglyphs are letters)."""
    assert cleaned("a\x00b\x1b[2J\x07c\u200bd\u2066e\u202ef\n\tg") == "ab[2Jcdef\n\tg"
    assert cleaned("a\x0bb\x0cc\x85d\r\ne\rf") == "a b c d\ne f"  # what separates, spaced
    assert cleaned("a\nb\tc", kept="") == "a b c"
    assert cleaned("Оslo Ærø") == "Оslo Ærø"
    assert cleaned("x\u00ady", formats=False) == "x\u00ady"
    for text in ("plain", "a\x00b\u202ec"):
        assert refused(cleaned(text), LINES) is None
