"""The engine rebuilt from the store, as a restart (or taking the lease) does it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bridge.config import LoadedConfig
from bridge.core.alerts import AlertEpisode
from bridge.core.engine import Engine
from bridge.core.incident_state import StoredIncident
from bridge.core.topology import Topology
from bridge.evaluation.engine import build_engine
from bridge.store.interfaces import AlertLog, IncidentArchive


async def restore_engine(
    alerts: AlertLog,
    incidents: IncidentArchive,
    loaded: LoadedConfig,
    topology: Topology,
    keep: Callable[[AlertEpisode], bool],
    now: datetime,
) -> tuple[Engine, set[str], int]:
    """A new engine holding every stored episode that ``keep`` admits, under the incident ids
    the store has; returns it, the incidents its evaluation changed, and the store's change
    number read up to."""
    everything, cursor = await alerts.episodes_since(0)
    episodes = [ep for ep in everything if keep(ep)]
    stored = await incidents.load_incidents()
    truncation = await alerts.load_truncation()
    engine = build_engine(loaded, topology)
    changed = engine.restore(
        episodes,
        [StoredIncident(r.id, r.key, r.started_at, r.episodes, r.merged_into) for r in stored],
        truncation,
        now,
    )
    return engine, changed, cursor
