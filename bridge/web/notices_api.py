"""HTTP API for notice drafts and the audit log (DESIGN.md: ``/api/v1/drafts…``, ``/audit``).

Roles are checked per draft track (``outage`` for Nkom/PTS reports, ``privacy`` later):
viewer reads, editor edits, approver approves, rejects and settles messages in doubt; the audit
log needs ``admin`` or ``auditor``. Every change names the version it is based on; a stale one
answers 409 with what changed, so two people never overwrite each other silently.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.core import casework
from bridge.core.alerts import format_time
from bridge.core.casework import Draft
from bridge.core.drafts import LABELS, LANGUAGES, PLACEHOLDERS
from bridge.errors import BadInput
from bridge.web.auth import Principal


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
        },
        "sent_at": format_time(draft.sent_at),
        "message_id": draft.message_id,
    }


def version_json(draft: Draft, version: casework.Version) -> dict[str, Any]:
    language = LANGUAGES[draft.regulator]
    labels = LABELS[language]
    return {
        "number": version.number,
        "created_at": format_time(version.created_at),
        "author": version.author,
        "reason": version.reason,
        "recipient": version.recipient,
        "subject": version.subject,
        "fields": [
            {
                "key": key,
                "label": labels.get(key, key),
                "value": value,
                "edited": key in version.edited,
                "to_complete": key in version.to_complete,
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
    }


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise BadInput("body", f"not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadInput("body", "expected a JSON object")
    return body


def int_field(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(name, f"expected the version number (an integer), got {value!r}")
    return value


def str_field(body: dict[str, Any], name: str, required: bool = False) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadInput(name, f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise BadInput(name, "required")
    return value


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


def actor(principal: Principal) -> str:
    return principal.name
