"""Glue between the stages: outage incidents and privacy cases behind the notice stage's one
:class:`~bridge.notices.ports.Cases` port, and privacy alerts from ingest to the privacy cases.

Ids tell them apart (privacy case ids carry :data:`bridge.core.privacy.PREFIX`). A privacy
case whose drafts changed what it owes is remembered until :meth:`CaseRouter.take_moved`, so
the next flush reconciles its drafts again (the supplementary report once the initial one was
sent, say).

An incident's events come from its drafts and from a person's declaration of significance
(the cybersecurity act's ``aware``, :mod:`bridge.evaluation.declarations`): the router merges
the two before the engine hears of them, and tells the engine again when a declaration
changes; an incident's document carries its declaration, the regulators' requests for reports
(``report_requests``: the CSIRT's intermediate report, Nkom's hendelsesrapport) and, per
cybersecurity rule set that can apply to it, what it would owe if declared now
(:func:`bridge.core.awareness.board`); so does one that left memory, read from the store
(:meth:`CaseRouter.archived`: its own record and those of the incidents its stored document
lists as merged into it, from its stored assessments and times).

An incident with others merged into it (:meth:`absorbed`) stands by their declarations and
requests too (:func:`bridge.core.awareness.combine`): its events and its document are the
combined ones (``declarations`` lists each person's declaration and the incident it was made
on), and a change of any of those records, or of what is merged into it
(:meth:`CaseRouter.declared` with the incidents evaluation changed), tells it again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core import awareness, case_drafts, documents
from bridge.core.alerts import AlertEpisode, read_time
from bridge.core.awareness import Answered
from bridge.core.casework import FINISHED
from bridge.core.incident_state import CLOSED
from bridge.core.obligations import incident_events
from bridge.evaluation.declarations import Declarations
from bridge.evaluation.incidents import IncidentView
from bridge.notices.drafting import Drafting
from bridge.privacy.cases import PrivacyCases, is_case
from bridge.privacy.owed import PrivacyObligations


@dataclass(frozen=True, slots=True)
class Heard:
    """What an incident's drafts said last (:meth:`CaseRouter.notices_changed`)."""

    events: dict[str, datetime]
    states: dict[str, str]
    answered: dict[str, Answered]


