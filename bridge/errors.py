"""Errors that cross layers. Each says whether a retry can help; the web layer maps that to
4xx (the caller must change the request) or 503 (try again: Alertmanager retries only 5xx).
:func:`traced` renders any exception for the log without its message."""

from __future__ import annotations

import traceback


class BridgeError(Exception):
    """Base class. ``retryable`` and ``status`` drive the HTTP status in one middleware
    (bridge/web/answers.py): a retryable error answers 503, any other its ``status`` (4xx: the
    caller must change the request; 500: not the caller's doing, logged in full)."""

    retryable = False
    status = 500


class BadInput(BridgeError):
    """The request or file is wrong; ``field`` names where (``alerts[3].startsAt``)."""

    status = 400

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TooLarge(BadInput):
    """The request is over a configured limit (``limit`` names it, e.g.
    ``server.limits.alerts_per_webhook``); ``field`` names where. Nothing was stored (413)."""

    status = 413

    def __init__(self, field: str, problem: str, limit: str) -> None:
        super().__init__(field, f"{problem} (limit: {limit})")
        self.limit = limit


class NameTaken(BadInput):
    """A name that one live record holds alone (an API token's) is held by another: ``holder``
    is that record's id. Nothing was written; another name is needed, a retry does not help
    (400 naming ``field``)."""

    def __init__(self, field: str, name: str, holder: str, problem: str) -> None:
        super().__init__(field, problem)
        self.name = name
        self.holder = holder


class StoreUnavailable(BridgeError):
    """The store could not complete an operation; nothing was acknowledged. Retry later.
    Nothing was stored, unless it is a :class:`StoreOutcomeUnknown`."""

    retryable = True
    status = 503
    #: already in ``bridge_store_errors_total`` (``Metrics.store_error``): counted once
    counted = False

    def __init__(self, op: str, cause: str) -> None:
        super().__init__(f"store {op} failed: {cause}")
        self.op = op
        self.cause = cause


class StoreOutcomeUnknown(StoreUnavailable):
    """A write was sent to the store but not answered (Redis: a timeout or a connection lost
    after the command went out, or fewer replicas than ``wait_replicas`` acknowledged it): it
    may have been applied, or may be applied later (a Redis that hangs runs what it had
    received when it goes on). Retryable like any StoreUnavailable (a webhook answers 503 and
    Alertmanager sends it again: its writes are idempotent), but never said to have stored
    nothing: whoever acted checks before repeating (bridge/web/answers.py)."""


class StoreRolledBack(BridgeError):
    """The store knows fewer hand-overs to the mail relay than the archive folder recorded: it
    was rolled back (restored from a backup) after notices left, and served as it is the outbox
    would send them again (:mod:`bridge.notices.witness`). Nothing is sent until ``bridge
    restored`` ran on it."""


class StoreEmpty(BridgeError):
    """A store opened without ``create`` holds nothing (no schema: a SQLite file that is
    missing or has no tables, a Redis prefix without its schema key); nothing was created.
    ``where`` names it (the file, or the redacted URL and prefix)."""

    def __init__(self, where: str) -> None:
        super().__init__(f"{where} holds no data")
        self.where = where


class StoreLost(BridgeError):
    """``bridge serve`` found the store empty while the archive folder shows it was in use
    (:mod:`bridge.notices.in_use`): its data is gone. Nothing is created or served until it is
    restored from a backup, or a new empty store is accepted on purpose
    (``--accept-empty-store``)."""


class StoreUnsafe(StoreUnavailable):
    """The store answers but must not be written now (Redis: its durability settings changed
    while the bridge runs), or was found restarted or failed over underneath (``reset``: said
    once, to the lease's renewal). Retry later, like any StoreUnavailable; a leader steps down
    at once instead of when its lease would have expired."""

    def __init__(self, op: str, cause: str, *, reset: bool = False) -> None:
        super().__init__(op, cause)
        self.reset = reset


class ConfigError(BridgeError):
    """Configuration is invalid; lists every problem as ``file: key.path: expected …``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Conflict(BridgeError):
    """The record changed since the caller read it (optimistic concurrency) or the action does
    not fit its current state; nothing was written. The caller re-reads and decides (409)."""

    status = 409

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(f"{what}: {problem}")
        self.what = what
        self.problem = problem


class LeaseLost(BridgeError):
    """A write made as the leader was refused: the store's lease is no longer held with the
    fencing token the write carried (it expired, or another replica took it). Nothing was
    written; the caller stops acting as leader (no evaluation writes, no drafting, no sending)."""

    def __init__(self, op: str, detail: str) -> None:
        super().__init__(f"store {op} refused: {detail}")
        self.op = op
        self.detail = detail


def traced(exc: BaseException) -> str:
    """``exc`` for a log line without any exception's message, which may hold whatever value was
    being processed (personal data, a token): each exception's type and its traceback's frames
    (file, line, function), the causes and contexts first as Python prints them, the members of
    an exception group indented under it."""
    return "\n".join(_traced(exc, "", set()))


def _traced(exc: BaseException, indent: str, seen: set[int]) -> list[str]:
    seen.add(id(exc))
    lines: list[str] = []
    cause = exc.__cause__
    context = None if exc.__suppress_context__ else exc.__context__
    if cause is not None and id(cause) not in seen:
        lines += _traced(cause, indent, seen)
        lines.append(f"{indent}The above exception was the direct cause of:")
    elif cause is None and context is not None and id(context) not in seen:
        lines += _traced(context, indent, seen)
        lines.append(f"{indent}During handling of the above exception, another occurred:")
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    lines.append(f"{indent}{name} (message not logged)")
    lines += [
        f'{indent}  File "{f.filename}", line {f.lineno}, in {f.name}'
        for f in traceback.extract_tb(exc.__traceback__)
    ]
    if isinstance(exc, BaseExceptionGroup):
        for number, member in enumerate(exc.exceptions, 1):
            lines.append(f"{indent}  member {number} of {len(exc.exceptions)}:")
            lines += _traced(member, indent + "    ", seen)
    return lines
