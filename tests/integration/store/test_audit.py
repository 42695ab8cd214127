"""AuditLog (bridge.store.interfaces) on every store in ``STORES``: append-only, newest first,
paged by seq and filtered by target. Entries written with a draft: test_draft_store.py."""

from __future__ import annotations

from datetime import timedelta

from store_kit import T0

from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry


def entry(action: str, target: str = "draft:d-1", minute: int = 0) -> AuditEntry:
    return AuditEntry(T0 + timedelta(minutes=minute), "token:ops", action, target, {"v": minute})


async def test_audit_log_is_ordered_paged_and_filtered(store: Store):
    """The log reads newest first by growing seq, pages by before_seq, filters by target."""
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
