"""AlertLog (bridge.store.interfaces) on every store in ``STORES``: ingest merges like the core,
deliveries and truncation are kept, and change numbers let a replica read what another stored."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from builders import alert, webhook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_kit import STORES, T0, StoreFactory, delivery

from bridge.core.alerts import merge_episode, parse_webhook
from bridge.store.interfaces import Store
from bridge.store.records import DeliveryRecord


async def test_ingest_returns_what_is_stored(store: Store):
    """ingest returns the merged episodes and load_episodes reads back the same values."""
    stored = await store.ingest(delivery(alert("a", T0, element="x")), T0)
    assert [ep.fingerprint for ep in stored] == ["a"]
    loaded = await store.load_episodes()
    assert loaded == stored
    assert loaded[0].starts_at.tzinfo is not None
    assert loaded[0].labels == {"alertname": "Down", "element": "x"}


async def test_duplicate_delivery_changes_only_last_seen(store: Store):
    """The same delivery twice leaves one episode whose last_seen moved and nothing else."""
    d = delivery(alert("a", T0))
    await store.ingest(d, T0)
    later = T0 + timedelta(minutes=5)
    again = parse_webhook(webhook(alert("a", T0)), later)
    stored = await store.ingest(again, later)
    assert len(await store.load_episodes()) == 1
    assert stored[0].first_seen == T0
    assert stored[0].last_seen == later
    assert stored[0].status == "firing"


@pytest.mark.parametrize("order", ["resolve-last", "resolve-first"])
async def test_resolve_wins_in_any_order(store: Store, order: str):
    """A resolve and a stale firing of the same episode end resolved whatever the order."""
    firing = delivery(alert("a", T0))
    resolved = delivery(alert("a", T0, status="resolved", ends_at=T0 + timedelta(minutes=3)))
    first, second = (firing, resolved) if order == "resolve-last" else (resolved, firing)
    await store.ingest(first, T0)
    await store.ingest(second, T0 + timedelta(minutes=1))
    (ep,) = await store.load_episodes()
    assert ep.status == "resolved"
    assert ep.ends_at == T0 + timedelta(minutes=3)


async def test_concurrent_ingests_are_all_durable(store: Store):
    """Many concurrent ingests all complete and every episode is stored exactly once."""
    deliveries = [delivery(alert(f"fp{i}", T0), alert("shared", T0)) for i in range(60)]
    await asyncio.gather(*(store.ingest(d, T0) for d in deliveries))
    episodes = await store.load_episodes()
    assert sorted(ep.fingerprint for ep in episodes) == sorted(
        [f"fp{i}" for i in range(60)] + ["shared"]
    )
    assert len(await store.recent_deliveries(1000)) == 60


async def test_truncation_is_kept_per_group(store: Store):
    """The latest truncatedAlerts per group key is kept and read back."""
    await store.ingest(delivery(alert("a", T0), truncated=5, group="g1"), T0)
    await store.ingest(delivery(alert("b", T0), truncated=2, group="g2"), T0)
    later = T0 + timedelta(minutes=1)
    await store.ingest(delivery(alert("a", T0), at=later, truncated=0, group="g1"), later)
    assert await store.load_truncation() == {"g1": 0, "g2": 2}
    recent = await store.recent_deliveries(10)
    assert recent[0].truncated == 0 and recent[-1].truncated == 5


async def test_only_truncated_groups_keep_a_count(store: Store):
    """A group never truncated leaves no count (ingest or re-send); a zero clears a count
    (kept as a zero, so that a replica hears it), which an earlier delivery arriving late
    does not bring back, and a later one can set again."""
    at = [T0 + timedelta(minutes=m) for m in range(5)]
    sent = delivery(alert("a", T0), truncated=0, group="plain")
    _, change = await store.ingest_numbered(sent, at[0])
    again = delivery(alert("a", T0), at=at[1], truncated=0, group="plain")
    assert await store.seen_again(change, 1, DeliveryRecord.of(again, at[1])) is not None
    assert await store.load_truncation() == {}
    await store.ingest(delivery(alert("b", T0), at=at[1], truncated=4, group="cut"), at[1])
    assert await store.load_truncation() == {"cut": 4}
    await store.ingest(delivery(alert("b", T0), at=at[3], truncated=0, group="cut"), at[3])
    assert await store.load_truncation() == {"cut": 0}
    await store.ingest(delivery(alert("b", T0), at=at[2], truncated=7, group="cut"), at[2])
    assert await store.load_truncation() == {"cut": 0}  # the later delivery wins
    await store.ingest(delivery(alert("b", T0), at=at[4], truncated=1, group="cut"), at[4])
    assert await store.load_truncation() == {"cut": 1}


@pytest.mark.parametrize(
    "known",
    [
        pytest.param(range(0), id="all-new"),
        pytest.param(range(0, 1200, 7), id="every-seventh-known"),
        pytest.param(range(600, 700), id="known-in-the-second-chunk"),
        pytest.param(range(1200), id="all-known"),
    ],
)
async def test_a_large_delivery_returns_each_episode_as_stored(store: Store, known: range):
    """A delivery larger than one write (the SQLite store writes 500 rows at a time) with new
    and known episodes anywhere in it: ingest returns each episode as stored, which is the
    core's merge of what was stored before and what came."""
    resolved_at = T0 + timedelta(minutes=2)
    before = delivery(
        *(
            alert(f"fp{i:04d}", T0, status="resolved", ends_at=resolved_at, annotations={"n": "1"})
            for i in known
        )
    )
    if known:
        await store.ingest(before, T0)
    later = T0 + timedelta(minutes=5)
    now = delivery(
        *(alert(f"fp{i:04d}", T0, annotations={"n": "2"}) for i in range(1200)), at=later
    )
    returned = await store.ingest(now, later)
    held = {ep.key: ep for ep in before.episodes} if known else {}
    expected = sorted(
        (merge_episode(held.get(ep.key), ep) for ep in now.episodes), key=lambda e: e.key
    )
    assert sorted(returned, key=lambda e: e.key) == expected
    assert sorted(await store.load_episodes(), key=lambda e: e.key) == expected
    assert sum(ep.status == "resolved" for ep in expected) == len(known)