class CaseRouter:
    """See the module docstring."""

    def __init__(
        self,
        incidents: IncidentView,
        privacy: PrivacyObligations,
        declarations: Declarations | None = None,
    ) -> None:
        self.incidents = incidents
        self.privacy = privacy
        self.declarations = declarations
        self._moved: set[str] = set()
        # what each incident's drafts said last (merged with its declaration when it changes)
        self._notices: dict[str, Heard] = {}

    def owed(self, case_id: str) -> list[case_drafts.Owed] | None:
        if is_case(case_id):
            return self.privacy.owed(case_id)
        return self.incidents.owed(case_id)

    def absorbed(self, case_id: str) -> list[str]:
        return [] if is_case(case_id) else self.incidents.absorbed(case_id)

    def host(self, case_id: str) -> str:
        return case_id if is_case(case_id) else self.incidents.host(case_id)

    def document(self, case_id: str, details: bool = True) -> dict[str, Any] | None:
        """The case's document; an incident's without ``alert_details`` when ``details`` is
        False (:func:`bridge.core.documents.document`; a privacy case has none)."""
        if is_case(case_id):
            return self.privacy.document(case_id)
        doc = self.incidents.document(case_id, details)
        if doc is None or self.declarations is None:
            return doc
        _add_records(self.declarations, case_id, doc, self.incidents.absorbed(case_id))
        cyber = self.cyber(case_id, doc.get("assessments") or ())
        if cyber is not None:
            doc["cyber"] = cyber
        return doc

    def archived(self, incident_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        """An incident that left memory, as read from the store (``doc``: marked ``archived``):
        with its own declaration and requests, and ``cyber`` from its stored assessments and
        times, as a live incident's document carries them, so a person can still declare it
        (the declaration brings it back: bridge.evaluation.recall). With the records of the
        incidents merged into it that its stored document lists (``absorbed``; a record saved
        before hosts listed them got the list with the store's schema 12). Any other document
        as it is."""
        if not doc.get("archived") or self.declarations is None:
            return doc
        absorbed = documents.absorbed_listed(doc)
        _add_records(self.declarations, incident_id, doc, absorbed)
        started = read_time(doc.get("started_at"))
        if started is not None:
            ended = read_time(doc.get("ended_at")) if doc.get("state") == CLOSED else None
            doc["cyber"] = awareness.board(
                self.incidents.evaluator.engine.rule_sets,
                doc.get("assessments") or (),
                self.declarations.effective(incident_id, absorbed),
                incident_events(started, read_time(doc.get("remedied_at")), ended),
                self.now(),
                doc.get("jurisdictions") or (),
            )
        return doc

    def cyber(
        self, incident_id: str, assessments: Sequence[Mapping[str, Any]] | None = None
    ) -> list[dict[str, Any]] | None:
        """A live incident's entries per cybersecurity rule set (:func:`awareness.board`: its
        declaration, and what it would owe if declared now), from its ``assessments`` (the
        document's; None: evaluated here); None for an incident memory does not hold. Reads
        memory only: the board's list shows it for every open incident."""
        engine = self.incidents.evaluator.engine
        inc = engine.incidents.get(incident_id)
        if inc is None or is_case(incident_id) or self.declarations is None:
            return None
        now = self.now()
        if assessments is None:
            assessments = documents.assessments_json(inc, now)
        declaration = self.declarations.effective(incident_id, self.incidents.absorbed(incident_id))
        events = incident_events(
            inc.started_at, inc.remedied_at, inc.ended_at if inc.state == "closed" else None
        )
        return awareness.board(
            engine.rule_sets, assessments, declaration, events, now, inc.jurisdictions
        )

    def now(self) -> datetime:
        return self.incidents.now()

    def notices_changed(
        self,
        case_id: str,
        events: Mapping[str, datetime],
        states: Mapping[str, str],
        answered: Mapping[str, Answered] | None = None,
    ) -> None:
        if not is_case(case_id):
            heard = Heard(dict(events), dict(states), dict(answered or {}))
            self._notices[case_id] = heard
            self.incidents.notices_changed(case_id, *self._with_declaration(case_id, heard))
        elif self.privacy.set_notices(case_id, events, states):
            self._moved.add(case_id)

    def let_go(self, incident_ids: Iterable[str]) -> None:
        """Forget what the drafts of these incidents said (they left memory)."""
        for incident_id in incident_ids:
            self._notices.pop(incident_id, None)

    def declared(self, incident_ids: Iterable[str]) -> None:
        """The declarations of these incidents changed, or what is merged into them: the engine
        hears the events of each of them, or of the incident it was merged into, again (only
        incidents it holds: one that left memory hears them with its drafts' events)."""
        if self.declarations is None or not self.declarations.known:
            return  # no record anywhere: nothing to hear
        live = self.incidents.evaluator.engine.incidents
        hosts = {self.incidents.host(i) for i in incident_ids if i in live}
        for incident_id in sorted(hosts):
            inc = live.get(incident_id)
            if inc is None or inc.merged_into is not None:
                continue
            heard = self._notices.get(incident_id, Heard({}, {}, {}))
            self.incidents.notices_changed(incident_id, *self._with_declaration(incident_id, heard))

    def _with_declaration(
        self, incident_id: str, heard: Heard
    ) -> tuple[dict[str, datetime], dict[str, str]]:
        """The events and draft states the engine hears: the drafts' with the deadline events
        of the incident's records (those merged into it too), each requested report due by
        the earliest deadline its next report must answer; a kind whose last report was
        settled while a request it did not answer stands reads as not drafted yet (a new
        report is owed: :func:`bridge.core.awareness.owed_again`)."""
        if self.declarations is None:
            return dict(heard.events), dict(heard.states)
        absorbed = self.incidents.absorbed(incident_id)
        own = self.declarations.events(incident_id, absorbed, heard.answered)
        again = self.declarations.owed_again(incident_id, absorbed, heard.answered)
        states = {
            kind: state
            for kind, state in heard.states.items()
            if kind not in again or state not in FINISHED
        }
        return {**heard.events, **own}, states

    def take_moved(self) -> set[str]:
        """Privacy cases whose obligations moved since the last call."""
        moved, self._moved = self._moved, set()
        return moved


def _add_records(
    declarations: Declarations, incident_id: str, doc: dict[str, Any], absorbed: Sequence[str]
) -> None:
    """The incident's ``declaration`` (the one it stands by), each person's ``declarations``
    and the regulators' ``report_requests``, with those of the incidents in ``absorbed``."""
    declaration = declarations.effective(incident_id, absorbed)
    person = awareness.declared(declaration)
    if person is not None:
        doc["declaration"] = awareness.to_document(person)
    said = [declarations.of(incident_id), *declarations.others(absorbed)]
    doc["declarations"] = [
        awareness.to_document(d) for d in said if d is not None and d.significant is not None
    ]
    doc["report_requests"] = awareness.requests_document(declaration)


class PrivacyIntake:
    """Ingest's :class:`~bridge.evaluation.ingest.PrivacyAlerts`: privacy alerts open cases on
    the privacy cases, whose drafts are then reconciled at once."""

    def __init__(self, privacy: PrivacyCases, drafting: Drafting) -> None:
        self.privacy = privacy
        self.drafting = drafting

    def is_privacy_alert(self, episode: AlertEpisode) -> bool:
        return self.privacy.is_privacy_alert(episode)

    async def open_cases(self, episodes: Sequence[AlertEpisode]) -> None:
        self.drafting.mark_changed(await self.privacy.open_from_alerts(episodes))
