"""Redis's audit log. Keys (``P`` = prefix): ``P audit:seq`` (counter), ``P audit`` (sorted
set scored by seq, members the entry JSON with its seq: the only copy of an entry) and
``P audit:by-target:T`` (the seq, zero-padded to 20 digits, scored by seq; schema 14: up to 13,
``P audit:target:T`` held each entry's JSON again; schema 15: under the entry's target and each
of its further targets, ``also``, as ``P audit:incident:X`` is). Entries get their ``seq`` from
``INCR`` inside the same script as the entry (``lua/_append_audit.lua``, shared by every script
that appends); append-only by discipline (Redis has no triggers to enforce it as SQLite does).

Schema 11 indexes the log for its searches (the same script keeps them): ``P audit:at`` (the
padded seq scored by ``at`` in microseconds since the epoch: ties in seq order),
``P audit:actor:A`` and ``P audit:incident:X`` (the padded seq scored by seq) and
``P audit:clock`` (hash: ``high`` and ``lag`` in microseconds,
:func:`bridge.core.audit_search.lag_after`). A search is one read script
(``lua/audit_search.lua``): the range of seq from the time range, then at most ``scan`` members
of the source index walked newest first, each entry read from ``P audit`` by its seq, decoded and
checked in Lua. Redis runs one script at a time, so ``scan`` also bounds how long one search
holds every other client back. A target's log (``audit_log(target=…)``) is the same script over
``P audit:by-target:T`` with no filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.core.audit_search import AuditFilter
from bridge.store.codec import dumps, ts
from bridge.store.record_codec import decode
from bridge.store.records import AuditEntry, AuditPage
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.guards import audit_args, micros
from bridge.store.redis.replies import text


class RedisAudit(RedisConnection):
    """:class:`bridge.store.interfaces.AuditLog` on Redis."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self._write(
                "append_audit",
                "append_audit",
                [self._key("audit:seq"), self._key("audit")],
                [self.prefix, *audit_args(entries)],
            )

    async def audit_seq(self) -> int:
        found = await self._call("audit_seq", lambda c: c.get(self._key("audit:seq")))
        return 0 if found is None else int(text(found))

    async def raise_audit_seq(self, at_least: int) -> int:
        result = await self._write(
            "raise_audit_seq", "raise_audit_seq", [self._key("audit:seq")], [str(at_least)]
        )
        return int(result)

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        if limit <= 0:
            return []
        if target is not None:  # the entries by their seq, as a search reads them
            keys = [self._key(k) for k in ("audit", "audit:at", "audit:clock")]
            keys.append(self._key(f"audit:by-target:{target}"))
            before = {} if before_seq is None else {"before": before_seq}
            reply = await self._script(
                "audit_log", "audit_search", keys, ["seqs", str(limit), str(limit), dumps(before)]
            )
            return [decode(row, AuditEntry) for row in reply[1:]]
        key = self._key("audit")
        top = "+inf" if before_seq is None else f"({before_seq}"
        rows = await self._call(
            "audit_log", lambda c: c.zrevrangebyscore(key, top, "-inf", start=0, num=limit)
        )
        return [decode(row, AuditEntry) for row in rows if isinstance(row, str | bytes)]

    async def search_audit(
        self, where: AuditFilter, limit: int, before_seq: int | None = None, scan: int = 5000
    ) -> AuditPage:
        if limit <= 0 or scan <= 0:
            return AuditPage([], before_seq)
        kind, value = where.source()
        source = {
            "target": ("seqs", f"audit:by-target:{value}"),
            "incident": ("seqs", f"audit:incident:{value}"),
            "actor": ("seqs", f"audit:actor:{value}"),
            "log": ("entries", "audit"),
        }[kind]
        keys = [self._key(k) for k in ("audit", "audit:at", "audit:clock", source[1])]
        reply = await self._script(
            "search_audit",
            "audit_search",
            keys,
            [source[0], str(limit), str(scan), dumps(_filter_args(where, before_seq))],
        )
        resume = _text(reply[0])
        entries = [decode(row, AuditEntry) for row in reply[1:]]
        return AuditPage(entries, int(resume) if resume else None)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _filter_args(where: AuditFilter, before_seq: int | None) -> dict[str, Any]:
    """The filter as ``lua/audit_search.lua`` takes it: only the keys given."""
    args: dict[str, Any] = {}
    if before_seq is not None:
        args["before"] = before_seq
    if where.since is not None:
        args["since_us"], args["since"] = micros(where.since), ts(where.since)
    if where.until is not None:
        args["till_us"], args["till"] = micros(where.until), ts(where.until)
    for name in ("actor", "action", "target", "incident"):
        if getattr(where, name) is not None:
            args[name] = getattr(where, name)
    if where.action_prefix:
        args["prefix"] = True
    if not where.every_track():
        tracks = where.tracks or frozenset()
        args["track"] = (
            "privacy" if "privacy" in tracks else "outage" if "outage" in tracks else "none"
        )
    return args
