"""Outage incidents as the rest of the bridge reads them: the API's documents and lists, and
what each owes for the notice stage (:class:`~bridge.notices.ports.Cases` for incident ids)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bridge.core import case_drafts, documents
from bridge.core.incident_state import Incident
from bridge.core.topology import Topology
from bridge.evaluation.evaluator import Evaluator


class IncidentView:
    """Reads of the evaluator's engine (no settling here: callers settle first)."""

    def __init__(
        self, evaluator: Evaluator, topology: Topology, now: Callable[[], datetime]
    ) -> None:
        self.evaluator = evaluator
        self.topology = topology
        self.now = now

    def owed(self, incident_id: str) -> list[case_drafts.Owed] | None:
        """What the incident owes now, for drafting (None: no such incident)."""
        inc = self.evaluator.engine.incidents.get(incident_id)
        if inc is None:
            return None
        return [case_drafts.Owed(o.kind, o.due_at) for o in inc.obligations]

    def document(self, incident_id: str) -> dict[str, Any] | None:
        """The incident's full API document as evaluated so far."""
        engine = self.evaluator.engine
        inc = engine.incidents.get(incident_id)
        if inc is None:
            return None
        return documents.document(inc, engine.episodes, self.topology, self.now())

    def notices_changed(
        self, incident_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> None:
        """What the incident's drafts say; an incident whose obligations moved is dirty."""
        if self.evaluator.engine.set_notices(incident_id, events, states, self.now()):
            self.evaluator.dirty.add(incident_id)

    def newest_first(self, state: str) -> list[Incident]:
        """The incidents in ``state`` (open, closed or all), newest first (by start, then id)."""
        chosen = [
            inc
            for inc in self.evaluator.engine.incidents.values()
            if state == "all" or inc.state == state
        ]
        chosen.sort(key=lambda i: (i.started_at, i.id), reverse=True)
        return chosen

    def summaries(self, state: str, chosen: list[Incident] | None = None) -> list[dict[str, Any]]:
        """Summaries of ``chosen`` (default: the incidents in ``state``, newest first)."""
        now = self.now()
        if chosen is None:
            chosen = self.newest_first(state)
        return [documents.summary(inc, now) for inc in chosen]
