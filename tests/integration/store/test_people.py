"""PeopleStore (bridge.store.interfaces) on every store in ``STORES``: users and API tokens under
compare-and-set with their audit entries, sessions by id hash, per user and by expiry."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from store_kit import T0

from bridge.errors import Conflict
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, SessionRecord, TokenRecord, UserRecord


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
