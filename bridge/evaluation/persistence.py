"""Derived incidents persisted: what restores their ids after a restart, and the API document.

Contract: :meth:`IncidentWriter.save_dirty` writes every incident the evaluator marked dirty in
one atomic, fenced write (only the leader persists) and returns their ids; a failed write
leaves them dirty for the next call and raises (StoreUnavailable, counted; LeaseLost). Derived
incidents can always be recomputed from stored alerts, so a crash between an alert's write and
its incident's loses nothing. So one incident the store cannot take (any other exception, a
bug) never keeps the others out: they are written one by one, and each that fails alone is
reported (:meth:`~bridge.evaluation.evaluator.Evaluator.failed`, stage ``persist``) and left
unsaved until it changes again (a restart recomputes it from its stored alerts).

A record's document lists, as ``absorbed``, the incidents merged into it (directly or through
a chain of merges: :meth:`Engine.absorbed <bridge.core.engine.Engine.absorbed>`; left out when
none), the same list a live incident's API document shows: the store has no index of them per
host, so this is how an incident brought back from the store (:mod:`bridge.evaluation.recall`)
brings them back with it. Every save writes it again, the last when the incident leaves memory
(:mod:`bridge.evaluation.sweeper`); a record saved before saves wrote it got it from the
store's schema 12, read from the records' ``merged_into``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bridge.core import documents
from bridge.core.liveness import settled_at
from bridge.core.topology import Topology
from bridge.errors import LeaseLost, StoreUnavailable
from bridge.evaluation.evaluator import Evaluator
from bridge.metrics import Metrics
from bridge.replicas.fence import Fence
from bridge.store.interfaces import IncidentArchive
from bridge.store.records import IncidentRecord

log = logging.getLogger("bridge.evaluation")


class IncidentWriter:
    """See the module contract."""

    def __init__(
        self,
        store: IncidentArchive,
        evaluator: Evaluator,
        topology: Topology,
        metrics: Metrics,
        fence: Fence,
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.evaluator = evaluator
        self.topology = topology
        self.metrics = metrics
        self.fence = fence
        self.now = now

    async def save_dirty(self) -> set[str]:
        """Persist the dirty incidents (see the module contract); their ids."""
        evaluator = self.evaluator
        if not evaluator.dirty:
            return set()
        pending = set(evaluator.dirty)
        evaluator.dirty -= pending
        await self.save(pending)
        return pending

    async def save(self, ids: set[str]) -> None:
        """Persist these incidents now (fenced), with the incidents merged into them (whose
        ``settled_at`` follows theirs: :func:`~bridge.core.liveness.settled_at`); on failure
        they are left dirty and it raises."""
        evaluator = self.evaluator
        now = self.now()
        engine = evaluator.engine
        incidents = engine.incidents
        ids = set(ids) | {a for i in ids if i in incidents for a in engine.absorbed(i)}
        records: list[IncidentRecord] = []
        pending = set(ids)
        for incident_id in sorted(ids):
            if incident_id in incidents:
                try:
                    records.append(self._record(incident_id, now))
                except Exception as exc:  # this incident alone
                    pending.discard(incident_id)
                    evaluator.failed("persist", f"incident {incident_id}", exc)
        try:
            await self._write(records, pending)
        except (StoreUnavailable, LeaseLost):
            raise
        except Exception:  # some record the store cannot take: find it, write the others
            for n, record in enumerate(records):
                try:
                    await self._write([record], {r.id for r in records[n:]})
                except (StoreUnavailable, LeaseLost):
                    raise
                except Exception as exc:
                    evaluator.failed("persist", f"incident {record.id}", exc)

    async def _write(self, records: list[IncidentRecord], pending: set[str]) -> None:
        """One fenced write; on StoreUnavailable ``pending`` is left dirty (counted)."""
        try:
            await self.store.save_incidents(records, fence=self._token())
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            self.evaluator.dirty |= pending
            log.warning("could not persist %d incident(s): %s", len(pending), exc)
            raise

    def _token(self) -> int:
        token = self.fence.token
        if token is None:
            raise LeaseLost("save_incidents", "this replica does not lead")
        return token

    def _record(self, incident_id: str, now: datetime) -> IncidentRecord:
        engine = self.evaluator.engine
        inc = engine.incidents[incident_id]
        rule_sets = {rs.id: rs for rs in engine.rule_sets}
        document = documents.stored_document(inc, self.topology, now, rule_sets, engine.episodes)
        absorbed = engine.absorbed(incident_id)
        if absorbed:
            document["absorbed"] = absorbed
        return IncidentRecord(
            id=inc.id,
            key=inc.key,
            started_at=inc.started_at,
            state=inc.state,
            episodes=list(inc.episodes),
            merged_into=inc.merged_into,
            document=document,
            settled_at=settled_at(inc, engine.incidents),
        )
