"""Two bridges on one SQLite file: each reads back from the store only what the other wrote.
A replica's own writes (new alerts and re-sent groups) move its sync cursor without a read;
another replica's write, or a change number it does not know, is read and admitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, webhook, write_config

from bridge.core.alerts import parse_webhook
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


async def post(client: TestClient[Any, Any], body: dict[str, Any]) -> None:
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    assert r.status == 200, await r.text()


async def test_a_replica_reads_back_only_what_another_wrote(
    client_for: Any, tmp_path: Path, clock: Any
) -> None:
    # the background sync waits an hour: the test calls sync itself
    config = write_config(tmp_path, extra={"replication": {"sync_interval": "1h"}})
    a, b = await client_for(config), await client_for(config)
    one, other = a.server.app[SERVICE], b.server.app[SERVICE]
    for service in (one, other):
        await service.replicas.sync()
    reads = one.replicas.reads, other.replicas.reads
    start = clock.now()
    first = webhook(alert("fp-1", start, element="olt-oslo-1"), group_key="{}:{site=a}")
    await post(a, first)
    await post(a, first)  # the same group again: a re-send, also its own write
    await one.replicas.sync()
    assert one.replicas.reads == reads[0]  # nothing read back
    await other.replicas.sync()
    assert other.replicas.reads == reads[1] + 1
    assert ("fp-1", start) in other.evaluator.engine.episodes
    # the other replica writes: the first one reads it and holds it
    await post(b, webhook(alert("fp-2", start, element="olt-oslo-1"), group_key="{}:{site=b}"))
    await one.replicas.sync()
    assert one.replicas.reads == reads[0] + 1
    assert ("fp-2", start) in one.evaluator.engine.episodes
    # and it is read only once
    await one.replicas.sync()
    assert one.replicas.reads == reads[0] + 1


async def test_a_periodic_sync_lets_a_number_not_its_own_wait_one_round(
    client_for: Any, tmp_path: Path, clock: Any
) -> None:
    """Under load a replica's own write is committed before its admission tells the sync: a
    periodic sync (settle) lets such a number wait a round instead of reading every alert of
    the interval back; one that is still not its own a round later (another replica's) is read
    then; a sync before a read never waits."""
    config = write_config(tmp_path, extra={"replication": {"sync_interval": "1h"}})
    a, b = await client_for(config), await client_for(config)
    one = a.server.app[SERVICE]
    await one.replicas.sync()
    reads = one.replicas.reads
    start = clock.now()
    # a write of its own whose admission has not told the sync yet
    own = parse_webhook(webhook(alert("fp-own", start, element="olt-oslo-1")), start)
    stored, change = await one.store.ingest_numbered(own, start)
    await one.replicas.sync(settle=True)
    assert one.replicas.reads == reads  # waits
    one.replicas.mine(change)  # what the intake does once it admitted the write
    one.evaluator.admit(stored, {})
    await one.replicas.sync(settle=True)
    assert one.replicas.reads == reads  # its own: never read back
    # another replica's write: waits one periodic sync, read at the next
    await post(b, webhook(alert("fp-other", start, element="olt-oslo-1"), group_key="{}:{s=b}"))
    await one.replicas.sync(settle=True)
    assert one.replicas.reads == reads
    assert ("fp-other", start) not in one.evaluator.engine.episodes
    await one.replicas.sync(settle=True)
    assert one.replicas.reads == reads + 1
    assert ("fp-other", start) in one.evaluator.engine.episodes
    # before a read, another replica's write is read at once
    await post(b, webhook(alert("fp-later", start, element="olt-oslo-1"), group_key="{}:{s=c}"))
    await one.replicas.sync()
    assert one.replicas.reads == reads + 2
    assert ("fp-later", start) in one.evaluator.engine.episodes
