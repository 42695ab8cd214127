"""Reads of privacy data, and refusals, in the audit log.

Contract: :meth:`AccessAudit.record` appends one audit entry (who, which action, which target,
and a detail that names routes and roles, never a case's contents); it returns only once the
entry is written, so the caller answers only then (a read that cannot be audited is not
served: StoreUnavailable, counted). ``also`` names the entry's further targets (a list's read
of several cases: one entry naming each, :class:`bridge.store.records.AuditEntry`), so a search
by any of them finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bridge.errors import StoreUnavailable
from bridge.metrics import Metrics
from bridge.store.interfaces import AuditLog
from bridge.store.records import AuditEntry


class AccessAudit:
    """See the module contract."""

    def __init__(self, store: AuditLog, metrics: Metrics, now: Callable[[], datetime]) -> None:
        self.store = store
        self.metrics = metrics
        self.now = now

    async def record(
        self,
        actor: str,
        action: str,
        target: str,
        detail: Mapping[str, Any],
        also: Sequence[str] = (),
    ) -> None:
        entry = AuditEntry(self.now(), actor, action, target, dict(detail), also=tuple(also))
        try:
            await self.store.append_audit([entry])
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise
