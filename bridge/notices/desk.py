"""The notice desk: drafts for what incidents owe, people's actions on them, and the outbox.

The I/O around :mod:`bridge.core.casework`: every change is one compare-and-set write of a draft
with its audit entries (:meth:`bridge.store.base.Store.put_draft`), so a person and the bridge
(or two replicas) acting on the same draft never both win: the loser re-reads and decides.

Contract:
- :meth:`NoticeDesk.reconcile` brings the drafts of the given incidents up to date (open,
  re-render, next Nkom update round, withdraw) and tells the engine what the drafts say
  (``initial_sent``, ``significant_change``, each kind's draft state), so obligations' states
  and deadlines follow. An incident re-rendered less than ``notices.refresh_interval`` ago is
  left for a later call unless its obligations changed.
- :meth:`edit`, :meth:`approve`, :meth:`reject` and :meth:`resolve` are a person's actions;
  the caller has checked the person's role. Approval re-checks the incident first: when its facts
  changed, a new version is rendered and the approval is refused (Conflict): nobody approves
  what they have not seen.
- :meth:`deliver_due` sends every approved draft whose attempt is due: ``sending`` is written
  before the relay is contacted, the result after; an ``.eml`` copy of the exact bytes is written
  to ``notices.archive_dir`` before the hand-over. :meth:`recover` (at start) turns drafts left
  ``sending`` by a crash into ``in_doubt``: never re-sent without a person.
- Replicas: only the leader reconciles, recovers and sends (:meth:`take_over` /
  :meth:`step_down`). Those writes carry the lease's fencing token, so a replica that lost the
  lease cannot draft, claim or send; the claim (``sending``) is the fenced step before the relay
  is contacted, and the outcome after it is recorded unfenced (it is a fact). People's actions
  may happen on any replica; their revision check is the guard. The leader re-reads approved
  drafts from the store before every outbox round, so an approval made on another replica is
  sent within ``notices.poll_interval``.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bridge.config import LoadedConfig
from bridge.core import casework, privacy_fields
from bridge.core.casework import Draft
from bridge.core.drafts import DEFAULT_RECIPIENTS, LABELS, LANGUAGES, PRIVACY_KINDS, regulator_of
from bridge.errors import Conflict, LeaseLost, StoreUnavailable
from bridge.metrics import Metrics
from bridge.notices import mail
from bridge.notices.rendering import render, sender
from bridge.store.base import AuditEntry, DraftRecord, Store

log = logging.getLogger("bridge.notices")

#: What an incident owes now (None: no such incident); cheap, read on every reconcile.
OwedSource = Callable[[str], list[casework.Owed] | None]
#: The incident's full document (alerts and annotations included); built only to draft.
DocumentSource = Callable[[str], dict[str, Any] | None]


def _entries(events: Iterable[casework.AuditEvent]) -> list[AuditEntry]:
    return [AuditEntry(e.at, e.actor, e.action, e.target, e.detail) for e in events]


def _record(draft: Draft) -> DraftRecord:
    return DraftRecord(
        draft.id,
        draft.incident_id,
        draft.state,
        draft.revision,
        draft.updated_at,
        casework.to_dict(draft),
    )


def privacy_recipients(loaded: LoadedConfig, recipients: Mapping[str, str]) -> dict[str, str]:
    """Recipient per privacy kind: the regulators' privacy address (``privacy.recipients``,
    else the regulator's recipient, else its published address); subscriber notices go to
    ``privacy.subscriber_notice_recipient`` (else the operator's contact e-mail), for the
    operator to distribute: the bridge never e-mails subscribers itself."""
    cfg = loaded.config
    if cfg.privacy is None:
        return {}
    out: dict[str, str] = {}
    for kind in PRIVACY_KINDS:
        regulator = regulator_of(kind)
        address = (
            cfg.privacy.recipients.get(regulator)
            or recipients.get(regulator)
            or DEFAULT_RECIPIENTS.get(regulator, "")
        )
        if kind in privacy_fields.SUBSCRIBER_KINDS:
            address = cfg.privacy.subscriber_notice_recipient or cfg.operator.contact.email
        if address:
            out[kind] = address
    return out


class NoticeDesk:
    """See the module contract."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        metrics: Metrics,
        now: Callable[[], datetime],
        owed: OwedSource,
        document: DocumentSource,
        set_notices: Callable[[str, Mapping[str, datetime], Mapping[str, str]], None],
        fence: Callable[[], int | None] = lambda: 0,
        lease_lost: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        cfg = loaded.config
        self.config = cfg
        self.store = store
        self.metrics = metrics
        self.now = now
        self._owed = owed
        self._document = document
        self._set_notices = set_notices
        self._fence = fence
        self._lease_lost = lease_lost
        recipients = {
            name: reg.recipient or DEFAULT_RECIPIENTS.get(name, "")
            for name, reg in cfg.regulators.items()
            if reg.enabled and (reg.recipient or name in DEFAULT_RECIPIENTS)
        }
        rules = cfg.notices.significant_change
        template_dir = cfg.templates.dir
        kind_recipients = privacy_recipients(loaded, recipients)
        self.sender = sender(cfg.operator)
        self.context = casework.Context(
            sender=self.sender,
            recipients=recipients,
            render=lambda fields: render(fields, template_dir),
            change_rules=casework.ChangeRules(
                impact_change=rules.impact_change,
                new_region=rules.new_region,
                new_service=rules.new_service,
                new_cause=rules.new_cause,
                severity_change=rules.severity_change,
            ),
            severity_label=cfg.inventory.labels.severity,
            kind_recipients=kind_recipients,
        )
        self.drafts: dict[str, Draft] = {}  # every draft, as last read or written
        self._pending: set[str] = set()  # incidents to reconcile
        self._reconciled: dict[str, tuple[datetime, object]] = {}
        self._wake = asyncio.Event()
        self._outbox: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one outbox round at a time
        self._inflight: set[str] = set()  # drafts this process is handing to the relay now
        self._leading = False  # the outbox loop runs rounds only while this is set

    # ---- lifecycle ----------------------------------------------------------------------
    async def load(self) -> None:
        """Replace the cached drafts by the store's (a follower's reads; taking over)."""
        records = await self.store.list_drafts()
        before = {d.id: d.revision for d in self.drafts.values()}
        self.drafts = {r.id: casework.from_dict(r.document) for r in records}
        changed = {d.incident_id for d in self.drafts.values() if before.get(d.id) != d.revision}
        for inc in sorted(changed):
            self._tell_engine(inc)

    async def take_over(self) -> None:
        """Become the replica that recovers and sends: drafts as the store has them, those
        left ``sending`` by the previous leader in doubt, the outbox running."""
        await self.load()
        await self.recover()
        self._reconciled.clear()
        self.mark({d.incident_id for d in self.drafts.values()})
        self._leading = True
        if self._outbox is None or self._outbox.done():
            self._outbox = asyncio.create_task(self._outbox_loop(), name="outbox")

    async def step_down(self) -> None:
        """Start no new outbox round (another replica leads now). A hand-over already under
        way is let finish and its outcome recorded: cancelling it would only make it doubtful."""
        self._leading = False
        self._wake.set()

    async def stop(self) -> None:
        self._leading = False
        outbox, self._outbox = self._outbox, None
        if outbox is not None and outbox is not asyncio.current_task():
            outbox.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await outbox

    # ---- writes -------------------------------------------------------------------------
    async def _write(
        self,
        draft: Draft,
        expected: int | None,
        events: Sequence[casework.AuditEvent],
        as_leader: bool = False,
    ) -> Draft:
        """One compare-and-set write; ``as_leader`` writes carry the fencing token."""
        fence = self._fence() if as_leader else None
        if as_leader and fence is None:
            raise LeaseLost("put_draft", "this replica does not lead")
        try:
            await self.store.put_draft(_record(draft), expected, _entries(events), fence=fence)
        except Conflict:
            fresh = await self.store.get_draft(draft.id)
            if fresh is not None:
                self.drafts[draft.id] = casework.from_dict(fresh.document)
            raise
        except StoreUnavailable as exc:
            self.metrics.store_errors.labels(op=exc.op).inc()
            raise
        self.drafts[draft.id] = draft
        return draft

    async def _fresh(self, draft_id: str) -> Draft:
        record = await self.store.get_draft(draft_id)
        if record is None:
            raise KeyError(draft_id)
        draft = casework.from_dict(record.document)
        self.drafts[draft_id] = draft
        return draft

    def _tell_engine(self, incident_id: str) -> None:
        mine = [d for d in self.drafts.values() if d.incident_id == incident_id]
        progress = casework.progress(mine)
        self._set_notices(incident_id, progress.events, progress.states)

    def tell_engine_all(self) -> None:
        """Tell a freshly built engine what every incident's drafts say (one pass)."""
        by_incident: dict[str, list[Draft]] = {}
        for d in self.drafts.values():
            by_incident.setdefault(d.incident_id, []).append(d)
        for incident_id, mine in sorted(by_incident.items()):
            progress = casework.progress(mine)
            self._set_notices(incident_id, progress.events, progress.states)

    # ---- following incidents --------------------------------------------------------------
    def mark(self, incident_ids: Iterable[str]) -> None:
        self._pending.update(incident_ids)

    def mark_changed(self, incident_ids: Iterable[str]) -> None:
        """Mark for reconciling now, not after ``notices.refresh_interval``: a person changed
        the facts (a privacy case edit) and expects the drafts to show it."""
        ids = list(incident_ids)
        for inc_id in ids:
            self._reconciled.pop(inc_id, None)
        self._pending.update(ids)

    async def reconcile(self) -> None:
        """Reconcile the incidents marked so far (see the module contract). The incident's
        document (O(its alerts)) is built only for incidents that owe or have drafts."""
        now = self.now()
        interval = self.config.notices.refresh_interval
        for inc_id in sorted(self._pending):
            owed = self._owed(inc_id)
            if owed is None:
                self._pending.discard(inc_id)
                continue
            signature = tuple((o.kind, o.due_at) for o in owed)
            last = self._reconciled.get(inc_id)
            if last is not None and last[1] == signature and now < last[0] + interval:
                continue  # facts may have changed: re-rendered on a later call
            mine = [d for d in self.drafts.values() if d.incident_id == inc_id]
            doc = self._document(inc_id) if owed or mine else None
            if doc is None:
                self._pending.discard(inc_id)
                continue
            writes = casework.reconcile(doc, owed, mine, self.context, now)
            for draft, expected, events in writes:
                try:
                    await self._write(draft, expected, events, as_leader=True)
                except Conflict as exc:  # someone acted meanwhile: look again next time
                    log.info("draft %s changed meanwhile (%s); reconciling again", draft.id, exc)
                    self._reconciled.pop(inc_id, None)
                    break
            else:
                self._pending.discard(inc_id)
                self._reconciled[inc_id] = (now, signature)
            self._tell_engine(inc_id)

    # ---- reads ----------------------------------------------------------------------------
    def select(self, states: set[str] | None = None, incident: str | None = None) -> list[Draft]:
        chosen = [
            d
            for d in self.drafts.values()
            if (states is None or d.state in states)
            and (incident is None or d.incident_id == incident)
        ]
        return sorted(chosen, key=lambda d: (d.created_at, d.id), reverse=True)

    async def get(self, draft_id: str) -> Draft | None:
        try:
            return await self._fresh(draft_id)
        except KeyError:
            return None

    def diff(self, draft: Draft, old: int, new: int) -> dict[str, Any]:
        """Field-by-field changes and a unified diff of the text between two versions."""
        a, b = draft.version(old), draft.version(new)
        labels = LABELS[LANGUAGES[draft.regulator]]
        fields = [
            {
                "key": k,
                "label": labels.get(k, k),
                "old": a.fields.get(k, ""),
                "new": b.fields.get(k, ""),
            }
            for k in dict.fromkeys([*a.fields, *b.fields])
            if a.fields.get(k) != b.fields.get(k)
        ]
        if a.recipient != b.recipient:
            fields.insert(
                0,
                {"key": "recipient", "label": "recipient", "old": a.recipient, "new": b.recipient},
            )
        if a.subject != b.subject:
            fields.insert(
                0, {"key": "subject", "label": "subject", "old": a.subject, "new": b.subject}
            )
        text = "".join(
            difflib.unified_diff(
                a.text.splitlines(keepends=True),
                b.text.splitlines(keepends=True),
                f"version {old}",
                f"version {new}",
            )
        )
        return {"from": old, "to": new, "fields": fields, "text": text}

    # ---- people ---------------------------------------------------------------------------
    def _current(self, draft: Draft) -> tuple[dict[str, Any], Any]:
        doc = self._document(draft.incident_id)
        if doc is None:
            raise Conflict(f"draft {draft.id}", f"incident {draft.incident_id} is unknown")
        return doc, self.context.fields(draft.kind, doc, self.now())

    async def edit(
        self, draft_id: str, base_version: int, changes: Mapping[str, str], actor: str
    ) -> Draft:
        draft = await self._fresh(draft_id)
        _, fields = self._current(draft)
        changed, events = casework.edit(
            draft, base_version, changes, fields, actor, self.now(), self.context.render
        )
        written = await self._write(changed, draft.revision, events)
        self._tell_engine(draft.incident_id)
        return written

    async def approve(
        self, draft_id: str, version: int, actor: str, comment: str, incomplete_ok: bool
    ) -> Draft:
        draft = await self._fresh(draft_id)
        doc, fields = self._current(draft)
        now = self.now()
        snap = casework.snapshot(doc, self.context.severity_label)
        if draft.state in casework.FOLLOWS_INCIDENT:
            refreshed = casework.refresh(draft, fields, now, self.context.render, snap)
            if refreshed is not None:
                await self._write(refreshed[0], draft.revision, refreshed[1])
                self._tell_engine(draft.incident_id)
                raise Conflict(
                    f"draft {draft.id}",
                    f"the incident changed: version {refreshed[0].latest.number} was rendered "
                    f"with the new facts; review it and approve that version",
                )
        domain = mail.sender_domain(self.config.smtp.sender if self.config.smtp else "")
        latest = draft.latest
        message_id = mail.message_id(draft.id, latest.number, latest.content_hash, domain)
        changed, events = casework.approve(
            draft,
            version,
            casework.facts_of(fields),
            actor,
            now,
            message_id,
            comment,
            incomplete_ok,
            snap,
        )
        written = await self._write(changed, draft.revision, events)
        self._tell_engine(draft.incident_id)
        self._wake.set()
        return written

    async def reject(self, draft_id: str, reason: str, actor: str) -> Draft:
        draft = await self._fresh(draft_id)
        changed, events = casework.reject(draft, actor, reason, self.now())
        written = await self._write(changed, draft.revision, events)
        self._tell_engine(draft.incident_id)
        return written

    async def resolve(self, draft_id: str, action: str, comment: str, actor: str) -> Draft:
        draft = await self._fresh(draft_id)
        changed, events = casework.resolve_doubt(draft, action, actor, comment, self.now())
        written = await self._write(changed, draft.revision, events)
        self._tell_engine(draft.incident_id)
        self._wake.set()
        return written

    # ---- outbox ---------------------------------------------------------------------------
    async def recover(self) -> None:
        """Drafts left ``sending`` by a stopped process become ``in_doubt`` (see contract)."""
        for draft in [d for d in self.drafts.values() if d.state == casework.SENDING]:
            if draft.id in self._inflight:  # our own hand-over, still running: not in doubt
                continue
            changed, events = casework.interrupted(draft, self.now())
            with contextlib.suppress(Conflict):
                await self._write(changed, draft.revision, events, as_leader=True)
                log.error("notice %s is in doubt: %s", draft.id, changed.flag)

    def due(self, now: datetime) -> list[Draft]:
        return sorted(
            (
                d
                for d in self.drafts.values()
                if d.state == casework.APPROVED
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
            ),
            key=lambda d: (d.next_attempt_at or now, d.id),
        )

    async def deliver_due(self) -> list[Draft]:
        """One outbox round: attempt every due draft once; return them as they ended."""
        async with self._lock:
            smtp = self.config.smtp
            if smtp is None:
                return []
            for record in await self.store.list_drafts(states={casework.APPROVED}):
                known = self.drafts.get(record.id)  # approved on another replica, perhaps
                if known is None or known.revision < record.revision:
                    self.drafts[record.id] = casework.from_dict(record.document)
            done: list[Draft] = []
            for draft in self.due(self.now()):
                try:
                    self._inflight.add(draft.id)
                    try:
                        done.append(await self._deliver(draft))
                    finally:
                        self._inflight.discard(draft.id)
                except Conflict as exc:
                    log.info("outbox: %s changed meanwhile (%s)", draft.id, exc)
            return done

    async def _deliver(self, draft: Draft) -> Draft:
        smtp = self.config.smtp
        assert smtp is not None
        message = mail.build_message(draft, self.sender, smtp.sender)
        await asyncio.to_thread(self._archive, draft, message.as_bytes())
        claimed, _ = casework.claim(draft, self.now())
        claimed = await self._write(claimed, draft.revision, [], as_leader=True)
        outcome = await mail.send(message, smtp)
        now = self.now()
        if outcome.result == mail.SENT:
            changed, events = casework.delivered(claimed, now, outcome.detail)
        elif outcome.result == mail.TRANSIENT:
            n = self.config.notices
            changed, events = casework.transient_failure(
                claimed, now, outcome.detail, n.retry_initial, n.retry_max
            )
        elif outcome.result == mail.PERMANENT:
            changed, events = casework.permanent_failure(claimed, now, outcome.detail)
        else:
            changed, events = casework.interrupted(claimed, now)  # a person decides
        self.metrics.emails_sent.labels(regulator=draft.regulator, result=outcome.result).inc()
        log.log(
            logging.INFO if outcome.result == mail.SENT else logging.WARNING,
            "notice %s to %s: %s (%s)",
            draft.id,
            draft.regulator,
            outcome.result,
            outcome.detail,
        )
        written = await self._write(changed, claimed.revision, events)
        self._tell_engine(draft.incident_id)
        return written

    def _archive(self, draft: Draft, raw: bytes) -> None:
        """Keep the exact message, written before it is handed over (fsync, atomic rename):
        a copy exists of everything that may have reached the regulator."""
        folder: Path = self.config.notices.archive_dir
        approval = draft.approval
        assert approval is not None
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{draft.id}.v{approval.version}.eml"
        temp = target.with_suffix(".eml.tmp")
        with open(temp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)

    async def _outbox_loop(self) -> None:
        poll = self.config.notices.poll_interval.total_seconds()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)
            self._wake.clear()
            if not self._leading:
                return
            try:
                await self.deliver_due()
            except StoreUnavailable as exc:
                log.warning("outbox round failed, store unavailable: %s", exc)
            except LeaseLost as exc:
                log.error("outbox stopped: %s", exc)
                if self._lease_lost is not None:
                    await self._lease_lost(str(exc))
                return
            except Exception:
                log.exception("outbox round failed")

    # ---- metrics ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(casework.STATES, 0)
        for d in self.drafts.values():
            counts[d.state] = counts.get(d.state, 0) + 1
        return counts

    def outbox_pending(self) -> int:
        return sum(
            1 for d in self.drafts.values() if d.state in (casework.APPROVED, casework.SENDING)
        )
