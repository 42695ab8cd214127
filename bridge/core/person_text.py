"""Text a person types that the bridge keeps, and often sends to a regulator as typed (a
regulator's reference, a draft's answers, an incident opened by hand, a privacy case): which
characters it may not hold. Pure.

Contract:
- :func:`refused` finds the first character a person's text may not hold, or None:
  - a control character (Unicode category Cc: the C0 controls, DEL and the C1 controls) other
    than those ``kept`` (a text of several lines keeps line feed and tab, some carriage return
    too): an escape sequence or a NUL reaches the regulator's mail and terminals as typed;
  - a bidirectional embedding, override or isolate (:data:`BIDI`, U+202A–U+202E and
    U+2066–U+2069): it reorders what the reader sees (``2026/`` U+202E ``9990`` reads as
    ``2026/0999``, not the reference stored);
  - a lone surrogate (category Cs): no encoding can write it;
  - with ``formats`` also every other format character (category Cf: zero-width spaces and
    joiners, soft hyphens, the byte-order mark, direction marks): the rule of short texts
    (titles, references, reasons), where none belongs. Prose pasted from a word processor (a
    draft's answers, a privacy case's description) may carry those harmlessly, so
    ``formats=False`` keeps them.
- :func:`cleaned` drops those characters instead (``formats`` on; line feed and tab kept
  unless told; a control that separates, such as a vertical tab, becomes a space): text the
  bridge did not get from a person (an alert's annotations, stored as sent) where it enters a
  notice or an incident's title, so a person saving it untouched is not refused for a
  character nobody can see. Homoglyphs (a Cyrillic ``а``) are letters, kept.
- :func:`problem` says what the character is, by code point and position (1-based), never
  quoting the text around it.
- :func:`clean_text` is the shared rule of short texts a person types (titles, notes,
  reasons, a regulator's reference): stripped, at most ``most`` characters, nothing
  :func:`refused` (``formats`` on; line feed and tab kept unless ``one_line``); else BadInput
  naming the field.
"""

from __future__ import annotations

import unicodedata

from bridge.errors import BadInput

#: the bidirectional embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI,
#: FSI, PDI)
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: what a text of several lines keeps (:func:`clean_text`)
LINES = "\n\t"
#: the longest reference a regulator or its portal gives that the bridge takes (Nkom's are
#: like ``2026/04117``; a portal's receipt id is of that order): a longer one is a paste of
#: something else
MAX_REFERENCE = 100


def _bad(c: str, formats: bool) -> bool:
    category = unicodedata.category(c)
    return category in ("Cc", "Cs") or c in BIDI or (formats and category == "Cf")


def refused(text: str, kept: str = "", formats: bool = True) -> tuple[int, str] | None:
    """The position (0-based) and character of the first character ``text`` may not hold
    (see the module contract), or None."""
    for at, c in enumerate(text):
        if c not in kept and _bad(c, formats):
            return at, c
    return None


def cleaned(text: str, kept: str = LINES, formats: bool = True) -> str:
    """``text`` without the characters :func:`refused` finds (those ``kept`` stay): text the
    bridge did not get from a person (an alert's annotations) where it enters a notice or a
    title, which a person's own text could not hold."""
    if text.isprintable():  # in C: no control, format character or surrogate at all
        return text
    if "\n" in kept:
        text = text.replace("\r\n", "\n")
    return "".join(_kept(c, kept, formats) for c in text)


def _kept(c: str, kept: str, formats: bool) -> str:
    """``c`` as :func:`cleaned` keeps it: a space for a control that separates (vertical tab,
    form feed, a lone carriage return…), nothing for any other it drops."""
    if c in kept or not _bad(c, formats):
        return c
    return " " if c.isspace() else ""


def problem(found: tuple[int, str]) -> str:
    """``control character U+001B (character 4) is not allowed`` (see the module contract)."""
    at, c = found
    category = unicodedata.category(c)
    what = (
        "lone surrogate"
        if category == "Cs"
        else "bidirectional control"
        if c in BIDI
        else "format character"
        if category == "Cf"
        else "control character"
    )
    return f"{what} U+{ord(c):04X} (character {at + 1}) is not allowed"


def clean_text(text: object, field: str, most: int, one_line: bool) -> str:
    """Text a person wrote, as kept: stripped, at most ``most`` characters, no control or
    format characters (lines and tabs allowed unless ``one_line``); else BadInput naming
    ``field``."""
    if not isinstance(text, str):
        raise BadInput(field, f"expected text, got {type(text).__name__}")
    text = text.strip()
    found = refused(text, "" if one_line else LINES)
    if found is not None:
        raise BadInput(field, problem(found))
    if len(text) > most:
        raise BadInput(field, f"at most {most} characters, got {len(text)}")
    return text
