"""Memory that follows live work: settled incidents leave memory a horizon after they closed
(:mod:`bridge.core.liveness`).

Contract: :meth:`Sweeper.sweep` (after a flush, on the timer) moves the engine's history
boundary to ``now - horizon`` and evicts the incidents that
:func:`~bridge.core.liveness.leaves_memory` and are not waiting to be persisted, ``batch`` at a
time with the event loop free between batches (a batch holds it for a few tens of
milliseconds), at most ``rounds`` batches per sweep (a backlog, after an upgrade, goes over
several ticks). On the leader
it first writes their records once more (fenced), so what the store holds is their final state
with ``settled_at``, which the next restart reads to leave them out; a failed write evicts
nothing (tried again next time). A follower evicts without writing (the leader persists the
same evaluation). The store keeps everything: reads by id and by page serve what left. An
incident :meth:`Sweeper.keeping` holds (a person acting on one just brought back, before what
they record makes it owe) stays; two people acting on it at once hold it until both are done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from bridge.core.liveness import leaves_memory
from bridge.errors import LeaseLost, StoreUnavailable
from bridge.evaluation.evaluator import Evaluator
from bridge.evaluation.persistence import IncidentWriter

log = logging.getLogger("bridge.evaluation")

#: incidents evicted per batch (about 60 µs each to evict, and their records to build)
BATCH = 200
#: batches per sweep
ROUNDS = 50


class Sweeper:
    """See the module contract."""

    def __init__(
        self,
        evaluator: Evaluator,
        writer: IncidentWriter,
        horizon: timedelta,
        leading: Callable[[], bool],
        now: Callable[[], datetime],
        batch: int = BATCH,
        rounds: int = ROUNDS,
    ) -> None:
        self.evaluator = evaluator
        self.writer = writer
        self.horizon = horizon
        self.leading = leading
        self.now = now
        self.batch = batch
        self.rounds = rounds
        #: incidents not to evict whatever their liveness, with how many hold each (see the
        #: module contract: :meth:`keeping`)
        self.kept: Counter[str] = Counter()

    @contextlib.contextmanager
    def keeping(self, incident_id: str) -> Iterator[None]:
        """Keep the incident in memory while the block runs (see the module contract)."""
        self.kept[incident_id] += 1
        try:
            yield
        finally:
            self.kept[incident_id] -= 1
            if self.kept[incident_id] <= 0:
                del self.kept[incident_id]

    async def sweep(self) -> set[str]:
        """Evict what has settled beyond the horizon (see the module contract); the ids."""
        gone: set[str] = set()
        for _ in range(self.rounds):
            went = await self._one_batch()
            if not went:
                break
            gone |= went
            await asyncio.sleep(0)
        if gone:
            log.debug("%d settled incident(s) left memory", len(gone))
        return gone

    async def _one_batch(self) -> set[str]:
        now = self.now()
        engine = self.evaluator.engine
        engine.history_before = now - self.horizon
        dirty = self.evaluator.dirty
        going: set[str] = set()
        for inc_id, incident in engine.incidents.items():
            if (
                inc_id not in dirty
                and inc_id not in self.kept
                and leaves_memory(incident, engine.incidents, now, self.horizon)
                and engine.evictable(inc_id)
            ):
                going.add(inc_id)
                if len(going) >= self.batch:
                    break
        if not going:
            return set()
        if self.leading():
            try:
                await self.writer.save(going)
            except (StoreUnavailable, LeaseLost):
                return set()  # counted and logged (the writer, leadership); evicted next time
            # changed, or held by a person's action, while the write was in flight
            going -= self.evaluator.dirty | self.kept.keys()
        return self.evaluator.engine.evict(going)
