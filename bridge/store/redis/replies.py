"""What the Redis store makes of replies and errors: text, the scripts' ``conflict`` and
``fenced`` answers (as Conflict and LeaseLost), and driver errors worded for StoreUnavailable."""

from __future__ import annotations

from typing import Any

from redis.exceptions import AuthenticationError, BusyLoadingError, ResponseError

from bridge.errors import Conflict, LeaseLost
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.revisions import revision_problem

#: how lua/_guard.lua starts its refusal
SCHEMA_ERROR = "BRIDGE_SCHEMA"


def text(value: bytes | str) -> str:
    # decode_responses=True gives str; the types admit bytes too
    return value if isinstance(value, str) else value.decode()


def is_conflict(result: Any) -> bool:
    return isinstance(result, list) and bool(result) and result[0] == "conflict"


def raise_if_conflict(result: Any, what: str, expected_revision: int | None) -> None:
    """Raise Conflict when a compare-and-set script answered ``{'conflict', stored}``."""
    if is_conflict(result):
        stored = int(result[1]) if result[1] else None
        raise Conflict(what, revision_problem(stored, expected_revision))


def raise_if_fenced(op: str, result: Any, fence: int | None) -> None:
    """Raise LeaseLost when a fenced script answered ``{'fenced', live token}``."""
    if isinstance(result, list) and result and text(result[0]) == "fenced":
        held = text(result[1]) if len(result) > 1 and result[1] else ""
        now = f"token {held} is live" if held else "nobody holds it"
        raise LeaseLost(op, f"the lease is not held with token {fence} ({now})")


def describe(exc: BaseException) -> str:
    """A driver error as StoreUnavailable says it (the guard's refusal explained)."""
    said = str(exc) or type(exc).__name__
    if isinstance(exc, ResponseError) and said.startswith(SCHEMA_ERROR):
        found = said[len(SCHEMA_ERROR) :].strip()
        if found == "missing":
            return (
                "the schema version key is missing: the Redis data is gone (flushed, or Redis "
                "restarted without its append-only file); nothing was written. Stop the "
                "bridges, restore the data from a backup, then run `bridge restored` "
                '(docs/deployment.md, "A store whose data is gone"); a restart alone does not '
                "bring it back (the bridge refuses to start on the empty store)"
            )
        return (
            f"the schema version key is {found}, expected {SCHEMA_VERSION}: another version "
            "of the bridge migrated the data, or it was replaced underneath; nothing was "
            "written (a restart migrates an older schema and refuses a newer one)"
        )
    return f"{type(exc).__name__}: {said}"


#: how redis-py words the errors it raises before a command was sent (redis/asyncio/connection.py:
#: ``connect``, ``format_error_message``, ``BlockingConnectionPool.get_connection``,
#: ``ConnectionPool.ensure_connection``)
_NOT_SENT = (
    "connecting to",  # "Error 111 connecting to HOST:PORT. Connection refused.", "Timeout …"
    "No connection available",  # the pool had no free connection within its timeout
    "Connection has data",
    "Connection not ready",
)


def maybe_applied(exc: BaseException) -> bool:
    """Whether a write that met ``exc`` may have been applied by Redis all the same (its
    outcome is unknown): True unless Redis answered it with an error (its scripts refuse
    before they write: the schema guard, NOSCRIPT, READONLY, OOM, LOADING) or it was never
    sent (a refused or timed-out connect, no free connection, a failed AUTH). A timeout or a
    connection lost after the command went out may have been applied: Redis runs what it
    received even when nobody waits for the answer."""
    if isinstance(exc, ResponseError | BusyLoadingError | AuthenticationError):
        return False
    said = str(exc)
    return not any(words in said for words in _NOT_SENT)
