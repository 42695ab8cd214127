"""The composition root: the stages wired together, started and stopped, and their one join.

Contract:
- :meth:`BridgeService.start` refuses a store rolled back after notices left
  (:class:`~bridge.errors.StoreRolledBack`, store closed again: its hand-over count is below the
  archive folder's witness, :mod:`bridge.notices.witness`) and a live stored API token sharing
  a configured token's secret or API token's name (ConfigError naming both, store closed
  again: :func:`bridge.people.tokens.clashes`), else
  loads the engine from the store (like every restart), takes or
  follows the lease, then runs the evaluation timer (``evaluation.interval``), the replica sync
  (``replication.sync_interval``) and the lease renewal. :meth:`stop` stops them (a notice
  being handed to the relay is let finish, :mod:`bridge.notices.outbox`), persists what is
  pending, releases the lease and closes the store. Each step runs whatever an earlier one
  raised (logged by type and frames); all of them within :func:`stop_deadline` (15 s, plus
  ``smtp.timeout`` for the hand-over), past which the remaining steps are abandoned (one log
  line) and the store is closed all the same. A start that fails or is cancelled (a stop
  during it) once the store is open runs :meth:`stop` before it raises: what it started stops
  and a lease it took (or may have: an attempt cut off) is released, so a peer leads at once.
- :meth:`ingest` (:mod:`bridge.evaluation.ingest`) acknowledges a webhook only after its durable
  write; evaluation follows in the background (:mod:`bridge.evaluation.evaluator`).
- :meth:`flush` is the join of evaluation and notices: incidents changed since the last
  successful flush are persisted, then their drafts brought up to date (which may change their
  obligations: persisted in the same call). A failed flush keeps them pending for the next one.
- :meth:`tick` runs on the timer: other replicas' alerts and privacy cases read (declarations
  and people's impact overrides too: :meth:`change_impact`), a follower's drafts re-read,
  the engine evaluated at the injected clock's ``now``, then a flush. Each step is guarded on
  its own (counted in ``bridge_task_failures_total{task="tick.<step>"}``): no failing step
  keeps the engine from being evaluated and flushed; a tick that evaluated and flushed sets
  ``bridge_task_last_success_timestamp_seconds{task="evaluation-timer"}``.
- Replicas (:mod:`bridge.replicas`, :mod:`bridge.evaluation.replica_sync`): every replica
  ingests and evaluates; only the lease holder persists incidents, drafts and sends, with its
  fencing token. On taking the lease a replica
  rebuilds its engine from the store unless nothing was admitted since its last rebuild, like a
  restart; on losing it, it stops writing at once.
- Lifecycle log (logger ``bridge.lifecycle``, INFO, ids only, never personal data): one line
  per incident opened, closed (or merged), became reportable to a regulator (or met a rule set
  that owes no regulator: "incident X: reference matrix met: enisa-matrix (opens no report)",
  "incident X: pts-outage met: internal threshold (repealed 2026-01-15), owed to no
  regulator"), and obligation opened, written by the leader as it persists the change (what
  the engine held when it was loaded from the store is not logged again); the drafts' lines
  come from the notice book.
- :meth:`ready` (``/readyz``): started and the store's ping (a write) passes; the cause of a
  failure is logged once per change of state, not on every probe.
- Reads (:meth:`list_incidents`, :meth:`get_incident`, :meth:`settle_notices`) never show a
  state older than the last acknowledged webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bridge.cases import CaseRouter, PrivacyIntake
from bridge.config import BridgeConfig, LoadedConfig, trace
from bridge.config.inventory import load_inventory
from bridge.core import awareness, calendar, documents, handling, impact_override
from bridge.core.alerts import AlertEpisode
from bridge.core.audit_search import AuditFilter
from bridge.core.engine import Engine
from bridge.core.incident_state import Incident
from bridge.core.report_names import met_words
from bridge.core.rules import Assessment, RuleSet
from bridge.core.topology import Topology
from bridge.errors import (
    BadInput,
    ConfigError,
    Conflict,
    LeaseLost,
    StoreEmpty,
    StoreLost,
    StoreUnavailable,
    traced,
)
from bridge.evaluation.by_hand import ByHand
from bridge.evaluation.declarations import Declarations
from bridge.evaluation.engine import build_engine, mapping_rules
from bridge.evaluation.evaluator import Evaluator
from bridge.evaluation.incidents import IncidentView
from bridge.evaluation.ingest import Ingest, IngestResult
from bridge.evaluation.persistence import IncidentWriter
from bridge.evaluation.recall import Recalled, recall_incident
from bridge.evaluation.regroup import Regroup
from bridge.evaluation.replica_sync import ReplicaSync
from bridge.evaluation.restore import restore_engine
from bridge.evaluation.sweeper import Sweeper
from bridge.handling.book import Casebooks, Change
from bridge.loop_lag import LoopLag
from bridge.metrics import Metrics
from bridge.notices import in_use, mail
from bridge.notices.book import DraftBook
from bridge.notices.context import drafting_context
from bridge.notices.desk import NoticeDesk
from bridge.notices.drafting import Drafting
from bridge.notices.outbox import Outbox
from bridge.people import tokens
from bridge.people.rules import add_person_hint
from bridge.privacy.access_audit import AccessAudit
from bridge.privacy.cases import PrivacyCases, is_case
from bridge.privacy.owed import PrivacyObligations
from bridge.replicas.leadership import Leadership, lease_holder
from bridge.retention.task import retention_task
from bridge.store.interfaces import Store
from bridge.store.outage import Refusals
from bridge.store.records import AuditEntry, CasebookRecord

__all__ = [
    "STOP_DEADLINE",
    "BridgeService",
    "Clock",
    "IngestResult",
    "SystemClock",
    "stop_deadline",
]

#: the audit action of a start whose configuration differs from the last one recorded
CONFIG_LOADED = "config.loaded"

log = logging.getLogger("bridge.service")
lifecycle = logging.getLogger("bridge.lifecycle")

#: What the lifecycle log follows per incident: state, merged into, the regulators whose rule
#: sets it meets (each with None when that makes it reportable, a report owed, else what it
#: means: a reference matrix, a repealed law's internal threshold), obligations by (regulator,
#: kind), and the regulators whose (cybersecurity act) criteria mark it potentially
#: significant, for a person to declare.
Facts = tuple[
    str,
    str | None,
    frozenset[tuple[str, str | None]],
    frozenset[tuple[str, str]],
    frozenset[str],
]


def facts_of(inc: Incident, rule_sets: Mapping[str, RuleSet]) -> Facts:
    """``rule_sets``: by id, to tell what a met verdict means (:func:`_owes_no_one`)."""
    return (
        inc.state,
        inc.merged_into,
        frozenset(
            (a.regulator, _owes_no_one(a, inc, rule_sets))
            for a in inc.assessments
            if a.reportable and a.track != "cyber"
        ),
        frozenset((o.regulator, o.kind) for o in inc.obligations),
        frozenset(a.regulator for a in inc.assessments if a.reportable and a.track == "cyber"),
    )


def _owes_no_one(a: Assessment, inc: Incident, rule_sets: Mapping[str, RuleSet]) -> str | None:
    """None when the met verdict makes the incident reportable (a report owed to the regulator),
    else its words (:func:`bridge.core.report_names.met_words`): a reference matrix, a
    repealed law's internal threshold."""
    meaning = documents.meaning(a, inc, rule_sets.get(a.rule_set))
    if meaning.get("binding", True) and not meaning.get("reference"):
        return None
    return met_words({"regulator": a.regulator, "rule_set": a.rule_set, **meaning})


