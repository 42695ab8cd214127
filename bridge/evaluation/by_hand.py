"""Incidents by hand: people open an incident monitoring never saw, and end it.

Contract:
- :meth:`ByHand.open` validates what a person entered (:func:`bridge.core.manual.parse_manual`,
  BadInput naming the field, nothing written), stores its alerts durably through the same
  intake as a webhook (:meth:`~bridge.evaluation.ingest.Ingest.take`: StoreUnavailable and
  nothing stored, or stored and admitted), then appends the audit entry
  ``incident.opened_by_hand`` (who, the reference, what was entered); returns the incident's id.
  Entering the same incident again gives the same incident (the reference is stable).
- :meth:`ByHand.end` resolves, at the given instant (default now), the alerts of an incident
  opened by hand (Conflict for one monitoring opened: its own alerts end it; LookupError for no
  such live incident), audited as ``incident.ended_by_hand``.
- Everything after is as for any incident: rules, obligations, drafts, approval.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from bridge.core import instants
from bridge.core.alerts import Delivery, format_time, parse_time
from bridge.core.manual import (
    ALERT_NAME,
    ended,
    manual_delivery,
    parse_manual,
    reference,
)
from bridge.core.mapping import MappingRules
from bridge.errors import BadInput, Conflict
from bridge.evaluation.evaluator import Evaluator
from bridge.evaluation.ingest import Ingest
from bridge.store.interfaces import AuditLog
from bridge.store.records import AuditEntry


class ByHand:
    """See the module contract."""

    def __init__(
        self,
        intake: Ingest,
        audit: AuditLog,
        evaluator: Evaluator,
        rules: MappingRules,
        incident_label: str,
        elements: Collection[str],
        services: Collection[str],
        now: Callable[[], datetime],
    ) -> None:
        self.intake = intake
        self.audit = audit
        self.evaluator = evaluator
        self.rules = rules
        self.incident_label = incident_label
        self.elements = elements
        self.services = services
        self.now = now

    async def open(self, body: Mapping[str, Any], actor: str) -> str:
        """Open the incident (see the module contract); its id."""
        now = self.now()
        manual = parse_manual(body, now, self.elements, self.services)
        ref = reference(manual, actor)
        delivery = manual_delivery(manual, ref, actor, self.rules, self.incident_label, now)
        result = await self.intake.take(delivery, now)
        (incident_id,) = result.incidents or ("",)
        detail = {
            "reference": ref,
            "title": manual.title,
            "started_at": format_time(manual.started_at),
            "ended_at": format_time(manual.ended_at),
            "impacts": [
                {
                    "service": i.service,
                    "region": i.region,
                    "connections": i.connections,
                    "flags": list(i.flags),
                }
                for i in manual.impacts
            ],
            "elements": list(manual.elements),
        }
        await self.audit.append_audit(
            [AuditEntry(now, actor, "incident.opened_by_hand", f"incident:{incident_id}", detail)]
        )
        return incident_id

    async def end(self, incident_id: str, body: Mapping[str, Any], actor: str) -> None:
        """End an incident opened by hand (see the module contract)."""
        now = self.now()
        raw = body.get("ended_at")
        at = now if raw in (None, "") else parse_time(raw, "ended_at")
        if at is None or at > now:
            raise BadInput("ended_at", "expected a time not in the future")
        at = instants.given(at, "ended_at", now)
        self.evaluator.settle()
        engine = self.evaluator.engine
        incident = engine.incidents.get(incident_id)
        if incident is None:
            raise LookupError(incident_id)
        mine = [
            ep
            for ek in incident.episodes
            if (ep := engine.episodes.get(ek)) is not None
            and ep.labels.get("alertname") == ALERT_NAME
            and ep.group_key.startswith("manual:")
        ]
        if not mine:
            raise Conflict(f"incident {incident_id}", "not opened by hand: its own alerts end it")
        resolved = ended(mine, at)
        group = resolved[0].group_key
        await self.intake.take(Delivery("console", "resolved", group, 0, {}, resolved), now)
        await self.audit.append_audit(
            [
                AuditEntry(
                    now,
                    actor,
                    "incident.ended_by_hand",
                    f"incident:{incident_id}",
                    {"ended_at": format_time(at)},
                )
            ]
        )
