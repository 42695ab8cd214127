"""The outbox: approved drafts handed to the mail relay, once, with the outcome recorded.

Contract:
- :meth:`Outbox.deliver_due` sends every approved draft whose attempt is due: ``sending`` is
  written before the relay is contacted (the fenced claim), the result after it (unfenced: it is
  a fact); an ``.eml`` copy of the exact bytes is written to ``notices.archive_dir`` (fsync,
  atomic rename) before the hand-over. The leader re-reads approved drafts from the store
  before every round, so an approval made on another replica is sent within
  ``notices.poll_interval``.
- Nothing stale is sent: right before a draft is claimed, drafting checks the incident's
  facts (:meth:`bridge.notices.drafting.Drafting.before_handover`): changed since the
  approval, the draft is held there and not handed over (as a Conflict: "changed
  meanwhile"); the same, they are recorded with the sent notice (``outbox.sent``'s
  ``facts``). A draft the outbox approves again (a 4xx retry later, withheld after a lapsed
  lease) marks its case for drafting's next call.
- The archive is evidence: a copy of another message of the same draft version (approved at
  another time: before the store was restored from a backup, typically) is never replaced
  (:func:`bridge.notices.archive.keep`); that draft is not handed over but goes ``in_doubt``
  for a person (:func:`bridge.core.casework.archived_differs`), whose resend then sends it
  with both copies kept.
- Before each hand-over the store's hand-over count is taken and recorded in the archive's
  witness (:mod:`bridge.notices.witness`). A round with drafts due first compares the two:
  a witness above the store's count (the store was rolled back under this bridge) hands
  nothing over (:class:`~bridge.errors.StoreRolledBack`: logged once, counted as a failed
  round) until ``bridge restored`` ran.
- The archive folder (when the outbox creates it) is ``0700`` and every ``.eml`` ``0600``,
  whatever the umask: they hold personal data of privacy cases. Beside each ``.eml`` a JSON
  sidecar (``0600`` too) says which draft version it is, its Message-ID and recipient, the
  hand-over's number and time, who approved it and when (with the second factor's time), and,
  once the relay accepted it, when: what ``bridge restored`` reads after a restore
  (:mod:`bridge.notices.archive`).
- :meth:`recover` (on taking over, and at the start of every round) turns drafts left
  ``sending`` into ``in_doubt``, except this process's own hand-over in flight: never re-sent
  without a person. Besides a stopped process, a running one leaves ``sending`` behind when a
  write's reply is lost (the claim applied but reported as a store error, the draft re-read as
  ``sending`` at the next round) or the relay's answer cannot be recorded.
- The relay's answer is a fact: its write (unfenced) is retried after a store error
  (``OUTCOME_RETRY_DELAYS``, a few seconds in all; a try applied whose reply was lost shows as
  the stored draft being the one written); only then is it given up (logged with the answer)
  and the draft left ``sending``, in doubt from the next round on.
- Right before the hand-over the lease must still be this replica's by its own clock
  (:meth:`Fence.holds`): a leader paused past its lease since the claim hands nothing over;
  the draft is approved again (unfenced, revision-checked: a new leader that already found it
  ``sending`` has put it in doubt) and the round ends as on a refused fenced write.
- One draft never holds up another: a draft whose message cannot be built (a header that
  cannot be written, an attachment that fails) goes to ``failed`` with the reason on the draft,
  in the audit (``outbox.failed``) and in ``bridge_emails_sent_total{result="unsendable"}``,
  and the round goes on; any other unexpected error in one delivery is logged and counted
  (``bridge_outbox_errors_total``) and the round goes on too. Only a store outage and a lost
  lease end the round (they concern every draft alike); neither ends the loop: a refused fenced
  write is reported to the fence (which steps down, or re-takes a lapsed lease nobody took
  and leads on), and rounds go on for as long as this replica leads.
- After every round, and once more when it stops, the store's highest audit seq is recorded
  in the archive folder's mark (:mod:`bridge.notices.audit_mark`), for ``bridge restored``.
- Every round of the loop that ends without error sets
  ``bridge_task_last_success_timestamp_seconds{task="outbox"}`` (the injected clock); one that
  fails is counted in ``bridge_task_failures_total{task="outbox"}``.
- Only the leader sends: :meth:`start` runs rounds on a timer and whenever :meth:`wake` is
  called; :meth:`pause` starts no new round (a hand-over already under way is let finish and
  its outcome recorded: cancelling it would only make it doubtful); :meth:`stop` ends the loop
  the same way: it takes no new delivery (a round in progress ends after its current draft) and
  lets the hand-over in flight finish and its outcome be recorded, within a grace
  (``smtp.timeout`` unless the caller gives less). Only past the grace is the hand-over
  cancelled: the draft is then written ``in_doubt`` at once (as :meth:`recover` would), for a
  person; never re-sent on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bridge.config.models import NoticesConfig, SmtpConfig
from bridge.core import casework
from bridge.core.casework import Draft
from bridge.core.drafts import Sender
from bridge.errors import Conflict, LeaseLost, StoreRolledBack, StoreUnavailable, traced
from bridge.metrics import Metrics
from bridge.notices import archive, audit_mark, mail, witness
from bridge.notices.book import DraftBook
from bridge.replicas.fence import Fence
from bridge.store.interfaces import HandoverCount

log = logging.getLogger("bridge.notices")

UNSENDABLE = "unsendable"  # the result label of a message that could not be built
#: seconds between the tries of writing the relay's answer after a store error (see contract)
OUTCOME_RETRY_DELAYS = (0.1, 0.5, 2.0)
#: what a person reads on a draft found ``sending`` by a running leader's round
LOST_TRACK = "the bridge lost track of handing this message to the mail relay (a store error)"


class Counts(HandoverCount, Protocol):
    """The store's counts the outbox keeps copies of in the archive folder."""

    async def audit_seq(self) -> int:
        """The highest audit seq handed out (:class:`~bridge.store.interfaces.AuditLog`)."""