_observations = st.lists(
    st.tuples(
        st.sampled_from(["firing", "resolved"]),
        st.integers(1, 4),  # ends_at offset (minutes) for a resolve
        st.integers(0, 3),  # received at offset (minutes)
        st.sampled_from(["a", "b"]),  # annotation text
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_observations, st.randoms(use_true_random=False))
def test_store_merge_equals_the_core_merge_in_any_order(observations, rnd):  # type: ignore[no-untyped-def]
    """Whatever order observations of one episode arrive in, every store keeps exactly what
    folding them with core merge_episode gives."""
    episodes = []
    for status, end, seen, note in observations:
        body = alert(
            "fp",
            T0,
            status=status,
            ends_at=T0 + timedelta(minutes=end) if status == "resolved" else None,
            annotations={"summary": note},
        )
        received = T0 + timedelta(minutes=seen)
        episodes.append((parse_webhook(webhook(body), received), received))
    rnd.shuffle(episodes)
    expected = None
    folds = []  # what each ingest returns: the merge of everything stored so far
    for d, _ in episodes:
        expected = merge_episode(expected, d.episodes[0])
        folds.append(expected)
    for name, factory in STORES.items():
        with tempfile.TemporaryDirectory() as folder:

            async def run(factory: StoreFactory = factory, folder: str = folder) -> tuple:  # type: ignore[type-arg]
                store = await factory(Path(folder))
                await store.open()
                try:
                    returned = [(await store.ingest(d, received))[0] for d, received in episodes]
                    return returned, await store.load_episodes()
                finally:
                    await store.close()

            returned, (stored,) = asyncio.run(run())
            distinct = len({received for _, received in episodes}) == len(episodes)
            for got, fold in zip(returned, folds, strict=True):
                assert (got.status, got.ends_at, got.first_seen, got.last_seen, got.labels) == (
                    fold.status,
                    fold.ends_at,
                    fold.first_seen,
                    fold.last_seen,
                    fold.labels,
                ), name
                if distinct:
                    assert got.annotations == fold.annotations, name
            assert expected is not None
            assert (stored.status, stored.ends_at, stored.first_seen, stored.last_seen) == (
                expected.status,
                expected.ends_at,
                expected.first_seen,
                expected.last_seen,
            ), name
            if distinct:
                assert stored.annotations == expected.annotations, name


async def test_episodes_since_returns_each_change_once_in_order(store: Store):
    """episodes_since gives each change once, as now stored; cursor 0 gives everything."""
    first, cursor0 = await store.episodes_since(0)
    assert first == []
    await store.ingest(delivery(alert("fp1", T0), alert("fp2", T0)), T0)
    got, cursor1 = await store.episodes_since(cursor0)
    assert sorted(e.fingerprint for e in got) == ["fp1", "fp2"]
    assert cursor1 > cursor0
    assert await store.episodes_since(cursor1) == ([], cursor1)
    # a later delivery that changes fp1 gives fp1 (as now stored: resolved), not fp2
    ends = T0 + timedelta(minutes=5)
    resolved = alert("fp1", T0, status="resolved", ends_at=ends)
    await store.ingest(delivery(resolved, at=ends), ends)
    got, cursor2 = await store.episodes_since(cursor1)
    assert [(e.fingerprint, e.status) for e in got] == [("fp1", "resolved")]
    assert cursor2 > cursor1
    # cursor 0 gives everything, as stored now
    everything, top = await store.episodes_since(0)
    assert {(e.fingerprint, e.status) for e in everything} == {
        ("fp1", "resolved"),
        ("fp2", "firing"),
    }
    assert top == cursor2


async def test_latest_change_is_the_cursor_episodes_since_gives(store: Store):
    """latest_change reads no episode and gives the cursor episodes_since would give now:
    0 on an empty store, each write's change number after it (a re-send's too), and it does
    not move on a refused re-send."""
    assert await store.latest_change() == 0 == (await store.episodes_since(0))[1]
    _, change = await store.ingest_numbered(delivery(alert("a", T0), alert("b", T0)), T0)
    assert await store.latest_change() == change == (await store.episodes_since(0))[1]
    later = T0 + timedelta(minutes=5)
    record = DeliveryRecord.of(delivery(alert("a", T0), alert("b", T0), at=later), later)
    again = await store.seen_again(change, 2, record)
    assert again is not None and again > change
    assert await store.latest_change() == again == (await store.episodes_since(change))[1]
    assert await store.seen_again(change, 3, record) is None
    assert await store.latest_change() == again
    _, third = await store.ingest_numbered(delivery(alert("c", T0), group="other"), later)
    assert await store.latest_change() == third == (await store.episodes_since(again))[1]


async def test_a_second_replica_sees_what_the_first_acknowledged(
    make: Callable[[], Awaitable[Store]],
):
    """A second store object on the same data sees what the first ingested."""
    a, b = await make(), await make()
    await a.open()
    await b.open()
    try:
        _, cursor = await b.episodes_since(0)
        await a.ingest(delivery(alert("fp-a", T0)), T0)
        got, _ = await b.episodes_since(cursor)
        assert [e.fingerprint for e in got] == ["fp-a"]
    finally:
        await a.close()
        await b.close()


async def test_live_episodes_are_the_firing_and_the_recently_resolved(store: Store):
    """live_episodes gives what is firing or resolved at or after ``since`` (as now stored,
    a re-fire or resolve moving it), with the change number read up to; get_episodes reads
    older ones by key."""
    day = timedelta(days=1)
    old_end, new_end = T0 + timedelta(hours=1), T0 + 3 * day
    await store.ingest(
        delivery(
            alert("old", T0, status="resolved", ends_at=old_end),
            alert("new", T0, status="resolved", ends_at=new_end),
            alert("up", T0),
            alert("later", T0 + day),
            at=new_end,
        ),
        new_end,
    )
    live, cursor = await store.live_episodes(T0 + 2 * day)
    assert sorted(e.fingerprint for e in live) == ["later", "new", "up"]
    assert await store.episodes_since(cursor) == ([], cursor)
    # exactly at the boundary counts as live
    live, _ = await store.live_episodes(new_end)
    assert "new" in {e.fingerprint for e in live}
    # "up" resolves long ago (a lost resolve arriving late): it leaves the live set
    await store.ingest(
        delivery(alert("up", T0, status="resolved", ends_at=old_end), at=T0 + 4 * day),
        T0 + 4 * day,
    )
    live, cursor2 = await store.live_episodes(T0 + 2 * day)
    assert sorted(e.fingerprint for e in live) == ["later", "new"]
    assert cursor2 > cursor
    got = await store.get_episodes([("old", T0), ("up", T0), ("missing", T0)])
    assert sorted((e.fingerprint, e.status) for e in got) == [
        ("old", "resolved"),
        ("up", "resolved"),
    ]
    assert await store.get_episodes([]) == []


async def test_a_resend_keeps_its_groups_truncation_as_a_delivery_does(store: Store):
    """A re-send's truncation count is its group's latest like any delivery's: a zero clears
    the count another delivery of the group set meanwhile (unless that one came later), and a
    count replaces it."""
    at = [T0 + timedelta(minutes=m) for m in range(5)]
    sent = delivery(alert("a", T0), truncated=0, group="g")
    _, change = await store.ingest_numbered(sent, at[0])
    await store.ingest(delivery(alert("b", T0), at=at[2], truncated=4, group="g"), at[2])
    assert await store.load_truncation() == {"g": 4}
    early = DeliveryRecord.of(delivery(alert("a", T0), at=at[1], truncated=0, group="g"), at[1])
    change = await store.seen_again(change, 1, early)
    assert change is not None
    assert await store.load_truncation() == {"g": 4}  # the later delivery wins
    again = DeliveryRecord.of(delivery(alert("a", T0), at=at[3], truncated=0, group="g"), at[3])
    change = await store.seen_again(change, 1, again)
    assert change is not None
    assert await store.load_truncation() == {"g": 0}
    cut = DeliveryRecord.of(delivery(alert("a", T0), at=at[4], truncated=2, group="g"), at[4])
    assert await store.seen_again(change, 1, cut) is not None
    assert await store.load_truncation() == {"g": 2}


async def test_seen_again_leaves_what_ingesting_the_same_group_again_would(
    make: Callable[[], Awaitable[Store]], request: pytest.FixtureRequest, tmp_path: Path
):
    """A group re-sent unchanged, recorded by seen_again, leaves every episode, the delivery
    log and the truncation exactly as ingesting the same delivery again does (on a second
    store given the same history), and numbers the change so a replica learns of it."""
    fast = await make()
    full = await STORES[request.node.callspec.params["make"]](tmp_path / "full")
    sent = [
        alert("a", T0),
        alert("b", T0, status="resolved", ends_at=T0 + timedelta(minutes=2)),
    ]
    later = T0 + timedelta(minutes=5)
    await fast.open()
    try:
        stored, change = await fast.ingest_numbered(delivery(*sent, truncated=3), T0)
        assert [ep.fingerprint for ep in stored] == ["a", "b"]
        _, cursor = await fast.episodes_since(0)
        again = delivery(*sent, at=later, truncated=3)
        moved = await fast.seen_again(change, 2, DeliveryRecord.of(again, later))
        assert moved is not None and moved > change
        got, top = await fast.episodes_since(cursor)
        assert sorted(ep.fingerprint for ep in got) == ["a", "b"]
        assert top == moved
        state = (
            sorted(await fast.load_episodes(), key=lambda ep: ep.fingerprint),
            await fast.recent_deliveries(10),
            await fast.load_truncation(),
        )
    finally:
        await fast.close()
    # the same history on another store of the same kind, the re-send ingested in full
    await full.open()
    try:
        await full.ingest(delivery(*sent, truncated=3), T0)
        await full.ingest(delivery(*sent, at=later, truncated=3), later)
        expected = (
            sorted(await full.load_episodes(), key=lambda ep: ep.fingerprint),
            await full.recent_deliveries(10),
            await full.load_truncation(),
        )
    finally:
        await full.close()
    assert state == expected
    assert [ep.last_seen for ep in state[0]] == [later, later]
    assert [ep.first_seen for ep in state[0]] == [T0, T0]


async def test_seen_again_writes_nothing_once_an_episode_was_written_since(store: Store):
    """seen_again refuses (None, nothing written: no episode moves, no delivery recorded)
    when an episode of the change was written again since, or the count is not the number
    of episodes still carrying it; the refusal is what sends a body the full way."""
    _, change = await store.ingest_numbered(delivery(alert("a", T0), alert("b", T0)), T0)
    later = T0 + timedelta(minutes=5)
    record = DeliveryRecord.of(delivery(alert("a", T0), alert("b", T0), at=later), later)
    assert await store.seen_again(change, 3, record) is None  # count does not match
    ends = T0 + timedelta(minutes=1)
    resolved = alert("b", T0, status="resolved", ends_at=ends)
    await store.ingest(delivery(resolved, at=ends, group="other"), ends)
    before = (sorted(await store.load_episodes(), key=lambda ep: ep.fingerprint),)
    deliveries = await store.recent_deliveries(10)
    assert await store.seen_again(change, 2, record) is None  # b was written since
    assert (sorted(await store.load_episodes(), key=lambda ep: ep.fingerprint),) == before
    assert await store.recent_deliveries(10) == deliveries
    assert {ep.fingerprint: ep.last_seen for ep in before[0]} == {"a": T0, "b": ends}


async def test_re_sends_chain_survive_reopening_and_each_is_read_by_a_replica(
    make: Callable[[], Awaitable[Store]],
):
    """A group re-sent again and again: each seen_again names the episodes by the change
    number the previous one returned (an older one is refused), each re-send is read by a
    replica from the cursor before it (and only the re-sent episodes), the moved last_seen
    is what a restart loads, and a write to one alert since refuses the next re-send."""
    sent = [alert("a", T0), alert("b", T0)]
    s = await make()
    await s.open()
    try:
        await s.ingest(delivery(alert("other", T0)), T0)
        _, first = await s.ingest_numbered(delivery(*sent), T0)
        changes = [first]
        for minutes in (1, 2, 3):
            at = T0 + timedelta(minutes=minutes)
            _, cursor = await s.episodes_since(0)
            moved = await s.seen_again(changes[-1], 2, DeliveryRecord.of(delivery(*sent), at))
            assert moved is not None and moved > changes[-1]
            got, top = await s.episodes_since(cursor)
            assert sorted((ep.fingerprint, ep.last_seen) for ep in got) == [("a", at), ("b", at)]
            assert top == moved
            assert (await s.episodes_since(top))[0] == []
            changes.append(moved)
        later = T0 + timedelta(minutes=4)
        stale = DeliveryRecord.of(delivery(*sent), later)
        assert await s.seen_again(changes[-2], 2, stale) is None  # not the latest number
        assert await s.seen_again(first, 2, stale) is None
    finally:
        await s.close()
    last = T0 + timedelta(minutes=3)
    s = await make()
    await s.open()
    try:
        live, _ = await s.live_episodes(T0)
        seen = {ep.fingerprint: ep.last_seen for ep in live}
        assert seen == {"a": last, "b": last, "other": T0}
        assert {ep.fingerprint: ep.last_seen for ep in await s.load_episodes()} == seen
        got = await s.get_episodes([("a", T0)])
        assert [ep.last_seen for ep in got] == [last]
        later = T0 + timedelta(minutes=5)
        moved = await s.seen_again(changes[-1], 2, DeliveryRecord.of(delivery(*sent), later))
        assert moved is not None
        at = T0 + timedelta(minutes=6)
        await s.ingest(delivery(alert("b", T0), at=at, group="other"), at)
        refused = DeliveryRecord.of(delivery(*sent), at)
        assert await s.seen_again(moved, 2, refused) is None  # b was written since
        assert {ep.fingerprint: ep.last_seen for ep in await s.load_episodes()} == {
            "a": later,
            "b": at,
            "other": T0,
        }
    finally:
        await s.close()


async def test_writes_after_a_re_send_see_the_last_seen_it_left(
    make: Callable[[], Awaitable[Store]], request: pytest.FixtureRequest, tmp_path: Path
):
    """Writes that take over re-sent episodes merge with the last_seen the re-send left: an
    older delivery (another replica's, received earlier) neither moves last_seen back nor
    takes the display fields, a later one does; every read agrees with the same history on a
    store where the re-send was ingested in full."""
    sent = [alert("a", T0), alert("b", T0), alert("c", T0)]
    resent_at = T0 + timedelta(minutes=5)
    older, newer = T0 + timedelta(minutes=3), T0 + timedelta(minutes=6)
    changed = alert("a", T0, annotations={"summary": "older"})
    resolved = alert("b", T0, status="resolved", ends_at=T0 + timedelta(minutes=4))
    tail = [
        (delivery(changed, at=older, group="h"), older),
        (delivery(resolved, at=newer, group="h"), newer),
    ]

    async def reads(s: Store) -> tuple[object, ...]:
        def by_fp(eps: list) -> list:  # type: ignore[type-arg]
            return sorted(eps, key=lambda ep: ep.fingerprint)

        return (
            by_fp(await s.load_episodes()),
            by_fp((await s.live_episodes(T0))[0]),
            by_fp(await s.get_episodes([("a", T0), ("b", T0), ("c", T0)])),
            by_fp((await s.episodes_since(0))[0]),
        )

    fast = await make()
    await fast.open()
    try:
        _, change = await fast.ingest_numbered(delivery(*sent), T0)
        moved = await fast.seen_again(change, 3, DeliveryRecord.of(delivery(*sent), resent_at))
        assert moved is not None
        _, cursor = await fast.episodes_since(0)
        returned = [await fast.ingest(d, at) for d, at in tail]
        since = sorted((await fast.episodes_since(cursor))[0], key=lambda ep: ep.fingerprint)
        got = await reads(fast)
    finally:
        await fast.close()
    full = await STORES[request.node.callspec.params["make"]](tmp_path / "full")
    await full.open()
    try:
        await full.ingest(delivery(*sent), T0)
        await full.ingest(delivery(*sent, at=resent_at), resent_at)
        expected_returned = [await full.ingest(d, at) for d, at in tail]
        expected = await reads(full)
    finally:
        await full.close()
    assert returned == expected_returned
    assert got == expected
    assert [ep.fingerprint for ep in since] == ["a", "b"]
    a, b, c = got[0]  # type: ignore[index]
    assert (a.last_seen, a.annotations) == (resent_at, {})
    assert (b.last_seen, b.status) == (newer, "resolved")
    assert c.last_seen == resent_at
