"""Redis's people (schema 4). Keys (``P`` = prefix): ``P users`` and ``P tokens`` (hashes: name
or id → JSON of :mod:`bridge.store.record_codec`) with ``P users:rev`` and ``P tokens:rev`` (id
→ revision), ``P tokens:by-hash`` (SHA-256 of the secret → id), ``P tokens:used`` (id → last
use, ts text compared as text), ``P tokens:live-names`` (schema 13: id → the name each live
token holds, :attr:`~bridge.store.records.TokenRecord.live_name`; ``lua/put_token.lua`` refuses
a name another live token holds in the same script); ``P sessions`` (hash: id hash → JSON),
``P sessions:by-user:U`` (set of id hashes) and ``P sessions:expiry`` (sorted set scored by the
absolute end, epoch seconds). Sessions are the one thing (with the lease, on release) ever
deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from bridge.store.codec import opt_parse_ts, ts
from bridge.store.record_codec import TOKEN_BESIDE, USER_BESIDE, decode, encode
from bridge.store.records import AuditEntry, SessionRecord, TokenRecord, UserRecord
from bridge.store.redis.guards import RevisedDocuments, audit_args, opt_arg
from bridge.store.redis.replies import raise_if_conflict, text
from bridge.store.revisions import check_revision, name_taken

#: the keys of lua/put_token.lua, after the schema's (``P`` + each)
_TOKEN_KEYS = (
    "tokens",
    "tokens:rev",
    "audit:seq",
    "audit",
    "tokens:by-hash",
    "tokens:live-names",
)


def expiry_score(at: datetime) -> float:
    """Seconds since the epoch: the score sessions are ordered by for pruning."""
    return at.timestamp()


class RedisPeople(RevisedDocuments):
    """:class:`bridge.store.interfaces.PeopleStore` on Redis."""

    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        await self._put_revised(
            "put_user",
            "users",
            f"user {user.name}",
            user.name,
            user.revision,
            expected_revision,
            encode(user, omit=USER_BESIDE),
            "",
            audit,
        )

    async def get_user(self, name: str) -> UserRecord | None:
        async def read(c: aioredis.Redis) -> tuple[Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                pipe.hget(self._key("users"), name)
                pipe.hget(self._key("users:rev"), name)
                doc, rev = await pipe.execute()
            return doc, rev

        doc, rev = await self._call("get_user", read)
        return None if doc is None else decode(doc, UserRecord, revision=int(rev))

    async def list_users(self) -> list[UserRecord]:
        async def read(c: aioredis.Redis) -> tuple[Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._key("users"))
                pipe.hgetall(self._key("users:rev"))
                docs, revs = await pipe.execute()
            return docs, revs

        docs, revs = await self._call("list_users", read)
        users = [decode(doc, UserRecord, revision=int(revs[name])) for name, doc in docs.items()]
        return sorted(users, key=lambda u: u.name)

    async def put_session(self, session: SessionRecord) -> None:
        await self._write(
            "put_session",
            "put_session",
            [self._key("sessions"), self._key("sessions:expiry")],
            [
                self.prefix,
                session.id_hash,
                session.user,
                encode(session),
                repr(expiry_score(session.expires_at)),
            ],
        )

    async def get_session(self, id_hash: str) -> SessionRecord | None:
        doc = await self._call("get_session", lambda c: c.hget(self._key("sessions"), id_hash))
        return None if doc is None else decode(doc, SessionRecord)

    async def _delete_sessions(self, op: str, mode: str, value: str) -> int:
        n = await self._write(
            op,
            "delete_sessions",
            [self._key("sessions"), self._key("sessions:expiry")],
            [self.prefix, mode, value],
        )
        return int(n)

    async def delete_session(self, id_hash: str) -> None:
        await self._delete_sessions("delete_session", "id", id_hash)

    async def delete_user_sessions(self, user: str) -> int:
        return await self._delete_sessions("delete_user_sessions", "user", user)

    async def prune_sessions(self, now: datetime) -> int:
        return await self._delete_sessions("prune_sessions", "expired", repr(expiry_score(now)))

    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"token {token.id}"
        check_revision(what, token.revision, expected_revision)
        keys = [self._key(k) for k in _TOKEN_KEYS]
        live_name = token.live_name
        args = [
            self.prefix,
            token.id,
            opt_arg(expected_revision),
            str(token.revision),
            encode(token, omit=TOKEN_BESIDE),
            token.token_hash,
            "" if live_name is None else "live",
            live_name or "",
            *audit_args(audit),
        ]
        result = await self._write("put_token", "put_token", keys, args)
        raise_if_conflict(result, what, expected_revision)
        if isinstance(result, list) and result and text(result[0]) == "taken":
            raise name_taken(token, text(result[1]))

    async def _read_tokens(self, op: str, ids: list[str] | None) -> list[TokenRecord]:
        async def read(c: aioredis.Redis) -> tuple[Any, Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                if ids is None:
                    pipe.hgetall(self._key("tokens"))
                else:
                    pipe.hmget(self._key("tokens"), ids)
                pipe.hgetall(self._key("tokens:rev"))
                pipe.hgetall(self._key("tokens:used"))
                docs, revs, used = await pipe.execute()
            return docs, revs, used

        docs, revs, used = await self._call(op, read)
        pairs = list(docs.items()) if ids is None else list(zip(ids, docs, strict=True))
        tokens = [
            decode(
                doc, TokenRecord, revision=int(revs[tid]), last_used_at=opt_parse_ts(used.get(tid))
            )
            for tid, doc in pairs
            if doc is not None
        ]
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

    async def get_token(self, token_id: str) -> TokenRecord | None:
        found = await self._read_tokens("get_token", [token_id])
        return found[0] if found else None

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        token_id = await self._call(
            "find_token", lambda c: c.hget(self._key("tokens:by-hash"), token_hash)
        )
        if token_id is None:
            return None
        found = await self._read_tokens("find_token", [text(token_id)])
        return found[0] if found else None

    async def list_tokens(self) -> list[TokenRecord]:
        return await self._read_tokens("list_tokens", None)

    async def touch_token(self, token_id: str, at: datetime) -> None:
        await self._write(
            "touch_token", "touch_token", [self._key("tokens:used")], [token_id, ts(at)]
        )
