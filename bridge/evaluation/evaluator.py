"""The engine kept current: what webhooks admitted is evaluated soon, a timer evaluates the rest.

Contract:
- :meth:`Evaluator.admit` hands alert episodes to the engine and asks for an evaluation, which
  follows at once in a background task, coalesced over everything admitted meanwhile (under a
  storm at most once per ``evaluation.coalesce`` and never more than half the time), large
  incidents computed in a worker thread so the event loop keeps acknowledging webhooks; after
  each evaluation the :class:`Persist` port is asked to flush.
- :meth:`settle` evaluates, on the loop and at once, anything admitted but not yet evaluated:
  reads call it first, so they never show a state older than the last acknowledged webhook.
- :meth:`tick` is the timer's evaluation at ``now``: a duration threshold crossed with no new
  alert is seen within one tick.
- Every incident whose evaluation changed is added to :attr:`dirty` (persisted by
  :class:`~bridge.evaluation.persistence.IncidentWriter`).
- One key or incident whose evaluation (or persisting) raises never stops the others nor the
  evaluation task: :meth:`failed` logs it (the exception's type and frames, never its message,
  which may quote alert labels) and counts it in ``bridge_evaluation_errors_total{stage}``; the
  key is set aside until it changes again (:meth:`Engine.set_aside
  <bridge.core.engine.Engine.set_aside>`), so it is never retried in a loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bridge.core.alerts import AlertEpisode
from bridge.core.engine import Engine
from bridge.core.incident_state import compute
from bridge.core.incidents import EpisodeKey
from bridge.core.seen_again import SeenAgain
from bridge.errors import StoreUnavailable, traced
from bridge.metrics import Metrics

log = logging.getLogger("bridge.evaluation")

#: Keys with at least this many alerts are computed in a worker thread (see _evaluate_off_loop).
_OFFLOAD_FROM_ALERTS = 200
#: A key whose plans went stale this many times in a row is evaluated on the loop instead.
_STALE_PLANS_BEFORE_IN_PLACE = 3


class Persist(Protocol):
    """What follows an evaluation: the changed incidents persisted, their drafts updated."""

    async def flush(self) -> None: ...


class Evaluator:
    """See the module contract."""

    def __init__(
        self,
        engine: Engine,
        coalesce: timedelta,
        metrics: Metrics,
        now: Callable[[], datetime],
        persist: Persist,
    ) -> None:
        self.engine = engine
        self.coalesce = coalesce
        self.metrics = metrics
        self.now = now
        self.persist = persist
        self.dirty: set[str] = set()  # incidents changed since they were last persisted
        #: True from a restore until anything is admitted: the engine is what the store holds
        self.pristine = False
        self._task: asyncio.Task[None] | None = None
        self._wanted = False
        engine.on_failure = self.evaluation_failed

    async def replace(self, engine: Engine, changed: set[str]) -> None:
        """Use ``engine`` (restored from the store) from now on; a running evaluation of the
        old one is cancelled (its plans belong to the engine being replaced)."""
        await self.cancel()
        self.engine = engine
        engine.on_failure = self.evaluation_failed
        self.dirty = set(changed)
        self.pristine = True

    async def cancel(self) -> None:
        """Stop the background evaluation. One that had died of an error is done with: the
        error was its own (counted, logged by type and frames), it does not fail the caller
        (a rebuild, the service's stop: the lease must still be released, the store closed)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                self.metrics.task_failures.labels(task="evaluation").inc()
                log.error("background evaluation had failed\n%s", traced(exc))

    def admit(
        self, episodes: Sequence[AlertEpisode], truncation: Mapping[str, int]
    ) -> dict[EpisodeKey, str]:
        """Hand episodes to the engine and ask for an evaluation (none when they changed
        nothing: a re-sent group only moves ``last_seen``); where each was placed."""
        placed = self.engine.admit(episodes, truncation)
        self.pristine = False
        if self.engine.has_pending:
            self.request()
        return placed

    def seen_again(
        self,
        episodes: Sequence[AlertEpisode],
        truncation: Mapping[str, int],
        left: SeenAgain | None = None,
    ) -> SeenAgain | None:
        """:meth:`admit` for a group re-sent unchanged (:meth:`Engine.seen_again`, given what
        it returned for the group's last re-send); None when the engine holds something else
        for it (nothing changed: admit instead)."""
        again = self.engine.seen_again(episodes, truncation, left)
        if again is None:
            return None
        self.pristine = False
        if self.engine.has_pending:
            self.request()
        return again

    def request(self) -> None:
        """Evaluate what was admitted, soon and once for everything admitted meanwhile."""
        self._wanted = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def failed(self, stage: str, what: str, exc: BaseException) -> None:
        """Report one key's or incident's unexpected failure at ``stage`` (``evaluate``,
        ``persist``): logged with the exception's type and frames (not its message: it may
        quote alert labels) and counted; the caller goes on with the others."""
        self.metrics.evaluation_errors.labels(stage=stage).inc()
        log.error(
            "could not %s %s (a bug): set aside until it changes again, the others go on\n%s",
            stage,
            what,
            traced(exc),
        )

    def evaluation_failed(self, what: str, exc: Exception) -> None:
        """The engine's :attr:`~bridge.core.engine.Engine.on_failure` (restores give it too)."""
        self.failed("evaluate", what, exc)

    async def _loop(self) -> None:
        floor = self.coalesce.total_seconds()
        while self._wanted:
            self._wanted = False
            await asyncio.sleep(0)  # let webhooks already resumed admit theirs first
            started = time.perf_counter()
            try:
                await self._evaluate_off_loop()
            except Exception as exc:  # keys fail one by one (set aside); this is a last guard
                self.failed("evaluate", "the rest of the round", exc)
            try:
                await self.persist.flush()
            except StoreUnavailable:  # counted in flush; retried on tick
                pass
            except Exception as exc:  # incidents fail one by one (the writer); a last guard
                self.failed("persist", "the rest of the round", exc)
            # cost follows the incidents touched, not the number of webhooks, and
            # acknowledgements keep the other half of the loop; reads settle() themselves
            await asyncio.sleep(max(floor, time.perf_counter() - started))

    async def _evaluate_off_loop(self) -> None:
        """Evaluate pending keys one at a time, the heavy part in a worker thread."""
        stale: dict[str, int] = {}
        # keys committed this round: one still growing (its plan was applied while alerts
        # kept coming, which asked for another round) waits for the next, not starving others
        done: set[str] = set()
        while (plan := self.engine.next_plan(self.now(), done)) is not None:
            began = time.perf_counter()
            args = (plan, self.engine.topology, self.engine.rule_sets)
            try:
                if sum(len(part) for part in plan.intervals) < _OFFLOAD_FROM_ALERTS:
                    computed = compute(*args)  # a thread hop costs more than this
                    await asyncio.sleep(0)
                else:
                    computed = await asyncio.to_thread(compute, *args)
                changed = self.engine.commit(plan, computed)
            except Exception as exc:  # this key alone: the others are still evaluated
                self.engine.set_aside(plan.key)
                self.failed("evaluate", f"key {plan.key}", exc)
                done.add(plan.key)
                continue
            if changed is not None:
                done.add(plan.key)
            else:  # new alerts for the key meanwhile: plan again, or at last
                stale[plan.key] = stale.get(plan.key, 0) + 1  # evaluate in place (progress)
                if stale[plan.key] >= _STALE_PLANS_BEFORE_IN_PLACE:
                    changed = self.engine.evaluate_key(plan.key, self.now())
                    stale.pop(plan.key)
            self.dirty |= changed or set()
            self._observe("ingest", began)
        if self.engine.has_pending:  # what needs no plan: light re-evaluations
            self._evaluate_step(max_keys=0)

    def settle(self) -> None:
        """Evaluate anything admitted but not yet evaluated (reads call this first)."""
        if self.engine.has_pending:
            self._evaluate_step(max_keys=None)

    def _evaluate_step(self, max_keys: int | None) -> None:
        started = time.perf_counter()
        self.dirty |= self.engine.evaluate_pending(self.now(), max_keys)
        self._observe("ingest", started)

    def tick(self, now: datetime) -> set[str]:
        """The timer's evaluation at ``now``; the incidents it changed."""
        started = time.perf_counter()
        changed = self.engine.tick(now)
        self._observe("timer", started)
        self.dirty |= changed
        return changed

    def _observe(self, trigger: str, started: float) -> None:
        self.metrics.evaluation_duration.labels(trigger=trigger).observe(
            time.perf_counter() - started
        )
