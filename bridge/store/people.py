"""Stored text of users, sessions and API tokens, shared by every store (same bytes in SQLite
and Redis). ``revision`` and a token's ``last_used_at`` live beside the document (each store
keeps them where its compare-and-set and its touch can reach them), so they are not in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.store.base import SessionRecord, TokenRecord, UserRecord
from bridge.store.codec import dumps, loads, opt_parse_ts, opt_ts, parse_ts, ts


def user_json(u: UserRecord) -> str:
    return dumps(
        {
            "name": u.name,
            "display_name": u.display_name,
            "password_hash": u.password_hash,
            "grants": list(u.grants),
            "created_at": ts(u.created_at),
            "updated_at": ts(u.updated_at),
            "totp_secret": u.totp_secret,
            "totp_enrolled": u.totp_enrolled,
            "totp_last_step": u.totp_last_step,
            "disabled": u.disabled,
            "failed_logins": u.failed_logins,
            "locked_until": opt_ts(u.locked_until),
        }
    )


def user_from(text: str | bytes, revision: int) -> UserRecord:
    d: dict[str, Any] = loads(text)
    return UserRecord(
        name=d["name"],
        display_name=d["display_name"],
        password_hash=d["password_hash"],
        grants=tuple(d["grants"]),
        created_at=parse_ts(d["created_at"]),
        updated_at=parse_ts(d["updated_at"]),
        revision=revision,
        totp_secret=d["totp_secret"],
        totp_enrolled=bool(d["totp_enrolled"]),
        totp_last_step=int(d["totp_last_step"]),
        disabled=bool(d["disabled"]),
        failed_logins=int(d["failed_logins"]),
        locked_until=opt_parse_ts(d["locked_until"]),
    )


def session_json(s: SessionRecord) -> str:
    return dumps(
        {
            "id_hash": s.id_hash,
            "user": s.user,
            "created_at": ts(s.created_at),
            "last_seen": ts(s.last_seen),
            "expires_at": ts(s.expires_at),
            "csrf_token": s.csrf_token,
            "second_factor_done": s.second_factor_done,
            "address": s.address,
        }
    )


def session_from(text: str | bytes) -> SessionRecord:
    d: dict[str, Any] = loads(text)
    return SessionRecord(
        id_hash=d["id_hash"],
        user=d["user"],
        created_at=parse_ts(d["created_at"]),
        last_seen=parse_ts(d["last_seen"]),
        expires_at=parse_ts(d["expires_at"]),
        csrf_token=d["csrf_token"],
        second_factor_done=bool(d["second_factor_done"]),
        address=d.get("address", ""),
    )


def token_json(t: TokenRecord) -> str:
    return dumps(
        {
            "id": t.id,
            "name": t.name,
            "token_hash": t.token_hash,
            "grants": list(t.grants),
            "created_at": ts(t.created_at),
            "created_by": t.created_by,
            "revoked_at": opt_ts(t.revoked_at),
        }
    )


def token_from(text: str | bytes, revision: int, last_used_at: datetime | None) -> TokenRecord:
    d: dict[str, Any] = loads(text)
    return TokenRecord(
        id=d["id"],
        name=d["name"],
        token_hash=d["token_hash"],
        grants=tuple(d["grants"]),
        created_at=parse_ts(d["created_at"]),
        created_by=d["created_by"],
        revision=revision,
        revoked_at=opt_parse_ts(d["revoked_at"]),
        last_used_at=last_used_at,
    )


def expiry_score(at: datetime) -> float:
    """Seconds since the epoch: the score sessions are ordered by for pruning."""
    return at.timestamp()
