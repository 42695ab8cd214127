"""Notice casework: one draft per owed report, its versions, approval and delivery. Pure.

(Which drafts a case needs is :mod:`bridge.core.case_drafts`; a draft's stored form is
:mod:`bridge.core.draft_codec`.)

A draft's life (``state``)::

    draft ─approve─▶ approved ─claim─▶ sending ─delivered─▶ sent
    draft ─reject─▶ rejected ─edit─▶ draft          sending ─4xx/no connection─▶ approved (later)
    approved ─incident changed─▶ held ─approve─▶ approved      sending ─5xx─▶ failed
    sending ─found at start─▶ in_doubt ─a person resolves─▶ approved (resend) | sent
    approved ─another message of its version archived─▶ in_doubt   (:func:`archived_differs`)
    approved | sending ─the store restored from a backup─▶ in_doubt   (:func:`restored`)
    draft | held | rejected | failed | withdrawn ─restored, the archive shows it left─▶ in_doubt
        (:func:`left_after_backup`) ─a person─▶ sent (with that copy) | draft (send again)
    approved ─the message cannot be built─▶ failed
    portal: approved ─a person records the submission─▶ sent   (the outbox never sends it)
    internal: draft ─approve─▶ kept   (owed to no regulator: kept internally, sent to no one)

Contract:
- Every transition is a function of the draft, its inputs and ``now`` that returns the next
  draft (``revision`` + 1) and the audit entries that go with it; it raises
  :class:`~bridge.errors.Conflict` when the draft's state or version does not allow it and
  :class:`~bridge.errors.BadInput` when the request is wrong. Nothing here does I/O: rendering
  is a function passed in (:data:`Renderer`), storage is the caller's (one compare-and-set write
  of the draft with its audit entries).
- Draft ids are derived from (incident, kind, round), so two writers opening the same draft
  collide on the store's revision check instead of creating two.
- A new version is made by a person's edit, or by :func:`refresh` when the incident's facts
  (the prefilled values, :func:`facts_of`) changed; a refresh keeps every field a person
  edited. What a person writes goes to the regulator as written: an edit holding a control
  character (but line feed, carriage return and tab in a field of several lines) or a
  bidirectional control is a BadInput naming ``fields.KEY``
  (:func:`bridge.core.person_text.refused`). An approved draft whose facts changed before it
  was handed to the outbox becomes ``held``: it is never sent stale; a person approves the
  new version.
- Approval names the version it approves; it is refused unless that version is the latest one
  and the draft's facts are the incident's current facts, and unless every field still to
  complete is named in ``send_unknown``: the regulator then reads the language's "not yet
  known" wording (:data:`bridge.core.drafts.UNKNOWN`) for exactly those fields. A notice to
  subscribers is refused while one of its required elements is still to complete, named or not
  (:func:`must_complete`, which the draft's view shows too): the public never reads "not yet
  known" for what the notice must state. The approved
  version's content hash (recipient, subject, text, HTML) is what the outbox sends and the
  audit log records.
- A message handed to SMTP but not known to be accepted (the process died meanwhile) is
  ``in_doubt`` and waits for a person: it is never re-sent silently.
- Each draft has a submission ``channel``: ``email`` (the outbox sends the approved version) or
  ``portal`` (the regulator's web portal: a person submits the approved version there and
  records it, :func:`record_submission`, with when and the portal's case or receipt id (one
  line of at most :data:`~bridge.core.person_text.MAX_REFERENCE` characters, no control or
  bidirectional characters: Nkom's hendelsesrapport lists it); the
  draft is ``sent`` at that instant, and only then is its deadline met), or ``internal``: a
  report owed to no regulator (its law was repealed before the incident began,
  :mod:`bridge.core.repeal`) and no internal address configured; approving it keeps it
  (``kept``): recorded as kept internally, handed to no one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from bridge.core import addresses, person_text, privacy_fields
from bridge.core.drafts import (
    DEFAULT_RECIPIENTS,
    LANGUAGES,
    PRIVACY_KINDS,
    UNKNOWN,
    DraftFields,
    RenderedDraft,
    bounded,
    regulator_of,
    with_values,
)
from bridge.core.person_text import MAX_REFERENCE, clean_text
from bridge.errors import BadInput, Conflict

# ---- states -------------------------------------------------------------------------------
DRAFT = "draft"
APPROVED = "approved"
HELD = "held"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
IN_DOUBT = "in_doubt"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
KEPT = "kept"  # approved, owed to no regulator: kept internally, sent to no one
STATES = (DRAFT, APPROVED, HELD, SENDING, SENT, FAILED, IN_DOUBT, REJECTED, WITHDRAWN, KEPT)
#: States a person may still change the content in.
EDITABLE = (DRAFT, APPROVED, HELD, REJECTED, FAILED)
#: States whose content follows the incident automatically.
FOLLOWS_INCIDENT = (DRAFT, APPROVED, HELD)
#: States the outbox owns or has finished with.
DELIVERY = (SENDING, SENT, IN_DOUBT)
#: States a draft never leaves: nothing more happens to it, nothing is waiting.
FINISHED = frozenset({SENT, REJECTED, WITHDRAWN, KEPT})
#: States of a report done with: sent (or submitted), or kept internally (owed to no one).
DONE = (SENT, KEPT)

BRIDGE = "bridge"  # the actor name of automatic transitions

#: Fields that end up in a mail header (To, Subject, the attachment's file name): one line only.
SINGLE_LINE = ("recipient", "reference")
#: The control characters a field of several lines keeps (a client's CRLF line ends too);
#: any other, and a bidirectional control, is refused (:mod:`bridge.core.person_text`).
TEXT_KEEPS = "\n\r\t"

#: An event the engine's deadline rules use, recorded when a draft of a kind is sent.
SENT_EVENTS = {
    "pts_initial": "initial_sent",
    "privacy_initial": "initial_sent",
    "subscriber_notice": "subscriber_notice_sent",
    "se_cyber_notification": "notification_sent",
}

Renderer = Callable[[DraftFields], RenderedDraft]


# ---- records ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Version:
    number: int
    created_at: datetime
    author: str
    reason: str
    fields: dict[str, str]
    edited: tuple[str, ...]
    facts: str
    recipient: str
    subject: str
    text: str
    html: str
    to_complete: tuple[str, ...]
    # the statement the report opens with when it is owed to no regulator (the duty behind it
    # was repealed before the incident began: ``DraftFields.repealed``); the document says it too
    repealed: str = ""
    # the reference the version names (its subject and text): the one the regulator holds for
    # the incident or what was merged into it (``DraftFields.reference``); empty in a version
    # stored before versions kept it: the incident's own (``drafts.reference_number``)
    reference: str = ""
    # said after the reference: the other references it also covers (``DraftFields``)
    reference_note: str = ""
    # fields carried from a person's text in a notice sent while the incident was ongoing, in
    # a draft made once it is over, that nobody saved again in this draft: approval needs each
    # confirmed by name (``confirm_carried``) or saved again (:data:`REVIEW_NOTE`)
    to_review: tuple[str, ...] = ()
    # the fields a person saved in this draft (an edit naming them, reworded or as it was)
    saved: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """What a regulator receives, hashed: recipient, subject, text and HTML."""
        digest = hashlib.sha256()
        for part in (self.recipient, self.subject, self.text, self.html):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return "sha256:" + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Approval:
    version: int
    by: str
    at: datetime
    content_hash: str
    comment: str = ""
    #: when the approver's second factor (TOTP) was checked, when the approval carried one
    second_factor_at: datetime | None = None
    #: the due time the report's obligation had when it was approved (None: none known), so
    #: the send can say how late it left
    due_at: datetime | None = None
    #: approved after ``due_at``: why the report is late, in the approver's words
    late_reason: str = ""


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    # started | sent | transient | permanent | interrupted | unsendable | withheld | restored
    # | archived_differs
    outcome: str
    detail: str = ""


EMAIL, PORTAL, INTERNAL = "email", "portal", "internal"
CHANNELS = (EMAIL, PORTAL, INTERNAL)
#: Why an ``internal`` draft goes nowhere (its flag once kept, and the refusal of a recipient).
KEPT_INTERNALLY = (
    "kept internally: owed to no regulator (the duty behind it was repealed before the incident "
    "began); not sent to anyone"
)


@dataclass(frozen=True, slots=True)
class Submission:
    """A report submitted on the regulator's portal, as a person recorded it. ``receipt``:
    the uploaded receipt's name, media type, size and SHA-256 (its bytes are kept apart)."""

    at: datetime  # when it was submitted (the person's word)
    reference: str  # the portal's case or receipt id
    by: str
    recorded_at: datetime
    version: int  # the approved version that was submitted
    receipt: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    incident_id: str
    regulator: str
    kind: str
    round: int
    track: str
    state: str
    revision: int
    created_at: datetime
    updated_at: datetime
    versions: tuple[Version, ...]
    trigger: dict[str, datetime] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)
    approval: Approval | None = None
    attempts: tuple[Attempt, ...] = ()
    next_attempt_at: datetime | None = None
    message_id: str | None = None
    sent_at: datetime | None = None
    flag: str | None = None
    channel: str = EMAIL
    submission: Submission | None = None

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    def version(self, number: int) -> Version:
        for v in self.versions:
            if v.number == number:
                return v
        raise BadInput("version", f"draft {self.id} has no version {number}")

    @property
    def approved_version(self) -> Version | None:
        return None if self.approval is None else self.version(self.approval.version)

    @property
    def done_at(self) -> datetime | None:
        """When the report was done with: sent (or submitted), or kept internally (approved);
        None while it is not."""
        if self.state == SENT:
            return self.sent_at
        if self.state == KEPT and self.approval is not None:
            return self.approval.at
        return None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """An audit entry before the store numbers it (converted by the caller)."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


Change = tuple[Draft, list[AuditEvent]]


def draft_id(incident_id: str, kind: str, round_: int = 1) -> str:
    """Stable: the same owed report always has the same draft id."""
    return f"{incident_id}.{kind}" if round_ == 1 else f"{incident_id}.{kind}.{round_}"


def track_of(kind: str) -> str:
    return "privacy" if kind in PRIVACY_KINDS or kind.startswith("privacy_") else "outage"


def facts_of(fields: DraftFields) -> str:
    """Hash of the prefilled values: changes exactly when the incident says something new."""
    digest = hashlib.sha256(fields.recipient.encode())
    for key, f in fields.fields.items():
        digest.update(f"\x00{key}\x01{f.value}".encode())
    # only for a privacy case's risk, told in the title and first sentence, not in a field of
    # the notice to subscribers (a case edited from breach to risk, or back, changes them):
    # the facts of every other draft stay as they were
    if fields.title == privacy_fields.RISK_TITLES.get(fields.kind):
        digest.update(f"\x00\x05{fields.title}\x01{fields.lead}".encode())
    if fields.repealed:  # only then: the facts of every other draft stay as they were
        digest.update(f"\x00\x02{fields.repealed}".encode())
    if fields.reference_carried or fields.reference_note:  # likewise
        digest.update(f"\x00\x03{fields.reference}\x01{fields.reference_note}".encode())
    if fields.correction or fields.false_alarm:  # likewise
        digest.update(f"\x00\x04{fields.correction}\x01{fields.false_alarm}".encode())
    return digest.hexdigest()[:24]


def _audit(draft: Draft, at: datetime, actor: str, action: str, **detail: Any) -> AuditEvent:
    base = {"draft": draft.id, "incident": draft.incident_id, "kind": draft.kind}
    return AuditEvent(at, actor, action, f"draft:{draft.id}", {**base, **detail})


#: the longest reason for a late report a person may give
MAX_LATE_REASON = 2000


def lateness(approval: Approval, at: datetime) -> dict[str, Any]:
    """What an audit entry of the approval or the send at ``at`` says of the deadline: the
    due time the report had (``due_at``) and, past it, by how many seconds (``late_by``)."""
    if approval.due_at is None:
        return {}
    late = int((at - approval.due_at).total_seconds())
    return {"due_at": approval.due_at.isoformat(), **({"late_by": late} if late > 0 else {})}


def _next(draft: Draft, now: datetime, **changes: Any) -> Draft:
    return replace(draft, revision=draft.revision + 1, updated_at=now, **changes)


def _version(
    number: int,
    fields: DraftFields,
    edits: Mapping[str, str],
    author: str,
    reason: str,
    now: datetime,
    render: Renderer,
) -> Version:
    facts = facts_of(fields)
    shown = with_values(bounded(fields), edits)  # no prefilled field beyond its bound
    rendered = render(shown)
    return Version(
        number=number,
        created_at=now,
        author=author,
        reason=reason,
        fields={k: f.value for k, f in shown.fields.items()},
        edited=tuple(sorted(edits)),
        facts=facts,
        recipient=shown.recipient,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        to_complete=tuple(shown.to_complete()),
        repealed=shown.repealed,
        reference=shown.reference,
        reference_note=shown.reference_note,
    )


#: What the console says of a field to review (:attr:`Version.to_review`).
REVIEW_NOTE = (
    "written while the incident was ongoing, or before a person corrected what was sent: check "
    "the tense and facts before approving"
)


def _review(keys: Sequence[str], edits: Mapping[str, str], saved: Sequence[str]) -> tuple[str, ...]:
    """The fields of ``keys`` the version still carries that no person saved in this draft."""
    return tuple(sorted(k for k in set(keys) if k in edits and k not in saved))


def _edits(version: Version) -> dict[str, str]:
    """The values a person wrote in ``version`` (recipient under the key ``recipient``)."""
    return {k: version.fields[k] for k in version.edited if k in version.fields} | (
        {"recipient": version.recipient} if "recipient" in version.edited else {}
    )


def check_recipients(text: str) -> list[str]:
    """The addresses of a recipient field (comma-separated), each a real address (syntax only:
    no DNS look-up); :class:`BadInput` naming ``fields.recipient`` otherwise."""
    problem = addresses.address_problem(text)
    if problem is not None:
        raise BadInput("fields.recipient", problem)
    return addresses.split(text)


def _check_repealed_recipient(draft: Draft, fields: DraftFields, text: str) -> None:
    """A report owed to no regulator (``fields.repealed``) never goes to the regulator: an
    ``internal`` draft takes no recipient at all, another one not the regulator's address."""
    if not fields.repealed:
        return
    if draft.channel == INTERNAL:
        raise BadInput(
            "fields.recipient",
            f"{KEPT_INTERNALLY}; configure regulators.{draft.regulator}.internal_recipient "
            "to e-mail such reports to the operator's own address",
        )
    published = DEFAULT_RECIPIENTS.get(draft.regulator, "").lower()
    if published and published in (a.strip().lower() for a in text.split(",")):
        raise BadInput(
            "fields.recipient",
            f"{published} is the regulator's address, and this report is owed to no regulator "
            "(the duty behind it was repealed before the incident began)",
        )


