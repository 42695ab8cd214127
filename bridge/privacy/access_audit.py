"""Reads of privacy data, and refusals, in the audit log.

Contract: :meth:`AccessAudit.record` appends one audit entry (who, which action, which target,
and a detail that names routes and roles, never a case's contents); it returns only once the
entry is written, so the caller answers only then (a read that cannot be audited is not
served: StoreUnavailable, counted). :meth:`AccessAudit.record_each` does the same for one
entry per target (a list's read of several cases), all in one append: all written, or none.
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

    async def record(self, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
        await self.record_each(actor, action, [target], detail)

    async def record_each(
        self, actor: str, action: str, targets: Sequence[str], detail: Mapping[str, Any]
    ) -> None:
        at = self.now()
        try:
            await self.store.append_audit(
                [AuditEntry(at, actor, action, target, dict(detail)) for target in targets]
            )
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise
