"""IncidentArchive (bridge.store.interfaces) on every store in ``STORES``: records upserted and
read back unchanged. Fenced writes: test_lease.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from store_kit import T0

from bridge.store.interfaces import Store
from bridge.store.records import IncidentRecord


async def test_incidents_round_trip(store: Store):
    """save_incidents upserts records that load_incidents and get_incident return unchanged."""
    record = IncidentRecord(
        id="inc-1",
        key="topo:site",
        started_at=T0,
        state="open",
        episodes=[("a", T0), ("b", T0 + timedelta(seconds=1))],
        merged_into=None,
        document={"id": "inc-1", "impact": {"current": 5}, "name": "Östersund"},
    )
    await store.save_incidents([record])
    assert await store.get_incident("inc-1") == record
    closed = replace(record, state="closed", merged_into="inc-0", document={"id": "inc-1"})
    await store.save_incidents([closed])
    assert await store.load_incidents() == [closed]
    assert await store.get_incident("missing") is None
