"""The notice desk: what people read of drafts and what they do with them.

Contract:
- :meth:`NoticeDesk.edit`, :meth:`approve`, :meth:`reject` and :meth:`resolve` are a person's
  actions; the caller has checked the person's role. Each is one compare-and-set write of the
  draft with its audit entries (:class:`~bridge.notices.book.DraftBook`), so a person and the
  bridge acting on the same draft never both win. People's actions carry no fencing token (any
  replica may take them); the revision check is their guard.
- Approval re-checks the case first: when its facts changed, a new version is rendered and the
  approval is refused (Conflict): nobody approves what they have not seen. An approval (and a
  resolved doubt) wakes the outbox.
- :meth:`get` reads the draft as stored now; :meth:`select` and :meth:`diff` read the book.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bridge.config import report_forms
from bridge.core import case_drafts, casework
from bridge.core.alerts import format_time, read_time
from bridge.core.casework import Draft
from bridge.core.drafts import LABELS, LANGUAGES, DraftFields, Sender
from bridge.errors import Conflict
from bridge.notices import mail
from bridge.notices.book import DraftBook, with_split_origin
from bridge.notices.ports import Cases, OutboxDoor


class NoticeDesk:
    """See the module contract. ``mail_domain`` names this bridge in Message-IDs."""

    def __init__(
        self,
        book: DraftBook,
        cases: Cases,
        context: case_drafts.Context,
        outbox: OutboxDoor,
        mail_domain: str,
        now: Callable[[], datetime],
    ) -> None:
        self.book = book
        self.cases = cases
        self.context = context
        self.outbox = outbox
        self.mail_domain = mail_domain
        self.now = now

    @property
    def sender(self) -> Sender:
        return self.context.sender

    # ---- reads ----------------------------------------------------------------------------
    def select(self, states: set[str] | None = None, incident: str | None = None) -> list[Draft]:
        return self.book.select(states, incident)

    async def listed(
        self, states: set[str] | None = None, incident: str | None = None
    ) -> list[Draft]:
        """:meth:`select` for lists that may reach beyond memory: when finished drafts are
        asked (sent notices, or any state) the store's are read too (the book holds only
        those of the live cases), newest first."""
        if states is not None and not (states & casework.FINISHED):
            return self.book.select(states, incident)
        return await self.book.stored(states, incident)

    async def get(self, draft_id: str) -> Draft | None:
        try:
            return await self.book.fresh(draft_id)
        except KeyError:
            return None

    def diff(self, draft: Draft, old: int, new: int) -> dict[str, Any]:
        """Field-by-field changes and a unified diff of the text between two versions; each
        field says which version gave it its new value, who (a person, or ``bridge``: its
        refresh from the incident, also inside a person's version) and when
        (:func:`bridge.core.casework.changed_by`; null when ``from`` is after ``to``), and
        ``versions`` the versions between them (author, reason, time)."""
        a, b = draft.version(old), draft.version(new)
        labels = {**LABELS[LANGUAGES[draft.regulator]], **report_forms.labels_of(draft.kind)}
        fields: list[dict[str, Any]] = [
            {
                "key": k,
                "label": labels.get(k, k),
                "old": a.fields.get(k, ""),
                "new": b.fields.get(k, ""),
            }
            for k in dict.fromkeys([*a.fields, *b.fields])
            if a.fields.get(k) != b.fields.get(k)
        ]
        for key in ("recipient", "subject"):
            if getattr(a, key) != getattr(b, key):
                fields.insert(
                    0, {"key": key, "label": key, "old": getattr(a, key), "new": getattr(b, key)}
                )
        text = "".join(
            difflib.unified_diff(
                a.text.splitlines(keepends=True),
                b.text.splitlines(keepends=True),
                f"version {old}",
                f"version {new}",
            )
        )
        for field in fields:  # per field: the version that changed it, who and when
            by = casework.changed_by(draft, old, new, field["key"])
            field["version"] = None if by is None else by[0].number
            field["by"] = None if by is None else by[1]
            field["at"] = None if by is None else format_time(by[0].created_at)
        versions = [
            {
                "number": v.number,
                "author": v.author,
                "reason": v.reason,
                "created_at": format_time(v.created_at),
            }
            for v in draft.versions
            if min(old, new) <= v.number <= max(old, new)
        ]
        return {"from": old, "to": new, "fields": fields, "text": text, "versions": versions}

    # ---- actions ----------------------------------------------------------------------------
    def _current(self, draft: Draft) -> tuple[dict[str, Any], DraftFields]:
        doc = self.cases.document(draft.incident_id)
        if doc is None:
            raise Conflict(f"draft {draft.id}", f"incident {draft.incident_id} is unknown")
        mine = self.book.of_case(draft.incident_id)
        read = with_split_origin(doc, self.book.of_case, self.context.sender)
        return doc, self.context.fields_of(draft.kind, read, mine, self.now(), exclude=draft.id)

    async def _commit(self, change: casework.Change, draft: Draft, wake: bool = False) -> Draft:
        changed, events = change
        written = await self.book.write(changed, draft.revision, events)
        self.book.tell(draft.incident_id)
        if wake:
            self.outbox.wake()
        return written

    async def edit(
        self,
        draft_id: str,
        base_version: int,
        changes: Mapping[str, str],
        actor: str,
        base_state: str | None = None,
    ) -> Draft:
        """A new version (:func:`bridge.core.casework.edit`): refused once the draft is no
        longer at ``base_version`` (or, when given, in ``base_state``)."""
        draft = await self.book.fresh(draft_id)
        _, fields = self._current(draft)
        change = casework.edit(
            draft, base_version, changes, fields, actor, self.now(), self.context.render, base_state
        )
        return await self._commit(change, draft)

    async def approve(
        self,
        draft_id: str,
        version: int,
        actor: str,
        comment: str,
        send_unknown: Sequence[str] = (),
        attest: Mapping[str, str] | None = None,
        confirm_carried: Sequence[str] = (),
        late_reason: str = "",
    ) -> Draft:
        """Approve ``version`` for sending; ``attest`` (how and when the person confirmed it)
        goes into the ``draft.approved`` audit entry; ``confirm_carried``: the fields to
        review the approver confirmed as they stand (``casework.approve``); ``late_reason``:
        why it is late, required once its obligation's due time passed."""
        draft = await self.book.fresh(draft_id)
        doc, fields = self._current(draft)
        now = self.now()
        mine = self.book.of_case(draft.incident_id)
        snap = case_drafts.snapshot_of(draft.kind, doc, mine, self.context.severity_label, draft.id)
        if draft.state in casework.FOLLOWS_INCIDENT:
            before = case_drafts.followed(draft.kind, mine, draft.id)
            carried = case_drafts.carried(draft.kind, before, tuple(fields.fields))
            review = case_drafts.written_while_ongoing(doc, before, carried)
            refreshed = casework.refresh(
                draft, fields, now, self.context.render, snap, carried, review=review
            )
            if refreshed is not None:
                await self._commit(refreshed, draft)
                raise Conflict(
                    f"draft {draft.id}",
                    f"the incident changed: version {refreshed[0].latest.number} was rendered "
                    f"with the new facts; review it and approve that version",
                )
        latest = draft.latest
        message_id = mail.message_id(draft.id, latest.number, latest.content_hash, self.mail_domain)
        change = casework.approve(
            draft,
            version,
            casework.facts_of(fields),
            actor,
            now,
            message_id,
            comment,
            send_unknown,
            snap,
            _factor_at(attest),
            confirm_carried,
            _due(doc, draft),
            late_reason,
        )
        return await self._commit(_attested(change, attest), draft, wake=True)

    async def reject(self, draft_id: str, reason: str, actor: str) -> Draft:
        draft = await self.book.fresh(draft_id)
        return await self._commit(casework.reject(draft, actor, reason, self.now()), draft)

    async def resolve(
        self,
        draft_id: str,
        action: str,
        comment: str,
        actor: str,
        attest: Mapping[str, str] | None = None,
    ) -> Draft:
        draft = await self.book.fresh(draft_id)
        change = casework.resolve_doubt(draft, action, actor, comment, self.now())
        return await self._commit(_attested(change, attest), draft, wake=True)

    async def record_submission(
        self,
        draft_id: str,
        submitted_at: datetime | None,
        reference: str,
        actor: str,
        receipt: Mapping[str, Any] | None = None,
        attest: Mapping[str, str] | None = None,
    ) -> Draft:
        """A person submitted the approved report on the regulator's portal (``submitted_at``:
        default now) and records it with the portal's reference (and optionally the receipt):
        the draft is sent, so its deadline is met
        (:func:`bridge.core.casework.record_submission`)."""
        draft = await self.book.fresh(draft_id)
        now = self.now()
        change = casework.record_submission(
            draft, submitted_at or now, reference, actor, now, receipt
        )
        return await self._commit(_attested(change, attest), draft)


def _factor_at(attest: Mapping[str, str] | None) -> datetime | None:
    """When the second factor was checked, as ``attest`` says (None: it says nothing)."""
    given = (attest or {}).get("second_factor_at")
    if not given:
        return None
    try:
        return datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        return None


def _attested(change: casework.Change, attest: Mapping[str, str] | None) -> casework.Change:
    """``change`` with ``attest`` added to the detail of its audit entries."""
    if not attest:
        return change
    draft, events = change
    return draft, [replace(e, detail={**e.detail, **attest}) for e in events]


def _due(doc: Mapping[str, Any], draft: Draft) -> datetime | None:
    """The due time of the obligation ``draft`` fulfils, as the incident's document has it
    (None: none, or no date yet)."""
    for o in doc.get("obligations") or ():
        if o.get("regulator") == draft.regulator and o.get("kind") == draft.kind:
            return read_time(o.get("due_at"))
    return None
