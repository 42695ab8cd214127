"""People's merges and splits, applied: kept in the casebook first (durable, audited), then
given to the engine, evaluated and persisted at once (:mod:`bridge.core.regrouping` keeps the
records, :mod:`bridge.core.covering` and ``Engine.split`` make the incidents).

Contract:
- :meth:`Regroup.merge` merges a live incident into another live one and returns the id of the
  incident that holds both afterwards (the host, unless both came from one correlation key,
  where the one that started first keeps its id). Its unsent drafts are withdrawn by the next
  reconcile (it owes nothing of its own); the notices it sent count as the host's
  (``DraftBook.of_case``): never sent again.
- :meth:`Regroup.split` takes some of an incident's alerts (by fingerprint) out into an
  incident of their own and returns its id.
- Bad input is :class:`~bridge.errors.BadInput` naming the field (``into``, ``alerts``,
  ``reason``) and changes nothing; an incident that left memory (settled) or was merged away
  already is a :class:`~bridge.errors.Conflict`. Only the leader regroups (the others learn it
  when they take over: the engine is rebuilt from the store with the casebook's directives).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bridge.core import regrouping
from bridge.core.casework import AuditEvent
from bridge.core.engine import Engine
from bridge.core.incident_state import Incident
from bridge.errors import BadInput, Conflict

Change = Callable[[dict[str, Any], datetime], tuple[dict[str, Any], list[AuditEvent]]]


class Regroup:
    """See the module contract."""

    def __init__(
        self,
        engine: Callable[[], Engine],
        change: Callable[[str, Change], Awaitable[object]],
        settle: Callable[[], Awaitable[None]],
        leading: Callable[[], bool],
    ) -> None:
        self._engine = engine
        self._change = change
        self._settle = settle  # evaluate, persist, bring drafts up to date
        self._leading = leading

    def _live(self, incident_id: str, field: str | None = None) -> Incident:
        inc = self._engine().incidents.get(incident_id)
        if inc is None:
            if field is not None:
                raise BadInput(field, f"no incident {incident_id!r} in memory (open or recent)")
            raise Conflict(
                f"incident {incident_id}", "it left memory (settled): history is not regrouped"
            )
        if inc.merged_into is not None:
            where = field or "incident"
            raise Conflict(where, f"{incident_id} is merged into {inc.merged_into} already")
        return inc

    def _check_leader(self) -> None:
        if not self._leading():
            raise Conflict("replica", "only the leading bridge merges and splits: ask the leader")

    async def merge(self, absorbed: str, into: object, reason: object, actor: str) -> str:
        self._check_leader()
        if not isinstance(into, str) or not into:
            raise BadInput("into", "required: the id of the incident to merge into")
        why = regrouping.clean_reason(reason)
        if into == absorbed:
            raise BadInput("into", "an incident cannot be merged into itself")
        a = self._live(absorbed)
        b = self._live(into, "into")
        bond = self._engine().bond_of(a.id, b.id)
        await self._change(
            absorbed,
            lambda doc, now: regrouping.merge(doc, absorbed, into, bond, why, actor, now),
        )
        self._engine().merge(absorbed, into)
        await self._settle()
        engine = self._engine()
        return engine.host(absorbed) if absorbed in engine.incidents else into

    async def split(self, source: str, alerts: object, reason: object, actor: str) -> str:
        self._check_leader()
        if not isinstance(alerts, list) or not all(isinstance(a, str) for a in alerts):
            raise BadInput("alerts", "expected a list of alert fingerprints of the incident")
        why = regrouping.clean_reason(reason)
        inc = self._live(source)
        unknown = sorted(set(alerts) - {ek[0] for ek in inc.episodes})
        if unknown:
            raise BadInput("alerts", f"{unknown[0]} is not an alert of {source}")
        chosen = [ek for ek in inc.episodes if ek[0] in set(alerts)]
        regrouping.check_split(chosen, inc.episodes)  # before the casebook is opened
        key = regrouping.split_key(source, chosen)
        await self._change(
            source,
            lambda doc, now: regrouping.split(doc, source, chosen, inc.episodes, why, actor, now)[
                :2
            ],
        )
        self._engine().split(chosen, key)
        await self._settle()
        taken = self._engine().incident_of(chosen[0])
        assert taken is not None
        return taken
