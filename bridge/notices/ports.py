"""What the notice stage needs from the rest of the bridge, as narrow interfaces (the leader's
fencing token is :class:`bridge.replicas.fence.Fence`).

- :class:`Cases`: the things that owe notices (outage incidents and privacy cases), read by id:
  what each owes now, its document for drafting, and where to tell what its drafts say.
- :class:`OutboxDoor`: how people's actions tell the outbox that something became due.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from bridge.core import case_drafts
from bridge.core.awareness import Answered


class Cases(Protocol):
    """Incidents and privacy cases as the notice stage reads them (see the module docstring)."""

    def owed(self, case_id: str) -> list[case_drafts.Owed] | None:
        """What the case owes now (None: no such case); cheap, read on every reconcile."""

    def absorbed(self, case_id: str) -> list[str]:
        """The cases merged into this one (an incident a covering or merged one took in):
        their notices in delivery or sent count as this case's, never sent again."""

    def host(self, case_id: str) -> str:
        """The case this one was merged into, followed to the end (itself if none)."""

    def document(self, case_id: str) -> dict[str, Any] | None:
        """The case's full document (alerts and annotations included); built only to draft."""

    def notices_changed(
        self,
        case_id: str,
        events: Mapping[str, datetime],
        states: Mapping[str, str],
        answered: Mapping[str, Answered] | None = None,
    ) -> None:
        """What the case's drafts say now (``initial_sent``…, each kind's draft state, and per
        kind of report a regulator asked for, the requests its settled reports answered:
        :func:`bridge.core.case_drafts.answered_by`)."""


class OutboxDoor(Protocol):
    """The outbox as people's actions see it."""

    def wake(self) -> None:
        """Look for due drafts now rather than at the next poll."""
