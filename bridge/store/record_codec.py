"""One codec for the record dataclasses (:mod:`bridge.store.records`): users, sessions, API
tokens, drafts, incidents, privacy cases and audit entries, in every store.

Stored form (unchanged from the hand-written codecs this replaces, so data written before reads
the same): a JSON object with sorted keys whose fields are the record's fields under their own
names, timestamps as :func:`bridge.store.codec.ts` text (fixed width, so text order is time
order), tuples as arrays. A store keeps some fields beside the document (a user's revision, a
token's revision and last use, an audit entry's seq in SQLite) and passes them as ``omit`` when
writing and ``beside`` when reading. The episodes are not records: their hot-path text form
stays in :mod:`bridge.store.codec` and the stores.

Why msgspec: ``msgspec.json.decode(text, type=Record)`` and ``msgspec.convert`` build the
frozen dataclasses directly from their annotations (timezone-aware datetimes from the ``Z``
text, tuples, defaults for fields a stored document lacks, unknown fields ignored), in C and
with type checks, so one generic function replaces a pair of hand-written ones per record and a
field added to a record needs no codec change. ``msgspec.to_builtins`` turns a record into
plain values for writing; its own datetime text drops zero microseconds (not fixed width), so
timestamps are passed through and written by ``ts`` (in arrays, by orjson calling ``ts``:
:func:`to_fields`), and the JSON is written by :func:`bridge.store.codec.dumps` (orjson,
sorted keys), as before.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import msgspec
import orjson

from bridge.store.codec import dumps, ts

R = TypeVar("R")

#: fields every store keeps beside the stored document, not in it
USER_BESIDE = ("revision",)
TOKEN_BESIDE = ("revision", "last_used_at")
AUDIT_BESIDE = ("seq",)

_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


#: instants go to ``default`` (:func:`ts`) instead of orjson's own text
_INSTANTS_BY_TS = orjson.OPT_PASSTHROUGH_DATETIME


def to_fields(record: Any, omit: Collection[str] = ()) -> dict[str, Any]:
    """The record's fields as JSON values (what :func:`encode` writes, and SQLite's columns):
    instants as :func:`ts` text, arrays (tuples too) already written as JSON (an
    ``orjson.Fragment``, instants in them as ``ts`` text), documents (dicts) as they are: they
    hold JSON values already. An incident's episodes are an array as long as the incident
    (10 000 pairs of text and instant in a storm, written at each evaluation): orjson writes
    it in C, asking ``ts`` for each instant, four to six times faster than building the
    array of text in Python first (``python -m bench.persist``)."""
    fields: dict[str, Any] = msgspec.to_builtins(record, builtin_types=(datetime,))
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in omit:
            continue
        if isinstance(value, datetime):
            value = ts(value)
        elif isinstance(value, list | tuple):
            value = orjson.Fragment(orjson.dumps(value, default=ts, option=_INSTANTS_BY_TS))
        out[name] = value
    return out


def encode(record: Any, omit: Collection[str] = ()) -> str:
    """The stored JSON text of ``record`` without the fields in ``omit``."""
    return dumps(to_fields(record, omit))


def decode(text: str | bytes, kind: type[R], **beside: Any) -> R:
    """The record of type ``kind`` stored as ``text``, with the fields kept beside it."""
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    record: R = decoder.decode(text)
    return replace(record, **beside) if beside else record  # type: ignore[type-var]


def from_fields(kind: type[R], fields: Mapping[str, Any]) -> R:
    """The record of type ``kind`` from JSON values by field name (e.g. SQLite's columns)."""
    return msgspec.convert(fields, kind)
