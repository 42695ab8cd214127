"""Casebook (bridge.store.interfaces) on every store in ``STORES``: one atomic counter numbers
the records (concurrent openers, from two store instances on the same data, never share a
number and an incident never gets two); writes are compare-and-set with their audit entries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from store_kit import T0

from bridge.errors import Conflict
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, CasebookRecord


def entry(action: str, incident: str = "inc-a") -> AuditEntry:
    return AuditEntry(T0, "anna", action, f"incident:{incident}", {"incident": incident})


async def test_opening_numbers_records_once_and_in_order(store: Store):
    """The first open creates revision 1 with the next number and an empty document; opening
    again returns it unchanged; get and list read what is stored."""
    first = await store.open_casebook("inc-a", T0)
    assert first == CasebookRecord("inc-a", 1, 1, T0, {})
    second = await store.open_casebook("inc-b", T0 + timedelta(minutes=1))
    assert second.number == 2
    assert await store.open_casebook("inc-a", T0 + timedelta(hours=1)) == first
    assert await store.get_casebook("inc-a") == first
    assert await store.get_casebook("nope") is None
    assert [r.incident_id for r in await store.list_casebooks()] == ["inc-a", "inc-b"]
    assert await store.casebooks(["inc-b", "nope", "inc-a"]) == {"inc-a": first, "inc-b": second}
    assert await store.casebooks([]) == {}


async def test_opening_many_at_once_numbers_the_new_ones_in_the_order_given(store: Store):
    """One call opens several: the ones that have a record keep it, the new ones are numbered
    in the order given (a repeated id once)."""
    first = await store.open_casebook("inc-b", T0)
    got = await store.open_casebooks(["inc-c", "inc-b", "inc-a", "inc-c"], T0)
    assert got["inc-b"] == first
    assert (got["inc-c"].number, got["inc-a"].number) == (2, 3)
    assert await store.open_casebooks([], T0) == {}
    assert [r.incident_id for r in await store.list_casebooks()] == ["inc-b", "inc-c", "inc-a"]


async def test_concurrent_openers_on_two_instances_never_share_a_number(
    make: Callable[[], Awaitable[Store]],
):
    """Two store instances on the same data open 30 incidents, each twice one by one and twice
    in a batch, all concurrently: 30 records numbered 1 to 30, each incident one number
    whichever call won."""
    one, two = await make(), await make()
    await one.open()
    await two.open()
    try:
        ids = [f"inc-{n:02d}" for n in range(30)]
        calls = [s.open_casebook(i, T0) for i in ids for s in (one, two)]
        batches = [s.open_casebooks(ids[::-1], T0) for s in (one, two)]
        results = await asyncio.gather(*calls, *batches)
        opened = [r for r in results if isinstance(r, CasebookRecord)]
        for batch in results:
            if isinstance(batch, dict):
                opened.extend(batch.values())
        by_id: dict[str, set[int]] = {}
        for r in opened:
            by_id.setdefault(r.incident_id, set()).add(r.number)
        assert all(len(numbers) == 1 for numbers in by_id.values())
        assert sorted(n for (n,) in by_id.values()) == list(range(1, 31))
        assert [r.number for r in await one.list_casebooks()] == list(range(1, 31))
    finally:
        await one.close()
        await two.close()


async def test_a_write_needs_the_stored_revision_and_keeps_its_audit(store: Store):
    """A write with the stored revision lands with its audit entries; a stale, unknown or
    renumbered one is a Conflict and writes nothing, audit entries included."""
    opened = await store.open_casebook("inc-a", T0)
    titled = replace(
        opened,
        revision=2,
        updated_at=T0 + timedelta(minutes=1),
        document={"title": "Fiberbrudd Ullevål åäø"},
    )
    await store.put_casebook(titled, 1, [entry("incident.renamed")])
    assert await store.get_casebook("inc-a") == titled
    with pytest.raises(Conflict, match="changed meanwhile"):
        await store.put_casebook(replace(titled, document={"title": "stale"}), 1, [entry("x")])
    with pytest.raises(Conflict, match="does not exist"):
        await store.put_casebook(replace(titled, incident_id="inc-x"), 1, [entry("y")])
    with pytest.raises(Conflict, match="does not follow"):
        await store.put_casebook(replace(titled, revision=5), 2, [entry("z")])
    with pytest.raises(Conflict, match="number"):
        await store.put_casebook(replace(titled, revision=3, number=9), 2, [entry("w")])
    assert await store.get_casebook("inc-a") == titled
    assert [e.action for e in await store.audit_log()] == ["incident.renamed"]
    assert [e.action for e in await store.audit_log(target="incident:inc-a")] == [
        "incident.renamed"
    ]


async def test_records_survive_reopening(make: Callable[[], Awaitable[Store]]):
    """What was written, and the counter, are there after the store is closed and opened
    again: the next record gets the next number."""
    s = await make()
    await s.open()
    opened = await s.open_casebook("inc-a", T0)
    await s.put_casebook(replace(opened, revision=2, document={"notes": [1]}), 1, [])
    await s.close()
    again = await make()
    await again.open()
    try:
        assert (await again.get_casebook("inc-a")) == replace(
            opened, revision=2, document={"notes": [1]}
        )
        assert (await again.open_casebook("inc-b", T0)).number == 2
    finally:
        await again.close()
