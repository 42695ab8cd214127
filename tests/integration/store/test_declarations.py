"""DeclarationStore (bridge.store.interfaces) on every store in ``STORES``: a person's
declaration of an incident's significance, under the revision check with its audit entries in
the same write, never deletable."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_kit import T0

from bridge.errors import Conflict
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, DeclarationRecord
from bridge.store.sqlite import SqliteStore


def record(rev: int, significant: bool = True, id_: str = "inc-20261123-a") -> DeclarationRecord:
    return DeclarationRecord(
        id=id_,
        revision=rev,
        updated_at=T0 + timedelta(minutes=rev),
        document={"incident": id_, "significant": significant, "reason": f"rev {rev} åäö"},
    )


def entry(action: str, id_: str = "inc-20261123-a") -> AuditEntry:
    return AuditEntry(T0, "anna", action, f"incident:{id_}", {"significant": True})


async def test_declaration_round_trip(store: Store):
    """A declaration reads back as written, with its audit entry."""
    assert await store.get_declaration("inc-20261123-a") is None
    await store.put_declaration(record(1, False), None, [entry("incident.declared")])
    await store.put_declaration(record(2), 1, [entry("incident.declared.2")])
    assert await store.get_declaration("inc-20261123-a") == record(2)
    log = await store.audit_log(target="incident:inc-20261123-a")
    assert [e.action for e in log] == ["incident.declared.2", "incident.declared"]


async def test_declaration_write_needs_the_stored_revision(store: Store):
    """A stale or duplicate write is a Conflict and writes nothing, audit entries included."""
    await store.put_declaration(record(1), None, [])
    with pytest.raises(Conflict, match="exists already"):
        await store.put_declaration(record(1), None, [entry("again")])
    with pytest.raises(Conflict, match="does not exist"):
        await store.put_declaration(record(2, id_="inc-x"), 1, [entry("nope")])
    with pytest.raises(Conflict, match="does not follow"):
        await store.put_declaration(record(5), 1, [])
    assert await store.audit_log() == []
    assert await store.get_declaration("inc-20261123-a") == record(1)


async def test_two_people_declaring_at_once_exactly_one_wins(store: Store):
    await store.put_declaration(record(1, False), None, [])
    results = await asyncio.gather(
        *(store.put_declaration(record(2), 1, [entry(f"w{i}")]) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)
    assert len(await store.audit_log()) == 1


async def test_list_declarations_by_incident_id(store: Store):
    await store.put_declaration(record(1, id_="inc-b"), None, [])
    await store.put_declaration(record(1, id_="inc-a"), None, [])
    await store.put_declaration(record(2, False, id_="inc-a"), 1, [])
    assert [(r.id, r.revision) for r in await store.list_declarations()] == [
        ("inc-a", 2),
        ("inc-b", 1),
    ]


async def test_sqlite_refuses_deleting_a_declaration(tmp_path: Path):
    """Even a DELETE written by hand against the file is refused by the schema's trigger."""
    path = tmp_path / "d.sqlite3"
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await store.put_declaration(record(1), None, [])
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            conn.execute("DELETE FROM declarations")
    finally:
        conn.close()
