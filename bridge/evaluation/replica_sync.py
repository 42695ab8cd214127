"""What other replicas acknowledged, read through the store's change numbers.

Contract: every replica ingests and evaluates (so any can answer reads and take over at once).
:meth:`ReplicaSync.sync` reads the episodes changed after the last cursor (every
``replication.sync_interval`` by :meth:`run`, and before reads) and admits those the engine
does not hold yet, merged with :func:`~bridge.core.alerts.merge_episode` against what the
engine holds at that moment, so the order things arrive in never matters and a rebuild
meanwhile is never overwritten by an older value. Privacy alerts are left out (they open
privacy cases, not incidents).
- Its own writes are not read back: the intake tells it (:meth:`ReplicaSync.mine`) each change
  number it wrote and admitted what the store returned for; when every change number after the
  cursor up to the store's newest (:meth:`~bridge.store.interfaces.AlertLog.latest_change`) is
  one of those, the cursor moves there without reading an episode (on a single bridge, always;
  reading its own writes back cost about 7.6 µs per new alert). Any other number in the range
  (another replica's write, a write whose admission failed) reads the range as before.
- A store whose newest number is below the cursor went back (Redis rolled back underneath:
  restarted from an older file, a failover to a lagging replica): the cursor goes back with it,
  so the numbers handed out again are read. The store never hands out again a number a
  replica that writes has seen (the Redis store raises its counter first), and a restart or
  failover it notices has every replica read everything again (:meth:`reset`).
- The periodic syncs (:meth:`run`, the tick's) let a number that is not its own wait one
  sync (``settle``): under load some of this replica's writes are always committed but not yet
  admitted when a sync looks, and reading the range for them read every alert of the last
  interval back. Such a number is its own by the next periodic sync; one still missing then
  (another replica's write, a failed admission) is read. So another replica's write reaches
  this one within two ``sync_interval`` instead of one; the sync before a read (``settle``
  false) never waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from bridge.core.alerts import AlertEpisode, merge_episode
from bridge.errors import StoreUnavailable, traced
from bridge.evaluation.evaluator import Evaluator
from bridge.metrics import Metrics
from bridge.store.interfaces import AlertLog

#: during a store outage the periodic sync (every second by default) logs its failure on the
#: first and then on every this many in a row: one line a minute, not one a second
OUTAGE_LOG_EVERY = 60

log = logging.getLogger("bridge.evaluation")


#: a periodic sync lets numbers not its own wait only when they are this few (more: read now)
_WAIT_AT_MOST = 64


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
        self._own: set[int] = set()  # this replica's writes after the cursor, admitted
        #: numbers after the cursor that the last periodic sync found not its own
        self._waiting: set[int] = set()
        #: how many syncs read episodes from the store (the others moved the cursor alone)
        self.reads = 0
        #: periodic syncs failed in a row for want of the store (logged on the first, then at
        #: most every :data:`OUTAGE_LOG_EVERY` of them, and once when the store answers again)
        self.failed_in_a_row = 0

    def mine(self, change: int) -> None:
        """This replica wrote change number ``change`` and admitted what the store returned
        for it: a sync need not read it back."""
        if change > self.cursor:
            self._own.add(change)

    def advance(self, cursor: int) -> None:
        """Everything up to ``cursor`` was read (here, or elsewhere: a restore); its own
        writes up to there no longer matter."""
        self.cursor = max(self.cursor, cursor)
        self._own = {n for n in self._own if n > self.cursor}

    def reset(self, cursor: int = 0) -> None:
        """Read again from ``cursor`` (0: everything) at the next sync: the store was found
        restarted or failed over underneath, so numbers after it may name other writes now.
        Re-read episodes merge with what the engine holds (no harm in reading one twice)."""
        self.cursor = cursor
        self._own = set()
        self._waiting = set()

    async def sync(self, *, settle: bool = False) -> int:
        """Admit what other replicas stored since the last call; how many changed. With
        ``settle`` (the periodic syncs), numbers not its own are read only when the last
        periodic sync found them missing too (see the module contract)."""
        top = await self.store.latest_change()
        if top < self.cursor:  # the store went back (rolled back underneath, or pruned)
            log.warning(
                "the store's newest change number %d is below this replica's cursor %d (Redis "
                "rolled back underneath?): reading on from %d",
                top,
                self.cursor,
                top,
            )
            self.reset(top)
            return 0
        if top <= self.cursor:
            return 0
        own, start = self._own, self.cursor + 1
        if top - self.cursor <= len(own) + _WAIT_AT_MOST:
            missing = [n for n in range(start, top + 1) if n not in own]
            if not missing:
                self._waiting = set()  # only its own writes: read nothing
                self.advance(top)
                return 0
            if settle and self._waiting.isdisjoint(missing):
                self._waiting = set(missing)  # its own by the next sync, or read then
                self.advance(missing[0] - 1)
                return 0
        self._waiting = set()
        episodes, cursor = await self.store.episodes_since(self.cursor)
        self.reads += 1
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
                await self.sync(settle=True)
                if self.failed_in_a_row:
                    log.info(
                        "reading other replicas' alerts again, after %d failed sync(s)",
                        self.failed_in_a_row,
                    )
                    self.failed_in_a_row = 0
            except StoreUnavailable as exc:
                self.metrics.store_error(exc)
                self.failed_in_a_row += 1
                if self.failed_in_a_row % OUTAGE_LOG_EVERY == 1:  # the first, then every 60th
                    log.warning(
                        "could not read other replicas' alerts (%d time(s) in a row; counted "
                        "in bridge_store_errors_total): %s",
                        self.failed_in_a_row,
                        exc,
                    )
            except Exception as exc:
                log.error("replica sync failed\n%s", traced(exc))
