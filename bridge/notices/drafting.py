"""Drafts that follow what cases owe: open, re-render, next Nkom update round, withdraw.

Contract:
- :meth:`Drafting.reconcile` brings the drafts of the cases marked so far up to date
  (:func:`bridge.core.case_drafts.reconcile`) and tells each case what its drafts say, so
  obligations' states and deadlines follow. A case re-rendered less than
  ``notices.refresh_interval`` ago is left for a later call unless its obligations changed
  (:meth:`mark_changed` asks for now: a person changed the facts). The case's document
  (O(its alerts)) is built only for cases that owe or have drafts.
- A case with an approved draft is reconciled on every call that finds it marked, refresh
  interval or not: an approved draft may be handed over any moment, so it never keeps facts
  the incident no longer has (re-rendered, it is held).
- Only the leader reconciles: every write carries the fencing token. A write refused because
  another writer changed the draft meanwhile (Conflict) is computed again at once from the
  draft as stored (:data:`CONFLICT_TRIES` in all), then its case is left marked for the next
  call. A re-render refused because the outbox's hand-over of the draft started meanwhile is
  audited (``draft.changed_after_handover``): the approved version goes out as approved.
- :meth:`Drafting.before_handover` is the outbox's check right before it claims an approved
  draft: its case reconciled now; the draft handed over only when that left it as it was
  (the incident's facts are still its approved version's).
- One case never holds up another: a case whose drafts fail unexpectedly (a bug, or a value a
  store of old holds that cannot be drafted) is logged (the exception's type and frames, never
  its message: it may carry personal data) and counted (``bridge_drafting_errors_total``), and
  the other cases are reconciled. It is left unmarked, so a later call does not try it again
  until it is marked again (its facts changed, or a take-over). Only a store outage and a lost
  lease end the call (they concern every case alike).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bridge.core import case_drafts, casework
from bridge.core.casework import Draft
from bridge.errors import Conflict, LeaseLost, StoreUnavailable, traced
from bridge.metrics import Metrics
from bridge.notices.book import DraftBook, with_split_origin
from bridge.notices.ports import Cases

log = logging.getLogger("bridge.notices")

#: how often one call computes a case's writes again after one was refused (Conflict)
CONFLICT_TRIES = 3


class Drafting:
    """See the module contract."""

    def __init__(
        self,
        book: DraftBook,
        cases: Cases,
        context: case_drafts.Context,
        refresh_interval: timedelta,
        now: Callable[[], datetime],
        metrics: Metrics,
    ) -> None:
        self.book = book
        self.cases = cases
        self.context = context
        self.refresh_interval = refresh_interval
        self.now = now
        self.errors = metrics.drafting_errors
        self._pending: set[str] = set()  # cases to reconcile
        self._reconciled: dict[str, tuple[datetime, object]] = {}

    def mark(self, case_ids: Iterable[str]) -> None:
        """Reconcile these cases on the next call (after the refresh interval)."""
        self._pending.update(case_ids)

    def mark_changed(self, case_ids: Iterable[str]) -> None:
        """Reconcile these cases on the next call, refresh interval or not."""
        ids = list(case_ids)
        for case_id in ids:
            self._reconciled.pop(case_id, None)
        self._pending.update(ids)

    def let_go(self, case_ids: Iterable[str]) -> None:
        """Forget when these cases were last reconciled (they left memory: one marked again
        is reconciled in full)."""
        for case_id in case_ids:
            self._reconciled.pop(case_id, None)

    def restart(self) -> None:
        """Forget when each case was last reconciled and mark every case with drafts (this
        replica took over: it re-reads everything once)."""
        self._reconciled.clear()
        self.mark({d.incident_id for d in self.book.drafts.values()})

    async def reconcile(self) -> None:
        """Reconcile the cases marked so far (see the module contract)."""
        now = self.now()
        for case_id in sorted(self._pending):
            try:
                await self._reconcile(case_id, now)
            except (StoreUnavailable, LeaseLost):
                raise  # every case alike: the caller retries or steps down
            except Exception as exc:  # one case's surprise never stops the others
                self._pending.discard(case_id)
                self._reconciled.pop(case_id, None)
                self.errors.inc()
                log.error(
                    "drafting %s failed, the other cases go on; tried again once it is marked "
                    "again\n%s",
                    case_id,
                    traced(exc),
                )

    async def before_handover(self, draft: Draft) -> str | None:
        """The facts the incident has now, when they are those of ``draft``'s approved version
        (the outbox hands it over); None when not: its case is reconciled now, refresh interval
        or not, so the draft is held (or was changed meanwhile) and not handed over. A case no
        longer known here (it left memory) cannot be checked: "" (handed over as approved)."""
        case_id = draft.incident_id
        if self.cases.owed(case_id) is None:
            return ""
        self._reconciled.pop(case_id, None)
        self._pending.add(case_id)
        await self._reconcile(case_id, self.now())
        now = self.book.drafts.get(draft.id)
        if now is None or now.revision != draft.revision or now.state != casework.APPROVED:
            return None
        return now.latest.facts

    async def _reconcile(self, case_id: str, now: datetime) -> None:
        """Reconcile one marked case; a write refused for a revision conflict (someone acted
        meanwhile) is computed again at once from the draft as stored, up to
        :data:`CONFLICT_TRIES` times, then left marked for the next call."""
        for _ in range(CONFLICT_TRIES):
            if await self._reconcile_once(case_id, now):
                break
        self.book.tell(case_id)

    async def _reconcile_once(self, case_id: str, now: datetime) -> bool:
        """One try; False when a write was refused for a revision conflict."""
        owed = self.cases.owed(case_id)
        if owed is None:
            self._pending.discard(case_id)
            return True
        signature = tuple((o.kind, o.due_at) for o in owed)
        mine = self.book.of_case(case_id)
        last = self._reconciled.get(case_id)
        # an approved draft may be handed over any moment: never left with stale facts
        waiting = any(d.state == casework.APPROVED for d in mine)
        if (
            last is not None
            and last[1] == signature
            and now < last[0] + self.refresh_interval
            and not waiting
        ):
            return True  # facts may have changed: re-rendered on a later call
        doc = self.cases.document(case_id) if owed or mine else None
        if doc is None:
            self._pending.discard(case_id)
            return True
        # the unsent drafts of incidents merged into this one: a draft it opens of their kind
        # starts with what a person wrote there
        merged = [
            d
            for other in self.cases.absorbed(case_id)
            for d in self.book.select(incident=other)
            if d.state not in casework.DELIVERY
        ]
        read = with_split_origin(doc, self.book.of_case, self.context.sender)
        writes = case_drafts.reconcile(read, owed, mine, self.context, now, merged)
        for draft, expected, events in writes:
            try:
                await self.book.write(draft, expected, events, as_leader=True)
            except Conflict as exc:  # someone acted meanwhile: look again (the caller)
                log.info("draft %s changed meanwhile (%s); reconciling again", draft.id, exc)
                self._reconciled.pop(case_id, None)
                await self._refused(draft, now)
                return False
        self._pending.discard(case_id)
        self._reconciled[case_id] = (now, signature)
        return True

    async def _refused(self, draft: Draft, now: datetime) -> None:
        """A re-render refused because the outbox's hand-over of the draft started meanwhile:
        the approved version goes (or went) out; the audit records that the incident's facts
        changed after the hand-over started (``draft.changed_after_handover``)."""
        stored = self.book.drafts.get(draft.id)
        if stored is None or stored.state not in casework.DELIVERY:
            return
        approved = stored.approved_version
        if approved is None or approved.facts == draft.latest.facts:
            return
        event = casework.changed_after_handover(stored, now, draft.latest.facts)
        await self.book.record(event)
