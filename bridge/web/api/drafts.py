"""HTTP API for notice drafts (docs/design.md: ``/api/v1/drafts…``) and the drafts' JSON views.

Roles are checked per draft track (``outage`` for Nkom/PTS reports, ``privacy`` for the
privacy track's notices): viewer reads, editor edits, approver approves, rejects and settles
messages in doubt. Every change names the version it is based on; a stale one answers 409 with
what changed, so two people never overwrite each other silently. Every read of a privacy draft,
and every refusal, is audited (``privacy.read`` / ``privacy.refused``); a change is audited with
the draft. :func:`summary` is also the drafts' view in an incident and in a privacy case.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from bridge.config import report_forms
from bridge.core import casework, privacy_fields
from bridge.core.alerts import format_time
from bridge.core.casework import Draft
from bridge.core.drafts import LANGUAGES, PLACEHOLDERS, field_texts
from bridge.errors import BadInput, TooLarge
from bridge.notices import archive
from bridge.notices.attachments import attachment_for, content_disposition, file_name
from bridge.web import decisions, keys, paging
from bridge.web.access import (
    authorize,
    body_of,
    instant_field,
    int_field,
    known_fields,
    principal,
    privacy_list_read,
    privacy_read,
    second_factor,
    str_field,
)
from bridge.web.auth import Principal

routes = web.RouteTableDef()
log = logging.getLogger("bridge.web")
_T = TypeVar("_T")

# ---- JSON views ---------------------------------------------------------------------------


def summary(draft: Draft) -> dict[str, Any]:
    latest = draft.latest
    return {
        "id": draft.id,
        "incident": draft.incident_id,
        "regulator": draft.regulator,
        "kind": draft.kind,
        "round": draft.round,
        "track": draft.track,
        "state": draft.state,
        "version": latest.number,
        "subject": latest.subject,
        "recipient": latest.recipient,
        "to_complete": list(latest.to_complete),
        # of those, the ones that must be written before approval (never sent as not yet
        # known): the rule the approval applies, bridge.core.casework.must_complete
        "must_complete": casework.must_complete(draft),
        # carried from a person's text in a notice sent while the incident was ongoing, the
        # draft made once it is over: saved again, or named in confirm_carried at approval
        "to_review": list(latest.to_review),
        "flag": draft.flag,
        "created_at": format_time(draft.created_at),
        "updated_at": format_time(draft.updated_at),
        "approved": None
        if draft.approval is None
        else {
            "version": draft.approval.version,
            "by": draft.approval.by,
            "at": format_time(draft.approval.at),
            "content_hash": draft.approval.content_hash,
            # approved after its obligation's due time: why it is late (else absent)
            **({"late_reason": draft.approval.late_reason} if draft.approval.late_reason else {}),
        },
        "sent_at": format_time(draft.sent_at),
        "message_id": draft.message_id,
        "channel": draft.channel,
        "submission": None if draft.submission is None else submission_json(draft.submission),
    }


def submission_json(sub: casework.Submission) -> dict[str, Any]:
    """A recorded portal submission (the receipt's bytes are at ``…/receipt``, not here)."""
    receipt = sub.receipt
    return {
        "at": format_time(sub.at),
        "reference": sub.reference,
        "by": sub.by,
        "recorded_at": format_time(sub.recorded_at),
        "version": sub.version,
        "receipt": None
        if receipt is None
        else {k: receipt[k] for k in ("name", "media_type", "size", "sha256")},
    }


def version_json(draft: Draft, version: casework.Version) -> dict[str, Any]:
    language = LANGUAGES[draft.regulator]
    kind_labels, kind_hints = field_texts(draft.kind)
    labels = {**kind_labels, **report_forms.labels_of(draft.kind)}
    hints = {**kind_hints, **report_forms.hints_of(draft.kind)}
    required = privacy_fields.required(draft.kind)
    return {
        "number": version.number,
        "created_at": format_time(version.created_at),
        "author": version.author,
        "reason": version.reason,
        "recipient": version.recipient,
        # owed to no regulator (the duty was repealed before the incident began): why
        "repealed": version.repealed,
        "subject": version.subject,
        "fields": [
            {
                "key": key,
                "label": labels.get(key, key),
                "value": value,
                "edited": key in version.edited,
                "to_complete": key in version.to_complete,
                # must be written before approval: never sent as not yet known
                "required": key in required,
                # drafting guidance for staff: shown in the console, never sent
                "hint": hints.get(key, "") if key in version.to_complete else "",
                # carried text to check before approval (casework.REVIEW_NOTE)
                "to_review": key in version.to_review,
                "review_note": casework.REVIEW_NOTE if key in version.to_review else "",
            }
            for key, value in version.fields.items()
        ],
        "placeholder": PLACEHOLDERS[language],
        "text": version.text,
        "html": version.html,
        "content_hash": version.content_hash,
    }


def detail(draft: Draft) -> dict[str, Any]:
    return {
        **summary(draft),
        "latest": version_json(draft, draft.latest),
        "versions": [
            {
                "number": v.number,
                "created_at": format_time(v.created_at),
                "author": v.author,
                "reason": v.reason,
                "content_hash": v.content_hash,
            }
            for v in draft.versions
        ],
        "delivery": {
            "next_attempt_at": format_time(draft.next_attempt_at),
            "attempts": [
                {"at": format_time(a.at), "outcome": a.outcome, "detail": a.detail}
                for a in draft.attempts
            ],
        },
        "trigger": {k: format_time(v) for k, v in draft.trigger.items()},
        "left_after_backup": left_json(draft),
    }


def left_json(draft: Draft) -> dict[str, Any] | None:
    """While the draft is in doubt because a message of it left after the backup its store was
    restored from: what the archive says of that copy (:func:`bridge.core.casework.left_copy`)."""
    copy = casework.left_copy(draft)
    if copy is None:
        return None
    return {
        "file": copy.file,
        "version": copy.version,
        "at": format_time(copy.at),
        "recipient": copy.recipient,
        "message_id": copy.message_id,
        "approved_by": copy.approved_by,
    }


def states_param(text: str | None) -> set[str] | None:
    if not text or text == "all":
        return None
    chosen = {s.strip() for s in text.split(",") if s.strip()}
    unknown = sorted(chosen - set(casework.STATES))
    if unknown:
        raise BadInput(
            "state", f"unknown state(s) {', '.join(unknown)}; known: {', '.join(casework.STATES)}"
        )
    return chosen


def attested(factor_at: datetime) -> dict[str, str]:
    """What the audit entry of a sending action records about its second factor.
    ``factor_at`` comes from :func:`bridge.web.access.second_factor`: a TOTP code the bridge
    checked with the request or earlier in the session (a trusted proxy's sign-in gives no
    such time), so ``totp`` is the only way it can have been given."""
    return {"second_factor": "totp", "second_factor_at": format_time(factor_at) or ""}


# ---- handlers -----------------------------------------------------------------------------


async def _draft(request: web.Request, audited: bool = True) -> tuple[Draft, Principal]:
    """The draft named in the path, once the caller is known to hold the route's role
    (bridge/web/decisions.py) on its track (for an unknown id: the track its id names); a read
    of a privacy draft audited (``audited``: here; else the handler audits it itself)."""
    caller = await principal(request)  # authenticated before anything is read or said
    draft_id = request.match_info["id"]
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    found = await service.desk.get(draft_id)
    track = found.track if found is not None else decisions.track_of_id(draft_id)
    target = f"draft:{draft_id}"
    caller = await authorize(request, track, target, caller)  # a privacy refusal is audited
    if found is None:
        raise web.HTTPNotFound(text=f"no draft {draft_id!r}")
    if audited and track == "privacy" and request.method == "GET":  # a change: with the draft
        await privacy_read(request, caller, target)
    return found, caller


@routes.get("/api/v1/drafts")
async def list_drafts(request: web.Request) -> web.Response:
    caller = await authorize(request)  # viewer on either track: each sees its own drafts
    tracks = decisions.tracks_allowed(decisions.need_of(request), caller.grants)
    states = states_param(request.query.get("state"))
    incident = request.query.get("incident")
    service = request.app[keys.SERVICE]
    await service.settle_notices()
    regulator = request.query.get("regulator")
    drafts = [
        d
        for d in await service.desk.listed(states, incident)
        if d.track in tracks and regulator in (None, d.regulator)
    ]
    chosen = paging.page(drafts, _key, 2, request.query)
    # a read of privacy drafts is audited: one entry naming each case whose drafts it shows
    await privacy_list_read(
        request, caller, (d.incident_id for d in chosen.items if d.track == "privacy")
    )
    return web.json_response(chosen.answer("drafts", [summary(d) for d in chosen.items]))


def _key(draft: Draft) -> paging.Key:
    return (paging.instant(draft.created_at), draft.id)


@routes.get("/api/v1/drafts/{id}")
async def get_draft(request: web.Request) -> web.Response:
    draft, _ = await _draft(request)
    return web.json_response(detail(draft))


@routes.patch("/api/v1/drafts/{id}")
async def edit_draft(request: web.Request) -> web.Response:
    draft, caller = await _draft(request)
    body = await body_of(request)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise BadInput("fields", "expected an object of field key → new text")
    version = int_field(body, "version")
    base_state = body.get("state")  # optional: the state the person began editing in
    if base_state is not None and (
        not isinstance(base_state, str) or base_state not in casework.STATES
    ):
        raise BadInput(
            "state",
            f"expected the draft's state the edit began in, one of "
            f"{', '.join(casework.STATES)}; got {str(base_state)[:24]!r}",
        )
    changed = await request.app[keys.SERVICE].desk.edit(
        draft.id, version, fields, caller.name, base_state
    )
    return web.json_response(detail(changed))


@routes.get("/api/v1/drafts/{id}/versions/{n}")
async def get_draft_version(request: web.Request) -> web.Response:
    draft, _ = await _draft(request)
    text = request.match_info["n"]
    number = paging.whole_number(text, "n", f"expected a version number, got {text[:24]!r}")
    return web.json_response(version_json(draft, draft.version(number)))


_VERSION_NUMBER = "expected a version number"


@routes.get("/api/v1/drafts/{id}/diff")
async def draft_diff(request: web.Request) -> web.Response:
    draft, _ = await _draft(request)
    to, since = request.query.get("to"), request.query.get("from")
    new = draft.latest.number if to is None else paging.whole_number(to, "to", _VERSION_NUMBER)
    old = max(1, new - 1) if since is None else paging.whole_number(since, "from", _VERSION_NUMBER)
    return web.json_response(request.app[keys.SERVICE].desk.diff(draft, old, new))


@routes.get("/api/v1/drafts/{id}/attachment")
async def draft_attachment(request: web.Request) -> web.Response:
    draft, _ = await _draft(request)
    version = draft.approved_version or draft.latest
    found = attachment_for(draft, version, request.app[keys.SERVICE].desk.sender)
    if found is None:
        raise web.HTTPNotFound(text=f"{draft.kind} notices carry no attachment")
    name, mime, body = found
    return web.Response(
        body=body,
        content_type=mime,
        headers={"Content-Disposition": content_disposition(name)},
    )


def copy_json(copy: archive.Copy) -> dict[str, Any]:
    """An archived copy of what was sent (:func:`bridge.notices.archive.copies`): the file, the
    version it is of, when it was handed over (the sidecar's; for an archive older than
    sidecars the file's last write) and when the relay accepted it (null: not known accepted),
    the recipient, Message-ID and Date, who approved it, its size and SHA-256."""
    side = copy.sidecar or {}

    def said(key: str) -> Any:
        value = side.get(key)
        return value if isinstance(value, str) else None

    return {
        "file": copy.file,
        "version": copy.version,
        "copy": copy.n,
        "handed_over_at": _time(said("handed_over_at")) or format_time(copy.written_at),
        "sent_at": _time(said("sent_at")),
        "written_at": format_time(copy.written_at),
        "recipient": copy.recipient,
        "message_id": copy.message_id,
        "date": copy.date,
        "approved_by": said("approved_by"),
        "content_hash": said("content_hash"),
        "size": copy.size,
        "sha256": copy.sha256,
    }


def _time(text: str | None) -> str | None:
    """A sidecar's ISO time as the API gives times (unreadable: None)."""
    if text is None:
        return None
    try:
        return format_time(datetime.fromisoformat(text))
    except ValueError:
        return None


async def _sent_read(
    request: web.Request, caller: Principal, draft: Draft, copy: archive.Copy | None = None
) -> None:
    """Audit a read of what was sent, before it is answered: ``privacy.read`` for a privacy
    draft (like every read of privacy data), else ``notice.read_sent``; a file's read names the
    file and the SHA-256 of the bytes served."""
    detail = {} if copy is None else {"file": copy.file, "sha256": copy.sha256}
    action = "privacy.read" if draft.track == "privacy" else archive.ACTION
    await request.app[keys.SERVICE].access_audit.record(
        caller.name,
        action,
        f"draft:{draft.id}",
        {"method": request.method, "path": request.path, **detail},
    )


def _archive_dir(request: web.Request) -> Path:
    return request.app[keys.SERVICE].loaded.config.notices.archive_dir


async def _from_archive(draft: Draft, read: Callable[..., _T], *args: Any) -> _T:
    """``read(*args)`` in a thread; a folder or file this process cannot read is a 503 (the
    reason in the log only: the answer names no path), never a 500."""
    try:
        return await asyncio.to_thread(read, *args)
    except OSError as exc:
        log.error("draft %s: the notices archive could not be read: %s", draft.id, exc)
        raise web.HTTPServiceUnavailable(
            text="the notices archive (notices.archive_dir) cannot be read here; see the log"
        ) from None


@routes.get("/api/v1/drafts/{id}/sent")
async def sent_copies(request: web.Request) -> web.Response:
    """The archived copies of the draft's messages (empty: nothing handed over yet)."""
    draft, caller = await _draft(request, audited=False)
    found = await _from_archive(draft, archive.copies, _archive_dir(request), draft.id)
    await _sent_read(request, caller, draft)
    return web.json_response({"draft": draft.id, "sent": [copy_json(c) for c in found]})


@routes.get("/api/v1/drafts/{id}/sent/{file}")
async def sent_copy(request: web.Request) -> web.Response:
    """The exact bytes of one archived copy, a name :func:`sent_copies` lists (else 404)."""
    draft, caller = await _draft(request, audited=False)
    name = request.match_info["file"]
    found = await _from_archive(draft, archive.read_copy, _archive_dir(request), draft.id, name)
    if found is None:
        if draft.track == "privacy":  # every read of privacy data is audited, a miss too
            await _sent_read(request, caller, draft)
        raise web.HTTPNotFound(
            text=f"{name[:80]!r} is not archived for draft {draft.id}: "
            f"GET /api/v1/drafts/{draft.id}/sent lists what is"
        )
    copy, raw = found
    await _sent_read(request, caller, draft, copy)
    return web.Response(
        body=raw,
        content_type="message/rfc822",
        headers={"Content-Disposition": content_disposition(copy.file)},
    )


@routes.post("/api/v1/drafts/{id}/approve")
async def approve_draft(request: web.Request) -> web.Response:
    draft, caller = await _draft(request)
    body = await body_of(request)
    factor_at = await second_factor(request, body)
    send_unknown = body.get("send_unknown", [])
    if not isinstance(send_unknown, list) or not all(isinstance(k, str) for k in send_unknown):
        raise BadInput("send_unknown", "expected a list of field keys")
    confirm_carried = body.get("confirm_carried", [])
    if not isinstance(confirm_carried, list) or not all(
        isinstance(k, str) for k in confirm_carried
    ):
        raise BadInput("confirm_carried", "expected a list of field keys")
    if "incomplete_ok" in body:
        raise BadInput(
            "incomplete_ok",
            "no longer taken: name each field still to complete in send_unknown (it is then "
            "sent to the regulator as not yet known)",
        )
    changed = await request.app[keys.SERVICE].desk.approve(
        draft.id,
        int_field(body, "version"),
        caller.name,
        str_field(body, "comment"),
        send_unknown,
        attested(factor_at),
        confirm_carried,
        str_field(body, "late_reason"),
    )
    return web.json_response(detail(changed))


@routes.post("/api/v1/drafts/{id}/reject")
async def reject_draft(request: web.Request) -> web.Response:
    draft, caller = await _draft(request)
    body = await body_of(request)
    changed = await request.app[keys.SERVICE].desk.reject(
        draft.id, str_field(body, "reason", required=True), caller.name
    )
    return web.json_response(detail(changed))


@routes.post("/api/v1/drafts/{id}/resolve")
async def resolve_draft(request: web.Request) -> web.Response:
    draft, caller = await _draft(request)
    body = await body_of(request)
    factor_at = await second_factor(request, body)
    changed = await request.app[keys.SERVICE].desk.resolve(
        draft.id,
        str_field(body, "action", required=True),
        str_field(body, "comment"),
        caller.name,
        attested(factor_at),
    )
    return web.json_response(detail(changed))


_RECEIPT_LIMIT = "notices.receipt_max_bytes"
_SUBMISSION_KEYS = ("submitted_at", "reference", "receipt", "totp")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")


def receipt_of(value: object, limit: int) -> dict[str, Any] | None:
    """``receipt``: ``{name, media_type, content_base64}`` (at most ``limit`` bytes decoded), or
    absent; kept with its size and SHA-256. 400 naming the sub-field; 413 when too large."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadInput("receipt", "expected an object {name, media_type, content_base64}")
    known_fields(value, ("name", "media_type", "content_base64"))
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise BadInput("receipt.name", "expected a file name (1–200 characters)")
    media_type = value.get("media_type", "application/octet-stream")
    if not isinstance(media_type, str) or not _MEDIA_TYPE.match(media_type):
        raise BadInput("receipt.media_type", "expected a media type such as application/pdf")
    encoded = value.get("content_base64")
    if not isinstance(encoded, str) or not encoded:
        raise BadInput("receipt.content_base64", "expected the file's bytes in base64")
    if len(encoded) > (limit * 4) // 3 + 4:
        raise TooLarge("receipt.content_base64", f"over {limit} bytes", _RECEIPT_LIMIT)
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("receipt.content_base64", "not valid base64") from None
    if len(content) > limit:
        raise TooLarge("receipt.content_base64", f"over {limit} bytes", _RECEIPT_LIMIT)
    return {
        "name": file_name(name),
        "media_type": media_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "content_base64": base64.b64encode(content).decode("ascii"),
    }


@routes.post("/api/v1/drafts/{id}/submission")
async def record_submission(request: web.Request) -> web.Response:
    draft, caller = await _draft(request)
    body = await body_of(request)
    known_fields(body, _SUBMISSION_KEYS)
    service = request.app[keys.SERVICE]
    submitted_at = instant_field(body, "submitted_at", service.clock.now())
    reference = str_field(body, "reference", required=True)
    receipt = receipt_of(body.get("receipt"), service.loaded.config.notices.receipt_max_bytes)
    factor_at = await second_factor(request, body)
    changed = await service.desk.record_submission(
        draft.id, submitted_at, reference, caller.name, receipt, attested(factor_at)
    )
    return web.json_response(detail(changed))


@routes.get("/api/v1/drafts/{id}/receipt")
async def submission_receipt(request: web.Request) -> web.Response:
    draft, _ = await _draft(request)
    receipt = None if draft.submission is None else draft.submission.receipt
    if receipt is None:
        raise web.HTTPNotFound(text=f"no receipt recorded for draft {draft.id}")
    return web.Response(
        body=base64.b64decode(receipt["content_base64"]),
        content_type="application/octet-stream",
        headers={"Content-Disposition": content_disposition(receipt["name"])},
    )