# ---- opening and following the incident -----------------------------------------------------
def open_draft(
    fields: DraftFields,
    round_: int,
    now: datetime,
    render: Renderer,
    trigger: Mapping[str, datetime] | None = None,
    snapshot: Mapping[str, Any] | None = None,
    edits: Mapping[str, str] | None = None,
    channel: str = EMAIL,
    reason: str | None = None,
    review: Sequence[str] = (),
) -> Change:
    """Version 1 of the draft for ``fields.kind`` of ``fields.incident_id``; ``edits``: what a
    person wrote in the notice this one follows, kept as written; ``channel``: how it reaches
    the regulator (``email`` or ``portal``); ``reason``: what the version says of where its
    edits came from (default: the previous notice); ``review``: the carried fields a person
    must review before approval (:attr:`Version.to_review`)."""
    kind = fields.kind
    reason = (reason or "opened from the previous notice") if edits else "opened"
    version = _version(1, fields, dict(edits or {}), BRIDGE, reason, now, render)
    version = replace(version, to_review=_review(review, edits or {}, ()))
    draft = Draft(
        id=draft_id(fields.incident_id, kind, round_),
        incident_id=fields.incident_id,
        regulator=regulator_of(kind),
        kind=kind,
        round=round_,
        track=track_of(kind),
        state=DRAFT,
        revision=1,
        created_at=now,
        updated_at=now,
        versions=(version,),
        trigger=dict(trigger or {}),
        snapshot=dict(snapshot or {}),
        channel=channel,
    )
    return draft, [
        _audit(
            draft,
            now,
            BRIDGE,
            "draft.opened",
            version=1,
            to_complete=list(version.to_complete),
            **({"to_review": list(version.to_review)} if version.to_review else {}),
        )
    ]


