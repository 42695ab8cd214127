"""Outage incidents as the rest of the bridge reads them: the API's documents and lists, and
what each owes for the notice stage (:class:`~bridge.notices.ports.Cases` for incident ids).

Memory holds the live incidents (:mod:`bridge.core.liveness`); the store holds every one.
:meth:`IncidentView.read` and :meth:`IncidentView.page` (and :meth:`IncidentView.some`, the
same list over given ids) serve both: what memory holds as evaluated now, the rest from the
store (its last evaluation, its timeline rebuilt from its stored alerts). The notice stage's
reads (:meth:`owed`, :meth:`document`) are of live incidents only: one that left memory owes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bridge.core import case_drafts, documents, impact_override
from bridge.core.alerts import AlertEpisode
from bridge.core.drafts import CORRECTION
from bridge.core.engine import Engine
from bridge.core.incident_state import Incident, StoredIncident
from bridge.core.incidents import EpisodeKey
from bridge.core.topology import Topology
from bridge.evaluation.evaluator import Evaluator
from bridge.store.records import CasebookRecord, IncidentRecord

#: (started_at, id): the order of lists, newest first
SortKey = tuple[datetime, str]
#: a page of a list: each incident's summary with what it was made from (the live incident, or
#: the stored record), and the key to ask for the next page with (None: the last page)
Listed = tuple[list[tuple[dict[str, Any], Incident | IncidentRecord]], SortKey | None]


class History(Protocol):
    """The store's reads of incidents that may have left memory."""

    async def get_incident(self, incident_id: str) -> IncidentRecord | None: ...

    async def incident_page(
        self, state: str, before: SortKey | None, limit: int
    ) -> list[IncidentRecord]: ...

    async def get_episodes(self, keys: Collection[tuple[str, datetime]]) -> list[AlertEpisode]: ...

    async def get_casebook(self, incident_id: str) -> CasebookRecord | None: ...


@dataclass(frozen=True, slots=True)
class AlertList:
    """An incident's alert episodes, to be shown a page at a time: their keys newest first (by
    start, then fingerprint), what marks them stale or unmapped, and the episodes themselves
    when memory holds them (None: the incident left memory; its episodes are read from the
    store a page at a time)."""

    keys: list[EpisodeKey]
    stale: Collection[str]
    unmapped: Mapping[str, str]
    held: Mapping[EpisodeKey, AlertEpisode] | None


