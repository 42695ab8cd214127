"""Retention in the running service: every ``count_interval`` the leader reads the stored
records per kind into ``bridge_store_records{kind}`` (counts only, cheap; a follower shows none,
as with every gauge of the store's content), and at most every ``interval`` it runs a pruning
pass (:class:`~bridge.retention.pruner.Pruner`)
whose removals are counted in ``bridge_pruned_records_total{kind}``.

Contract: the first pass runs one ``count_interval`` after start (a bridge restarted more often
than ``interval`` still prunes); a pass stops between batches as soon as this replica no longer
leads; a failing store or pass is logged and tried again on the next round, never ending the
task (counted in ``bridge_task_failures_total{task="retention"}``; a round without error sets
``bridge_task_last_success_timestamp_seconds{task="retention"}``).
The clock of the cut-offs is the service's (``now``), the cadence the event loop's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bridge.config.models import RetentionConfig
from bridge.errors import StoreUnavailable, traced
from bridge.metrics import Metrics
from bridge.retention.pruner import Pruner, PrunerStore, Report
from bridge.store.interfaces import RetentionStore

log = logging.getLogger("bridge.retention")


class RetentionTask:
    """See the module contract."""

    def __init__(
        self,
        pruner: Pruner,
        store: RetentionStore,
        metrics: Metrics,
        leading: Callable[[], bool],
        interval: timedelta,
        count_interval: timedelta,
    ) -> None:
        self.pruner = pruner
        self.store = store
        self.metrics = metrics
        self.leading = leading
        self.interval = interval.total_seconds()
        self.count_interval = count_interval.total_seconds()
        self.passes = 0  # pruning passes finished on this replica
        self._last_pass: float | None = None

    async def refresh_counts(self) -> None:
        """Read the stored records per kind into ``bridge_store_records`` on the leader; a
        follower shows none (sums over replicas must not count the one store twice)."""
        if not self.leading():
            self.metrics.store_records.clear()
            return
        for kind, n in (await self.store.count_records()).items():
            self.metrics.store_records.labels(kind=kind).set(n)

    async def prune(self) -> Report:
        """One pruning pass as the leader, counted in the metrics."""
        report = await self.pruner.run(dry_run=False, by="service", keep_going=self.leading)
        for kind, n in report.counts.items():
            if n:
                self.metrics.pruned_records.labels(kind=kind).inc(n)
        self.passes += 1
        return report

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        await self._round(loop, prune=False)
        while True:
            await asyncio.sleep(min(self.count_interval, self.interval))
            due = self._last_pass is None or loop.time() - self._last_pass >= self.interval
            await self._round(loop, prune=due and self.leading())

    async def _round(self, loop: asyncio.AbstractEventLoop, prune: bool) -> None:
        try:
            if prune:
                self._last_pass = loop.time()
                await self.prune()
            await self.refresh_counts()
        except StoreUnavailable as exc:
            self.metrics.task_failures.labels(task="retention").inc()
            log.warning("retention: store unavailable (%s); trying again later", exc)
        except Exception as exc:  # keep the task: the next round tries again
            self.metrics.task_failures.labels(task="retention").inc()
            log.error("retention round failed\n%s", traced(exc))
        else:
            self.metrics.task_last_success.labels(task="retention").set(
                self.pruner.now().timestamp()
            )


def retention_task(
    cfg: RetentionConfig,
    store: PrunerStore,
    metrics: Metrics,
    forget_drafts: Callable[[Sequence[str]], None],
    now: Callable[[], datetime],
    leading: Callable[[], bool],
    privacy_label: Mapping[str, str] | None = None,
    held: Callable[[str], bool] = lambda incident_id: False,
) -> RetentionTask:
    """The service's task from ``retention`` in bridge.yaml; ``forget_drafts`` tells whoever
    holds drafts in memory (the notice book) which ones went; ``privacy_label`` is
    ``privacy.alert_label`` and ``held`` says which incidents memory holds (see
    :class:`~bridge.retention.pruner.Pruner`)."""
    pruner = Pruner(store, cfg.periods(), cfg.batch, now, forget_drafts, privacy_label, held)
    return RetentionTask(pruner, store, metrics, leading, cfg.interval, cfg.count_interval)