def refresh(
    draft: Draft,
    fields: DraftFields,
    now: datetime,
    render: Renderer,
    snapshot: Mapping[str, Any] | None = None,
    carried: Mapping[str, str] | None = None,
    channel: str | None = None,
    review: Sequence[str] = (),
) -> Change | None:
    """A new version when the incident's facts changed (edited fields kept), else None.
    An approved draft not yet handed over becomes ``held``. ``carried``: a person's text from
    the notice this one follows, kept unless this draft's own edits replace it; ``channel``:
    how the new version reaches its reader (changes when the incident's start moves across
    the day its law was repealed), else the draft's own; ``review``: the carried fields a
    person must review before approval (with those the draft had to review already, less
    those a person saved in it: :attr:`Version.to_review`)."""
    if draft.state not in FOLLOWS_INCIDENT or facts_of(fields) == draft.latest.facts:
        return None
    number = draft.latest.number + 1
    latest = draft.latest
    edits = {**(carried or {}), **_edits(latest)}
    version = _version(number, fields, edits, BRIDGE, "the incident changed", now, render)
    version = replace(
        version,
        to_review=_review([*review, *latest.to_review], edits, latest.saved),
        saved=latest.saved,
    )
    state, flag, approval = draft.state, draft.flag, draft.approval
    events: list[AuditEvent] = []
    if draft.state in (APPROVED, HELD):
        state, approval = HELD, None
        flag = (
            f"held: the incident changed after version {draft.latest.number} was approved; "
            f"review version {number} and approve again"
        )
        if draft.state == APPROVED:
            events.append(_audit(draft, now, BRIDGE, "draft.held", version=number, reason=flag))
    changed = _next(
        draft,
        now,
        versions=(*draft.versions, version),
        state=state,
        flag=flag,
        approval=approval,
        next_attempt_at=None if state == HELD else draft.next_attempt_at,
        snapshot=dict(snapshot) if snapshot is not None else draft.snapshot,
        channel=channel or draft.channel,
    )
    events.insert(0, _audit(draft, now, BRIDGE, "draft.rerendered", version=number))
    return changed, events


def withdraw(draft: Draft, now: datetime, reason: str) -> Change | None:
    """The report is no longer owed (the incident was merged or re-assessed): a draft not yet
    handed over is withdrawn; one in delivery is left as it is."""
    if draft.state not in (DRAFT, APPROVED, HELD, FAILED, REJECTED):
        return None
    changed = _next(draft, now, state=WITHDRAWN, flag=reason, next_attempt_at=None)
    return changed, [_audit(draft, now, BRIDGE, "draft.withdrawn", reason=reason)]


