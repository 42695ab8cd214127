"""The engine rebuilt from the store, as a restart (or taking the lease) does it: only what is
live (:mod:`bridge.core.liveness`), so start-up follows live work, not history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bridge.config import LoadedConfig
from bridge.core import regrouping
from bridge.core.alerts import AlertEpisode
from bridge.core.engine import Engine
from bridge.core.incident_state import StoredIncident
from bridge.core.topology import Topology
from bridge.evaluation.engine import build_engine
from bridge.store.interfaces import AlertLog, Casebook, IncidentArchive


async def restore_engine(
    alerts: AlertLog,
    incidents: IncidentArchive,
    loaded: LoadedConfig,
    topology: Topology,
    keep: Callable[[AlertEpisode], bool],
    now: datetime,
    casebook: Casebook | None = None,
    on_failure: Callable[[str, Exception], None] | None = None,
) -> tuple[Engine, set[str], int]:
    """A new engine holding the live incidents (open, owing, or settled within the memory
    horizon) and their episodes that ``keep`` admits, with every episode firing or resolved
    within the horizon, under the incident ids the store has; returns it, the incidents its
    evaluation changed, and the store's change number read up to. What people merged and
    split (``casebook``: :mod:`bridge.core.regrouping`) is applied as before: the casebooks
    of the live incidents (those merged into a live one among them) and of the incidents
    they were merged into. ``on_failure``:
    the engine's (:attr:`Engine.on_failure <bridge.core.engine.Engine.on_failure>`), so a key
    whose evaluation raises is set aside and the restart still comes back."""
    since = now - loaded.config.evaluation.memory_horizon
    stored = await incidents.live_incidents(since)
    recent, cursor = await alerts.live_episodes(since)
    have = {ep.key for ep in recent}
    older = {ek for r in stored if r.merged_into is None for ek in r.episodes} - have
    everything = recent + (await alerts.get_episodes(older) if older else [])
    truncation = await alerts.load_truncation()
    engine = build_engine(loaded, topology)
    engine.history_before = since
    engine.on_failure = on_failure
    if casebook is not None and stored:
        # a merged-away incident is live while the one it went into is (bridge.core.liveness):
        # both sides of its bond are read, so the same merged incident comes back
        wanted = {r.id for r in stored} | {r.merged_into for r in stored if r.merged_into}
        docs = await casebook.casebooks(sorted(wanted))
        engine.directives(*regrouping.directives({i: r.document for i, r in docs.items()}))
    changed = engine.restore(
        [ep for ep in everything if keep(ep)],
        [StoredIncident(r.id, r.key, r.started_at, r.episodes, r.merged_into) for r in stored],
        truncation,
        now,
    )
    return engine, changed, cursor