class IncidentView:
    """Reads of the evaluator's engine (no settling here: callers settle first), and of the
    store for what left memory."""

    def __init__(
        self,
        evaluator: Evaluator,
        topology: Topology,
        now: Callable[[], datetime],
        history: History | None = None,
        scratch: Callable[[], Engine] | None = None,
    ) -> None:
        self.evaluator = evaluator
        self.topology = topology
        self.now = now
        self.history = history
        self.scratch = scratch  # an empty engine, to rebuild one stored incident's timeline

    def owed(self, incident_id: str) -> list[case_drafts.Owed] | None:
        """What the incident owes now, for drafting (None: no such live incident)."""
        inc = self.evaluator.engine.incidents.get(incident_id)
        if inc is None:
            return None
        return [case_drafts.Owed(o.kind, o.due_at) for o in inc.obligations]

    def absorbed(self, incident_id: str) -> list[str]:
        """The incidents merged into this one (see :meth:`Engine.absorbed`)."""
        return self.evaluator.engine.absorbed(incident_id)

    def host(self, incident_id: str) -> str:
        """The incident this one was merged into, followed to the end (itself if none)."""
        return self.evaluator.engine.host(incident_id)

    def document(self, incident_id: str, details: bool = True) -> dict[str, Any] | None:
        """The live incident's full API document as evaluated so far (None: not in memory);
        ``details=False``: without ``alert_details`` (:func:`documents.document`)."""
        engine = self.evaluator.engine
        inc = engine.incidents.get(incident_id)
        if inc is None:
            return None
        rule_sets = {rs.id: rs for rs in engine.rule_sets}
        doc = documents.document(
            inc, engine.episodes, self.topology, self.now(), rule_sets, details=details
        )
        override = engine.override_of(incident_id)
        if override is not None and override.correction is not None:
            doc[CORRECTION] = documents.correction_json(override.correction)
        return doc

    async def read(self, incident_id: str, details: bool = True) -> dict[str, Any] | None:
        """Any incident's full API document: from memory, else from the store (None: no such
        incident anywhere); ``details`` as for :meth:`document`."""
        doc = self.document(incident_id, details)
        if doc is not None or self.history is None:
            return doc
        record = await self.history.get_incident(incident_id)
        if record is None:
            return None
        episodes = await self.history.get_episodes(list(record.episodes))
        casebook = await self.history.get_casebook(incident_id)
        return documents.archived_document(
            record.document,
            self._rebuilt(record, episodes, casebook),
            {ep.key: ep for ep in episodes},
            details,
        )

    async def episodes(self, incident_id: str) -> list[AlertEpisode] | None:
        """Every alert episode of the incident (None: no such incident anywhere), in no
        particular order: a live one's from memory, one that left memory's from the store (an
        episode pruned meanwhile is left out)."""
        engine = self.evaluator.engine
        inc = engine.incidents.get(incident_id)
        if inc is not None:
            held = engine.episodes
            return [ep for k in inc.episodes if (ep := held.get(k)) is not None]
        if self.history is None:
            return None
        record = await self.history.get_incident(incident_id)
        if record is None:
            return None
        return await self.history.get_episodes(list(record.episodes))

    async def alerts(self, incident_id: str) -> AlertList | None:
        """The incident's alerts to page through (None: no such incident anywhere). A live one's
        come from memory; one that left memory reads only its record here, its stale and
        unmapped alerts as it was last evaluated."""
        inc = self.evaluator.engine.incidents.get(incident_id)
        if inc is not None:
            keys = _newest_first(inc.episodes)
            return AlertList(
                keys, set(inc.stale), dict(inc.unmapped), self.evaluator.engine.episodes
            )
        if self.history is None:
            return None
        record = await self.history.get_incident(incident_id)
        if record is None:
            return None
        stored = record.document
        stale = set(stored.get("stale_alerts") or ())
        return AlertList(
            _newest_first(record.episodes), stale, dict(stored.get("unmapped_alerts") or {}), None
        )

    async def alert_details(
        self, listed: AlertList, keys: Sequence[EpisodeKey]
    ) -> list[dict[str, Any]]:
        """The API's JSON of the episodes ``keys`` of ``listed`` (:func:`documents.alert_json`),
        in that order; an episode no longer held (pruned meanwhile) is left out."""
        if listed.held is not None:
            found = [listed.held[k] for k in keys if k in listed.held]
        else:
            assert self.history is not None
            by_key = {ep.key: ep for ep in await self.history.get_episodes(list(keys))}
            found = [by_key[k] for k in keys if k in by_key]
        return [documents.alert_json(ep, listed.stale, listed.unmapped) for ep in found]

    def _rebuilt(
        self,
        record: IncidentRecord,
        episodes: list[AlertEpisode],
        casebook: CasebookRecord | None = None,
    ) -> Incident:
        """The stored incident evaluated again from its own alerts (for its timeline), with
        the impact override its casebook keeps, if any."""
        stored = StoredIncident(
            record.id, record.key, record.started_at, record.episodes, record.merged_into
        )
        if self.scratch is None or record.merged_into is not None or not episodes:
            return _empty(record)
        engine = self.scratch()
        now = self.now()
        engine.restore(episodes, [stored], {}, now)
        if casebook is not None:
            default = engine.mapping.default_jurisdiction
            override = impact_override.from_document(casebook.document, default)
            if engine.set_override(record.id, override):
                engine.evaluate_pending(now)
        return engine.incidents.get(record.id) or _empty(record)

    async def page(self, state: str, before: SortKey | None, limit: int) -> Listed:
        """Summaries of at most ``limit`` incidents in ``state``, newest first, below
        ``before`` (None: from the newest), memory's and the store's merged (memory's wins for
        an incident both hold), each with what it was made from (the live incident, or the
        stored record); and the key to ask for the next page with (None: last page)."""
        held = self.evaluator.engine.incidents
        rows: list[tuple[SortKey, Incident | IncidentRecord]] = []
        for inc in self.newest_first(state):
            if len(rows) > limit:
                break
            if before is None or (inc.started_at, inc.id) < before:
                rows.append(((inc.started_at, inc.id), inc))
        if self.history is not None:
            stored = await self._stored_page(state, before, limit + 1, held)
            rows += [((r.started_at, r.id), r) for r in stored]
        return self._summarised(rows, limit)

    async def some(
        self, ids: Collection[str], state: str, before: SortKey | None, limit: int
    ) -> Listed:
        """:meth:`page` over the incidents ``ids`` only: the same summaries, order and pages;
        an id no incident in ``state`` has is left out. Memory's incident, else the store's
        record (one read per id memory does not hold)."""
        held = self.evaluator.engine.incidents
        rows: list[tuple[SortKey, Incident | IncidentRecord]] = []
        for incident_id in ids:
            item: Incident | IncidentRecord | None = held.get(incident_id)
            if item is None and self.history is not None:
                item = await self.history.get_incident(incident_id)
            if item is None or (state != "all" and item.state != state):
                continue
            key = (item.started_at, item.id)
            if before is None or key < before:
                rows.append((key, item))
        return self._summarised(rows, limit)

    def _summarised(
        self, rows: list[tuple[SortKey, Incident | IncidentRecord]], limit: int
    ) -> Listed:
        """The first ``limit`` of ``rows``, newest first, summarised."""
        now = self.now()
        rows.sort(key=lambda row: row[0], reverse=True)
        chosen = rows[:limit]
        more = len(rows) > limit
        summaries = [
            (
                documents.summary(item, now)
                if isinstance(item, Incident)
                else documents.stored_summary(item.document, len(item.episodes)),
                item,
            )
            for _, item in chosen
        ]
        return summaries, (chosen[-1][0] if more and chosen else None)

    async def _stored_page(
        self, state: str, before: SortKey | None, wanted: int, held: Mapping[str, Incident]
    ) -> list[IncidentRecord]:
        """Up to ``wanted`` stored records below ``before`` that memory does not hold."""
        assert self.history is not None
        out: list[IncidentRecord] = []
        cursor = before
        while len(out) < wanted:
            batch = await self.history.incident_page(state, cursor, wanted)
            out += [r for r in batch if r.id not in held]
            if len(batch) < wanted:
                break
            cursor = (batch[-1].started_at, batch[-1].id)
        return out[:wanted]

    def notices_changed(
        self, incident_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> None:
        """What the incident's drafts say; an incident whose obligations moved is dirty."""
        if self.evaluator.engine.set_notices(incident_id, events, states, self.now()):
            self.evaluator.dirty.add(incident_id)

    def newest_first(self, state: str) -> list[Incident]:
        """The live incidents in ``state`` (open, closed or all), newest first (by start, then
        id)."""
        chosen = [
            inc
            for inc in self.evaluator.engine.incidents.values()
            if state == "all" or inc.state == state
        ]
        chosen.sort(key=lambda i: (i.started_at, i.id), reverse=True)
        return chosen

    def summaries(self, state: str) -> list[dict[str, Any]]:
        """Summaries of the live incidents in ``state``, newest first."""
        now = self.now()
        return [documents.summary(inc, now) for inc in self.newest_first(state)]


def _newest_first(keys: Collection[EpisodeKey]) -> list[EpisodeKey]:
    """Episode keys (fingerprint, start) newest first: by start, then fingerprint."""
    return sorted(keys, key=lambda k: (k[1], k[0]), reverse=True)


def _empty(record: IncidentRecord) -> Incident:
    """An incident with no timeline (merged away, or its alerts pruned): its document is the
    stored one."""
    return Incident.hollow(
        record.id, record.key, record.started_at, record.episodes, record.merged_into
    )
