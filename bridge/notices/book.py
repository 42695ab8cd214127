"""The drafts as this process knows them, and every write of one.

Contract:
- :attr:`DraftBook.drafts` holds every draft as last read or written. :meth:`write` is one
  compare-and-set write of a draft with its audit entries (the store's ``put_draft``): a person
  and the bridge (or two replicas) acting on the same draft never both win; on Conflict the
  stored draft is re-read into the book and the Conflict re-raised, so the loser decides again.
  ``as_leader`` writes carry the fencing token (LeaseLost when not leading).
- After a change, :meth:`tell` gives the case what its drafts now say (``initial_sent``, each
  kind's state), so obligations' states and deadlines follow.
- Memory follows live work: :meth:`load` with ``live`` reads every unfinished draft and every
  draft of the live cases (those memory holds: bridge/core/liveness.py), not the history;
  :meth:`let_go` drops the finished drafts of cases that left memory (:meth:`bring_back` reads
  them again for one that comes back, and answers how to undo that for one that does not
  stay); :meth:`stored` reads lists that reach beyond them (sent notices of incidents closed
  long ago) from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol

from bridge.core import case_drafts, casework, draft_codec
from bridge.core.casework import Draft
from bridge.core.drafts import Sender
from bridge.core.regrouping import split_origin
from bridge.errors import Conflict, LeaseLost, StoreUnavailable
from bridge.metrics import Metrics
from bridge.notices.drafts_by_case import DraftsById
from bridge.notices.ports import Cases
from bridge.replicas.fence import Fence
from bridge.store.interfaces import AuditLog, DraftStore
from bridge.store.records import DraftRecord, audit_entries

lifecycle = logging.getLogger("bridge.lifecycle")


#: audit actions that are a draft's lifecycle events, and how the log line names them
_LIFECYCLE = {
    "draft.opened": "draft opened",
    "draft.approved": "draft approved",
    "draft.rejected": "draft rejected",
    "outbox.sent": "notice sent",
    "outbox.failed": "notice failed",
    "outbox.in_doubt": "notice in doubt",
}


def _log_lifecycle(draft: Draft, action: str) -> None:
    """One INFO line on ``bridge.lifecycle`` per lifecycle event: ids only (the person who
    approved is in the audit log, never in this log)."""
    what = _LIFECYCLE.get(action)
    if what is None:
        return
    approval = draft.approval
    version = approval.version if approval is not None else draft.versions[-1].number
    lifecycle.info(
        "%s: %s (%s %s, version %d) for %s",
        what,
        draft.id,
        draft.regulator,
        draft.kind,
        version,
        draft.incident_id,
        extra={
            "event": action,
            "draft": draft.id,
            "incident": draft.incident_id,
            "regulator": draft.regulator,
            "kind": draft.kind,
            "version": version,
        },
    )


def draft_record(draft: Draft) -> DraftRecord:
    """A draft as stored: the whole document plus its indexed fields."""
    return DraftRecord(
        draft.id,
        draft.incident_id,
        draft.state,
        draft.revision,
        draft.updated_at,
        draft_codec.to_dict(draft),
    )


class BookStore(DraftStore, AuditLog, Protocol):
    """The store as the book uses it: drafts, and the audit entries that go with no draft
    write (:meth:`DraftBook.record`)."""


class DraftBook:
    """See the module contract."""

    def __init__(self, store: BookStore, metrics: Metrics, cases: Cases, fence: Fence) -> None:
        self.store = store
        self.metrics = metrics
        self.cases = cases
        self.fence = fence
        self.drafts = DraftsById()

    async def load(self, live: Collection[str] | None = None) -> None:
        """Replace the book by the store's drafts (a follower's reads; taking over) and tell
        the cases whose drafts changed: every unfinished draft and every draft of the ``live``
        cases (None: every draft stored)."""
        if live is None:
            records = await self.store.list_drafts()
        else:
            unfinished = await self.store.list_drafts(
                states=set(casework.STATES) - casework.FINISHED
            )
            of_live = await self.store.drafts_of(live)
            records = list({r.id: r for r in [*unfinished, *of_live]}.values())
        before = {d.id: d.revision for d in self.drafts.values()}
        self.drafts = DraftsById(draft_codec.from_dict(r.document) for r in records)
        changed = {d.incident_id for d in self.drafts.values() if before.get(d.id) != d.revision}
        for case_id in sorted(changed):
            self.tell(case_id)

    async def bring_back(self, case_ids: Collection[str]) -> Callable[[], None]:
        """Read every draft of these cases into the book (cases coming back into memory: an
        incident recalled for a late request), the book's newer revisions winning. Tells no
        case: the caller tells each once memory holds it. Answers the undo, for a recall that
        then fails or an action refused on what it brought back: each draft it read is as the
        book held it before (absent, or the older revision), unless written since."""
        before: dict[str, Draft | None] = {}
        read: dict[str, Draft] = {}
        for record in await self.store.drafts_of(case_ids):
            known = self.drafts.get(record.id)
            if known is None or known.revision < record.revision:
                before[record.id] = known
                read[record.id] = self.drafts[record.id] = draft_codec.from_dict(record.document)

        def undo() -> None:
            for draft_id, known in before.items():
                if self.drafts.get(draft_id) is not read[draft_id]:
                    continue  # written or read again since: that stands
                if known is None:
                    del self.drafts[draft_id]
                else:
                    self.drafts[draft_id] = known

        return undo

    async def reread(self, states: Collection[str]) -> None:
        """Take the drafts in ``states`` the store has in a newer revision (approved on another
        replica, perhaps, or claimed by a write whose reply was lost)."""
        for record in await self.store.list_drafts(states=set(states)):
            known = self.drafts.get(record.id)
            if known is None or known.revision < record.revision:
                self.drafts[record.id] = draft_codec.from_dict(record.document)

    async def write(
        self,
        draft: Draft,
        expected: int | None,
        events: Sequence[casework.AuditEvent],
        as_leader: bool = False,
    ) -> Draft:
        """One compare-and-set write (see the module contract)."""
        fence = self.fence.token if as_leader else None
        if as_leader and fence is None:
            raise LeaseLost("put_draft", "this replica does not lead")
        try:
            await self.store.put_draft(
                draft_record(draft), expected, audit_entries(events), fence=fence
            )
        except Conflict:
            fresh = await self.store.get_draft(draft.id)
            if fresh is not None:
                self.drafts[draft.id] = draft_codec.from_dict(fresh.document)
            raise
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise
        self.drafts[draft.id] = draft
        for event in events:
            _log_lifecycle(draft, event.action)
        return draft

    async def record(self, event: casework.AuditEvent) -> None:
        """An audit entry about a draft that does not change it."""
        try:
            await self.store.append_audit(audit_entries([event]))
        except StoreUnavailable as exc:
            self.metrics.store_error(exc)
            raise

    async def fresh(self, draft_id: str) -> Draft:
        """The draft as stored now (KeyError: no such draft)."""
        record = await self.store.get_draft(draft_id)
        if record is None:
            raise KeyError(draft_id)
        draft = draft_codec.from_dict(record.document)
        self.drafts[draft_id] = draft
        return draft

    def of_case(self, case_id: str) -> list[Draft]:
        """The case's drafts, after the notices in delivery or sent of the cases merged into
        it (:meth:`Cases.absorbed`): a report one of them sent is this case's report too, and
        the next of that kind follows it (first of a round wins in ``case_drafts``)."""
        absorbed = self.cases.absorbed(case_id)
        by_case = {c: self.drafts.of(c) for c in {case_id, *absorbed}}
        return self._with_carried(case_id, absorbed, by_case)

    def _with_carried(
        self, case_id: str, absorbed: Sequence[str], by_case: dict[str, list[Draft]]
    ) -> list[Draft]:
        carried = [
            d for other in absorbed for d in by_case.get(other, ()) if d.state in casework.DELIVERY
        ]
        carried.sort(key=lambda d: (d.created_at, d.id))
        return carried + by_case.get(case_id, [])

    def select(self, states: set[str] | None = None, incident: str | None = None) -> list[Draft]:
        """Drafts in ``states`` (all when None) of ``incident`` (any when None), newest first."""
        among = self.drafts.values() if incident is None else self.drafts.of(incident)
        chosen = [d for d in among if states is None or d.state in states]
        return sorted(chosen, key=lambda d: (d.created_at, d.id), reverse=True)

    def tell(self, case_id: str) -> None:
        """Tell the case what its drafts say now."""
        progress = case_drafts.progress(self.of_case(case_id))
        self.cases.notices_changed(case_id, progress.events, progress.states, progress.answered)

    def tell_all(self) -> None:
        """Tell every case with drafts what they say (one pass: a freshly built engine)."""
        by_case = {case_id: self.drafts.of(case_id) for case_id in self.drafts.cases()}
        cases = set(by_case) | {self.cases.host(case_id) for case_id in by_case}
        for case_id in sorted(cases):  # hosts too: what the cases merged into them sent
            drafts = self._with_carried(case_id, self.cases.absorbed(case_id), by_case)
            progress = case_drafts.progress(drafts)
            self.cases.notices_changed(case_id, progress.events, progress.states, progress.answered)

    def let_go(self, case_ids: Iterable[str]) -> None:
        """Drop the finished drafts of cases that left memory (the store keeps them)."""
        for case_id in set(case_ids):
            for d in self.drafts.of(case_id):
                if d.state in casework.FINISHED:
                    del self.drafts[d.id]

    async def stored(
        self, states: set[str] | None = None, incident: str | None = None
    ) -> list[Draft]:
        """Like :meth:`select`, reaching beyond memory: the store's drafts in ``states`` of
        ``incident`` (either None: any), this book's newer revisions winning, newest first."""
        records = await self.store.list_drafts(incident, states)
        found = {r.id: draft_codec.from_dict(r.document) for r in records}
        for d in self.select(states, incident):
            known = found.get(d.id)
            if known is None or known.revision <= d.revision:
                found[d.id] = d
        return sorted(found.values(), key=lambda d: (d.created_at, d.id), reverse=True)

    def forget(self, draft_ids: Iterable[str]) -> None:
        """Drop drafts that retention removed from the store (bridge/retention/)."""
        for draft_id in draft_ids:
            self.drafts.pop(draft_id, None)

    def counts(self) -> dict[str, int]:
        """Drafts by state (every state present, 0 when none), for /metrics."""
        counts = dict.fromkeys(casework.STATES, 0)
        for d in self.drafts.values():
            counts[d.state] = counts.get(d.state, 0) + 1
        return counts

    def outbox_pending(self) -> int:
        """Approved drafts not yet accepted by the relay (queued, retrying or sending); a
        portal report waiting for a person to record its submission is not the outbox's."""
        return sum(
            1
            for d in self.drafts.values()
            if d.state in (casework.APPROVED, casework.SENDING) and d.channel != casework.PORTAL
        )


def with_split_origin(
    doc: Mapping[str, Any], of_case: Callable[[str], Sequence[Draft]], sender: Sender
) -> Mapping[str, Any]:
    """``doc`` of an incident a person split out of another: with what that one was reported
    under (:func:`bridge.core.case_drafts.split_origin_references`, from its drafts as
    ``of_case`` gives them: :meth:`DraftBook.of_case`), so its first notice to each regulator
    says it was part of it. Drafting and the desk read a case's fields through it alike. Any
    other ``doc`` as it is."""
    origin = split_origin(doc.get("correlation_key"))
    if origin is None or doc.get("merged_into"):
        return doc
    found = case_drafts.split_origin_references(origin, of_case(origin), sender)
    if not found["references"]:
        return doc
    return {**doc, case_drafts.SPLIT_FROM: found}
