"""PeopleStore (bridge.store.interfaces) on every store in ``STORES``: users and API tokens under
compare-and-set with their audit entries (one live token per name, in any case), sessions by id
hash, per user and by expiry."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest
import redis
from redis_server import shared_server
from store_kit import T0

from bridge.errors import Conflict, NameTaken
from bridge.store.codec import ts
from bridge.store.interfaces import SCHEMA_VERSION, Store
from bridge.store.record_codec import TOKEN_BESIDE, encode
from bridge.store.records import AuditEntry, SessionRecord, TokenRecord, UserRecord
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.migrations import MIGRATIONS, statements


def user(name: str = "alice", rev: int = 1, **changes: object) -> UserRecord:
    base = UserRecord(
        name=name,
        display_name="Alice Åberg",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        grants=("viewer", "approver:outage"),
        created_at=T0,
        updated_at=T0 + timedelta(minutes=rev),
        revision=rev,
        totp_secret="JBSWY3DPEHPK3PXP",
        totp_enrolled=True,
        totp_last_step=123,
        failed_logins=2,
        locked_until=T0 + timedelta(minutes=15),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def session(id_hash: str, who: str = "alice", hours: int = 12) -> SessionRecord:
    return SessionRecord(
        id_hash=id_hash,
        user=who,
        created_at=T0,
        last_seen=T0 + timedelta(minutes=1),
        expires_at=T0 + timedelta(hours=hours),
        csrf_token=f"csrf-{id_hash}",
        second_factor_done=False,
        address="192.0.2.7",
    )


def token(tid: str = "tok1", rev: int = 1, **changes: object) -> TokenRecord:
    base = TokenRecord(
        id=tid,
        name=f"grafana-{tid}",
        token_hash=f"hash-{tid}",
        grants=("viewer",),
        created_at=T0,
        created_by="alice",
        revision=rev,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def entry(action: str, target: str = "user:alice") -> AuditEntry:
    return AuditEntry(T0, "alice", action, target, {"n": 1})


async def test_user_round_trip_and_list(store: Store):
    """Every field comes back as written (times aware); users list by name."""
    await store.put_user(user("bob"), None, [entry("user.create", "user:bob")])
    await store.put_user(user("alice", locked_until=None), None, [])
    got = await store.get_user("bob")
    assert got == user("bob")
    assert got.locked_until is not None and got.locked_until.tzinfo is not None
    assert await store.get_user("nobody") is None
    assert [u.name for u in await store.list_users()] == ["alice", "bob"]
    assert [e.action for e in await store.audit_log()] == ["user.create"]


async def test_user_write_needs_the_stored_revision(store: Store):
    """A user write compares and sets the revision; a refused one appends no audit entry."""
    await store.put_user(user(), None, [])
    with pytest.raises(Conflict, match="exists already"):
        await store.put_user(user(), None, [entry("again")])
    await store.put_user(user(rev=2, disabled=True), 1, [entry("user.disable")])
    with pytest.raises(Conflict, match="changed meanwhile"):
        await store.put_user(user(rev=2), 1, [entry("user.enable")])
    with pytest.raises(Conflict):
        await store.put_user(user(rev=5), 2, [])
    got = await store.get_user("alice")
    assert got is not None and got.disabled and got.revision == 2
    assert [e.action for e in await store.audit_log()] == ["user.disable"]


async def test_a_pending_grant_is_kept_with_the_user_under_its_revision(store: Store):
    """A grant waiting for a second admin (the roles withheld, those kept meanwhile, who asked
    and when) comes back as written, in the list too; its confirmation is a revised write like
    any other, so a confirmation and a cancellation racing each other never both win; a user
    stored without one reads with none."""
    asked = T0 + timedelta(minutes=3)
    pending = user(
        grants=("viewer",),
        pending_roles=("approver", "admin:all"),
        pending_kept=("viewer",),
        pending_by="ops",
        pending_at=asked,
    )
    await store.put_user(pending, None, [entry("user.roles_requested")])
    got = await store.get_user("alice")
    assert got == pending and got is not None
    assert got.pending_at == asked and got.pending_at.tzinfo is not None
    assert await store.list_users() == [pending]
    cleared = {"pending_roles": (), "pending_kept": (), "pending_by": "", "pending_at": None}
    confirmed = replace(pending, grants=("approver", "admin:all"), revision=2, **cleared)
    cancelled = replace(pending, revision=2, **cleared)
    results = await asyncio.gather(
        store.put_user(confirmed, 1, [entry("user.roles_confirmed")]),
        store.put_user(cancelled, 1, [entry("user.roles_cancelled")]),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert await store.get_user("alice") in (confirmed, cancelled)
    assert len([e for e in await store.audit_log() if e.action != "user.roles_requested"]) == 1
    await store.put_user(user("bob"), None, [])
    bob = await store.get_user("bob")
    assert bob is not None and bob.pending_roles == () and bob.pending_at is None


async def test_concurrent_failure_counts_exactly_one_wins(store: Store):
    """Two replicas counting a failed sign-in at once: one write wins, the other must re-read."""
    await store.put_user(user(failed_logins=0), None, [])
    results = await asyncio.gather(
        *(store.put_user(user(rev=2, failed_logins=1), 1, [entry(f"w{i}")]) for i in range(6)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)


async def test_sessions_by_id_user_and_expiry(store: Store):
    """Sessions come back by id hash; are replaced whole; deleted one by one, per user, or
    once their absolute end has passed."""
    await store.put_session(session("s1"))
    await store.put_session(session("s2", hours=1))
    await store.put_session(session("s3", who="bob"))
    assert await store.get_session("s1") == session("s1")
    assert await store.get_session("nope") is None
    touched = replace(session("s1"), last_seen=T0 + timedelta(hours=2), second_factor_done=True)
    await store.put_session(touched)
    assert await store.get_session("s1") == touched
    assert await store.prune_sessions(T0 + timedelta(hours=1)) == 1
    assert await store.get_session("s2") is None
    assert await store.delete_user_sessions("alice") == 1
    assert await store.get_session("s1") is None
    assert await store.get_session("s3") is not None
    await store.delete_session("s3")
    assert await store.get_session("s3") is None
    assert await store.delete_user_sessions("bob") == 0


async def test_tokens_by_id_and_hash_revoke_and_touch(store: Store):
    """Tokens are found by id and by the hash of their secret; revoking is a revised write
    with its audit entry; last use only moves later."""
    await store.put_token(token("t2", created_at=T0 + timedelta(minutes=1)), None, [])
    await store.put_token(token("t1"), None, [entry("token.create", "token:t1")])
    assert await store.get_token("t1") == token("t1")
    found = await store.find_token("hash-t1")
    assert found is not None and found.id == "t1"
    assert await store.find_token("hash-none") is None
    assert await store.get_token("none") is None
    assert [t.id for t in await store.list_tokens()] == ["t1", "t2"]
    with pytest.raises(Conflict, match="exists already"):
        await store.put_token(token("t1"), None, [])
    revoked = token("t1", rev=2, revoked_at=T0 + timedelta(hours=1))
    await store.put_token(revoked, 1, [entry("token.revoke", "token:t1")])
    await store.touch_token("t1", T0 + timedelta(hours=2))
    await store.touch_token("t1", T0 + timedelta(hours=1))  # older: ignored
    got = await store.find_token("hash-t1")
    assert got == replace(revoked, last_used_at=T0 + timedelta(hours=2))
    assert [e.action for e in await store.audit_log()] == ["token.revoke", "token.create"]


async def test_schema_version_has_people(store: Store):
    """The store is migrated to the schema that holds people (3 on this branch)."""
    assert await store.schema_version() >= 3


async def test_two_tokens_made_at_once_under_one_name_leave_one_live(store: Store):
    """Six writers making a token under one new name at the same instant (two replicas, the
    CLI beside a bridge), in any case: exactly one is stored with its audit entry; the others
    are NameTaken naming ``name`` and the token that holds it, nothing written."""
    names = ["ci", "CI", "ci", "Ci", "ci", "cI"]
    made = [token(f"t{i}", name=name) for i, name in enumerate(names)]
    results = await asyncio.gather(
        *(store.put_token(t, None, [entry("token.create", f"token:{t.id}")]) for t in made),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1, results
    (winner,) = (t for t, r in zip(made, results, strict=True) if r is None)
    refused = [r for r in results if r is not None]
    assert all(isinstance(r, NameTaken) for r in refused), refused
    assert {(r.field, r.holder) for r in refused} == {("name", winner.id)}  # type: ignore[union-attr]
    assert await store.list_tokens() == [winner]
    assert [e.target for e in await store.audit_log()] == [f"token:{winner.id}"]


async def test_a_revoked_tokens_name_is_free_again(store: Store):
    """A live token's name (in any case) is refused to another token, also to one revoked
    earlier coming back live; writing the holder again keeps it; once revoked, the name is free
    and may be taken by a new token."""
    await store.put_token(token("t1", name="grafana"), None, [])
    with pytest.raises(NameTaken, match="t1") as refused:
        await store.put_token(token("t2", name="Grafana"), None, [entry("token.create")])
    assert refused.value.field == "name"
    await store.put_token(token("t1", rev=2, name="grafana", grants=("editor",)), 1, [])
    await store.put_token(token("old", name="grafana", revoked_at=T0), None, [])
    with pytest.raises(NameTaken):
        await store.put_token(token("old", rev=2, name="grafana"), 1, [])  # back to live
    await store.put_token(token("t1", rev=3, name="grafana", revoked_at=T0), 2, [])
    await store.put_token(token("t2", name="GRAFANA"), None, [entry("token.create")])
    with pytest.raises(NameTaken, match="t2"):
        await store.put_token(token("t3", name="grafana"), None, [])
    live = [t.id for t in await store.list_tokens() if t.revoked_at is None]
    assert live == ["t2"]
    assert [e.action for e in await store.audit_log()] == ["token.create"]


#: the last schema without one live token per name
BEFORE_ONE_NAME = 12


def plant_at_schema_12(store: Store, tokens: list[TokenRecord]) -> None:
    """``tokens`` stored as a bridge of schema 12 (which let live tokens share a name) left
    them: a SQLite file at that schema, Redis keys with its version."""
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        with conn:
            for step in range(1, BEFORE_ONE_NAME + 1):
                for statement in statements(MIGRATIONS[step]):
                    conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES('schema_version', ?)", (str(BEFORE_ONE_NAME),))
            conn.executemany(
                "INSERT INTO api_tokens(id, token_hash, created_at, revision, document) "
                "VALUES (?,?,?,?,?)",
                [
                    (t.id, t.token_hash, ts(t.created_at), t.revision,
                     encode(t, omit=TOKEN_BESIDE))
                    for t in tokens
                ],
            )  # fmt: skip
        conn.close()
        return
    assert isinstance(store, RedisStore)
    with redis.Redis(port=shared_server().port, decode_responses=True) as r:
        p = store.prefix
        for t in tokens:
            r.hset(p + "tokens", t.id, encode(t, omit=TOKEN_BESIDE))
            r.hset(p + "tokens:rev", t.id, str(t.revision))
            r.hset(p + "tokens:by-hash", t.token_hash, t.id)
        r.set(p + "schema", str(BEFORE_ONE_NAME))


async def test_live_tokens_sharing_a_name_before_the_rule_are_kept_and_the_name_refused(make):
    """A store written when live tokens could share a name (schema 12) opens: both stay live
    (revoking one is the operator's choice, not the upgrade's), a new token under the name, in
    any case, is refused while either lives, and once both are revoked the name is free. A
    revoked token's name was free all along."""
    legacy = [
        token("t1", name="grafana"),
        token("t2", name="Grafana", created_at=T0 + timedelta(minutes=1)),
        token("t3", name="ci", revoked_at=T0, created_at=T0 + timedelta(minutes=2)),
    ]
    store = await make()
    plant_at_schema_12(store, legacy)
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert await store.list_tokens() == legacy
        with pytest.raises(NameTaken):
            await store.put_token(token("t4", name="grafana"), None, [])
        await store.put_token(token("t5", name="ci"), None, [])
        await store.put_token(token("t2", rev=2, name="Grafana", grants=("editor",)), 1, [])
        await store.put_token(token("t1", rev=2, name="grafana", revoked_at=T0), 1, [])
        with pytest.raises(NameTaken, match="t2"):
            await store.put_token(token("t4", name="GRAFANA"), None, [])
        await store.put_token(token("t2", rev=3, name="Grafana", revoked_at=T0), 2, [])
        await store.put_token(token("t4", name="grafana"), None, [])
        live = [(t.id, t.name) for t in await store.list_tokens() if t.revoked_at is None]
        assert live == [("t4", "grafana"), ("t5", "ci")]
    finally:
        await store.close()
