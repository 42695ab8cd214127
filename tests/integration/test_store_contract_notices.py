"""The Store contract for notices: drafts with optimistic concurrency and the append-only audit
log, run on every implementation in ``STORES`` (test_store_contract.py)."""

# ruff: noqa: F811  (the contract fixtures are imported, then named as parameters)
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from test_store_contract import make, store  # noqa: F401  (fixtures, one per store)

from bridge.errors import Conflict
from bridge.store.base import AuditEntry, DraftRecord, Store

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


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
    await store.put_draft(draft(1), None, [entry("draft.created")])
    got = await store.get_draft("d-1")
    assert got == draft(1)
    assert got.updated_at.tzinfo is not None
    assert await store.get_draft("nope") is None


async def test_draft_write_needs_the_stored_revision(store: Store):
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


async def test_audit_log_is_ordered_paged_and_filtered(store: Store):
    await store.append_audit([entry(f"a{i}", minute=i) for i in range(5)])
    await store.append_audit([entry("other", target="incident:x", minute=9)])
    await store.append_audit([])
    log = await store.audit_log()
    assert [e.action for e in log] == ["other", "a4", "a3", "a2", "a1", "a0"]
    seqs = [e.seq for e in log]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 6 and min(seqs) > 0
    page = await store.audit_log(limit=2, before_seq=log[1].seq)
    assert [e.action for e in page] == ["a3", "a2"]
    assert [e.action for e in await store.audit_log(target="incident:x")] == ["other"]
    first = log[-1]
    assert first.at == T0 and first.actor == "token:ops" and first.detail == {"v": 0}


async def test_drafts_and_audit_survive_reopen(make):
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