def log_lifecycle(incident_id: str, before: Facts | None, now: Facts) -> None:
    """One INFO line per lifecycle event between ``before`` (None: new) and ``now``."""
    state, merged_into, reportable, obligations, marked = now
    old_state, _, old_reportable, old_obligations, old_marked = before or (
        "",
        None,
        frozenset(),
        frozenset(),
        frozenset(),
    )
    if before is None:
        lifecycle.info(
            "incident opened: %s",
            incident_id,
            extra={"event": "incident.opened", "incident": incident_id},
        )
    for regulator, words in sorted(reportable - old_reportable, key=lambda m: (m[0], m[1] or "")):
        if words is None:
            lifecycle.info(
                "incident %s became reportable to %s",
                incident_id,
                regulator,
                extra={
                    "event": "incident.reportable",
                    "incident": incident_id,
                    "regulator": regulator,
                },
            )
        else:  # met, owing no regulator anything
            lifecycle.info(
                "incident %s: %s",
                incident_id,
                words,
                extra={
                    "event": "incident.threshold_met",
                    "incident": incident_id,
                    "regulator": regulator,
                },
            )
    for regulator in sorted(marked - old_marked):
        lifecycle.info(
            "incident %s marked potentially significant (%s): a person decides whether to "
            "declare it",
            incident_id,
            regulator,
            extra={
                "event": "incident.potentially_significant",
                "incident": incident_id,
                "regulator": regulator,
            },
        )
    for regulator, kind in sorted(obligations - old_obligations):
        lifecycle.info(
            "obligation opened: %s owes %s %s",
            incident_id,
            regulator,
            kind,
            extra={
                "event": "obligation.opened",
                "incident": incident_id,
                "regulator": regulator,
                "kind": kind,
            },
        )
    if state != "open" and state != old_state:
        how = f"merged into {merged_into}" if merged_into else state
        lifecycle.info(
            "incident %s: %s",
            incident_id,
            how,
            extra={
                "event": f"incident.{'merged' if merged_into else state}",
                "incident": incident_id,
            },
        )


#: What :meth:`BridgeService.stop` gives its steps besides a notice's hand-over in flight
#: (see :func:`stop_deadline`).
STOP_DEADLINE = timedelta(seconds=15)


