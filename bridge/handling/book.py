"""The casebook as the bridge uses it: each incident's short number, its title, who is on it
and people's notes, kept in the store's :class:`~bridge.store.interfaces.Casebook`.

Contract:
- :meth:`Casebooks.numbered` gives the records of the incidents named, opening (numbering) the
  ones that have none yet, oldest start first, so numbers follow the incidents' order when
  several are first shown together. An incident is numbered when people's data about it is
  first needed: the first time it is listed, shown or changed through the API.
- :meth:`Casebooks.change` applies one of :mod:`bridge.core.handling`'s changes to the stored
  record and writes it with its audit entries in one compare-and-set; a concurrent change
  (another person, another replica) is re-read and the change applied again (at most
  :data:`ATTEMPTS` times, then Conflict). A change that changes nothing writes nothing.
- Only outage incidents have a casebook; privacy cases keep their own register.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from bridge.core import handling
from bridge.core.casework import AuditEvent
from bridge.errors import Conflict
from bridge.store.interfaces import Casebook
from bridge.store.records import CasebookRecord, audit_entries

ATTEMPTS = 5

Change = Callable[[handling.Document, datetime], tuple[handling.Document, list[AuditEvent]]]


class Casebooks:
    """See the module contract."""

    def __init__(self, store: Casebook, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    async def numbered(
        self, incidents: Sequence[tuple[str, datetime]]
    ) -> dict[str, CasebookRecord]:
        """The records of ``incidents`` (id, start), the missing ones opened oldest first."""
        found = await self.store.casebooks([i for i, _ in incidents])
        missing = [i for _, i in sorted((start, i) for i, start in incidents if i not in found)]
        if missing:
            found.update(await self.store.open_casebooks(missing, self.now()))
        return found

    async def record(self, incident_id: str) -> CasebookRecord:
        """The incident's record (opened when it has none)."""
        found = await self.store.get_casebook(incident_id)
        return found or await self.store.open_casebook(incident_id, self.now())

    async def change(self, incident_id: str, change: Change) -> CasebookRecord:
        """See the module contract; the record as it is afterwards."""
        for _ in range(ATTEMPTS):
            record = await self.record(incident_id)
            now = self.now()
            document, events = change(record.document, now)
            if not events:
                return record
            new = replace(record, revision=record.revision + 1, updated_at=now, document=document)
            try:
                await self.store.put_casebook(new, record.revision, audit_entries(events))
            except Conflict:
                continue
            return new
        raise Conflict(f"incident {incident_id}", "changed by others meanwhile: try again")
