"""SQLite's people: ``users`` (name, revision, document), ``sessions`` (id hash, user and
``expires_at`` as ts text beside the document, so expiry compares as text) and ``api_tokens``
(id, hash of the secret, creation time, revision and ``last_used_at`` beside the document),
with ``api_token_names`` (schema 13: id → the name each live token holds,
:attr:`~bridge.store.records.TokenRecord.live_name`). Users and tokens are written under the
revision check with their audit entries; a token's write also checks, in its transaction
(``BEGIN IMMEDIATE``: other writers, other processes too, wait for it), that no other live
token holds its name, and keeps ``api_token_names``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bridge.store.codec import opt_parse_ts, ts
from bridge.store.record_codec import TOKEN_BESIDE, USER_BESIDE, decode, encode
from bridge.store.records import AuditEntry, SessionRecord, TokenRecord, UserRecord
from bridge.store.revisions import check_revision, name_taken
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.guards import (
    audit_rows,
    check_stored_revision,
    insert_audit,
    upsert,
    write_revised,
)

_USER_COLUMNS = ("name", "revision", "document")
_TOKEN_COLUMNS = ("id", "token_hash", "created_at", "revision", "document")
_UPDATED = ("revision", "document")  # a token's hash and creation never change


class SqlitePeople(SqliteConnection):
    """:class:`bridge.store.interfaces.PeopleStore` on SQLite."""

    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"user {user.name}"
        check_revision(what, user.revision, expected_revision)
        row = (user.name, user.revision, encode(user, omit=USER_BESIDE))
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            write_revised(
                conn, "users", _USER_COLUMNS, _UPDATED, row, expected_revision, what, entries
            )

        await self._write("put_user", apply)

    async def get_user(self, name: str) -> UserRecord | None:
        row = await self._read(
            "get_user",
            lambda c: c.execute(
                "SELECT document, revision FROM users WHERE name=?", (name,)
            ).fetchone(),
        )
        return decode(row[0], UserRecord, revision=int(row[1])) if row else None

    async def list_users(self) -> list[UserRecord]:
        rows = await self._read(
            "list_users",
            lambda c: c.execute("SELECT document, revision FROM users ORDER BY name").fetchall(),
        )
        return [decode(r[0], UserRecord, revision=int(r[1])) for r in rows]

    async def put_session(self, session: SessionRecord) -> None:
        row = (session.id_hash, session.user, ts(session.expires_at), encode(session))
        await self._write(
            "put_session",
            lambda c: c.execute(
                "INSERT OR REPLACE INTO sessions(id_hash, user, expires_at, document) "
                "VALUES (?,?,?,?)",
                row,
            ),
        )

    async def get_session(self, id_hash: str) -> SessionRecord | None:
        row = await self._read(
            "get_session",
            lambda c: c.execute(
                "SELECT document FROM sessions WHERE id_hash=?", (id_hash,)
            ).fetchone(),
        )
        return decode(row[0], SessionRecord) if row else None

    async def delete_session(self, id_hash: str) -> None:
        await self._write(
            "delete_session",
            lambda c: c.execute("DELETE FROM sessions WHERE id_hash=?", (id_hash,)),
        )

    async def delete_user_sessions(self, user: str) -> int:
        return await self._write(
            "delete_user_sessions",
            lambda c: c.execute("DELETE FROM sessions WHERE user=?", (user,)).rowcount,
        )

    async def prune_sessions(self, now: datetime) -> int:
        return await self._write(
            "prune_sessions",
            lambda c: c.execute("DELETE FROM sessions WHERE expires_at <= ?", (ts(now),)).rowcount,
        )

    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"token {token.id}"
        check_revision(what, token.revision, expected_revision)
        live_name = token.live_name
        row = (
            token.id,
            token.token_hash,
            ts(token.created_at),
            token.revision,
            encode(token, omit=TOKEN_BESIDE),
        )
        entries = audit_rows(audit)

        def apply(conn: sqlite3.Connection) -> None:
            check_stored_revision(conn, "api_tokens", "id", token.id, expected_revision, what)
            if live_name is None:
                conn.execute("DELETE FROM api_token_names WHERE id=?", (token.id,))
            else:
                holder = _other_holder(conn, token.id, live_name)
                if holder is not None:
                    raise name_taken(token, holder)
                conn.execute(
                    "INSERT OR REPLACE INTO api_token_names(id, live_name) VALUES (?,?)",
                    (token.id, live_name),
                )
            conn.execute(upsert("api_tokens", _TOKEN_COLUMNS, _UPDATED), row)
            insert_audit(conn, entries)

        await self._write("put_token", apply)

    async def _tokens(self, op: str, where: str, params: tuple[Any, ...]) -> list[TokenRecord]:
        sql = (
            "SELECT document, revision, last_used_at FROM api_tokens"
            f"{where} ORDER BY created_at, id"
        )
        rows = await self._read(op, lambda c: c.execute(sql, params).fetchall())
        return [
            decode(r[0], TokenRecord, revision=int(r[1]), last_used_at=opt_parse_ts(r[2]))
            for r in rows
        ]

    async def get_token(self, token_id: str) -> TokenRecord | None:
        found = await self._tokens("get_token", " WHERE id=?", (token_id,))
        return found[0] if found else None

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        found = await self._tokens("find_token", " WHERE token_hash=?", (token_hash,))
        return found[0] if found else None

    async def list_tokens(self) -> list[TokenRecord]:
        return await self._tokens("list_tokens", "", ())

    async def touch_token(self, token_id: str, at: datetime) -> None:
        await self._write(
            "touch_token",
            lambda c: c.execute(
                "UPDATE api_tokens SET last_used_at=? WHERE id=? "
                "AND (last_used_at IS NULL OR last_used_at < ?)",
                (ts(at), token_id, ts(at)),
            ),
        )


def _other_holder(conn: sqlite3.Connection, token_id: str, live_name: str) -> str | None:
    """Another live token holding ``live_name`` (the least id), unless the stored ``token_id``
    holds it already (tokens sharing a name from before schema 13 keep it), or None."""
    held = conn.execute("SELECT live_name FROM api_token_names WHERE id=?", (token_id,)).fetchone()
    if held is not None and held[0] == live_name:
        return None
    other = conn.execute(
        "SELECT id FROM api_token_names WHERE live_name=? AND id<>? ORDER BY id LIMIT 1",
        (live_name, token_id),
    ).fetchone()
    return None if other is None else str(other[0])
