"""An incident that left memory brought back into it, as a restart restores a live one: a
person acts on an incident settled long ago (Nkom asks for a hendelsesrapport weeks later).

Contract:
- :func:`recall_incident` reads one stored incident (its record, its alerts, its casebook's
  impact override) and gives it to the running engine (:meth:`Engine.recall
  <bridge.core.engine.Engine.recall>`): same id, same alerts, same incident as it was stored;
  an incident split out of another by a person keeps its split key. It answers the incidents
  whose evaluation changed (the caller marks them to persist), or None when the store holds no
  such incident.
- Conflict, with memory left as it was: the incident was merged into another (the answer
  names the incident it went into, followed to the end of a chain of merges as
  :meth:`Engine.host <bridge.core.engine.Engine.host>` does in memory, and says to do ``what``
  the person did on that one, which is recalled in turn: the in-memory path's answer), or it
  does not come back as stored (its alerts pruned by retention, or grouped otherwise by
  today's configuration).
- Not brought back: the incidents merged into it (a site incident its router's alert covered,
  one a person merged into it). The store keeps no list of them per host, so the notices they
  sent before the merge are not counted as its own (docs/architecture.md).
- While it owes (the request a person records next makes it owe) it stays in memory and a
  restart loads it (:mod:`bridge.core.liveness`); settled again, it leaves memory again.
"""

from __future__ import annotations

from datetime import datetime

from bridge.core import impact_override
from bridge.core.engine import Engine
from bridge.core.incident_state import StoredIncident
from bridge.core.regrouping import SPLIT_PREFIX
from bridge.errors import Conflict
from bridge.evaluation.incidents import History
from bridge.store.records import IncidentRecord


async def recall_incident(
    history: History, engine: Engine, incident_id: str, now: datetime, what: str = "act on"
) -> set[str] | None:
    """See the module contract."""
    record = await history.get_incident(incident_id)
    if record is None:
        return None
    if record.merged_into is not None:
        host = await _host(history, engine, record)
        raise Conflict(
            f"incident {incident_id}",
            f"merged into {host}: {what} that incident (it stands by this one's declaration "
            "and requests too)",
        )
    episodes = await history.get_episodes(list(record.episodes))
    casebook = await history.get_casebook(incident_id)
    if incident_id in engine.incidents:  # brought back meanwhile (another request)
        return set()
    if len(episodes) != len(record.episodes):
        raise Conflict(
            f"incident {incident_id}",
            "its alerts were pruned from the store (retention): it cannot be evaluated again",
        )
    if record.key.startswith(SPLIT_PREFIX):  # split out by a person: never merged back
        engine.directives((), dict.fromkeys(record.episodes, record.key))
    held = set(engine.incidents)
    stored = StoredIncident(
        record.id, record.key, record.started_at, record.episodes, record.merged_into
    )
    changed = engine.recall(episodes, [stored], now)
    if casebook is not None:
        default = engine.mapping.default_jurisdiction
        override = impact_override.from_document(casebook.document, default)
        if engine.set_override(incident_id, override):
            changed |= engine.evaluate_pending(now)
    back = engine.incidents.get(incident_id)
    if (
        back is None
        or back.merged_into is not None
        or back.key != record.key
        or set(back.episodes) != set(record.episodes)
    ):
        engine.evict(set(engine.incidents) - held)
        raise Conflict(
            f"incident {incident_id}",
            "its stored alerts no longer make the same incident (the inventory or correlation "
            "settings changed since): it cannot be brought back to owe a report",
        )
    return changed


async def _host(history: History, engine: Engine, record: IncidentRecord) -> str:
    """The incident a stored merged-away one went into, followed to the end of a chain of
    merges (through memory once it holds one of them, else the store's records)."""
    seen = {record.id}
    host = record.merged_into
    while host is not None and host not in seen:
        if host in engine.incidents:
            return engine.host(host)
        seen.add(host)
        into = await history.get_incident(host)
        if into is None or into.merged_into is None:
            return host
        host = into.merged_into
    return record.merged_into or record.id
