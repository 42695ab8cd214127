"""The only place the pure core meets I/O: ingest, evaluate on a timer, persist, read.

Contract:
- :meth:`BridgeService.ingest` validates a webhook body, writes it durably through the store and
  only then admits it to the engine; it returns the accepted count and the incident ids the
  alerts belong to. A validation problem raises BadInput before anything is written; a store
  failure raises StoreUnavailable and nothing was acknowledged.
- Evaluation of what was admitted follows at once in a background task, coalesced over
  everything admitted meanwhile, large incidents computed in a worker thread; reads call
  :meth:`settle` first, so they never show a state older than the last acknowledged webhook.
- Derived incidents are persisted after evaluation by :meth:`flush` (after each evaluation and
  on every tick); a failed flush keeps them pending for the next one. They can always be
  recomputed from stored alerts, so a crash between the two writes loses nothing.
- :meth:`tick` runs on a timer (``evaluation.interval``) so a duration threshold crossed with
  no new alert is seen within one tick. It takes ``now`` from the injected clock.
- Replicas (see :mod:`bridge.replicas.leadership`): every replica ingests and evaluates (so any
  can answer reads and take over at once), and reads what the others acknowledged through the store's
  change numbers (:meth:`sync`, every ``replication.sync_interval`` and before reads), merging
  with :func:`~bridge.core.alerts.merge_episode` so the order things arrive in never matters.
  Only the lease holder persists incidents, drafts and sends, with its fencing token. On taking
  the lease a replica rebuilds its engine from the store (the previous leader's incident ids
  and drafts), like a restart; on losing it, it stops writing at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bridge.config import LoadedConfig
from bridge.config.inventory import load_inventory
from bridge.core import casework, documents
from bridge.core.alerts import merge_episode, parse_webhook
from bridge.core.engine import Engine, StoredIncident, compute
from bridge.core.incidents import CorrelationRules
from bridge.core.mapping import MappingRules
from bridge.core.topology import Topology
from bridge.errors import LeaseLost, StoreUnavailable
from bridge.metrics import Metrics
from bridge.notices.desk import NoticeDesk
from bridge.privacy.desk import PrivacyDesk
from bridge.replicas.leadership import Leadership
from bridge.store.base import IncidentRecord, Store

log = logging.getLogger("bridge.service")


#: The lease lasts evaluation.interval by default (failover within two ticks), but never less
#: than this unless set: a loaded event loop must not lose its own lease between renewals.
MIN_DEFAULT_LEASE = timedelta(seconds=5)

#: Keys with at least this many alerts are computed in a worker thread (see _evaluate_off_loop).
_OFFLOAD_FROM_ALERTS = 200
#: A key whose plans went stale this many times in a row is evaluated on the loop instead.
_STALE_PLANS_BEFORE_IN_PLACE = 3


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    incidents: list[str]


def mapping_rules(loaded: LoadedConfig) -> MappingRules:
    labels = loaded.config.inventory.labels
    return MappingRules(
        element_labels=tuple(labels.element),
        service=labels.service,
        region=labels.region,
        affected_connections=labels.affected_connections,
        jurisdiction=labels.jurisdiction,
        impact=labels.impact,
        severity=labels.severity,
        default_jurisdiction=loaded.config.inventory.default_jurisdiction,
    )


def correlation_rules(loaded: LoadedConfig) -> CorrelationRules:
    c = loaded.config.correlation
    return CorrelationRules(
        incident_label=c.incident_label,
        ancestor_kind=c.ancestor_kind,
        key_labels=tuple(tuple(k) for k in c.key_labels),
        window=c.window,
        quiet_period=c.quiet_period,
    )


def build_engine(loaded: LoadedConfig, topology: Topology) -> Engine:
    return Engine(
        topology,
        mapping_rules(loaded),
        correlation_rules(loaded),
        [rs.to_core() for rs in loaded.enabled_rule_sets()],
        loaded.config.evaluation.stale_after,
    )


class BridgeService:
    """See the module contract."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        topology: Topology | None = None,
    ) -> None:
        self.loaded = loaded
        self.store = store
        self.metrics = metrics
        self.clock = clock
        inv = loaded.config.inventory
        self.topology = topology or load_inventory(inv.path, inv.service_totals)
        self.engine = build_engine(loaded, self.topology)
        self._dirty: set[str] = set()
        self._flush_lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._evaluator: asyncio.Task[None] | None = None
        self._evaluation_wanted = False
        self.started = False
        self._notices_moved = False
        replication = loaded.config.replication
        # The host name by default: unique per pod (Kubernetes) and per machine, and the same
        # after a restart, so a restarted single bridge renews its own lease at once. Two
        # replicas on one machine must each set replication.replica_id.
        self.replica_id = replication.replica_id or socket.gethostname()
        self.leadership = Leadership(
            store,
            self.replica_id,
            replication.lease_ttl or max(loaded.config.evaluation.interval, MIN_DEFAULT_LEASE),
            self._became_leader,
            self._stepped_down,
        )
        self._cursor = 0  # the store's change number read up to
        self._fresh = False  # engine == what the store holds, nothing evaluated as a follower
        self._sync_task: asyncio.Task[None] | None = None
        self.desk = NoticeDesk(
            loaded,
            store,
            metrics,
            clock.now,
            self._owed,
            self._document,
            self._notices_changed,
            fence=lambda: self.leadership.token,
            lease_lost=self.leadership.lost,
        )
        self.privacy = PrivacyDesk(
            loaded, store, metrics, clock.now, lambda case_id: self.desk.select(incident=case_id)
        )

    @property
    def leading(self) -> bool:
        return self.leadership.leading

    # ---- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        # The evaluator keeps many small long-lived objects (episodes, timelines); the default
        # collector thresholds make full collections scan them all every few hundred ms under a
        # storm, which shows as webhook latency spikes. Collect young objects less eagerly.
        gc.set_threshold(50_000, 20, 100)
        self.topology.warm()
        await self.store.open()
        await self._rebuild()
        await self.leadership.step()
        if not self.leading:
            await self.desk.load()
        log.info(
            "started as %s (%s): %d alerts, %d incidents (%d open), inventory of %d elements",
            self.replica_id,
            "leader" if self.leading else f"follower of {self.leadership.leader_id}",
            len(self.engine.episodes),
            len(self.engine.incidents),
            len(self.engine.open_incidents()),
            len(self.topology),
        )
        self.started = True
        self._timer = asyncio.create_task(self._timer_loop(), name="evaluation-timer")
        self._sync_task = asyncio.create_task(self._sync_loop(), name="replica-sync")
        self.leadership.start()

    async def _rebuild(self) -> None:
        """Load the engine from the store, as a restart would (start; taking the lease)."""
        async with self._flush_lock:
            if self._evaluator is not None:  # its plans belong to the engine being replaced
                self._evaluator.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._evaluator
                self._evaluator = None
            now = self.clock.now()
            everything, cursor = await self.store.episodes_since(0)
            episodes = [ep for ep in everything if not self.privacy.is_privacy_alert(ep)]
            await self.privacy.start()
            stored = await self.store.load_incidents()
            truncation = await self.store.load_truncation()
            engine = build_engine(self.loaded, self.topology)
            changed = engine.restore(
                episodes,
                [
                    StoredIncident(r.id, r.key, r.started_at, r.episodes, r.merged_into)
                    for r in stored
                ],
                truncation,
                now,
            )
            self.engine = engine
            self._cursor = max(self._cursor, cursor)
            self._dirty = set(changed)
            self._fresh = True
            self.desk.tell_engine_all()  # the new engine knows nothing of the drafts yet

    async def _became_leader(self) -> None:
        if not self._fresh:
            await self._rebuild()
        self._fresh = False
        await self.desk.take_over()
        self.desk.mark(i.id for i in self.engine.incidents.values() if i.obligations)
        self.desk.mark(self.privacy.cases)
        await self.flush()

    async def _stepped_down(self) -> None:
        self._fresh = False
        self._dirty.clear()
        await self.desk.step_down()

    async def stop(self) -> None:
        self.started = False
        for task in (self._timer, self._evaluator, self._sync_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.desk.stop()
        self.settle()
        try:
            with contextlib.suppress(LeaseLost):
                await self.flush()
            await self.leadership.stop()
        finally:
            await self.store.close()

    async def _sync_loop(self) -> None:
        interval = self.loaded.config.replication.sync_interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
            except StoreUnavailable as exc:
                self.metrics.store_errors.labels(op=exc.op).inc()
                log.warning("could not read other replicas' alerts: %s", exc)
            except Exception:
                log.exception("replica sync failed")

    async def sync(self) -> int:
        """Admit what other replicas stored since the last call; return how many changed."""
        episodes, cursor = await self.store.episodes_since(self._cursor)
        self._cursor = max(self._cursor, cursor)
        candidates = [
            ep
            for ep in episodes
            if not self.privacy.is_privacy_alert(ep) and self.engine.episodes.get(ep.key) != ep
        ]
        if not candidates:
            return 0  # nothing new (on a single bridge: its own writes, read back)
        truncation = await self.store.load_truncation()
        # merged with what the engine holds *now* (no await below): never older than either
        known = self.engine.episodes
        news = []
        for ep in candidates:
            old = known.get(ep.key)
            merged = merge_episode(old, ep)
            if merged != old:
                news.append(merged)
        if news:
            self.engine.admit(news, truncation)
            if not self.leading:
                self._fresh = False
            self._request_evaluation()
        return len(news)

    async def _timer_loop(self) -> None:
        interval = self.loaded.config.evaluation.interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception:  # keep ticking: one bad evaluation must not stop the watch
                log.exception("evaluation tick failed")

    # ---- work ---------------------------------------------------------------------------
    async def ingest(self, body: object) -> IngestResult:
        now = self.clock.now()
        delivery = parse_webhook(body, now)
        try:
            stored = await self.store.ingest(delivery, now)
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(op=exc.op).inc()
            raise
        firing = sum(1 for ep in delivery.episodes if ep.firing)
        if firing:
            self.metrics.alerts_received.labels(status="firing").inc(firing)
        if len(delivery.episodes) > firing:
            self.metrics.alerts_received.labels(status="resolved").inc(
                len(delivery.episodes) - firing
            )
        if delivery.truncated_alerts:
            self.metrics.alerts_truncated.inc(delivery.truncated_alerts)
            log.warning(
                "Alertmanager truncated %d alert(s) in group %s (max_alerts)",
                delivery.truncated_alerts,
                delivery.group_key,
            )
        outage = [ep for ep in stored if not self.privacy.is_privacy_alert(ep)]
        if len(outage) < len(stored):  # privacy alerts open privacy cases, not incidents
            opened = await self.privacy.open_from_alerts(stored)
            self.desk.mark_changed(opened)
        placed = self.engine.admit(outage, {delivery.group_key: delivery.truncated_alerts})
        if not self.leading:
            self._fresh = False
        self._request_evaluation()
        return IngestResult(len(delivery.episodes), sorted(set(placed.values())))

    def _request_evaluation(self) -> None:
        """Evaluate what was admitted, soon and once for everything admitted meanwhile: under
        a storm many webhooks share one evaluation of the incidents they touch."""
        self._evaluation_wanted = True
        if self._evaluator is None or self._evaluator.done():
            self._evaluator = asyncio.get_running_loop().create_task(self._evaluate_loop())

    async def _evaluate_loop(self) -> None:
        floor = self.loaded.config.evaluation.coalesce.total_seconds()
        while self._evaluation_wanted:
            self._evaluation_wanted = False
            await asyncio.sleep(0)  # let webhooks already resumed admit theirs first
            started = time.perf_counter()
            await self._evaluate_off_loop()
            with contextlib.suppress(StoreUnavailable):  # counted in flush; retried on tick
                await self.flush()
            # Under a storm, evaluate at most once per ``coalesce`` and never more than half the
            # time: the cost then follows the incidents touched, not the number of webhooks,
            # and acknowledgements keep the other half of the loop. Reads settle() themselves.
            await asyncio.sleep(max(floor, time.perf_counter() - started))

    async def _evaluate_off_loop(self) -> None:
        """Evaluate pending keys one at a time, the heavy part in a worker thread, so the
        event loop keeps acknowledging webhooks while a large incident is recomputed."""
        stale: dict[str, int] = {}
        while (plan := self.engine.next_plan(self.clock.now())) is not None:
            began = time.perf_counter()
            args = (plan, self.engine.topology, self.engine.rule_sets)
            if sum(len(part) for part in plan.intervals) < _OFFLOAD_FROM_ALERTS:
                computed = compute(*args)  # a thread hop costs more than this
                await asyncio.sleep(0)
            else:
                computed = await asyncio.to_thread(compute, *args)
            changed = self.engine.commit(plan, computed)
            if changed is None:  # new alerts for the key meanwhile: plan again, or at last
                stale[plan.key] = stale.get(plan.key, 0) + 1  # evaluate in place (progress)
                if stale[plan.key] >= _STALE_PLANS_BEFORE_IN_PLACE:
                    changed = self.engine.evaluate_key(plan.key, self.clock.now())
                    stale.pop(plan.key)
            self._dirty |= changed or set()
            self.metrics.evaluation_duration.labels(trigger="ingest").observe(
                time.perf_counter() - began
            )
        if self.engine.has_pending:  # what needs no plan: light re-evaluations
            self._evaluate_step(max_keys=0)

    def settle(self) -> None:
        """Evaluate anything admitted but not yet evaluated (reads call this first)."""
        if self.engine.has_pending:
            self._evaluate_step(max_keys=None)

    def _evaluate_step(self, max_keys: int | None) -> None:
        started = time.perf_counter()
        self._dirty |= self.engine.evaluate_pending(self.clock.now(), max_keys)
        self.metrics.evaluation_duration.labels(trigger="ingest").observe(
            time.perf_counter() - started
        )

    async def tick(self) -> set[str]:
        with contextlib.suppress(StoreUnavailable):  # counted by the sync loop; reads retry
            await self.sync()
        with contextlib.suppress(StoreUnavailable):
            await self._reload_privacy_cases()
        if not self.leading:
            with contextlib.suppress(StoreUnavailable):
                await self.desk.load()
        now = self.clock.now()
        started = time.perf_counter()
        changed = self.engine.tick(now)
        self.metrics.evaluation_duration.labels(trigger="timer").observe(
            time.perf_counter() - started
        )
        self._dirty |= changed
        await self.flush()
        return changed

    async def flush(self) -> None:
        """Persist incidents changed since the last successful flush, then bring their drafts
        up to date (which may change their obligations: persisted in the same call)."""
        if not self.leading:  # the leader persists its own evaluation of the same alerts
            self._dirty.clear()
            return
        try:
            async with self._flush_lock:
                for _ in range(3):
                    await self._save_dirty()
                    self._notices_moved = False
                    try:
                        await self.desk.reconcile()
                    except StoreUnavailable as exc:  # drafts stay marked; the next flush retries
                        log.warning("could not update drafts: %s", exc)
                        return
                    if not self._dirty and not self._notices_moved:
                        return
                await self._save_dirty()
        except LeaseLost as exc:
            await self.leadership.lost(str(exc))

    async def _save_dirty(self) -> None:
        if not self._dirty:
            return
        pending = set(self._dirty)
        self._dirty -= pending
        now = self.clock.now()
        records = [self._record(i, now) for i in sorted(pending) if i in self.engine.incidents]
        try:
            await self.store.save_incidents(records, fence=self._fence())
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(op=exc.op).inc()
            self._dirty |= pending
            log.warning("could not persist %d incident(s): %s", len(pending), exc)
            raise
        self.desk.mark(pending)

    def _fence(self) -> int:
        token = self.leadership.token
        if token is None:
            raise LeaseLost("save_incidents", "this replica does not lead")
        return token

    # ---- notices ------------------------------------------------------------------------
    async def catch_up(self) -> None:
        """Before a read: what other replicas acknowledged, evaluated (a store failure leaves
        the state as it is; the read still answers)."""
        with contextlib.suppress(StoreUnavailable):
            await self.sync()
        self.settle()

    async def settle_notices(self) -> None:
        """Evaluate what was admitted and bring drafts up to date before a read of drafts (a
        store failure here leaves them as they are; the read still answers). A follower reads
        the drafts the leader keeps."""
        await self.catch_up()
        with contextlib.suppress(StoreUnavailable):
            if self.leading:
                await self.flush()
            else:
                await self.desk.load()

    def _owed(self, incident_id: str) -> list[casework.Owed] | None:
        """What the incident (or privacy case) owes now, for drafting (None: unknown)."""
        if self.privacy.is_case(incident_id):
            return self.privacy.owed(incident_id)
        inc = self.engine.incidents.get(incident_id)
        if inc is None:
            return None
        return [casework.Owed(o.kind, o.due_at) for o in inc.obligations]

    def _document(self, incident_id: str) -> dict[str, Any] | None:
        """The incident's full API document as evaluated so far (no settle); for a privacy
        case, the case as drafting reads it."""
        if self.privacy.is_case(incident_id):
            return self.privacy.document(incident_id)
        inc = self.engine.incidents.get(incident_id)
        if inc is None:
            return None
        return documents.document(inc, self.engine.episodes, self.topology, self.clock.now())

    def _notices_changed(
        self, incident_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> None:
        if self.privacy.is_case(incident_id):
            if self.privacy.set_notices(incident_id, events, states):
                self.desk.mark([incident_id])
                self._notices_moved = True
            return
        if self.engine.set_notices(incident_id, events, states, self.clock.now()):
            self._dirty.add(incident_id)

    def _record(self, incident_id: str, now: datetime) -> IncidentRecord:
        inc = self.engine.incidents[incident_id]
        return IncidentRecord(
            id=inc.id,
            key=inc.key,
            started_at=inc.started_at,
            state=inc.state,
            episodes=list(inc.episodes),
            merged_into=inc.merged_into,
            document=documents.stored_document(inc, self.topology, now),
        )

    async def _reload_privacy_cases(self) -> None:
        """Privacy cases opened or changed on another replica (by a person or an alert): their
        drafts are reconciled at once (only the leader drafts)."""
        if not self.privacy.enabled:
            return
        before = {cid: case.revision for cid, case in self.privacy.cases.items()}
        await self.privacy.start()
        moved = [
            cid for cid, case in self.privacy.cases.items() if before.get(cid) != case.revision
        ]
        if moved:
            self.desk.mark_changed(moved)

    async def privacy_changed(self, case_id: str) -> None:
        """Bring a privacy case's drafts up to date after a person changed it (a store failure
        leaves them marked for the next flush; the change itself is written)."""
        self.desk.mark_changed([case_id])
        with contextlib.suppress(StoreUnavailable):
            await self.flush()

    # ---- reads --------------------------------------------------------------------------
    def list_incidents(self, state: str) -> list[dict[str, Any]]:
        self.settle()
        now = self.clock.now()
        chosen = [
            inc for inc in self.engine.incidents.values() if state == "all" or inc.state == state
        ]
        chosen.sort(key=lambda i: (i.started_at, i.id), reverse=True)
        return [documents.summary(inc, now) for inc in chosen]

    def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        self.settle()
        return self._document(incident_id)

    async def ready(self) -> None:
        if not self.started:
            raise StoreUnavailable("ready", "service is starting")
        await self.store.ping()
