"""PrivacyRegister (bridge.store.interfaces) on every store in ``STORES``: revision checks with
their audit entries in the same write, every revision kept, nothing deletable."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_kit import T0

from bridge.errors import Conflict
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, PrivacyCaseRecord
from bridge.store.sqlite import SqliteStore


def case(rev: int, state: str = "open", id_: str = "priv-20261123-a") -> PrivacyCaseRecord:
    return PrivacyCaseRecord(
        id=id_,
        state=state,
        revision=rev,
        updated_at=T0 + timedelta(minutes=rev),
        document={"id": id_, "state": state, "description": f"rev {rev} åäö", "n": [rev]},
    )


def entry(action: str, id_: str = "priv-20261123-a") -> AuditEntry:
    return AuditEntry(T0, "token:ops", action, f"privacy:{id_}", {"case": id_})


async def test_privacy_case_round_trip_and_revisions_kept(store: Store):
    """A case reads back as written; every revision is kept, oldest first."""
    await store.put_privacy_case(case(1), None, [entry("privacy.opened")])
    await store.put_privacy_case(case(2, "closed"), 1, [entry("privacy.closed")])
    assert await store.get_privacy_case("priv-20261123-a") == case(2, "closed")
    assert await store.get_privacy_case("nope") is None
    assert await store.privacy_case_revisions("priv-20261123-a") == [case(1), case(2, "closed")]
    assert await store.privacy_case_revisions("nope") == []
    log = await store.audit_log(target="privacy:priv-20261123-a")
    assert [e.action for e in log] == ["privacy.closed", "privacy.opened"]


async def test_privacy_case_write_needs_the_stored_revision(store: Store):
    """A stale or duplicate write is a Conflict and writes nothing, audit entries included."""
    await store.put_privacy_case(case(1), None, [])
    with pytest.raises(Conflict, match="exists already"):
        await store.put_privacy_case(case(1), None, [entry("again")])
    await store.put_privacy_case(case(2), 1, [entry("edited")])
    with pytest.raises(Conflict, match="changed meanwhile"):
        await store.put_privacy_case(case(2, "closed"), 1, [entry("stale")])
    with pytest.raises(Conflict, match="does not exist"):
        await store.put_privacy_case(case(2, id_="priv-x"), 1, [])
    with pytest.raises(Conflict, match="does not follow"):
        await store.put_privacy_case(case(5), 2, [])
    assert [e.action for e in await store.audit_log()] == ["edited"]
    assert len(await store.privacy_case_revisions("priv-20261123-a")) == 2


async def test_two_writers_of_one_case_exactly_one_wins(store: Store):
    """Concurrent edits of the same revision: one wins, the others conflict."""
    await store.put_privacy_case(case(1), None, [])
    results = await asyncio.gather(
        *(store.put_privacy_case(case(2, f"s{i}"), 1, [entry(f"w{i}")]) for i in range(6)),
        return_exceptions=True,
    )
    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)
    assert [e.action for e in await store.audit_log()] == [f"w{winners[0]}"]


async def test_list_privacy_cases_is_the_register_ordered_by_id(store: Store):
    """Every case ever written is listed, latest revision, by id; the store offers no delete."""
    await store.put_privacy_case(case(1, id_="priv-b"), None, [])
    await store.put_privacy_case(case(1, id_="priv-a"), None, [])
    await store.put_privacy_case(case(2, "closed", id_="priv-a"), 1, [])
    assert [(c.id, c.revision) for c in await store.list_privacy_cases()] == [
        ("priv-a", 2),
        ("priv-b", 1),
    ]
    # the interface has no way to remove a case: only sessions and what retention prunes
    # (episodes, deliveries, truncation counts, drafts, incidents: test_retention.py) are
    # ever deleted
    removers = [n for n in dir(store) if any(w in n for w in ("delete", "remove", "prune", "drop"))]
    retention = {
        "prune_episodes",
        "prune_deliveries",
        "prune_truncation",
        "prune_drafts",
        "prune_incidents",
    }
    assert removers and all("session" in n or n in retention for n in removers), removers


async def test_privacy_cases_survive_reopen(make):
    """Cases and their revisions are durable across a close and reopen."""
    s = await make()
    await s.open()
    await s.put_privacy_case(case(1), None, [entry("privacy.opened")])
    await s.close()
    s = await make()
    await s.open()
    try:
        assert await s.get_privacy_case("priv-20261123-a") == case(1)
        assert len(await s.privacy_case_revisions("priv-20261123-a")) == 1
    finally:
        await s.close()


async def test_sqlite_refuses_to_delete_from_the_register(tmp_path: Path):
    """Even a DELETE written by hand against the file is refused by the schema's triggers."""
    path = tmp_path / "r.sqlite3"
    s = SqliteStore(f"sqlite:///{path}")
    await s.open()
    await s.put_privacy_case(case(1), None, [])
    await s.close()
    conn = sqlite3.connect(path)
    try:
        for sql in (
            "DELETE FROM privacy_cases",
            "DELETE FROM privacy_case_revisions",
            "UPDATE privacy_case_revisions SET document='{}'",
        ):
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM privacy_cases").fetchone() == (1,)
    finally:
        conn.close()