class HandOver(Protocol):
    """Drafting, as the outbox asks it about a draft it is about to hand over
    (:class:`bridge.notices.drafting.Drafting`)."""

    async def before_handover(self, draft: Draft) -> str | None:
        """The incident's facts now when they are the approved version's, else None (the
        draft was held or changed meanwhile: not handed over)."""

    def mark_changed(self, case_ids: Iterable[str]) -> None:
        """Reconcile these cases on the next call, refresh interval or not."""


class Outbox:
    """See the module contract. ``smtp`` None: nothing is ever sent. ``drafting`` None: the
    incident's facts are not checked before a hand-over (tests of the outbox alone)."""

    def __init__(
        self,
        book: DraftBook,
        smtp: SmtpConfig | None,
        settings: NoticesConfig,
        sender: Sender,
        metrics: Metrics,
        fence: Fence,
        now: Callable[[], datetime],
        handovers: Counts,
        drafting: HandOver | None = None,
    ) -> None:
        self.book = book
        self.drafting = drafting
        self.handovers = handovers
        self.smtp = smtp
        self.settings = settings
        self.sender = sender
        self.metrics = metrics
        self.fence = fence
        self.now = now
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one round at a time
        self._inflight: set[str] = set()  # drafts this process is handing to the relay now
        self._running = False  # rounds run only while this is set
        self._stopping = False  # set by stop(): the round in progress takes no further draft
        self._rolled_back: str | None = None  # why the last round handed nothing over, logged
        self._marked = 0  # the audit seq last recorded in the archive folder's mark

    # ---- lifecycle ----------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        """Run rounds (this replica leads now)."""
        self._running = True
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._run(), name="outbox")

    def pause(self) -> None:
        """Start no new round (another replica leads now); see the module contract."""
        self._running = False
        self._wake.set()

    async def stop(self, grace: timedelta | None = None) -> None:
        """End the loop: no new delivery; a hand-over in flight may finish within ``grace``
        (default ``smtp.timeout``), past which it is cancelled (in doubt); see the contract."""
        self._running = False
        self._stopping = True
        self._wake.set()
        loop, self._loop = self._loop, None
        try:
            if loop is None or loop is asyncio.current_task():
                return
            if grace is None:
                grace = self.smtp.timeout if self.smtp is not None else timedelta(0)
            try:
                done, _ = await asyncio.wait({loop}, timeout=max(grace.total_seconds(), 0))
                if not done:  # cancelled below
                    log.error(
                        "outbox: the hand-over in flight did not finish within %g s of "
                        "stopping: cancelled",
                        grace.total_seconds(),
                    )
            finally:  # also when stop itself is cancelled (the service's stop deadline)
                if not loop.done():
                    loop.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
        finally:
            self._stopping = False
            try:  # the last entries this bridge wrote: best effort (the store may be down)
                await self.mark_audit()
            except Exception as exc:
                log.warning("outbox: the audit seq's mark not recorded on stopping: %s", exc)

    async def mark_audit(self) -> None:
        """The store's highest audit seq recorded in the archive folder's mark when it grew
        (:mod:`bridge.notices.audit_mark`); a folder that cannot be written is logged, once
        per number, and never stops the round."""
        seq = await self.handovers.audit_seq()
        if seq <= self._marked:
            return
        mark = audit_mark.Mark(seq, self.now())
        try:
            await asyncio.to_thread(audit_mark.record, self.settings.archive_dir, mark)
        except OSError as exc:
            log.error("outbox: the audit seq's mark could not be recorded: %s", exc)
        self._marked = seq

    async def _run(self) -> None:
        poll = self.settings.poll_interval.total_seconds()
        refused = False  # the last round ended with a refused fenced write
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)
            self._wake.clear()
            if not self._running:
                return
            try:
                await self.deliver_due()
                await self.mark_audit()
                refused = False
                self._rolled_back = None
                self.metrics.task_last_success.labels(task="outbox").set(self.now().timestamp())
            except StoreRolledBack as exc:
                self.metrics.task_failures.labels(task="outbox").inc()
                if str(exc) != self._rolled_back:  # once, not every poll_interval
                    log.error("outbox: nothing is handed over: %s", exc)
                self._rolled_back = str(exc)
            except StoreUnavailable as exc:
                self.metrics.task_failures.labels(task="outbox").inc()
                log.warning("outbox round failed, store unavailable: %s", exc)
            except LeaseLost as exc:
                self.metrics.task_failures.labels(task="outbox").inc()
                log.error("outbox round ended, a fenced write was refused: %s", exc)
                # Leadership decides: stepping down pauses this loop (on_lose); a lapsed lease
                # re-taken under the same token leads on, and so do the rounds: the refused
                # claim is tried again at once (once: not in a loop should it keep failing).
                await self.fence.lost(str(exc))
                if not refused and self.fence.token is not None:
                    self._wake.set()
                refused = True
            except Exception as exc:
                self.metrics.task_failures.labels(task="outbox").inc()
                log.error("outbox round failed\n%s", traced(exc))

    # ---- rounds ---------------------------------------------------------------------------
    async def recover(self, cause: str | None = None) -> None:
        """Drafts left ``sending`` (by a stopped process; by a lost write: ``cause``) become
        ``in_doubt`` (see contract)."""
        for draft in [d for d in self.book.drafts.values() if d.state == casework.SENDING]:
            if draft.id in self._inflight:  # our own hand-over, still running: not in doubt
                continue
            changed, events = casework.interrupted(draft, self.now(), cause)
            with contextlib.suppress(Conflict):
                await self.book.write(changed, draft.revision, events, as_leader=True)
                log.error("notice %s is in doubt: %s", draft.id, changed.flag)

    def due(self, now: datetime) -> list[Draft]:
        """Approved drafts whose next attempt is due at ``now``, the longest waiting first."""
        return sorted(
            (
                d
                for d in self.book.drafts.values()
                if d.state == casework.APPROVED
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
            ),
            key=lambda d: (d.next_attempt_at or now, d.id),
        )

    async def deliver_due(self) -> list[Draft]:
        """One round: attempt every due draft once; return them as they ended."""
        async with self._lock:
            if self.smtp is None:
                return []
            # approvals made elsewhere, and claims applied whose reply was lost (stored
            # ``sending``, known here as ``approved``); then whatever is left ``sending`` and is
            # not being handed over (none is, between rounds) goes to a person
            await self.book.reread((casework.APPROVED, casework.SENDING))
            await self.recover(LOST_TRACK)
            done: list[Draft] = []
            due = self.due(self.now())
            if due:
                await self.not_rolled_back()
            for draft in due:
                if self._stopping:  # stop(): the hand-over just finished was the last one
                    break
                try:
                    self._inflight.add(draft.id)
                    try:
                        done.append(await self._deliver(draft, self.smtp))
                    finally:
                        self._inflight.discard(draft.id)
                except Conflict as exc:
                    log.info("outbox: %s changed meanwhile (%s)", draft.id, exc)
                except (StoreUnavailable, LeaseLost, StoreRolledBack):
                    raise  # every draft alike: the round ends (see _run)
                except Exception as exc:  # one draft's surprise never stops the others
                    self.metrics.outbox_errors.inc()
                    log.error(
                        "outbox: delivering %s failed unexpectedly\n%s", draft.id, traced(exc)
                    )
            self.metrics.outbox_rounds.inc()
            return done

    async def not_rolled_back(self) -> None:
        """StoreRolledBack when the archive folder's witness (read first) is above the store's
        hand-over count (read second): see :mod:`bridge.notices.witness`."""
        folder = self.settings.archive_dir
        try:
            seen = await asyncio.to_thread(witness.read, folder)
        except witness.Unreadable as exc:
            raise StoreRolledBack(witness.unreadable(exc)) from None
        why = witness.problem(folder, seen, await self.handovers.handovers())
        if why is not None:
            raise StoreRolledBack(why)

    async def _deliver(self, draft: Draft, smtp: SmtpConfig) -> Draft:
        facts = None
        if self.drafting is not None:  # the incident's facts now: still those approved?
            facts = await self.drafting.before_handover(draft)
            if facts is None:
                raise Conflict(
                    f"draft {draft.id}", "the incident changed since its approval: not handed over"
                )
            facts = facts or None  # "": its case is no longer known here, not checked
        try:
            message = mail.build_message(draft, self.sender, smtp.sender)
            raw = message.as_bytes()
        except Exception as exc:  # whatever it is, this draft cannot be sent
            return await self._unsendable(draft, f"{type(exc).__name__}: {exc}")
        count = await self.handovers.count_handover()
        sidecar = self._sidecar(draft, count)
        kept = await asyncio.to_thread(self._archive, draft, raw, count, sidecar)
        if kept.name is None:  # another message of this version is archived: a person decides
            return await self._archived_differs(draft, kept.others)
        claimed, _ = casework.claim(draft, self.now())
        claimed = await self.book.write(claimed, draft.revision, [], as_leader=True)
        if not self.fence.holds():  # paused past the lease since the claim: not ours to send
            await self._withhold(claimed)
            raise LeaseLost("outbox", f"the lease lapsed before {draft.id} was handed over")
        try:
            outcome = await mail.send(message, smtp)
        except asyncio.CancelledError:  # stop() past its grace: nobody will hear the relay
            await self._cancelled(claimed)
            raise
        changed, events = self._outcome(claimed, outcome, facts)
        if changed.state == casework.SENT and kept.name is not None:
            await self._accepted(kept.name, sidecar, changed)
        self.metrics.emails_sent.labels(regulator=draft.regulator, result=outcome.result).inc()
        log.log(
            logging.INFO if outcome.result == mail.SENT else logging.WARNING,
            "notice %s to %s: %s (%s)",
            draft.id,
            draft.regulator,
            outcome.result,
            outcome.detail,
        )
        written = await self._record(claimed, changed, events, outcome)
        self._back(written)
        self.book.tell(draft.incident_id)
        return written

    def _back(self, draft: Draft) -> None:
        """A draft approved again (a retry later, or withheld): its case is reconciled on
        drafting's next call, so facts that changed during the attempt hold it."""
        if draft.state == casework.APPROVED and self.drafting is not None:
            self.drafting.mark_changed([draft.incident_id])

    async def _record(
        self,
        claimed: Draft,
        changed: Draft,
        events: list[casework.AuditEvent],
        outcome: mail.Outcome,
    ) -> Draft:
        """Write the relay's answer, retried after a store error (see the module contract)."""
        answer = f"{outcome.result} ({outcome.detail})"
        delays = iter(OUTCOME_RETRY_DELAYS)
        while True:
            try:
                return await self.book.write(changed, claimed.revision, events)
            except Conflict:
                stored = self.book.drafts.get(changed.id)
                if stored is not None and (stored.revision, stored.state, stored.updated_at) == (
                    changed.revision,
                    changed.state,
                    changed.updated_at,
                ):
                    return stored  # an earlier try was applied, only its reply was lost
                log.error(
                    "notice %s: the relay answered %s but the draft changed meanwhile",
                    claimed.id,
                    answer,
                )
                raise
            except StoreUnavailable as exc:
                delay = next(delays, None)
                if delay is None:
                    log.error(
                        "notice %s: the relay answered %s but it could not be recorded (%s): "
                        "left sending, in doubt for a person from the next round",
                        claimed.id,
                        answer,
                        exc,
                    )
                    raise
                log.warning(
                    "notice %s: recording the relay's answer failed (%s): again in %g s",
                    claimed.id,
                    exc,
                    delay,
                )
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:  # stop() past its grace
                log.error(
                    "notice %s: the relay answered %s; not recorded before stopping",
                    claimed.id,
                    answer,
                )
                raise

    async def _withhold(self, claimed: Draft) -> None:
        """Claimed, not handed over: approved again (see the module contract)."""
        reason = "not handed over: this replica's lease lapsed after the claim"
        changed, events = casework.withheld(claimed, self.now(), reason)
        try:  # unfenced (the lease is gone), revision-checked, like every outcome: a fact
            await self.book.write(changed, claimed.revision, events)
        except (StoreUnavailable, Conflict) as exc:  # left sending, or a new leader decided
            log.error("notice %s was not handed over, its lease lapsed (%s)", claimed.id, exc)
            return
        log.warning("notice %s was not handed over, its lease lapsed: approved again", claimed.id)
        self._back(changed)
        self.book.tell(claimed.incident_id)

    async def _cancelled(self, claimed: Draft) -> None:
        """The hand-over was cancelled midway: the draft is in doubt now (as :meth:`recover`
        would find it), for a person. Unfenced, like every outcome: it is a fact."""
        changed, events = casework.interrupted(claimed, self.now())
        self.metrics.emails_sent.labels(regulator=claimed.regulator, result=mail.IN_DOUBT).inc()
        try:
            await self.book.write(changed, claimed.revision, events)
        except (StoreUnavailable, Conflict) as exc:  # left sending: recover() finds it
            log.error("notice %s: its hand-over was cancelled (%s)", claimed.id, exc)
            return
        log.error("notice %s is in doubt: its hand-over was cancelled by stopping", claimed.id)
        self.book.tell(claimed.incident_id)

    async def _unsendable(self, draft: Draft, error: str) -> Draft:
        """The message cannot be built: the draft fails for a person, nothing was handed over."""
        changed, events = casework.unsendable(draft, self.now(), error)
        written = await self.book.write(changed, draft.revision, events, as_leader=True)
        self.metrics.emails_sent.labels(regulator=draft.regulator, result=UNSENDABLE).inc()
        log.error("notice %s to %s cannot be sent: %s", draft.id, draft.regulator, error)
        self.book.tell(draft.incident_id)
        return written

    def _outcome(
        self, claimed: Draft, outcome: mail.Outcome, facts: str | None = None
    ) -> casework.Change:
        """The draft after the relay's answer (``facts``: the incident's, checked at the
        hand-over, recorded with the sent notice)."""
        now = self.now()
        if outcome.result == mail.SENT:
            return casework.delivered(claimed, now, outcome.detail, facts)
        if outcome.result == mail.TRANSIENT:
            s = self.settings
            return casework.transient_failure(
                claimed, now, outcome.detail, s.retry_initial, s.retry_max
            )
        if outcome.result == mail.PERMANENT:
            return casework.permanent_failure(claimed, now, outcome.detail)
        return casework.interrupted(claimed, now)  # a person decides

    def _sidecar(self, draft: Draft, count: int) -> dict[str, object]:
        """What the archive keeps beside the message (:mod:`bridge.notices.archive`): ids,
        times, the recipient and the approver, as the audit log has them; never the text."""
        approval = draft.approval
        assert approval is not None
        factor = approval.second_factor_at
        return {
            "draft": draft.id,
            "version": approval.version,
            "message_id": draft.message_id,
            "recipient": draft.version(approval.version).recipient,
            "content_hash": approval.content_hash,
            "approved_by": approval.by,
            "approved_at": approval.at.isoformat(),
            "second_factor_at": None if factor is None else factor.isoformat(),
            "handover": count,
            "handed_over_at": self.now().isoformat(),
        }

    async def _accepted(self, name: str, sidecar: dict[str, object], sent: Draft) -> None:
        """The relay accepted the message: its sidecar says when (a failure to write it is
        logged; the hand-over's own sidecar stays)."""
        body = {**sidecar, "sent_at": None if sent.sent_at is None else sent.sent_at.isoformat()}
        try:
            await asyncio.to_thread(archive.write_sidecar, self.settings.archive_dir, name, body)
        except OSError as exc:
            log.error("notice %s: its archive sidecar could not be updated: %s", sent.id, exc)

    def _archive(
        self, draft: Draft, raw: bytes, count: int, sidecar: dict[str, object]
    ) -> archive.Kept:
        """The store's hand-over number ``count`` recorded in the folder's witness, then the
        exact message kept, written before it is handed over (fsync, atomic rename), and its
        ``sidecar`` beside it: a copy exists of everything that may have reached the
        regulator, and no other message's copy is ever replaced
        (:func:`bridge.notices.archive.keep`)."""
        folder: Path = self.settings.archive_dir
        approval = draft.approval
        assert approval is not None
        archive.make(folder)  # checked at start (bridge serve); made again if removed since
        witness.record(folder, witness.Witness(count, draft.id, self.now()))
        accepted = casework.accepted_archive(draft)
        kept = archive.keep(folder, draft.id, approval.version, raw, accepted)
        if kept.name is not None:
            archive.write_sidecar(folder, kept.name, sidecar)
        return kept

    async def _archived_differs(self, draft: Draft, others: tuple[archive.Other, ...]) -> Draft:
        """Not handed over: the archive holds another message of the approved version, which
        may have reached the regulator (see :func:`bridge.core.casework.archived_differs`)."""
        names = [o.name for o in others]
        changed, events = casework.archived_differs(
            draft, self.now(), names, [o.describe() for o in others]
        )
        written = await self.book.write(changed, draft.revision, events, as_leader=True)
        log.error(
            "notice %s is in doubt, not handed over: the archive holds another message of its "
            "version (%s)",
            draft.id,
            ", ".join(names),
        )
        self.book.tell(draft.incident_id)
        return written