def stop_deadline(cfg: BridgeConfig) -> timedelta:
    """The bound of :meth:`BridgeService.stop` (all steps but closing the store):
    :data:`STOP_DEADLINE`, plus ``smtp.timeout`` when a relay is configured, so a hand-over in
    flight may finish within its timeout (cut off, the notice is in doubt for a person) and
    persisting and releasing the lease still get their 15 s after it. After SIGTERM,
    ``bridge serve`` first gives requests in flight ``IN_FLIGHT_GRACE`` (5 s); 5 + at most
    15 + 60 s (``MAX_SMTP_TIMEOUT``), plus closing SQLite behind a write that waits at most its
    busy timeout (at most 5 s: ``SQLITE_MAX_BUSY_TIMEOUT_MS``, refused beyond at load), stay
    inside ``terminationGracePeriodSeconds: 90`` (deploy/kubernetes) and ``TimeoutStopSec=90s``
    (deploy/systemd)."""
    return STOP_DEADLINE + (cfg.smtp.timeout if cfg.smtp is not None else timedelta(0))


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class BridgeService:
    """See the module contract."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        topology: Topology | None = None,
        *,
        accept_empty_store: bool = False,
    ) -> None:
        cfg = loaded.config
        self.loaded = loaded
        self.store = store
        #: ``bridge serve --accept-empty-store``: a store found empty although the archive
        #: shows it was in use is created anew (audited) instead of refused (:meth:`_open_store`)
        self.accept_empty_store = accept_empty_store
        self._created_empty: tuple[in_use.Evidence, str] | None = None
        self.metrics = metrics
        self.loop_lag = LoopLag(metrics.event_loop_lag.observe)
        self.clock = clock
        now = clock.now
        self.topology = topology or load_inventory(cfg.inventory.path, cfg.inventory.service_totals)
        self._flush_lock = asyncio.Lock()
        self._facts: dict[str, Facts] = {}  # per incident, as last logged (lifecycle log)
        #: incidents brought back for what a person does on them, until it is recorded or
        #: refused (:meth:`_recall_done`)
        self._recalled: dict[str, Recalled] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.started = False
        self._unready: str | None = None  # why ready() last failed (its log), None: it passed
        #: the API's and console's requests the store refused (bridge.web.answers), logged once
        #: per outage; over when the store answers again: the readiness ping passes or a webhook
        #: is stored (a 2xx proves nothing: many routes read memory only)
        self.refusals = Refusals("requests", "the store answers requests again", now)
        self.stop_deadline = stop_deadline(cfg)  # see stop()
        # The name in logs, /readyz and bridge_leader{replica}: the host name by default
        # (unique per pod and per machine; two replicas on one machine set
        # replication.replica_id). The lease is held by this process, not by the name
        # (lease_holder: name, pid, nonce): a second process under the same name follows.
        self.replica_id = cfg.replication.replica_id or socket.gethostname()
        self.leadership = Leadership(
            store,
            lease_holder(self.replica_id),
            loaded.lease_ttl(),
            self._became_leader,
            self._stepped_down,
            metrics,
            on_reset=self._store_reset,
        )
        # evaluation
        engine = build_engine(loaded, self.topology)
        self.evaluator = Evaluator(engine, cfg.evaluation.coalesce, metrics, now, self)
        self.incidents = IncidentView(
            self.evaluator, self.topology, now, store, lambda: build_engine(loaded, self.topology)
        )
        self.writer = IncidentWriter(
            store, self.evaluator, self.topology, metrics, self.leadership, now
        )
        self.sweeper = Sweeper(
            self.evaluator,
            self.writer,
            cfg.evaluation.memory_horizon,
            lambda: self.leadership.leading,
            now,
        )
        # privacy, notices
        self.privacy = PrivacyCases(loaded, store, metrics, now)
        self.privacy_owed = PrivacyObligations(
            self.privacy,
            [rs.to_core() for rs in loaded.privacy_rule_sets()],
            now,
            lambda case_id: self.book.select(incident=case_id),
        )
        self.access_audit = AccessAudit(store, metrics, now)
        self.casebooks = Casebooks(store, now)  # people's handling of incidents
        # people's merges and splits: kept in the casebook, then applied and evaluated at once
        self.regroup = Regroup(
            lambda: self.evaluator.engine,
            self.casebooks.change,
            self._settle_regrouped,
            lambda: self.leading,
        )
        self.declarations = Declarations(store, now)  # the cybersecurity act's declarations
        self.cases = CaseRouter(self.incidents, self.privacy_owed, self.declarations)
        self.book = DraftBook(store, metrics, self.cases, self.leadership)
        context = drafting_context(loaded, self.topology.region_names)
        self.drafting = Drafting(
            self.book, self.cases, context, cfg.notices.refresh_interval, now, metrics
        )
        self.outbox = Outbox(
            self.book,
            cfg.smtp,
            cfg.notices,
            context.sender,
            metrics,
            self.leadership,
            now,
            store,
            self.drafting,
        )
        domain = mail.sender_domain(cfg.smtp.sender if cfg.smtp else "")
        self.desk = NoticeDesk(self.book, self.cases, context, self.outbox, domain, now)
        intake = PrivacyIntake(self.privacy, self.drafting)
        self.replicas = ReplicaSync(
            store, self.evaluator, self._is_outage, metrics, cfg.replication.sync_interval
        )
        self.intake = Ingest(
            store,
            self.evaluator,
            intake,
            metrics,
            now,
            cfg.server.limits.webhook(),
            written=self.replicas.mine,
        )
        self.by_hand = ByHand(
            self.intake,
            store,
            self.evaluator,
            mapping_rules(loaded),
            cfg.correlation.incident_label,
            self.topology.elements.keys(),
            self.topology.service_names(),
            now,
        )
        self.retention = retention_task(
            cfg.retention,
            store,
            metrics,
            self.book.forget,
            now,
            lambda: self.leading,
            privacy_label=cfg.privacy.alert_label if cfg.privacy is not None else None,
            held=lambda incident_id: incident_id in self.evaluator.engine.incidents,
        )

    def _is_outage(self, ep: AlertEpisode) -> bool:
        return not self.privacy.is_privacy_alert(ep)

    def _live_cases(self) -> set[str]:
        """The incidents and privacy cases memory holds (whose drafts the book holds all of)."""
        return set(self.evaluator.engine.incidents) | set(self.privacy.cases)

    def _rule_sets(self) -> dict[str, RuleSet]:
        """The engine's rule sets by id (what a verdict means: the lifecycle log)."""
        return {rs.id: rs for rs in self.evaluator.engine.rule_sets}

    @property
    def engine(self) -> Engine:
        return self.evaluator.engine

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
        calendar.warm(self.clock.now().year)
        # What exists now (the inventory's elements, 10^5 for a large operator; the
        # configuration; the modules) lives as long as the process: frozen out of the
        # collector's walks, a full collection takes a third to a half of the time (about
        # 200 ms → 60–100 ms at 10^5 elements and 10^4 alerts on this project's machines).
        # What is restored and evaluated from here on turns over and is collected as before;
        # stop() thaws what was frozen (any garbage among it is collected then).
        gc.freeze()
        # the loops' last successes start at the start (an alert on a loop that never succeeded
        # then fires as one that stopped would, instead of never: bridge_task_last_success_*)
        started_at = self.clock.now().timestamp()
        for task in ("evaluation-timer", "lease", "outbox", "retention"):
            self.metrics.task_last_success.labels(task=task).set(started_at)
        await self._open_store()  # closes what it opened if it fails or is cancelled
        try:
            await self._start_on_open_store()
        except BaseException:  # refused, failed, or cancelled (a stop during the start)
            await self.stop()  # what was started stops; a lease taken is released
            raise

    async def _open_store(self) -> None:
        """Open the store. One that holds nothing while the archive folder shows a store was
        in use with it (:mod:`bridge.notices.in_use`) lost its data: it is not created but
        refused (StoreLost, one line saying what to do), unless ``accept_empty_store``."""
        found = in_use.evidence(self.loaded.config.notices.archive_dir)
        if found is None:
            await self.store.open()
            return
        try:
            await self.store.open(create=False)
        except StoreEmpty as exc:
            if not self.accept_empty_store:
                raise StoreLost(in_use.refusal(exc.where, found)) from None
            log.warning(
                "%s holds no data although the archive %s shows a store in use with it (%s): "
                "a new empty store is created, as %s asks; audited as %s",
                exc.where,
                found.folder,
                found.said(),
                in_use.FLAG,
                in_use.ACTION,
            )
            await self.store.open()
            self._created_empty = (found, exc.where)

    async def _accept_empty(self, found: in_use.Evidence, where: str) -> None:
        """The new empty store numbers its audit entries above the archive's mark and counts
        hand-overs from the witness on (nothing handed out before is handed out again; the
        rolled-back guard has nothing to refuse: the store holds no notice), and says what
        happened in its first entry (:func:`bridge.notices.in_use.created_entry`)."""
        if found.mark is not None:
            await self.store.raise_audit_seq(found.mark.seq)
        if found.handovers is not None:
            await self.store.raise_handovers(found.handovers.count)
        await self.store.append_audit([in_use.created_entry(found, self.clock.now(), where)])

    async def _start_on_open_store(self) -> None:
        if self._created_empty is not None:  # before any other write: numbered above the mark
            await self._accept_empty(*self._created_empty)
            self._created_empty = None
        # a store rolled back after notices left would send them again: not served
        await self.outbox.not_rolled_back()
        # a stored token beside a configured one with its secret or name: not served
        stored = await self.store.list_tokens()
        clashing = tokens.clashes(self.loaded.config.auth, stored, self.loaded.origin)
        if clashing:
            raise ConfigError(clashing)
        # live tokens sharing a name from before the store refused it: kept, said
        for shared in tokens.shared_names(stored):
            log.warning("%s", shared)
        await self._trace_config()
        if self.loaded.config.smtp is None:  # the console says it on every page too
            log.warning(
                "no mail relay (no smtp section): approved notices are not sent; they "
                "wait in the outbox until a relay is configured"
            )
        await self._rebuild()
        await self.leadership.step()
        if not self.leading:
            await self.book.load(self._live_cases())
        engine = self.evaluator.engine
        log.info(
            "started as %s (%s): %d live alerts, %d live incidents (%d open), inventory of %d "
            "elements",
            self.leadership.holder,
            "leader" if self.leading else f"follower of {self.leadership.leader_id}",
            len(engine.episodes),
            len(engine.incidents),
            len(engine.open_incidents()),
            len(self.topology),
        )
        if not await self.store.list_users():
            log.info(
                "no people yet: nobody can sign in to the console; add one with %s",
                add_person_hint(self.loaded.path),
            )
        self.started = True
        self._tasks = [
            asyncio.create_task(self._timer_loop(), name="evaluation-timer"),
            asyncio.create_task(self.replicas.run(), name="replica-sync"),
            asyncio.create_task(self.retention.run(), name="retention"),
        ]
        self.loop_lag.start()
        self.leadership.start()

    async def stop(self) -> None:
        """See the module contract: the steps in order, each whatever the one before raised,
        all within :attr:`stop_deadline`; the store is closed in any case."""
        self.started = False
        gc.unfreeze()  # see start(): another service in this process may start again
        loop = asyncio.get_running_loop()
        end = loop.time() + self.stop_deadline.total_seconds()

        async def outbox() -> None:  # the hand-over in flight: smtp.timeout, within the deadline
            grace = timedelta(seconds=max(end - loop.time(), 0))
            smtp = self.loaded.config.smtp
            await self.outbox.stop(min(grace, smtp.timeout) if smtp is not None else grace)

        async def settle() -> None:
            self.evaluator.settle()

        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("loop-lag", self.loop_lag.stop),
            ("evaluation", self.evaluator.cancel),
            ("tasks", self._cancel_tasks),
            ("outbox", outbox),
            ("settle", settle),
            ("flush", self.flush),
            ("lease", self.leadership.stop),
        ]
        try:
            for number, (name, step) in enumerate(steps):
                deadline = asyncio.timeout_at(end)
                try:
                    async with deadline:
                        await step()
                except TimeoutError as exc:
                    if not deadline.expired():
                        log.error("stop: step %s failed\n%s", name, traced(exc))
                        continue
                    log.error(
                        "stop: not done within %g s, abandoned at step %s (not run: %s)",
                        self.stop_deadline.total_seconds(),
                        name,
                        ", ".join(n for n, _ in steps[number + 1 :]) or "none",
                    )
                    break
                except LeaseLost:  # another replica leads: nothing of ours to persist
                    log.warning("stop: step %s refused, the lease was lost", name)
                except Exception as exc:  # the next steps run all the same
                    log.error("stop: step %s failed\n%s", name, traced(exc))
        finally:
            await self.store.close()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _rebuild(self) -> None:
        """Load the engine from the store, as a restart would (start; taking the lease)."""
        async with self._flush_lock:
            await self.evaluator.cancel()
            await self.privacy.start()
            await self.declarations.load()
            engine, changed, cursor = await restore_engine(
                self.store,
                self.store,
                self.loaded,
                self.topology,
                self._is_outage,
                self.clock.now(),
                self.store,
                on_failure=self.evaluator.evaluation_failed,
            )
            # people's impact overrides of the live incidents (bridge.core.impact_override)
            if await self._load_overrides(engine):
                changed |= engine.evaluate_pending(self.clock.now())
            await self.evaluator.replace(engine, changed)
            self._facts = {
                i: facts_of(inc, self._rule_sets()) for i, inc in engine.incidents.items()
            }
            self.replicas.advance(cursor)
            self.book.tell_all()  # the new engine knows nothing of the drafts yet
            self.cases.declared(self.declarations.known)  # nor of people's declarations

    async def _became_leader(self) -> None:
        if not self.evaluator.pristine:
            await self._rebuild()
        self.evaluator.pristine = False
        await self.book.load(self._live_cases())
        await self.outbox.recover()
        self.drafting.restart()
        self.outbox.start()
        engine = self.evaluator.engine
        self.drafting.mark(i.id for i in engine.incidents.values() if i.obligations)
        self.drafting.mark(self.privacy.cases)
        await self.flush()

    async def _stepped_down(self) -> None:
        self.evaluator.pristine = False
        self.evaluator.dirty.clear()
        self.outbox.pause()

    async def _store_reset(self) -> None:
        """Redis was found restarted or failed over underneath (the lease's renewal said so,
        having stepped down): read every alert again at the next sync; leading again is a
        takeover, which rebuilds from the store."""
        self.evaluator.pristine = False
        self.replicas.reset()

    async def _timer_loop(self) -> None:
        interval = self.loaded.config.evaluation.interval.total_seconds()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.tick()
            except Exception as exc:  # keep ticking: one bad evaluation must not stop the watch
                self.metrics.task_failures.labels(task="evaluation-timer").inc()
                log.error("evaluation tick failed\n%s", traced(exc))

    # ---- work ---------------------------------------------------------------------------
    async def ingest(self, body: object) -> IngestResult:
        result = await self.intake.ingest(body)
        self.refusals.answered()  # stored: the store answers
        return result

    async def tick(self) -> set[str]:
        """See the module contract. Each step is guarded on its own: whatever one of them
        raises (counted as ``bridge_task_failures_total{task="tick.<step>"}``, logged by type
        and frames), the others run, and the engine is evaluated and flushed on every tick."""
        await self._tick_step("replica_sync", lambda: self.replicas.sync(settle=True))
        await self._tick_step("privacy_cases", self._reload_privacy_cases)
        await self._tick_step("declarations", self._reload_declarations)
        # impact overrides set or lifted on another replica
        await self._tick_step("overrides", lambda: self._load_overrides(self.engine))
        if not self.leading:
            await self._tick_step("drafts", lambda: self.book.load(self._live_cases()))
        now = self.clock.now()
        changed: set[str] = set()

        async def evaluate() -> None:
            changed.update(self.evaluator.tick(now))

        evaluated = await self._tick_step("evaluate", evaluate, quiet_outage=False)
        flushed = await self._tick_step("flush", self.flush, quiet_outage=False)
        await self._tick_step("sweep", self._sweep)
        if evaluated and flushed:
            self.metrics.task_last_success.labels(task="evaluation-timer").set(now.timestamp())
        return changed

    async def _tick_step(
        self, name: str, step: Callable[[], Awaitable[object]], *, quiet_outage: bool = True
    ) -> bool:
        """Run one step of :meth:`tick`; False when it failed (counted and logged). A store
        outage is counted where the store is called; ``quiet_outage`` leaves it at that (the
        reads retry on the next tick), else it is counted here as well."""
        try:
            await step()
        except StoreUnavailable as exc:
            if not quiet_outage:
                self.metrics.task_failures.labels(task=f"tick.{name}").inc()
                log.warning("evaluation tick: %s failed, store unavailable: %s", name, exc)
            return False
        except Exception as exc:
            self.metrics.task_failures.labels(task=f"tick.{name}").inc()
            log.error("evaluation tick: %s failed\n%s", name, traced(exc))
            return False
        return True

    async def _sweep(self) -> None:
        """Let settled incidents leave memory, and with them what the service kept of each."""
        gone = await self.sweeper.sweep()
        if gone:
            self.book.let_go(gone)
            self._let_go(gone)

    def _let_go(self, gone: set[str]) -> None:
        """Forget what the service kept of incidents that left memory (their drafts aside)."""
        self.cases.let_go(gone)
        self.drafting.let_go(gone)
        for incident_id in gone:
            self._facts.pop(incident_id, None)

    async def flush(self) -> None:
        """Persist incidents changed since the last successful flush, then bring their drafts
        up to date (which may change their obligations: persisted in the same call)."""
        if not self.leading:  # the leader persists its own evaluation of the same alerts
            self.cases.declared(set(self.evaluator.dirty))  # merged: hosts hear declarations
            self.evaluator.dirty.clear()
            return
        try:
            async with self._flush_lock:
                for _ in range(3):
                    await self._save()
                    self.drafting.mark(self.cases.take_moved())
                    try:
                        await self.drafting.reconcile()
                    except StoreUnavailable as exc:  # drafts stay marked; the next flush retries
                        log.warning("could not update drafts: %s", exc)
                        return
                    moved = self.cases.take_moved()
                    self.drafting.mark(moved)
                    if not self.evaluator.dirty and not moved:
                        return
                await self._save()
        except LeaseLost as exc:
            await self.leadership.lost(str(exc))

    async def _save(self) -> None:
        saved = await self.writer.save_dirty()
        # an incident merged into another, or one that took others in: the hosts stand by the
        # declarations and requests of what was merged into them (bridge.cases)
        self.cases.declared(saved)
        incidents = self.evaluator.engine.incidents
        rule_sets = self._rule_sets()
        for incident_id in sorted(saved):
            inc = incidents.get(incident_id)
            if inc is not None:
                now = facts_of(inc, rule_sets)
                log_lifecycle(incident_id, self._facts.get(incident_id), now)
                self._facts[incident_id] = now
        self.drafting.mark(saved)

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
            self.drafting.mark_changed(moved)

    async def _reload_declarations(self) -> None:
        """Declarations made on another replica: the incidents' clocks and drafts follow."""
        changed = await self.declarations.load()
        for incident_id in sorted(changed - self.engine.incidents.keys()):
            # a request recorded on another replica for an incident that left memory here
            try:
                if await self._recall(incident_id):
                    self._recall_done(incident_id, recorded=True)
            except Conflict as exc:
                log.warning("declarations: incident %s not brought back: %s", incident_id, exc)
        for incident_id, brought in list(self._recalled.items()):
            if brought.ids & changed:  # a person acts on it here: a record now makes it stay
                self._recall_done(incident_id, recorded=True)
        if changed:
            self.cases.declared(changed)
            self.drafting.mark_changed(changed)

    async def _load_overrides(self, engine: Engine) -> set[str]:
        """Give the engine people's impact overrides of the incidents it holds, as the casebook
        keeps them; the incidents whose override changed (evaluated with the pending keys)."""
        ids = sorted(i for i, inc in engine.incidents.items() if inc.merged_into is None)
        records = await self.store.casebooks(ids) if ids else {}
        default = engine.mapping.default_jurisdiction
        changed: set[str] = set()
        for inc_id in ids:
            record = records.get(inc_id)
            override = impact_override.from_document(record.document, default) if record else None
            if engine.set_override(inc_id, override):
                changed.add(inc_id)
        return changed

    async def _trace_config(self) -> None:
        """Audit the configuration this start runs with when it differs from what the log last
        recorded (:mod:`bridge.config.trace`): ``config.loaded`` by ``bridge``, naming what
        changed and keeping the full text of each rule set that did. A store that refuses
        the read or the write stops the start, as any other refusal does."""
        now_ = trace.fingerprint(self.loaded)
        page = await self.store.search_audit(AuditFilter(action=CONFIG_LOADED), limit=1)
        before = page.entries[0].detail if page.entries else None
        changed = trace.changes(now_, before)
        if not changed:
            return
        ids = [c.split(":", 1)[1] for c in changed if c.startswith("rule_set:")]
        detail = {
            **now_,
            "changed": changed,
            "file": str(self.loaded.path),
            "rule_set_texts": trace.rule_set_texts(self.loaded, ids),
        }
        await self.store.append_audit(
            [AuditEntry(self.clock.now(), "bridge", CONFIG_LOADED, "config", detail)]
        )
        if before is None:  # the first record names everything: counted, not listed
            log.info(
                "configuration recorded in the audit log (first record: %d sections, rule sets %s)",
                len(now_["sections"]),
                ", ".join(now_["rule_sets"]),
            )
        else:
            log.info("configuration recorded in the audit log: %s changed", ", ".join(changed))

    async def incident_named(self, name: object) -> object:
        """The incident ``name`` names as people write it: its number (``#2`` or ``2``, as
        the console shows it) becomes the id of the incident in memory that carries it
        (BadInput on ``into`` when none does); anything else is given back as it is."""
        if not isinstance(name, str):
            return name
        number = handling.number_written(name)
        if number is None:  # an id (anything else is refused as no incident in memory)
            return name
        ids = sorted(i for i, inc in self.engine.incidents.items() if inc.merged_into is None)
        records = await self.store.casebooks(ids) if ids else {}
        found = [i for i, r in records.items() if r.number == number]
        if not found:
            raise BadInput("into", f"no incident #{number} in memory (open or recent)")
        return found[0]

    async def change_impact(self, incident_id: str, change: Change) -> CasebookRecord | None:
        """A person sets or lifts an incident's impact override
        (:mod:`bridge.core.impact_override`): written to its casebook with the audit entry
        (durable before anything follows), then the incident evaluated again at once, its
        drafts brought up to date. None: memory does not hold the incident (settled long ago,
        its impact no longer moves); Conflict for one merged into another (override that
        one)."""
        await self.catch_up()
        incident = self.engine.incidents.get(incident_id)
        if incident is None:
            return None
        if incident.merged_into is not None:
            raise Conflict(
                f"incident {incident_id}",
                f"merged into {incident.merged_into}: override the impact of that incident",
            )
        record = await self.casebooks.change(incident_id, change)
        default = self.engine.mapping.default_jurisdiction
        self.engine.set_override(
            incident_id, impact_override.from_document(record.document, default)
        )
        self.evaluator.settle()
        with contextlib.suppress(StoreUnavailable):
            await self.flush()
        return record

    async def declare(
        self,
        incident_id: str,
        significant: bool,
        aware_at: datetime | None,
        reason: str,
        actor: str,
        attest: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """A person declares an incident significant under the cybersecurity act (or not, with
        a reason); its clocks and drafts follow at once. An incident that left memory (the
        outage settled long ago; forensics show weeks later that it was an attack) is brought
        back first and stays while it owes (:meth:`_record_on`). None: no such incident in
        memory or the store. Conflict: no cybersecurity rule set is enabled, none can apply to
        the incident's jurisdictions (:func:`bridge.core.awareness.applicable`), or it was
        merged into another (declare on that one: it stands by this one's declaration too)."""

        async def record(incident: Incident, absorbed: list[str]) -> bool:
            cyber = [rs for rs in self.evaluator.engine.rule_sets if rs.track == "cyber"]
            if not cyber:
                raise Conflict(
                    f"incident {incident_id}",
                    "no cybersecurity rule set (track: cyber, e.g. se-cyber) is enabled: there "
                    "is nothing to declare significant under",
                )
            self._must_apply(incident, absorbed, cyber, None)
            return await self.declarations.declare(
                incident_id,
                significant,
                aware_at,
                reason,
                actor,
                attest or {},
                absorbed,
                incident.jurisdictions,
                self._began(incident, absorbed),
            )

        return await self._record_on(incident_id, "declare on", record)

    def _must_apply(
        self, incident: Incident, absorbed: list[str], rule_sets: list[RuleSet], kind: str | None
    ) -> None:
        """Raise :func:`awareness.cannot_apply`'s Conflict unless one of ``rule_sets`` can owe
        ``kind`` (None: a declaration) for the incident, with the declarations and requests
        known on it and on what was merged into it."""
        known = self.declarations.events(incident.id, absorbed)
        if not awareness.applicable(
            rule_sets, kind, incident.jurisdictions, known, incident.started_at
        ):
            raise awareness.cannot_apply(
                incident.id, rule_sets, incident.jurisdictions, incident.started_at
            )

    async def request_report(
        self,
        incident_id: str,
        kind: str,
        received_at: datetime | None,
        deadline: datetime,
        reference: str,
        actor: str,
    ) -> dict[str, Any] | None:
        """A regulator asked for a report of ``kind`` by ``deadline`` (the CSIRT's intermediate
        report, Nkom's hendelsesrapport): the report is owed and drafted at once. An incident
        that left memory (settled long ago: Nkom asks weeks later) is brought back first and
        stays while it owes (:meth:`_record_on`). None: no such incident in memory or the
        store; Conflict when no enabled rule set owes that kind, none that does can apply to
        the incident's jurisdictions, or it was merged into another."""

        async def record(incident: Incident, absorbed: list[str]) -> bool:
            listing = [rs for rs in self.evaluator.engine.rule_sets if kind in rs.obligations]
            if not listing:
                raise Conflict(
                    f"incident {incident_id}",
                    f"no enabled rule set lists the report {kind!r} among its obligations",
                )
            self._must_apply(incident, absorbed, listing, kind)
            return await self.declarations.request_report(
                incident_id,
                kind,
                received_at,
                deadline,
                reference,
                actor,
                absorbed,
                incident.jurisdictions,
                self._began(incident, absorbed),
            )

        return await self._record_on(incident_id, "record the request on", record)

    async def _record_on(
        self,
        incident_id: str,
        what: str,
        record: Callable[[Incident, list[str]], Awaitable[bool]],
    ) -> dict[str, Any] | None:
        """What a person records on an incident (a declaration, a regulator's request):
        ``record`` checks and writes it, given the incident and those merged into it; then
        its clocks and drafts follow and the answer is its document. One that left memory is
        brought back first (:meth:`_recall`) and kept (:meth:`Sweeper.keeping
        <bridge.evaluation.sweeper.Sweeper.keeping>`) until the record makes it owe. A refusal
        (whatever ``record`` raises: nothing was recorded) changes nothing: what was brought
        back for it leaves memory at once, unwritten (:meth:`_recall_done`); so does the same
        act again (``record`` answers False: nothing written), answered with the incident as
        it stands. None: no such incident in memory or the store; Conflict for one merged into
        another (``what``, on that one)."""
        await self.catch_up()
        if incident_id not in self.engine.incidents and not await self._recall(incident_id, what):
            return None
        with self.sweeper.keeping(incident_id):
            recorded = False
            try:
                incident = self.engine.incidents.get(incident_id)
                if incident is None:
                    return None
                recorded = await record(incident, self._acted_on(incident, what))
            finally:
                self._recall_done(incident_id, recorded)
        if not recorded:  # the same again: nothing changed
            return await self.read_incident(incident_id, details=False)
        self.cases.declared([incident_id])
        self.drafting.mark_changed([incident_id])
        with contextlib.suppress(StoreUnavailable):
            await self.flush()
        return self.get_incident(incident_id, details=False)  # for the HTTP answer

    def _began(self, incident: Incident, absorbed: Sequence[str]) -> datetime | None:
        """When the incident began, with those merged into it (``absorbed``): the earliest
        start (:func:`bridge.core.awareness.check_began`)."""
        starts = [
            i.started_at
            for i in (incident, *(self.engine.incidents.get(a) for a in absorbed))
            if i is not None and i.started_at is not None
        ]
        return min(starts) if starts else None

    def _acted_on(self, incident: Incident, what: str) -> list[str]:
        """The incidents merged into ``incident``, which a person declares on or records a
        request for; Conflict for one merged into another (its host stands by its records)."""
        if incident.merged_into is not None:
            host = self.incidents.host(incident.id)
            raise Conflict(
                f"incident {incident.id}",
                f"merged into {host}: {what} that incident (it stands by this one's "
                "declaration and requests too)",
            )
        return self.incidents.absorbed(incident.id)

    async def _settle_regrouped(self) -> None:
        """After a merge or split: evaluate, persist, bring the drafts up to date."""
        self.evaluator.settle()
        with contextlib.suppress(StoreUnavailable):
            await self.flush()

    async def _recall(self, incident_id: str, what: str = "act on") -> bool:
        """Bring an incident that left memory back into it (:mod:`bridge.evaluation.recall`),
        with the incidents merged into it: their drafts are read into the book first and told
        once the engine holds them, so what it or they sent is never owed again, and nothing is
        flushed in between. What it brought back is not persisted (nor drafted) until
        :meth:`_recall_done` says whether what the person does is recorded. False: the store
        holds no such incident (or it is a privacy case); Conflict as ``recall_incident``
        (``what`` the person does: one merged into another is told to do it on that one),
        memory left as it was."""
        if is_case(incident_id):
            return False
        undo: list[Callable[[], None]] = []

        async def drafts(case_ids: Sequence[str]) -> Callable[[], None]:
            undo.append(await self.book.bring_back(case_ids))
            return undo[-1]

        async with self._flush_lock:
            changed = await recall_incident(
                self.store, self.engine, incident_id, self.clock.now(), what, drafts=drafts
            )
            if changed is None:
                return False
            absorbed = self.engine.absorbed(incident_id)
            brought = frozenset([incident_id, *absorbed])
            self.evaluator.dirty |= changed - brought  # what else was pending: evaluated
            if undo:  # brought back now (not meanwhile, by another person's request)
                self._recalled[incident_id] = Recalled(brought, changed & brought, undo[0])
            rule_sets = self._rule_sets()
            for case_id in [*absorbed, incident_id]:  # the host last: with what they sent
                self.book.tell(case_id)  # with the declaration's events (bridge.cases)
                self._facts[case_id] = facts_of(self.engine.incidents[case_id], rule_sets)
        log.info(
            "incident %s brought back into memory: a person acts on it%s",
            incident_id,
            f" (with {', '.join(absorbed)} merged into it)" if absorbed else "",
        )
        return True

    def _recall_done(self, incident_id: str, recorded: bool) -> None:
        """What a person did on an incident :meth:`_recall` brought back is ``recorded``: it
        stays, persisted with its evaluation. Refused, and no one else acting on it: it
        leaves memory at once, as it was before (the engine, the book, what the service kept
        of it; nothing written: the store holds it as it was)."""
        brought = self._recalled.get(incident_id)
        if brought is None:
            return
        if recorded:
            del self._recalled[incident_id]
            self.evaluator.dirty |= brought.changed
            return
        if self.sweeper.kept[incident_id] > 1:
            return  # another person acts on it: the last one out decides
        del self._recalled[incident_id]
        gone = self.engine.evict(brought.ids)
        if gone >= brought.ids:
            brought.undo()
        else:  # some stay (their key changed meanwhile): the others' finished drafts go
            self.book.let_go(gone)
        self._let_go(gone)
        self.evaluator.dirty -= gone
        self.evaluator.dirty |= brought.changed - gone  # kept (changed meanwhile): written
        log.info("incident %s left memory again: what a person did on it was refused", incident_id)

    async def privacy_changed(self, case_id: str) -> None:
        """Bring a privacy case's drafts up to date after a person changed it (a store failure
        leaves them marked for the next flush; the change itself is written)."""
        self.drafting.mark_changed([case_id])
        with contextlib.suppress(StoreUnavailable):
            await self.flush()

    # ---- reads --------------------------------------------------------------------------
    async def catch_up(self) -> None:
        """Before a read: what other replicas acknowledged, evaluated (a store failure leaves
        the state as it is; the read still answers)."""
        with contextlib.suppress(StoreUnavailable):
            await self.replicas.sync()
        self.evaluator.settle()

    async def settle_notices(self) -> None:
        """Evaluate what was admitted and bring drafts up to date before a read of drafts (a
        store failure here leaves them as they are; the read still answers). A follower reads
        the drafts the leader keeps."""
        await self.catch_up()
        with contextlib.suppress(StoreUnavailable):
            if self.leading:
                await self.flush()
            else:
                await self.book.load(self._live_cases())

    def list_incidents(self, state: str) -> list[dict[str, Any]]:
        self.evaluator.settle()
        return self.incidents.summaries(state)

    def incidents_newest_first(self, state: str) -> list[Incident]:
        """The incidents in ``state``, newest first (for paging: summarise only a page)."""
        self.evaluator.settle()
        return self.incidents.newest_first(state)

    def get_incident(self, incident_id: str, details: bool = True) -> dict[str, Any] | None:
        """A live incident or privacy case (what memory holds); ``details=False``: without
        the per-alert ``alert_details`` (what an HTTP answer carries,
        :func:`bridge.core.documents.document`)."""
        self.evaluator.settle()
        return self.cases.document(incident_id, details)

    async def read_incident(self, incident_id: str, details: bool = True) -> dict[str, Any] | None:
        """Any incident or privacy case: what memory holds, else from the store (with its
        declaration and requests: :meth:`CaseRouter.archived`); ``details`` as for
        :meth:`get_incident`."""
        doc = self.get_incident(incident_id, details)
        if doc is not None or is_case(incident_id):
            return doc
        doc = await self.incidents.read(incident_id, details)
        return None if doc is None else self.cases.archived(incident_id, doc)

    async def incident_episodes(self, incident_id: str) -> list[AlertEpisode] | None:
        """Every alert episode of an outage incident (None: no such incident anywhere), for
        views that read the alerts themselves rather than their JSON (the grouped timeline)."""
        self.evaluator.settle()
        return await self.incidents.episodes(incident_id)

    async def ready(self) -> None:
        """Raise StoreUnavailable unless started and the store serves writes (its ping). The
        cause goes to the log once per change (a WARNING when the ping fails or its error
        changes, an INFO when it passes again), not on every probe: probes come every few
        seconds, and /readyz tells an anonymous caller only that it is not ready."""
        if not self.started:
            raise StoreUnavailable("ready", "service is starting")
        try:
            await self.store.ping()
        except StoreUnavailable as exc:
            if str(exc) != self._unready:
                log.warning("not ready (/readyz answers 503): %s", exc)
                self._unready = str(exc)
            raise
        self.refusals.answered()
        if self._unready is not None:
            log.info("ready again (/readyz answers 200): the store answers")
            self._unready = None
