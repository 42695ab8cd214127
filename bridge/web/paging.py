"""Paged lists (docs/design.md "HTTP contract"): ``?limit=`` and an opaque ``cursor``.

A list is sorted newest first by a key of strings (e.g. a fixed-width timestamp and an id); a
page holds at most ``limit`` items (:data:`DEFAULT_LIMIT` when not given, 1 to
:data:`MAX_LIMIT`, else 400 naming ``limit``) after the one the cursor names; the answer carries
``next``, the cursor of its last item, unless it is the last page. A cursor is the base64url of
the last item's sort key as JSON: opaque to callers, and anything this service did not give is a
400 naming ``cursor``. The key is unique (it ends with the item's id), so following ``next``
shows each item once while items are added (one newer than the cursor shows on a new first
page); only an item whose key changes meanwhile (an incident whose start moves earlier) can be
seen twice or missed.

:func:`whole_number` reads a whole number given as text in a query or a path (``limit`` here,
versions, sequence numbers): ASCII digits only and at most :data:`MOST_DIGITS` of them, else a
400 naming it (``int`` alone takes ``'²'``, which ``isdigit`` calls a digit, only to raise, and
refuses more than 4300 digits with a ValueError; it also takes signs, spaces and ``_``).

:func:`ids_of` reads a list narrowed to given ids (``?ids=`` of the incidents, ``?cases=`` of
the queue): 1 to :data:`MOST_IDS` ids separated by commas, each of letters, digits, ``-`` and
``_`` (1 to 100 characters, a letter or digit first), else a 400 naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from bridge.errors import BadInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

#: the most digits of a whole number in a query or path: SQLite's and Redis's largest integer
#: (2**63 - 1) has 19
MOST_DIGITS = 19

#: the most ids one ``?ids=`` / ``?cases=`` names
MOST_IDS = 100
#: an incident's or privacy case's id: ``inc-20261123-1a2b3c4d`` (``-2`` after a clash)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")

Key = tuple[str, ...]
T = TypeVar("T")


def limit_of(query: Mapping[str, str]) -> int:
    """``?limit=``: a whole number from 1 to :data:`MAX_LIMIT` (default :data:`DEFAULT_LIMIT`)."""
    text = query.get("limit")
    if text is None or text == "":
        return DEFAULT_LIMIT
    limit = whole_number(text, "limit", f"expected a whole number from 1 to {MAX_LIMIT}")
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput("limit", f"expected a whole number from 1 to {MAX_LIMIT}, got {limit}")
    return limit


def whole_number(text: str, name: str, problem: str) -> int:
    """``text`` as a whole number when it is 1 to :data:`MOST_DIGITS` ASCII digits; else
    BadInput naming ``name`` with ``problem`` (a 400)."""
    if not (text.isascii() and text.isdigit() and len(text) <= MOST_DIGITS):
        raise BadInput(name, problem)
    return int(text)


def ids_of(query: Mapping[str, str], name: str, what: str) -> list[str] | None:
    """``?{name}=``: 1 to :data:`MOST_IDS` ids separated by commas, each once, in the order
    given (None: not given); else BadInput naming ``name`` (``what``: the ids' words)."""
    text = query.get(name)
    if text is None:
        return None
    given = text.split(",")
    if len(given) > MOST_IDS:
        raise BadInput(name, f"at most {MOST_IDS} ids, got {len(given)}")
    for one in given:
        if not _ID.fullmatch(one):
            raise BadInput(name, f"expected {what} separated by commas, got {one[:40]!r}")
    return list(dict.fromkeys(given))


def encode_cursor(key: Key) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_of(query: Mapping[str, str], width: int) -> Key | None:
    """``?cursor=``: the sort key of the last item of the page before (None: the first page)."""
    text = query.get("cursor")
    if text is None or text == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: nested too deeply
        raise BadInput("cursor", "not a cursor this list gave (pass `next` as it came)") from None
    if (
        not isinstance(key, list)
        or len(key) != width
        or not all(isinstance(part, str) for part in key)
    ):
        raise BadInput("cursor", "not a cursor this list gave (pass `next` as it came)")
    return tuple(key)


def instant(value: datetime) -> str:
    """A timestamp as a fixed-width string that sorts as the time does (for sort keys)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None

    def answer(self, name: str, items: Sequence[object]) -> dict[str, object]:
        """The JSON answer: ``{name: items}`` and ``next`` unless this is the last page."""
        body: dict[str, object] = {name: list(items)}
        if self.next is not None:
            body["next"] = self.next
        return body


def page(
    items: Sequence[T], key: Callable[[T], Key], width: int, query: Mapping[str, str]
) -> Page[T]:
    """The page of ``items`` (sorted newest first: by ``key``, ``width`` strings, descending)
    that ``query`` asks for."""
    limit = limit_of(query)
    after = cursor_of(query, width)
    start = 0
    if after is not None:
        start = next((i for i, item in enumerate(items) if key(item) < after), len(items))
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return Page(chosen, encode_cursor(key(chosen[-1])) if more and chosen else None)
