"""DraftStore (bridge.store.interfaces) on every store in ``STORES``: drafts with optimistic
concurrency, written with their audit entries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from store_kit import T0

from bridge.errors import Conflict
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, DraftRecord


def draft(rev: int, state: str = "draft", incident: str = "inc-1", id_: str = "d-1") -> DraftRecord:
    return DraftRecord(
        id=id_,
        incident_id=incident,
        state=state,
        revision=rev,
        updated_at=T0 + timedelta(minutes=rev),
        document={"id": id_, "text": f"rev {rev} åäö", "nested": {"n": rev}},
    )


def entry(action: str, target: str = "draft:d-1", minute: int = 0) -> AuditEntry:
    return AuditEntry(T0 + timedelta(minutes=minute), "token:ops", action, target, {"v": minute})


async def test_draft_round_trip(store: Store):
    """A draft reads back as written (times aware); an unknown id reads as None."""
    await store.put_draft(draft(1), None, [entry("draft.created")])
    got = await store.get_draft("d-1")
    assert got == draft(1)
    assert got.updated_at.tzinfo is not None
    assert await store.get_draft("nope") is None


async def test_draft_write_needs_the_stored_revision(store: Store):
    """A draft write compares and sets the revision; a refused one appends no audit entry."""
    await store.put_draft(draft(1), None, [])
    with pytest.raises(Conflict, match="exists already"):
        await store.put_draft(draft(1), None, [entry("again")])
    await store.put_draft(draft(2, "approved"), 1, [entry("draft.approved")])
    with pytest.raises(Conflict, match="changed meanwhile"):
        await store.put_draft(draft(2, "rejected"), 1, [entry("draft.rejected")])
    with pytest.raises(Conflict, match="does not exist"):
        await store.put_draft(draft(2, id_="d-9"), 1, [])
    with pytest.raises(Conflict):  # revision must be expected + 1
        await store.put_draft(draft(5), 2, [])
    got = await store.get_draft("d-1")
    assert got is not None and got.state == "approved" and got.revision == 2
    # a refused write appends none of its audit entries
    assert [e.action for e in await store.audit_log()] == ["draft.approved"]


async def test_concurrent_writers_exactly_one_wins(store: Store):
    """Concurrent writes of one revision: exactly one wins and only its audit entry is kept."""
    await store.put_draft(draft(1), None, [])
    results = await asyncio.gather(
        *(store.put_draft(draft(2, f"s{i}"), 1, [entry(f"w{i}")]) for i in range(8)),
        return_exceptions=True,
    )
    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)
    got = await store.get_draft("d-1")
    assert got is not None and got.state == f"s{winners[0]}"
    assert [e.action for e in await store.audit_log()] == [f"w{winners[0]}"]


async def test_list_drafts_filters(store: Store):
    """Drafts list by id, filtered by incident and/or states; no states lists none."""
    await store.put_draft(draft(1, "draft", "inc-1", "d-a"), None, [])
    await store.put_draft(draft(1, "sent", "inc-1", "d-b"), None, [])
    await store.put_draft(draft(1, "draft", "inc-2", "d-c"), None, [])
    assert [d.id for d in await store.list_drafts()] == ["d-a", "d-b", "d-c"]
    assert [d.id for d in await store.list_drafts(incident_id="inc-1")] == ["d-a", "d-b"]
    assert [d.id for d in await store.list_drafts(states={"draft"})] == ["d-a", "d-c"]
    assert [d.id for d in await store.list_drafts("inc-1", {"sent", "held"})] == ["d-b"]
    assert await store.list_drafts(states=set()) == []
    await store.put_draft(draft(2, "sent", "inc-1", "d-a"), 1, [])
    assert [d.id for d in await store.list_drafts(states={"draft"})] == ["d-c"]


async def test_drafts_of_some_cases(store: Store):
    """drafts_of gives every draft of the cases asked, whatever their state, by id."""
    await store.put_draft(draft(1, "draft", "inc-1", "d-a"), None, [])
    await store.put_draft(draft(1, "sent", "inc-1", "d-b"), None, [])
    await store.put_draft(draft(1, "sent", "inc-2", "d-c"), None, [])
    await store.put_draft(draft(1, "draft", "priv-3", "d-d"), None, [])
    got = await store.drafts_of(["inc-1", "priv-3", "inc-none"])
    assert [d.id for d in got] == ["d-a", "d-b", "d-d"]
    assert got[1] == draft(1, "sent", "inc-1", "d-b")
    assert await store.drafts_of([]) == []


async def test_drafts_and_audit_survive_reopen(make):
    """Drafts and audit entries are durable across a close and reopen."""
    s = await make()
    await s.open()
    await s.put_draft(draft(1), None, [entry("draft.created")])
    await s.close()
    s = await make()
    await s.open()
    try:
        assert await s.get_draft("d-1") == draft(1)
        assert [e.action for e in await s.audit_log()] == ["draft.created"]
    finally:
        await s.close()
