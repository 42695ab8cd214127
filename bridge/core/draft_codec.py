"""A draft as a JSON document (what a store keeps) and back, exactly. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bridge.core.casework import EMAIL, Approval, Attempt, Draft, Submission, Version


def _t(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _p(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_dict(draft: Draft) -> dict[str, Any]:
    """The JSON document a store keeps (and :func:`from_dict` reads back exactly)."""
    return {
        "id": draft.id,
        "incident_id": draft.incident_id,
        "regulator": draft.regulator,
        "kind": draft.kind,
        "round": draft.round,
        "track": draft.track,
        "state": draft.state,
        "revision": draft.revision,
        "created_at": _t(draft.created_at),
        "updated_at": _t(draft.updated_at),
        "versions": [
            {
                "number": v.number,
                "created_at": _t(v.created_at),
                "author": v.author,
                "reason": v.reason,
                "fields": [[k, value] for k, value in v.fields.items()],  # order is meaning
                "edited": list(v.edited),
                "facts": v.facts,
                "recipient": v.recipient,
                "subject": v.subject,
                "text": v.text,
                "html": v.html,
                "to_complete": list(v.to_complete),
                **({"repealed": v.repealed} if v.repealed else {}),
                **({"reference": v.reference} if v.reference else {}),
                **({"reference_note": v.reference_note} if v.reference_note else {}),
                **({"to_review": list(v.to_review)} if v.to_review else {}),
                **({"saved": list(v.saved)} if v.saved else {}),
            }
            for v in draft.versions
        ],
        "trigger": {k: _t(v) for k, v in draft.trigger.items()},
        "snapshot": draft.snapshot,
        "approval": None
        if draft.approval is None
        else {
            "version": draft.approval.version,
            "by": draft.approval.by,
            "at": _t(draft.approval.at),
            "content_hash": draft.approval.content_hash,
            "comment": draft.approval.comment,
            # only when known (approvals stored before it was kept have none)
            **(
                {"second_factor_at": _t(draft.approval.second_factor_at)}
                if draft.approval.second_factor_at is not None
                else {}
            ),
            **({"due_at": _t(draft.approval.due_at)} if draft.approval.due_at else {}),
            **({"late_reason": draft.approval.late_reason} if draft.approval.late_reason else {}),
        },
        "attempts": [
            {"at": _t(a.at), "outcome": a.outcome, "detail": a.detail} for a in draft.attempts
        ],
        "next_attempt_at": _t(draft.next_attempt_at),
        "message_id": draft.message_id,
        "sent_at": _t(draft.sent_at),
        "flag": draft.flag,
        # written only when they say something (older drafts' stored form is unchanged)
        **({"channel": draft.channel} if draft.channel != EMAIL else {}),
        **({"submission": _submission(draft.submission)} if draft.submission else {}),
    }


def _submission(s: Submission) -> dict[str, Any]:
    return {
        "at": _t(s.at),
        "reference": s.reference,
        "by": s.by,
        "recorded_at": _t(s.recorded_at),
        "version": s.version,
        "receipt": s.receipt,
    }


def _submission_of(d: Mapping[str, Any] | None) -> Submission | None:
    if not d:
        return None
    return Submission(
        at=datetime.fromisoformat(d["at"]),
        reference=d["reference"],
        by=d["by"],
        recorded_at=datetime.fromisoformat(d["recorded_at"]),
        version=int(d["version"]),
        receipt=d.get("receipt"),
    )


def from_dict(d: Mapping[str, Any]) -> Draft:
    approval = d.get("approval")
    return Draft(
        id=d["id"],
        incident_id=d["incident_id"],
        regulator=d["regulator"],
        kind=d["kind"],
        round=int(d["round"]),
        track=d["track"],
        state=d["state"],
        revision=int(d["revision"]),
        created_at=datetime.fromisoformat(d["created_at"]),
        updated_at=datetime.fromisoformat(d["updated_at"]),
        versions=tuple(
            Version(
                number=int(v["number"]),
                created_at=datetime.fromisoformat(v["created_at"]),
                author=v["author"],
                reason=v["reason"],
                fields={k: value for k, value in v["fields"]},
                edited=tuple(v["edited"]),
                facts=v["facts"],
                recipient=v["recipient"],
                subject=v["subject"],
                text=v["text"],
                html=v["html"],
                to_complete=tuple(v["to_complete"]),
                repealed=v.get("repealed", ""),
                reference=v.get("reference", ""),
                reference_note=v.get("reference_note", ""),
                to_review=tuple(v.get("to_review") or ()),
                saved=tuple(v.get("saved") or ()),
            )
            for v in d["versions"]
        ),
        trigger={k: datetime.fromisoformat(v) for k, v in (d.get("trigger") or {}).items()},
        snapshot=dict(d.get("snapshot") or {}),
        approval=None
        if approval is None
        else Approval(
            version=int(approval["version"]),
            by=approval["by"],
            at=datetime.fromisoformat(approval["at"]),
            content_hash=approval["content_hash"],
            comment=approval.get("comment", ""),
            second_factor_at=_p(approval.get("second_factor_at")),
            due_at=_p(approval.get("due_at")),
            late_reason=approval.get("late_reason", ""),
        ),
        attempts=tuple(
            Attempt(datetime.fromisoformat(a["at"]), a["outcome"], a.get("detail", ""))
            for a in d.get("attempts") or ()
        ),
        next_attempt_at=_p(d.get("next_attempt_at")),
        message_id=d.get("message_id"),
        sent_at=_p(d.get("sent_at")),
        flag=d.get("flag"),
        channel=d.get("channel", EMAIL),
        submission=_submission_of(d.get("submission")),
    )
