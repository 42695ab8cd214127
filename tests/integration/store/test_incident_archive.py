"""IncidentArchive (bridge.store.interfaces) on every store in ``STORES``: records upserted and
read back unchanged. Fenced writes: test_lease.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

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


def _record(n: int, state: str, settled_at: datetime | None = None) -> IncidentRecord:
    return IncidentRecord(
        id=f"inc-{n:03d}",
        key=f"topo:site-{n % 3}",
        started_at=T0 + timedelta(hours=n // 2),  # two records share each start
        state=state,
        episodes=[(f"fp{n}", T0)],
        merged_into=None,
        document={"id": f"inc-{n:03d}"},
        settled_at=settled_at,
    )


async def test_live_incidents_are_the_unsettled_and_the_recently_settled(store: Store):
    """live_incidents gives records with no settled_at or settled at or after ``since``, by
    start; settling, or opening again, moves a record in or out."""
    day = timedelta(days=1)
    records = [
        _record(0, "closed", T0),
        _record(1, "closed", T0 + 3 * day),
        _record(2, "open"),
        _record(3, "closed"),  # closed but still owing
    ]
    await store.save_incidents(records)
    live = await store.live_incidents(T0 + 2 * day)
    assert [r.id for r in live] == ["inc-001", "inc-002", "inc-003"]
    assert live[0] == records[1]
    assert [r.id for r in await store.live_incidents(T0 + 3 * day)] == [
        "inc-001",
        "inc-002",
        "inc-003",
    ]
    # inc-003 settles long ago, inc-000 is open again (a late alert)
    await store.save_incidents(
        [replace(records[3], settled_at=T0), replace(records[0], state="open", settled_at=None)]
    )
    assert [r.id for r in await store.live_incidents(T0 + 2 * day)] == [
        "inc-000",
        "inc-001",
        "inc-002",
    ]


async def test_incident_pages_run_newest_first_by_start_then_id(store: Store):
    """incident_page walks (started_at, id) downwards, filtered by state; a start that moves
    earlier moves the record in the order."""
    records = [_record(n, "open" if n % 4 == 0 else "closed") for n in range(12)]
    await store.save_incidents(records)
    newest_first = sorted(records, key=lambda r: (r.started_at, r.id), reverse=True)
    seen: list[IncidentRecord] = []
    before = None
    while page := await store.incident_page("all", before, 5):
        seen += page
        before = (page[-1].started_at, page[-1].id)
    assert seen == newest_first
    closed = await store.incident_page("closed", None, 100)
    assert [r.id for r in closed] == [r.id for r in newest_first if r.state == "closed"]
    opened = await store.incident_page("open", (records[8].started_at, records[8].id), 100)
    assert [r.id for r in opened] == ["inc-004", "inc-000"]
    moved = replace(records[11], started_at=T0 - timedelta(days=1))
    await store.save_incidents([moved])
    assert (await store.incident_page("all", None, 100))[-1] == moved
    assert len(await store.incident_page("all", None, 100)) == 12
