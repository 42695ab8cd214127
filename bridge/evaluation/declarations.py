"""People's declarations of an incident's significance (the Swedish cybersecurity act), kept in
the store's :class:`~bridge.store.interfaces.DeclarationStore` and known here by incident id.

Contract:
- :meth:`Declarations.declare` reads the stored declaration, applies the person's decision
  (:func:`bridge.core.awareness.declare`: BadInput names the bad field, Conflict says why it
  cannot be undone) and writes it with its audit entry in one compare-and-set write; two people
  declaring at once: one wins, the other gets Conflict.
- :meth:`Declarations.load` reads every declaration (at start and on each tick: another
  replica's) and answers the incidents whose declaration changed, so their clocks follow.
- :meth:`Declarations.request_report` records a regulator's request for a report the same
  way (the CSIRT's intermediate report, Nkom's hendelsesrapport).
- The same declaration or request again (a double click, a client's retry) writes nothing
  and both answer False (:mod:`bridge.core.awareness` says what "the same" is).
- The engine learns of a declaration as of what notices say: the ``aware`` event and the
  requested reports' deadlines, merged by
  :class:`bridge.cases.CaseRouter` into the events it passes on.
- A record stays with the incident it was made on. An incident merged into another (covered,
  or merged by a person) keeps it, and the host stands by the records of both
  (:meth:`effective`, :meth:`events` with ``absorbed``: :func:`bridge.core.awareness.combine`):
  nothing is copied, so a restart, a replica and a split read the same from the same records
  and the incidents as the engine groups them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bridge.core import awareness
from bridge.core.awareness import Answered, Declaration
from bridge.core.casework import AuditEvent
from bridge.store.interfaces import DeclarationStore
from bridge.store.records import DeclarationRecord, audit_entries


class Declarations:
    """See the module contract."""

    def __init__(self, store: DeclarationStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self.known: dict[str, Declaration] = {}

    def of(self, incident_id: str) -> Declaration | None:
        return self.known.get(incident_id)

    def others(self, absorbed: Sequence[str]) -> list[Declaration]:
        """The records of the incidents merged into one (``absorbed``: their ids)."""
        return [d for i in absorbed if (d := self.known.get(i)) is not None]

    def effective(self, incident_id: str, absorbed: Sequence[str] = ()) -> Declaration | None:
        """The record the incident stands by with those merged into it (``absorbed``)."""
        return awareness.combine(self.known.get(incident_id), self.others(absorbed))

    def events(
        self,
        incident_id: str,
        absorbed: Sequence[str] = (),
        answered: Mapping[str, Answered] | None = None,
    ) -> dict[str, datetime]:
        """The deadline events of the incident's declaration (``aware``) and requests, with
        those of the incidents merged into it (``absorbed``), if any; ``answered``: per kind,
        what the incident's settled reports answered (:func:`awareness.merged_events`)."""
        return awareness.merged_events(self._records(incident_id, absorbed), answered)

    def owed_again(
        self, incident_id: str, absorbed: Sequence[str], answered: Mapping[str, Answered]
    ) -> set[str]:
        """The kinds a new report of which is owed: a request stands that the settled ones
        did not answer (:func:`awareness.owed_again`)."""
        return awareness.owed_again(self._records(incident_id, absorbed), answered)

    def _records(self, incident_id: str, absorbed: Sequence[str]) -> list[Declaration]:
        own = self.known.get(incident_id)
        return [*([] if own is None else [own]), *self.others(absorbed)]

    async def load(self) -> set[str]:
        """Read every declaration; the ids of those that changed since the last read."""
        changed: set[str] = set()
        for record in await self.store.list_declarations():
            before = self.known.get(record.id)
            if before is None or before.revision != record.revision:
                self.known[record.id] = awareness.from_document(record.document)
                changed.add(record.id)
        return changed

    async def declare(
        self,
        incident_id: str,
        significant: bool,
        aware_at: datetime | None,
        reason: str,
        actor: str,
        attest: Mapping[str, str] | None = None,
        absorbed: Sequence[str] = (),
        jurisdictions: Sequence[str] = (),
        began: datetime | None = None,
    ) -> bool:
        """Record a person's declaration (see the module contract); ``attest``: what the audit
        entry records about the person's second factor; ``absorbed``: the incidents merged into
        this one (their records count); ``jurisdictions``: the incident's now; ``began``: when
        it began. False: the same declaration again, nothing written."""
        now = self.now()
        stored = await self.store.get_declaration(incident_id)
        previous = None if stored is None else awareness.from_document(stored.document)
        declaration, event = awareness.declare(
            previous,
            incident_id,
            significant,
            aware_at,
            reason,
            actor,
            now,
            self.others(absorbed),
            jurisdictions,
            began,
        )
        if event is None:
            return False
        await self._write(incident_id, stored, declaration, event, attest)
        return True

    async def request_report(
        self,
        incident_id: str,
        kind: str,
        received_at: datetime | None,
        deadline: datetime,
        reference: str,
        actor: str,
        absorbed: Sequence[str] = (),
        jurisdictions: Sequence[str] = (),
        began: datetime | None = None,
    ) -> bool:
        """Record a regulator's request for a report of ``kind`` (received now by default);
        ``absorbed``, ``jurisdictions`` and ``began`` as :meth:`declare`. False: the same
        request again (:func:`bridge.core.awareness.request_report`), nothing written."""
        now = self.now()
        stored = await self.store.get_declaration(incident_id)
        previous = None if stored is None else awareness.from_document(stored.document)
        declaration, event = awareness.request_report(
            previous,
            incident_id,
            kind,
            received_at,
            deadline,
            reference,
            actor,
            now,
            self.others(absorbed),
            jurisdictions,
            began,
        )
        if declaration is None or event is None:
            return False
        await self._write(incident_id, stored, declaration, event, None)
        return True

    async def _write(
        self,
        incident_id: str,
        stored: DeclarationRecord | None,
        declaration: Declaration,
        event: AuditEvent,
        attest: Mapping[str, str] | None,
    ) -> Declaration:
        """One compare-and-set write of the incident's record with its audit entry."""
        now = self.now()
        event.detail.update(attest or {})
        record = DeclarationRecord(
            id=incident_id,
            revision=declaration.revision,
            updated_at=now,
            document=awareness.to_document(declaration),
        )
        await self.store.put_declaration(
            record, None if stored is None else stored.revision, audit_entries([event])
        )
        self.known[incident_id] = declaration
        return declaration