# ---- people --------------------------------------------------------------------------------
def edit(
    draft: Draft,
    base_version: int,
    changes: Mapping[str, str],
    fields: DraftFields,
    actor: str,
    now: datetime,
    render: Renderer,
    base_state: str | None = None,
) -> Change:
    """A new version with ``changes`` (field key → text; ``recipient`` too) on top of the
    current prefill ``fields``. Editing an approved or held draft withdraws the approval.
    ``base_version`` (and ``base_state`` when given) is what the person edited: once either is
    no longer the draft's, the edit is a :class:`Conflict` (someone saved or decided meanwhile)."""
    if draft.state not in EDITABLE:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}; it can no longer be edited")
    if base_version != draft.latest.number:
        raise Conflict(
            f"draft {draft.id}",
            f"the edit is based on version {base_version} but the latest is "
            f"{draft.latest.number}: reload and edit again",
        )
    if base_state is not None and base_state != draft.state:
        approval = draft.approval
        approved = (
            ""
            if approval is None
            else f" (version {approval.version} approved by {approval.by}; "
            f"an edit withdraws that approval)"
        )
        raise Conflict(
            f"draft {draft.id}",
            f"the edit was begun on a {base_state} draft but it is {draft.state} now"
            f"{approved}: reload and edit again",
        )
    allowed = set(fields.fields) | {"recipient"}
    for key, value in changes.items():
        if key not in allowed:
            raise BadInput(
                f"fields.{key}",
                f"not a field of {draft.kind}; expected one of {', '.join(sorted(allowed))}",
            )
        if not isinstance(value, str):
            raise BadInput(f"fields.{key}", f"expected text, got {type(value).__name__}")
        if key in SINGLE_LINE and any(
            c in value for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
        ):
            raise BadInput(f"fields.{key}", "expected a single line: line breaks are not allowed")
        refused = person_text.refused(value, "" if key in SINGLE_LINE else TEXT_KEEPS, False)
        if refused is not None:  # it goes to the regulator as written
            raise BadInput(f"fields.{key}", person_text.problem(refused))
    if "recipient" in changes:
        _check_repealed_recipient(draft, fields, changes["recipient"])
        check_recipients(changes["recipient"])
    if not changes:
        raise BadInput("fields", "nothing to change")
    merged = _edits(draft.latest) | dict(changes)
    number = draft.latest.number + 1
    version = _version(number, fields, merged, actor, f"edited by {actor}", now, render)
    saved = tuple(sorted(set(draft.latest.saved) | set(changes)))
    version = replace(
        version, to_review=_review(draft.latest.to_review, merged, saved), saved=saved
    )
    events = [_audit(draft, now, actor, "draft.edited", version=number, fields=sorted(changes))]
    if draft.approval is not None:
        events.append(
            _audit(draft, now, actor, "draft.approval_withdrawn", version=draft.approval.version)
        )
    changed = _next(
        draft,
        now,
        versions=(*draft.versions, version),
        state=DRAFT,
        approval=None,
        flag=None,
        next_attempt_at=None,
    )
    return changed, events


def _value(version: Version, key: str) -> str | None:
    if key in ("recipient", "subject"):
        return str(getattr(version, key))
    return version.fields.get(key)


def changed_by(draft: Draft, old: int, new: int, key: str) -> tuple[Version, str] | None:
    """Who gave field ``key`` (``recipient`` and ``subject`` too) the value it has in version
    ``new``, since version ``old``: the last version after ``old`` up to ``new`` that changed
    it, and its author when a person wrote the field in that version (``key`` among the
    version's ``edited``), else :data:`BRIDGE` (the bridge's refresh from the incident, also when
    it landed in a person's version: an edit starts from the incident as it is then; the subject
    is always rendered). None when no version in that span changed it."""
    span = [v for v in draft.versions if old <= v.number <= new]
    found = None
    for before, after in pairwise(span):
        if _value(before, key) != _value(after, key):
            found = after
    if found is None:
        return None
    person = key in found.edited and found.author != BRIDGE
    return found, found.author if person else BRIDGE


def must_complete(draft: Draft) -> list[str]:
    """The fields of ``draft``'s latest version still to complete that must be written before
    it can be approved (:func:`bridge.core.privacy_fields.not_sendable_unknown`: a notice to
    subscribers' required elements); the others still to complete may be named in
    ``send_unknown``. What :func:`approve` refuses, and what the draft's view says."""
    return privacy_fields.not_sendable_unknown(draft.kind, draft.latest.to_complete)


def approve(
    draft: Draft,
    version: int,
    current_facts: str,
    actor: str,
    now: datetime,
    message_id: str,
    comment: str = "",
    send_unknown: Sequence[str] = (),
    snapshot: Mapping[str, Any] | None = None,
    second_factor_at: datetime | None = None,
    confirm_carried: Sequence[str] = (),
    due_at: datetime | None = None,
    late_reason: str = "",
) -> Change:
    """Approve ``version`` for sending now. See the module contract for what is refused.
    ``send_unknown``: the fields still to complete that the approver chose, by name, to send
    as not yet known; ``second_factor_at``: when the approver's second factor was checked (kept
    on the approval: the archive's sidecar of the message carries it); ``confirm_carried``: the
    fields to review (:attr:`Version.to_review`) the approver confirmed, by name, as they
    stand (the audit of the approval names them). ``due_at``: the due time of the report's
    obligation; approved at or after it, ``late_reason`` (why it is late) is required
    (BadInput naming it), and kept on the approval and in its audit entry."""
    if draft.state not in (DRAFT, HELD):
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}; only a draft can be approved")
    late_reason = clean_text(late_reason, "late_reason", MAX_LATE_REASON, one_line=False)
    overdue = due_at is not None and now >= due_at
    if overdue and not late_reason:
        raise BadInput(
            "late_reason",
            f"the report was due at {due_at.isoformat() if due_at else ''}: say why it is late",
        )
    latest = draft.latest
    if version != latest.number:
        raise Conflict(
            f"draft {draft.id}",
            f"version {version} is not the latest ({latest.number}): review it and approve that",
        )
    if latest.facts != current_facts:
        raise Conflict(
            f"draft {draft.id}", "the incident changed since this version was rendered: reload"
        )
    unknown = sorted(set(send_unknown))
    stray = [k for k in unknown if k not in latest.to_complete]
    if stray:
        raise BadInput(
            "send_unknown",
            f"not fields still to complete: {', '.join(stray)} (still to complete: "
            f"{', '.join(latest.to_complete) or 'none'})",
        )
    required = must_complete(draft)
    if required:
        raise BadInput(
            "send_unknown",
            f"a notice to subscribers must state {', '.join(required)}: it cannot be sent as "
            f'"{UNKNOWN[LANGUAGES[draft.regulator]]}"; write them in the draft, or in the case',
        )
    missing = [k for k in latest.to_complete if k not in unknown]
    if missing:
        wording = UNKNOWN[LANGUAGES[draft.regulator]]
        raise BadInput(
            "send_unknown",
            f"fields still to complete: {', '.join(missing)}; complete them, or name each in "
            f'send_unknown to send it to the regulator as "{wording}"',
        )
    confirmed = sorted(set(confirm_carried))
    _check_reviewed(latest, confirmed)
    approval = Approval(
        version,
        actor,
        now,
        latest.content_hash,
        comment,
        second_factor_at,
        due_at,
        late_reason if overdue else "",
    )
    if draft.channel == INTERNAL:
        kept, events = _keep(draft, approval, now, message_id, snapshot, unknown)
        if confirmed:
            events[0].detail["confirmed_carried"] = confirmed
        return kept, events
    portal = draft.channel == PORTAL
    changed, approved = _approved(
        draft,
        approval,
        now,
        state=APPROVED,
        flag="approved: submit it on the regulator's portal, then record the submission"
        if portal
        else None,
        next_attempt_at=None if portal else now,
        message_id=message_id,
        snapshot=snapshot,
        unknown=unknown,
        channel=PORTAL if portal else None,
    )
    if confirmed:
        approved.detail["confirmed_carried"] = confirmed
    return changed, [approved]


