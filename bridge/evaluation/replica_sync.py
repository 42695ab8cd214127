"""What other replicas acknowledged, read through the store's change numbers.

Contract: every replica ingests and evaluates (so any can answer reads and take over at once).
:meth:`ReplicaSync.sync` reads the episodes changed after the last cursor (every
``replication.sync_interval`` by :meth:`run`, and before reads) and admits those the engine
does not hold yet, merged with :func:`~bridge.core.alerts.merge_episode` against what the
engine holds at that moment, so the order things arrive in never matters and a rebuild
meanwhile is never overwritten by an older value. Privacy alerts are left out (they open
privacy cases, not incidents).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from bridge.core.alerts import AlertEpisode, merge_episode
from bridge.errors import StoreUnavailable
from bridge.evaluation.evaluator import Evaluator
from bridge.metrics import Metrics
from bridge.store.interfaces import AlertLog

log = logging.getLogger("bridge.evaluation")


class ReplicaSync:
    """See the module contract."""

    def __init__(
        self,
        store: AlertLog,
        evaluator: Evaluator,
        keep: Callable[[AlertEpisode], bool],
        metrics: Metrics,
        interval: timedelta,
    ) -> None:
        self.store = store
        self.evaluator = evaluator
        self.keep = keep
        self.metrics = metrics
        self.interval = interval
        self.cursor = 0  # the store's change number read up to

    def advance(self, cursor: int) -> None:
        """Everything up to ``cursor`` was read elsewhere (a restore)."""
        self.cursor = max(self.cursor, cursor)

    async def sync(self) -> int:
        """Admit what other replicas stored since the last call; how many changed."""
        episodes, cursor = await self.store.episodes_since(self.cursor)
        self.advance(cursor)
        engine = self.evaluator.engine
        candidates = [ep for ep in episodes if self.keep(ep) and engine.episodes.get(ep.key) != ep]
        if not candidates:
            return 0  # nothing new (on a single bridge: its own writes, read back)
        truncation = await self.store.load_truncation()
        # merged with what the engine holds *now* (no await below): never older than either
        known = self.evaluator.engine.episodes
        news = []
        for ep in candidates:
            old = known.get(ep.key)
            merged = merge_episode(old, ep)
            if merged != old:
                news.append(merged)
        if news:
            self.evaluator.admit(news, truncation)
        return len(news)

    async def run(self) -> None:
        """Sync every ``interval`` until cancelled."""
        while True:
            await asyncio.sleep(self.interval.total_seconds())
            try:
                await self.sync()
            except StoreUnavailable as exc:
                self.metrics.store_errors.labels(op=exc.op).inc()
                log.warning("could not read other replicas' alerts: %s", exc)
            except Exception:
                log.exception("replica sync failed")
