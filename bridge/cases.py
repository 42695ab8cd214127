"""Glue between the stages: outage incidents and privacy cases behind the notice stage's one
:class:`~bridge.notices.ports.Cases` port, and privacy alerts from ingest to the privacy cases.

Ids tell them apart (privacy case ids carry :data:`bridge.core.privacy.PREFIX`). A privacy
case whose drafts changed what it owes is remembered until :meth:`CaseRouter.take_moved`, so
the next flush reconciles its drafts again (the supplementary report once the initial one was
sent, say)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bridge.core import case_drafts
from bridge.core.alerts import AlertEpisode
from bridge.evaluation.incidents import IncidentView
from bridge.notices.drafting import Drafting
from bridge.privacy.cases import PrivacyCases, is_case
from bridge.privacy.owed import PrivacyObligations


class CaseRouter:
    """See the module docstring."""

    def __init__(self, incidents: IncidentView, privacy: PrivacyObligations) -> None:
        self.incidents = incidents
        self.privacy = privacy
        self._moved: set[str] = set()

    def owed(self, case_id: str) -> list[case_drafts.Owed] | None:
        if is_case(case_id):
            return self.privacy.owed(case_id)
        return self.incidents.owed(case_id)

    def document(self, case_id: str) -> dict[str, Any] | None:
        if is_case(case_id):
            return self.privacy.document(case_id)
        return self.incidents.document(case_id)

    def notices_changed(
        self, case_id: str, events: Mapping[str, datetime], states: Mapping[str, str]
    ) -> None:
        if not is_case(case_id):
            self.incidents.notices_changed(case_id, events, states)
        elif self.privacy.set_notices(case_id, events, states):
            self._moved.add(case_id)

    def take_moved(self) -> set[str]:
        """Privacy cases whose obligations moved since the last call."""
        moved, self._moved = self._moved, set()
        return moved


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