def _check_reviewed(latest: Version, confirmed: Sequence[str]) -> None:
    """:class:`BadInput` naming ``confirm_carried`` unless every field ``latest`` has to
    review is confirmed, and only those."""
    stray = [k for k in confirmed if k not in latest.to_review]
    if stray:
        raise BadInput(
            "confirm_carried",
            f"not fields to review: {', '.join(stray)} (to review: "
            f"{', '.join(latest.to_review) or 'none'})",
        )
    unconfirmed = [k for k in latest.to_review if k not in confirmed]
    if unconfirmed:
        raise BadInput(
            "confirm_carried",
            f"fields carried from a notice {REVIEW_NOTE}: {', '.join(unconfirmed)}; save each "
            "again in the draft (reworded or as it is), or name it in confirm_carried",
        )


def _approved(
    draft: Draft,
    approval: Approval,
    now: datetime,
    *,
    state: str,
    flag: str | None,
    next_attempt_at: datetime | None,
    message_id: str,
    snapshot: Mapping[str, Any] | None,
    unknown: Sequence[str],
    channel: str | None,
) -> tuple[Draft, AuditEvent]:
    """The draft as ``approval`` leaves it (in ``state``, with ``flag`` and
    ``next_attempt_at``, ``message_id`` and ``snapshot``, the draft's own snapshot kept when
    None) and the ``draft.approved`` audit event that records it, by the approver, naming the
    ``unknown`` fields sent as not yet known and, when given, the ``channel``."""
    changed = _next(
        draft,
        now,
        state=state,
        approval=approval,
        flag=flag,
        next_attempt_at=next_attempt_at,
        message_id=message_id,
        snapshot=dict(snapshot) if snapshot is not None else draft.snapshot,
    )
    event = _audit(
        draft,
        now,
        approval.by,
        "draft.approved",
        version=approval.version,
        content_hash=approval.content_hash,
        recipient=draft.version(approval.version).recipient,
        comment=approval.comment,
        sent_as_unknown=list(unknown),
        **({"channel": channel} if channel is not None else {}),
        **lateness(approval, now),
        **({"late_reason": approval.late_reason} if approval.late_reason else {}),
    )
    return changed, event


def _keep(
    draft: Draft,
    approval: Approval,
    now: datetime,
    message_id: str,
    snapshot: Mapping[str, Any] | None,
    unknown: Sequence[str],
) -> Change:
    """Approving an ``internal`` draft: it is kept (done with, nothing handed to anyone)."""
    changed, approved = _approved(
        draft,
        approval,
        now,
        state=KEPT,
        flag=KEPT_INTERNALLY,
        next_attempt_at=None,
        message_id=message_id,
        snapshot=snapshot,
        unknown=unknown,
        channel=INTERNAL,
    )
    return changed, [
        approved,
        _audit(
            draft,
            now,
            approval.by,
            "draft.kept_internally",
            version=approval.version,
            content_hash=approval.content_hash,
            sent=False,
            reason=KEPT_INTERNALLY,
        ),
    ]


def record_submission(
    draft: Draft,
    submitted_at: datetime,
    reference: str,
    actor: str,
    now: datetime,
    receipt: Mapping[str, Any] | None = None,
) -> Change:
    """A person submitted the approved version on the regulator's portal at ``submitted_at``
    (not after ``now``, not before the minute it was approved) and the portal answered with
    ``reference``: the draft is sent at that instant. Only a portal draft, approved."""
    if draft.channel != PORTAL:
        raise Conflict(
            f"draft {draft.id}", f"it goes by {draft.channel}: the outbox sends it, not a person"
        )
    if draft.state != APPROVED or draft.approval is None:
        raise Conflict(
            f"draft {draft.id}",
            f"it is {draft.state}; only an approved draft is submitted (approve the latest "
            "version first)",
        )
    reference = clean_text(reference, "reference", MAX_REFERENCE, one_line=True)
    if not reference:
        raise BadInput("reference", "the portal's case or receipt id is required")
    if submitted_at.utcoffset() is None:
        raise BadInput("submitted_at", "expected a time with its offset")
    if submitted_at > now:
        raise BadInput("submitted_at", "the submission cannot be in the future")
    approved_minute = draft.approval.at.replace(second=0, microsecond=0)
    if submitted_at < approved_minute:
        raise BadInput(
            "submitted_at",
            f"the submission cannot be before the approval ({draft.approval.at.isoformat()})",
        )
    submission = Submission(
        at=submitted_at,
        reference=reference,
        by=actor,
        recorded_at=now,
        version=draft.approval.version,
        receipt=dict(receipt) if receipt is not None else None,
    )
    changed = _next(
        draft,
        now,
        state=SENT,
        sent_at=submitted_at,
        flag=None,
        next_attempt_at=None,
        submission=submission,
    )
    return changed, [
        _audit(
            draft,
            now,
            actor,
            "draft.submitted",
            version=draft.approval.version,
            content_hash=draft.approval.content_hash,
            submitted_at=submitted_at.isoformat(),
            reference=reference,
            **lateness(draft.approval, submitted_at),
            receipt=None
            if receipt is None
            else {k: receipt[k] for k in ("name", "size", "sha256") if k in receipt},
        )
    ]


