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
- Brought back with it: the incidents merged into it (a site incident its router's alert
  covered, one a person merged into it; through a chain of merges, A into B into C, all of
  them), as its stored document lists them (``absorbed``: :mod:`bridge.evaluation.persistence`
  writes it at each save) and each one's own record confirms (its ``merged_into`` leads to
  this incident; one retention pruned is left out). They come back as merged into it, with
  what people merged (the bonds in their casebooks, :mod:`bridge.core.regrouping`), so the
  same incident comes back and the notices they sent before the merge, and their
  declarations and requests, count as its own again (:meth:`Engine.absorbed
  <bridge.core.engine.Engine.absorbed>`). A record saved before hosts listed them got its
  list when the upgraded bridge first opened the store (schema 12:
  bridge/store/sqlite/migrations.py, bridge/store/redis/lua/migration_12.lua), so it comes
  back whole too; the list is read, never derived here (no scan of the store per recall:
  docs/architecture.md).
- ``drafts`` (when given) is awaited with the ids coming back (this incident first) after the
  checks and before the engine takes them: the caller reads their drafts there, and answers
  how to undo that; a Conflict after it (the last check) calls the undo, so a failed recall
  leaves the caller's drafts as they were too.
- While it owes (the request a person records next makes it owe) it stays in memory and a
  restart loads it (:mod:`bridge.core.liveness`); settled again, it leaves memory again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.core import documents, impact_override, regrouping
from bridge.core.engine import Engine
from bridge.core.incident_state import StoredIncident
from bridge.core.regrouping import SPLIT_PREFIX
from bridge.errors import Conflict
from bridge.evaluation.incidents import History
from bridge.store.records import IncidentRecord


@dataclass(frozen=True, slots=True)
class Recalled:
    """What a recall brought back, kept by the caller until what the person does on it is
    recorded (it stays) or refused (it goes as it came: ``undo`` puts the caller's drafts
    back)."""

    #: the incident and those merged into it
    ids: frozenset[str]
    #: those of them whose evaluation changed (to persist once it stays)
    changed: set[str]
    undo: Callable[[], None]


async def recall_incident(
    history: History,
    engine: Engine,
    incident_id: str,
    now: datetime,
    what: str = "act on",
    drafts: Callable[[Sequence[str]], Awaitable[Callable[[], None]]] | None = None,
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
    absorbed = await _absorbed(history, engine, record)
    casebooks = {incident_id: casebook.document} if casebook is not None else {}
    for other in absorbed:
        kept = await history.get_casebook(other.id)
        if kept is not None:
            casebooks[other.id] = kept.document
    if incident_id in engine.incidents:  # brought back meanwhile (another request)
        return set()
    if len(episodes) != len(record.episodes):
        raise Conflict(
            f"incident {incident_id}",
            "its alerts were pruned from the store (retention): it cannot be evaluated again",
        )
    undo = None if drafts is None else await drafts([incident_id, *(o.id for o in absorbed)])
    if absorbed:  # what people merged into it, so the same incident comes back
        engine.directives(*regrouping.directives(casebooks))
    if record.key.startswith(SPLIT_PREFIX):  # split out by a person: never merged back
        engine.directives((), dict.fromkeys(record.episodes, record.key))
    held = set(engine.incidents)
    stored = [
        StoredIncident(r.id, r.key, r.started_at, r.episodes, r.merged_into)
        for r in (record, *absorbed)
    ]
    changed = engine.recall(episodes, stored, now)
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
        if undo is not None:
            undo()
        raise Conflict(
            f"incident {incident_id}",
            "its stored alerts no longer make the same incident (the inventory or correlation "
            "settings changed since): it cannot be brought back to owe a report",
        )
    return changed


async def _absorbed(
    history: History, engine: Engine, record: IncidentRecord
) -> list[IncidentRecord]:
    """The stored incidents merged into ``record``'s, directly or through a chain of merges, as
    the stored documents list them (``record``'s, and those it lists: a chain recorded in
    parts), each one's ``merged_into`` leading to ``record``'s; those memory holds, or the
    store no longer does, left out. Ordered by id."""
    found: dict[str, IncidentRecord] = {}
    todo = documents.absorbed_listed(record.document)
    while todo:
        other = todo.pop()
        if other == record.id or other in found or other in engine.incidents:
            continue
        stored = await history.get_incident(other)
        if stored is None or stored.merged_into is None:
            continue
        found[other] = stored
        todo += documents.absorbed_listed(stored.document)

    def leads_here(stored: IncidentRecord) -> bool:
        seen = {stored.id}
        while stored.merged_into != record.id:
            into = found.get(stored.merged_into or "")
            if into is None or into.id in seen:
                return False
            seen.add(into.id)
            stored = into
        return True

    return [found[i] for i in sorted(found) if leads_here(found[i])]


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
