"""What the privacy cases owe, as the notice stage, the register and the metrics read it.

Contract:
- :meth:`PrivacyObligations.owed` and :meth:`document` are what the notice stage reads for a
  case id (as it reads an incident's); :meth:`set_notices` receives what the drafts say
  (``initial_sent``, ``subscriber_notice_sent``, each kind's state) and answers whether the
  obligations moved.
- :meth:`register_rows` are the register's rows (:mod:`bridge.core.register`); :meth:`counts`
  are numbers by state only and :meth:`next_due` the soonest deadline per regulator and kind,
  for /metrics: never a case id or a case's text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bridge.core import case_drafts, casework, privacy, privacy_reach, register
from bridge.core.obligations import STATES as OBLIGATION_STATES
from bridge.core.obligations import Obligation, soonest_due
from bridge.core.rules import RuleSet
from bridge.privacy.cases import PrivacyCases

#: Drafts of a case (read from the notice stage): for the copy of a sent subscriber notice.
DraftSource = Callable[[str], list[casework.Draft]]


class PrivacyObligations:
    """See the module contract."""

    def __init__(
        self,
        cases: PrivacyCases,
        rule_sets: list[RuleSet],
        now: Callable[[], datetime],
        drafts: DraftSource,
    ) -> None:
        self.cases = cases
        self.rule_sets = rule_sets
        self.now = now
        self._drafts = drafts
        self._events: dict[str, dict[str, datetime]] = {}
        self._states: dict[str, dict[str, str]] = {}

    def obligations(self, case_id: str, now: datetime | None = None) -> list[Obligation]:
        case = self.cases.cases.get(case_id)
        if case is None:
            return []
        return privacy.owed(
            case,
            self.rule_sets,
            now or self.now(),
            self._events.get(case_id),
            self._states.get(case_id),
        )

    def owed(self, case_id: str) -> list[case_drafts.Owed] | None:
        if case_id not in self.cases.cases:
            return None
        return [case_drafts.Owed(o.kind, o.due_at) for o in self.obligations(case_id)]

    def document(self, case_id: str) -> dict[str, Any] | None:
        """The case as drafting reads it (:func:`bridge.core.privacy.document`): its facts, which
        of its texts are still an alert's, and each subscriber notice as sent."""
        case = self.cases.cases.get(case_id)
        if case is None:
            return None
        sent: dict[str, dict[str, Any]] = {}
        for d in self._drafts(case_id):
            version = d.approved_version
            if d.kind in privacy.SUBSCRIBER_KINDS and d.state == "sent" and version is not None:
                at = d.sent_at.isoformat() if d.sent_at else None
                sent[d.kind] = {"subject": version.subject, "text": version.text, "sent_at": at}
        return privacy.document(case, sent)

    def set_notices(
        self, case_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> bool:
        """Record what the case's drafts say; True when that changed (its drafts may then owe
        something new, e.g. the supplementary report once the initial one was sent)."""
        if self._events.get(case_id) == dict(events) and self._states.get(case_id) == dict(states):
            return False
        self._events[case_id] = dict(events)
        self._states[case_id] = dict(states)
        return True

    def sent_times(self, case_id: str) -> dict[str, datetime]:
        return {
            d.kind: d.sent_at
            for d in self._drafts(case_id)
            if d.state == "sent" and d.sent_at is not None
        }

    def handed(self, case_id: str) -> list[privacy_reach.Handed]:
        """The case's subscriber notices handed to the operator's address (sent drafts), for
        :mod:`bridge.core.privacy_reach`: the address is the sent version's recipient."""
        out = []
        for d in self._drafts(case_id):
            version = d.approved_version
            if (
                d.kind in privacy_reach.KINDS
                and d.state == "sent"
                and d.sent_at is not None
                and version is not None
            ):
                out.append(
                    privacy_reach.Handed(d.kind, d.id, d.regulator, version.recipient, d.sent_at)
                )
        return out

    def distribution(self, case_id: str) -> list[dict[str, Any]]:
        """Per handed-over subscriber notice, whether its reach is recorded
        (:func:`bridge.core.privacy_reach.status`)."""
        case = self.cases.cases.get(case_id)
        return [] if case is None else privacy_reach.status(case, self.handed(case_id))

    def register_rows(self) -> list[list[str]]:
        now = self.now()
        return [
            register.row(
                case,
                self.obligations(case.id, now),
                self.sent_times(case.id),
                self.distribution(case.id),
            )
            for case in sorted(self.cases.cases.values(), key=lambda c: c.id)
        ]

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Cases by state and their obligations by state: numbers only, for /metrics."""
        cases = dict.fromkeys(privacy.STATES, 0)
        owed = dict.fromkeys(OBLIGATION_STATES, 0)
        now = self.now()
        for case in self.cases.cases.values():
            cases[case.state] = cases.get(case.state, 0) + 1
            for o in self.obligations(case.id, now):
                owed[o.state] = owed.get(o.state, 0) + 1
        return cases, owed

    def next_due(self) -> dict[tuple[str, str], datetime]:
        """(regulator, kind) → the soonest due time among the cases' reports that still need a
        person (:func:`~bridge.core.obligations.soonest_due`): no case id, for /metrics."""
        now = self.now()
        return soonest_due(
            o for case_id in self.cases.cases for o in self.obligations(case_id, now)
        )
