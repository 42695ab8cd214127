"""Drafts that follow what cases owe: open, re-render, next Nkom update round, withdraw.

Contract:
- :meth:`Drafting.reconcile` brings the drafts of the cases marked so far up to date
  (:func:`bridge.core.case_drafts.reconcile`) and tells each case what its drafts say, so
  obligations' states and deadlines follow. A case re-rendered less than
  ``notices.refresh_interval`` ago is left for a later call unless its obligations changed
  (:meth:`mark_changed` asks for now: a person changed the facts). The case's document
  (O(its alerts)) is built only for cases that owe or have drafts.
- Only the leader reconciles: every write carries the fencing token. A draft another writer
  changed meanwhile (Conflict) leaves its case marked for the next call.
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
from bridge.errors import Conflict, LeaseLost, StoreUnavailable, traced
from bridge.metrics import Metrics
from bridge.notices.book import DraftBook, with_split_origin
from bridge.notices.ports import Cases

log = logging.getLogger("bridge.notices")


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

    async def _reconcile(self, case_id: str, now: datetime) -> None:
        """Reconcile one marked case."""
        owed = self.cases.owed(case_id)
        if owed is None:
            self._pending.discard(case_id)
            return
        signature = tuple((o.kind, o.due_at) for o in owed)
        last = self._reconciled.get(case_id)
        if last is not None and last[1] == signature and now < last[0] + self.refresh_interval:
            return  # facts may have changed: re-rendered on a later call
        mine = self.book.of_case(case_id)
        doc = self.cases.document(case_id) if owed or mine else None
        if doc is None:
            self._pending.discard(case_id)
            return
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
            except Conflict as exc:  # someone acted meanwhile: look again next time
                log.info("draft %s changed meanwhile (%s); reconciling again", draft.id, exc)
                self._reconciled.pop(case_id, None)
                break
        else:
            self._pending.discard(case_id)
            self._reconciled[case_id] = (now, signature)
        self.book.tell(case_id)
