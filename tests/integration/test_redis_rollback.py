"""Redis rolled back underneath (restarted from an older AOF/RDB, a failover to a lagging
replica), played with direct commands on the counters as /tmp/audit/rollback.py did: no
fencing token or change number a replica has seen is handed out again (lua/_floor.lua), so a
stale leader's fenced write is refused while another leads and a follower reads the new write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
from builders import WEBHOOK_TOKEN, alert, webhook, write_config
from redis_server import RedisServer

from bridge.core.alerts import parse_webhook
from bridge.errors import LeaseLost
from bridge.store.records import DraftRecord
from bridge.store.redis import RedisStore
from bridge.web.keys import SERVICE

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
P = "bridge:"  # the default prefix
HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
TTL = timedelta(seconds=30)


@pytest.fixture
def r(redis: RedisServer) -> Iterator[redis_py.Redis]:
    with redis_py.Redis(host="127.0.0.1", port=redis.port, decode_responses=True) as client:
        yield client


@pytest.fixture
async def pair(redis: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    a, b = RedisStore(redis.url()), RedisStore(redis.url())
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


def roll_back_last_write(r: redis_py.Redis) -> int:
    """What an older copy of the data holds: the newest write and its number gone."""
    top = int(r.zrange(P + "alerts:changes", -1, -1, withscores=True)[0][1])
    for field in r.zrangebyscore(P + "alerts:changes", top, top):
        r.hdel(P + "alerts", field)
    r.zremrangebyscore(P + "alerts:changes", top, "+inf")
    r.set(P + "alerts:seq", top - 1)
    return top


async def test_a_token_handed_out_before_a_rollback_is_never_handed_out_again(
    pair: tuple[RedisStore, RedisStore], r: redis_py.Redis
) -> None:
    """A leads with token t; the follower B saw it (its renewal attempt was refused); Redis
    goes back to before t. B's token is above t, and A's fenced write with t is refused."""
    a, b = pair
    t = await a.acquire_lease("A", TTL)
    assert t is not None
    assert await b.acquire_lease("B", TTL) is None  # held by A: B learns A's token
    r.set(P + "lease:token", t - 1)  # state before A's INCR
    r.delete(P + "lease")
    tb = await b.acquire_lease("B", TTL)
    assert tb is not None and tb > t
    draft = DraftRecord("d1", "inc-1", "sending", 1, T0, {"id": "d1"})
    with pytest.raises(LeaseLost):
        await a.put_draft(draft, None, [], fence=t)
    # the counter lost altogether: B, taking the lease again, gets a token above its own
    r.delete(P + "lease:token", P + "lease")
    again = await b.acquire_lease("B", TTL)
    assert again is not None and again > tb


async def test_a_change_number_a_follower_read_is_not_handed_out_again(
    pair: tuple[RedisStore, RedisStore], r: redis_py.Redis
) -> None:
    """Follower A read up to cursor c; Redis goes back to c - 1; writer B (which saw c through
    its own sync) gets a number above c, and A's episodes_since(c) returns the new write."""
    a, b = pair
    for fp in ("x0", "x1", "x2"):
        await a.ingest(parse_webhook(webhook(alert(fp, T0), group_key=fp), T0), T0)
    cursor = await a.latest_change()
    assert await b.latest_change() == cursor  # B's periodic sync
    roll_back_last_write(r)
    new = parse_webhook(webhook(alert("new", T0), group_key="new"), T0)
    _, change = await b.ingest_numbered(new, T0)
    assert change > cursor
    episodes, _ = await a.episodes_since(cursor)
    assert [ep.fingerprint for ep in episodes] == ["new"]
    # a re-send of a group after the counter itself was lost: still above every number seen
    r.delete(P + "alerts:seq")
    record = (await b.recent_deliveries(1))[0]
    again = await b.seen_again(change, 1, record)
    assert again is not None and again > change


async def test_a_following_replica_reads_the_write_made_after_a_rollback(
    redis: RedisServer, r: redis_py.Redis, client_for: Any, tmp_path: Path, clock: Any
) -> None:
    """Two bridges: the follower's sync admits the write another replica made after Redis went
    back under its cursor, whether it syncs before that write (its cursor goes back) or only
    after it (the writer's number is above every number it had seen)."""
    config = write_config(
        tmp_path, store=redis.url(), extra={"replication": {"sync_interval": "1h"}}
    )
    a, b = await client_for(config), await client_for(config)
    one, other = a.server.app[SERVICE], b.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=1)

    async def post(client: Any, fp: str) -> None:
        body = webhook(alert(fp, start, element="olt-oslo-1"), group_key=f"{{}}:{{fp={fp}}}")
        resp = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
        assert resp.status == 200, await resp.text()

    for fp in ("fp-1", "fp-2", "fp-3"):
        await post(a, fp)
    await one.replicas.sync()
    await other.replicas.sync()
    cursor = one.replicas.cursor
    # rolled back; the writer posts before the follower looks again
    roll_back_last_write(r)
    await post(b, "fp-after")
    await one.replicas.sync()
    assert ("fp-after", start) in one.evaluator.engine.episodes
    assert one.replicas.cursor > cursor
    # rolled back again; the follower looks first (its cursor goes back), then a replica that
    # started after the rollback (it has seen no number) writes
    roll_back_last_write(r)
    await one.replicas.sync()
    fresh = RedisStore(redis.url())
    await fresh.open()
    try:
        later = parse_webhook(webhook(alert("fp-later", start), group_key="later"), clock.now())
        await fresh.ingest(later, clock.now())
    finally:
        await fresh.close()
    await one.replicas.sync()
    assert ("fp-later", start) in one.evaluator.engine.episodes