def reject(draft: Draft, actor: str, reason: str, now: datetime) -> Change:
    """A person decides this report is not to be sent (the reason is audited). An edit reopens."""
    if not reason.strip():
        raise BadInput("reason", "say why the draft is rejected")
    if draft.state not in (DRAFT, APPROVED, HELD, FAILED):
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}; it cannot be rejected")
    changed = _next(
        draft, now, state=REJECTED, approval=None, flag=f"rejected: {reason}", next_attempt_at=None
    )
    return changed, [
        _audit(draft, now, actor, "draft.rejected", version=draft.latest.number, reason=reason)
    ]


def at_risk_after_restore(draft: Draft) -> bool:
    """Whether the outbox would hand ``draft`` to the relay on its own once a store restored
    from a backup is served: it is ``approved`` for e-mail (a portal draft is submitted by a
    person, never by the outbox) or ``sending``. Such a draft may have left after the backup
    was taken, and the restored store cannot know."""
    return draft.state == SENDING or (draft.state == APPROVED and draft.channel == EMAIL)


@dataclass(frozen=True, slots=True)
class LeftCopy:
    """What the archive says of a message of a draft handed to the relay after the backup a
    store was restored from (the ``.eml`` and its sidecar, :mod:`bridge.notices.archive`): the
    restored store does not know it left."""

    file: str
    version: int
    at: datetime  # when it left: the relay's acceptance, else the hand-over, else the file's
    recipient: str | None
    message_id: str | None
    approved_by: str | None = None
    approved_at: datetime | None = None
    second_factor_at: datetime | None = None
    content_hash: str | None = None
    #: the relay accepted it (the sidecar recorded its answer); False: handed over, its
    #: acceptance not recorded (a failure, a crash, or an archive without sidecars)
    accepted: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the audit's detail, the stored attempt's)."""
        return {
            "file": self.file,
            "version": self.version,
            "at": self.at.isoformat(),
            "recipient": self.recipient,
            "message_id": self.message_id,
            "approved_by": self.approved_by,
            "approved_at": None if self.approved_at is None else self.approved_at.isoformat(),
            "second_factor_at": None
            if self.second_factor_at is None
            else self.second_factor_at.isoformat(),
            "content_hash": self.content_hash,
            "accepted": self.accepted,
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> LeftCopy:
        def t(key: str) -> datetime | None:
            value = d.get(key)
            return None if not value else datetime.fromisoformat(str(value))

        at = t("at")
        assert at is not None
        return LeftCopy(
            str(d["file"]),
            int(d["version"]),
            at,
            d.get("recipient"),
            d.get("message_id"),
            d.get("approved_by"),
            t("approved_at"),
            t("second_factor_at"),
            d.get("content_hash"),
            bool(d.get("accepted", True)),
        )

    def says(self) -> str:
        """In words, for a person: what left, when, to whom."""
        how = "sent" if self.accepted else "handed to the relay (its acceptance not recorded)"
        return (
            f"{how} after the backup as version {self.version} at {self.at.isoformat()} to "
            f"{self.recipient or 'an address the archive does not say'}, Message-ID "
            f"{self.message_id or '-'}"
        )


#: the attempt outcome of a draft put in doubt because the archive shows a message of it handed
#: over after the backup its store was restored from; its detail: ``{"was": state, "copy":
#: LeftCopy}`` as JSON
LEFT_AFTER_BACKUP = "left_after_backup"
#: the attempt outcome of a person's decision to send such a draft again beside that copy; its
#: detail: the copy's file name (accepted by :func:`accepted_archive` from then on)
SEND_AGAIN = "send_again"
#: the states a draft of which a message left after the backup may be in, in the restored store,
#: and is put in doubt from (:func:`left_after_backup`); approved or sending: :func:`restored`
LEFT_FROM = (DRAFT, HELD, REJECTED, FAILED, WITHDRAWN)


def left_copy(draft: Draft) -> LeftCopy | None:
    """The copy that put ``draft`` in doubt after a restore, while it still is (the doubt's
    attempt is its last)."""
    if draft.state != IN_DOUBT or not draft.attempts:
        return None
    last = draft.attempts[-1]
    if last.outcome != LEFT_AFTER_BACKUP:
        return None
    return LeftCopy.from_dict(json.loads(last.detail)["copy"])


def _doubt_was(draft: Draft) -> str | None:
    """The state the draft was in when :data:`LEFT_AFTER_BACKUP` put it in doubt."""
    if left_copy(draft) is None:
        return None
    return str(json.loads(draft.attempts[-1].detail)["was"])


def restored(
    draft: Draft,
    backup_taken_at: datetime,
    actor: str,
    now: datetime,
    copy: LeftCopy | None = None,
) -> Change:
    """The store was restored from a backup taken at ``backup_taken_at``: a draft the outbox
    would send on its own (:func:`at_risk_after_restore`) goes to a person instead, ``in_doubt``
    (it may have been sent after the backup; sent twice is an incident of its own). A person
    then resolves it (:func:`resolve_doubt`: resend, same Message-ID, or mark sent). Audited as
    ``outbox.in_doubt`` by ``actor`` with the reason and the backup's time. ``copy``: what the
    archive says left after the backup (the flag says it, and it is audited)."""
    if not at_risk_after_restore(draft):
        raise Conflict(
            f"draft {draft.id}",
            f"it is {draft.state} ({draft.channel}): the outbox would not send it",
        )
    if copy is not None:
        return _left(draft, backup_taken_at, actor, now, copy)
    flag = (
        f"in doubt: the store was restored from a backup taken at {backup_taken_at.isoformat()} "
        f"while this notice was {draft.state}; it may have been sent after that. Check the "
        "archive folder and with the regulator, then resend or mark as sent"
    )
    attempt = Attempt(now, "restored", f"backup taken at {backup_taken_at.isoformat()}")
    return _in_doubt(draft, backup_taken_at, actor, now, flag, attempt)


def _in_doubt(
    draft: Draft,
    backup_taken_at: datetime,
    actor: str,
    now: datetime,
    flag: str,
    attempt: Attempt,
    **detail: Any,
) -> Change:
    """``draft`` held ``in_doubt`` after a restore with ``flag`` and ``attempt``, audited as
    ``outbox.in_doubt`` (with ``detail`` besides the reason, the state it was in, the backup's
    time and the Message-ID)."""
    changed = _next(
        draft,
        now,
        state=IN_DOUBT,
        flag=flag,
        next_attempt_at=None,
        attempts=(*draft.attempts, attempt),
    )
    return changed, [
        _audit(
            draft,
            now,
            actor,
            "outbox.in_doubt",
            reason=flag,
            was=draft.state,
            backup_taken_at=backup_taken_at.isoformat(),
            message_id=draft.message_id,
            **detail,
        )
    ]


def left_after_backup(
    draft: Draft, backup_taken_at: datetime, actor: str, now: datetime, copy: LeftCopy
) -> Change:
    """The archive shows ``copy``, a message of ``draft`` handed to the relay after the backup
    the store was restored from, and the restored store has the draft in a state the bridge
    would draft again and a person could approve and send a second time (:data:`LEFT_FROM`):
    it goes ``in_doubt`` for a person, who marks it sent with that copy or decides to send it
    again (:func:`resolve_doubt`). It is neither re-rendered nor withdrawn meanwhile. Audited
    as ``outbox.in_doubt`` by ``actor`` with the copy."""
    if draft.state not in LEFT_FROM:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}: nothing to hold")
    return _left(draft, backup_taken_at, actor, now, copy)


def _left(
    draft: Draft, backup_taken_at: datetime, actor: str, now: datetime, copy: LeftCopy
) -> Change:
    flag = (
        f"in doubt: {copy.says()}; the store does not know (it was restored from a backup taken "
        f"at {backup_taken_at.isoformat()}, in which this notice was {draft.state}). Check with "
        "the regulator, then mark as sent with that copy, or send it again knowingly"
    )
    detail = json.dumps({"was": draft.state, "copy": copy.to_dict()}, sort_keys=True)
    attempt = Attempt(now, LEFT_AFTER_BACKUP, detail)
    return _in_doubt(draft, backup_taken_at, actor, now, flag, attempt, copy=copy.to_dict())


#: the attempt outcome of a hand-over held because the archive holds another message of the
#: approved version (:func:`archived_differs`); its detail: the files' names, one a line
ARCHIVED_DIFFERS = "archived_differs"


def archived_differs(
    draft: Draft, now: datetime, names: Sequence[str], described: Sequence[str]
) -> Change:
    """The archive already holds another message of the approved version (``names``, each
    ``described`` with its Message-ID and Date for a person): a message of the same version,
    approved at another time, was handed to the relay before (typically before the store was
    restored from a backup, and the restored store drafted the report again): it may have
    reached the regulator. Nothing is handed over; ``in_doubt`` for a person, who resolves it
    (:func:`resolve_doubt`): mark sent, or resend, which sends it with those files accepted
    (:func:`accepted_archive`) and keeps both messages. Audited as ``outbox.in_doubt``."""
    approval = draft.approval
    if draft.state != APPROVED or approval is None:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not approved")
    flag = (
        f"in doubt: the archive already holds another message of version {approval.version} "
        f"of this notice ({'; '.join(described)}): it may have been sent already, e.g. before "
        "the store was restored from a backup. Check the archive folder and with the "
        "regulator, then mark as sent, or resend (both messages are kept)"
    )
    changed = _next(
        draft,
        now,
        state=IN_DOUBT,
        flag=flag,
        next_attempt_at=None,
        attempts=(*draft.attempts, Attempt(now, ARCHIVED_DIFFERS, "\n".join(names))),
    )
    return changed, [
        _audit(
            draft,
            now,
            BRIDGE,
            "outbox.in_doubt",
            reason=flag,
            was=draft.state,
            archived=list(names),
            message_id=draft.message_id,
        )
    ]


def accepted_archive(draft: Draft) -> frozenset[str]:
    """The archived files of other messages a person chose to send beside: those named by an
    :data:`ARCHIVED_DIFFERS` attempt of the current approval (the draft left ``in_doubt``
    only by a person's resend)."""
    decided = {a.detail for a in draft.attempts if a.outcome == SEND_AGAIN}
    approval = draft.approval
    if approval is None:
        return frozenset(decided)
    return frozenset(
        decided
        | {
            name
            for a in draft.attempts
            if a.outcome == ARCHIVED_DIFFERS and a.at >= approval.at
            for name in a.detail.splitlines()
        }
    )


def resolve_doubt(draft: Draft, action: str, actor: str, comment: str, now: datetime) -> Change:
    """A person settles an ``in_doubt`` message: ``resend`` (same Message-ID, so a receiving
    system can tell a duplicate) or ``mark_sent`` (the regulator confirmed receipt).

    A draft in doubt because the archive shows a message of it handed over after the backup
    its store was restored from (:func:`left_copy`): ``mark_sent`` marks it sent with that copy
    (its time, Message-ID and, when the store has its version with the same content, its
    approval); ``resend`` is the person's decision to send it again knowingly: approved again
    when the restored store had it approved (its own approval), else back to ``draft`` for a
    person to approve; either way the copy's file is accepted beside it
    (:func:`accepted_archive`). Both audit the copy."""
    if draft.state != IN_DOUBT:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not in doubt")
    copy = left_copy(draft)
    if action not in ("resend", "mark_sent"):
        raise BadInput("action", f"expected resend or mark_sent, got {action!r}")
    if copy is not None:
        return _resolve_left(draft, action, actor, comment, now, copy)
    if action == "resend":
        changed = _next(draft, now, state=APPROVED, flag=None, next_attempt_at=now)
    else:
        changed = _next(draft, now, state=SENT, flag=None, sent_at=now, next_attempt_at=None)
    return changed, [_audit(draft, now, actor, f"outbox.{action}", comment=comment)]


def _resolve_left(
    draft: Draft, action: str, actor: str, comment: str, now: datetime, copy: LeftCopy
) -> Change:
    """:func:`resolve_doubt` of a draft :func:`left_copy` says left after the backup."""
    copied = copy.to_dict()
    if action == "mark_sent":
        approval = draft.approval
        known = next((v for v in draft.versions if v.number == copy.version), None)
        if (
            known is not None
            and copy.content_hash == known.content_hash
            and copy.approved_by
            and copy.approved_at is not None
            and (approval is None or approval.version != copy.version)
        ):
            approval = Approval(
                copy.version,
                copy.approved_by,
                copy.approved_at,
                known.content_hash,
                "",
                copy.second_factor_at,
            )
        changed = _next(
            draft,
            now,
            state=SENT,
            flag=None,
            sent_at=copy.at,
            next_attempt_at=None,
            message_id=copy.message_id or draft.message_id,
            approval=approval,
        )
        return changed, [
            _audit(draft, now, actor, "outbox.mark_sent", comment=comment, copy=copied)
        ]
    attempts = (*draft.attempts, Attempt(now, SEND_AGAIN, copy.file))
    if _doubt_was(draft) in (APPROVED, SENDING) and draft.approval is not None:
        changed = _next(
            draft, now, state=APPROVED, flag=None, next_attempt_at=now, attempts=attempts
        )
    else:
        changed = _next(
            draft,
            now,
            state=DRAFT,
            approval=None,
            next_attempt_at=None,
            attempts=attempts,
            flag=(
                f"to be sent again, as a person decided, although it was {copy.says()}: "
                "approve it to send it"
            ),
        )
    return changed, [
        _audit(draft, now, actor, "outbox.resend", comment=comment, copy=copied, sent_again=True)
    ]


# ---- the outbox -------------------------------------------------------------------------------
def claim(draft: Draft, now: datetime) -> Change:
    """Mark the hand-over to SMTP, durably, before it starts."""
    if draft.state != APPROVED or draft.approval is None:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not approved")
    changed = _next(draft, now, state=SENDING, attempts=(*draft.attempts, Attempt(now, "started")))
    return changed, []


def changed_after_handover(draft: Draft, now: datetime, facts: str) -> AuditEvent:
    """The audit entry of a draft whose incident changed (to ``facts``) after the outbox's
    hand-over of its approved version started: that version goes out as approved."""
    approval = draft.approval
    version = approval.version if approval is not None else draft.latest.number
    return _audit(
        draft,
        now,
        BRIDGE,
        "draft.changed_after_handover",
        version=version,
        approved_facts=draft.version(version).facts,
        facts=facts,
    )


def delivered(draft: Draft, now: datetime, detail: str, facts: str | None = None) -> Change:
    approval = draft.approval
    if draft.state != SENDING or approval is None:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not sending")
    changed = _next(
        draft,
        now,
        state=SENT,
        sent_at=now,
        next_attempt_at=None,
        flag=None,
        attempts=(*draft.attempts, Attempt(now, "sent", detail)),
    )
    return changed, [
        _audit(
            draft,
            now,
            BRIDGE,
            "outbox.sent",
            version=approval.version,
            approved_by=approval.by,
            content_hash=approval.content_hash,
            message_id=draft.message_id,
            recipient=draft.version(approval.version).recipient,
            smtp=detail,
            **({} if facts is None else {"facts": facts}),
            **lateness(approval, now),
        )
    ]


def retry_delay(attempts: int, initial: timedelta, ceiling: timedelta) -> timedelta:
    """Exponential backoff: ``initial`` after the first failure, doubling, at most ``ceiling``."""
    return min(ceiling, initial * (1 << max(0, attempts - 1)))


def transient_failure(
    draft: Draft, now: datetime, error: str, initial: timedelta, ceiling: timedelta
) -> Change:
    """Not accepted, and certainly not delivered: try again later."""
    if draft.state != SENDING:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not sending")
    failures = sum(1 for a in draft.attempts if a.outcome == "transient") + 1
    when = now + retry_delay(failures, initial, ceiling)
    changed = _next(
        draft,
        now,
        state=APPROVED,
        next_attempt_at=when,
        flag=f"delivery attempt {failures} failed, retrying: {error}",
        attempts=(*draft.attempts, Attempt(now, "transient", error)),
    )
    return changed, [
        _audit(draft, now, BRIDGE, "outbox.retry", error=error, next_attempt_at=when.isoformat())
    ]


def withheld(draft: Draft, now: datetime, reason: str) -> Change:
    """Claimed but never handed to the relay (this replica's lease lapsed before the
    hand-over): certainly not delivered, so it is approved again and due at once, for whichever
    replica leads."""
    if draft.state != SENDING:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not sending")
    changed = _next(
        draft,
        now,
        state=APPROVED,
        next_attempt_at=now,
        attempts=(*draft.attempts, Attempt(now, "withheld", reason)),
    )
    return changed, [
        _audit(draft, now, BRIDGE, "outbox.retry", error=reason, next_attempt_at=now.isoformat())
    ]


def unsendable(draft: Draft, now: datetime, error: str) -> Change:
    """The approved version cannot be made into a message (a header that cannot be written, an
    attachment that cannot be built): nothing was handed over; a person edits and approves
    again. The outbox goes on with the other drafts."""
    if draft.state != APPROVED:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not approved")
    changed = _next(
        draft,
        now,
        state=FAILED,
        next_attempt_at=None,
        flag=f"the message could not be built, a person must act: {error}",
        attempts=(*draft.attempts, Attempt(now, "unsendable", error)),
    )
    return changed, [_audit(draft, now, BRIDGE, "outbox.failed", error=error, sent=False)]


def permanent_failure(draft: Draft, now: datetime, error: str) -> Change:
    if draft.state != SENDING:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not sending")
    changed = _next(
        draft,
        now,
        state=FAILED,
        next_attempt_at=None,
        flag=f"delivery refused, a person must act: {error}",
        attempts=(*draft.attempts, Attempt(now, "permanent", error)),
    )
    return changed, [_audit(draft, now, BRIDGE, "outbox.failed", error=error)]


def interrupted(draft: Draft, now: datetime, cause: str | None = None) -> Change:
    """Found ``sending`` when no send is running (a crash; a write whose reply was lost:
    ``cause``, what a person reads): flag it for a person."""
    if draft.state != SENDING:
        raise Conflict(f"draft {draft.id}", f"it is {draft.state}, not sending")
    cause = cause or "the bridge stopped while handing this message to the mail relay"
    flag = (
        f"in doubt: {cause}; it may or may not have been delivered. Check with the regulator, "
        "then resend or mark as sent"
    )
    changed = _next(
        draft,
        now,
        state=IN_DOUBT,
        flag=flag,
        next_attempt_at=None,
        attempts=(*draft.attempts, Attempt(now, "interrupted")),
    )
    return changed, [_audit(draft, now, BRIDGE, "outbox.in_doubt", reason=flag)]
