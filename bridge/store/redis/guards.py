"""What several Redis concerns share inside their scripts' arguments: audit entries as the
``append_audit`` fragment takes them, and the compare-and-set write of a revised document
(``lua/put_revised.lua``: users, privacy cases; API tokens have ``lua/put_token.lua``, which
also keeps one live token per name)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bridge.store.codec import dumps
from bridge.store.record_codec import AUDIT_BESIDE, encode
from bridge.store.records import AuditEntry
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.replies import raise_if_conflict
from bridge.store.revisions import check_revision


def audit_args(entries: Sequence[AuditEntry]) -> list[str]:
    """Five arguments per entry: target, actor, ``at`` in microseconds since the epoch (the
    search indexes and the log's clock), the entry JSON (the script splices its seq in; an
    entry with no further targets has no ``also``, as before schema 15) and its further targets
    (``also``, indexed as the target is) as a JSON array, '' for none."""
    args: list[str] = []
    for e in entries:
        omit = AUDIT_BESIDE if e.also else (*AUDIT_BESIDE, "also")
        also = dumps(list(e.also)) if e.also else ""
        args += [e.target, e.actor, str(micros(e.at)), encode(e, omit=omit), also]
    return args


def micros(at: datetime) -> int:
    """``at`` in whole microseconds since the epoch (what P audit:at scores)."""
    return (at - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def opt_arg(value: int | None) -> str:
    """A script's optional number: an expected revision ('' = must not exist yet) or a fencing
    token ('' = not fenced)."""
    return "" if value is None else str(value)


class RevisedDocuments(RedisConnection):
    """Documents under compare-and-set on their revision, with audit entries, in the hashes
    ``P KIND`` (id → JSON) and ``P KIND:rev`` (id → revision)."""

    async def _put_revised(
        self,
        op: str,
        kind: str,
        what: str,
        record_id: str,
        revision: int,
        expected_revision: int | None,
        body: str,
        index_field: str,
        audit: Sequence[AuditEntry],
        history: str = "",
    ) -> None:
        check_revision(what, revision, expected_revision)
        keys = [
            self._key(kind),
            self._key(f"{kind}:rev"),
            self._key("audit:seq"),
            self._key("audit"),
            self._key(f"{kind}:by-hash"),
        ]
        args = [
            self.prefix,
            record_id,
            opt_arg(expected_revision),
            str(revision),
            body,
            index_field,
            history,
            *audit_args(audit),
        ]
        result = await self._write(op, "put_revised", keys, args)
        raise_if_conflict(result, what, expected_revision)
