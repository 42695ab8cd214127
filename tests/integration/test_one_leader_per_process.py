"""The lease is held by a process, not by a host name: real ``bridge serve`` processes started with
the same configuration (so the same default replica id, the host name).

- SQLite: a second ``serve`` on the same file is refused (exit 1, one line) while the first
  leads on; the maintenance commands (users, tokens, prune) work beside the running bridge.
- SQLite: a bridge started after the first one died (SIGKILL) or stopped (SIGTERM) leads at
  once (it holds the file's serve lock: the killed one's lease is not waited out), under a
  bigger fencing token each time.
- Redis: two ``serve`` with the same configuration on one Redis: exactly one leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge_process import BridgeProcess, bridge_cli, replica
from polling import until
from redis_server import RedisServer
from smtp_server import SmtpServer

from bridge.store.holders import replica_of

LEASE = {"replication": {"lease_ttl": "1s"}}  # a dead leader's lease expires within a second


def lease_row(db: Path) -> tuple[str, int]:
    """The SQLite lease's holder and fencing token (read beside the running bridge)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT holder, token FROM lease").fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


async def leads(bridge: BridgeProcess, seconds: float = 15) -> dict[str, Any]:
    """Wait until ``bridge`` leads; its /readyz then."""

    async def leading() -> dict[str, Any] | None:
        state = await bridge.readiness()
        return state if state["leader"] else None

    found: dict[str, Any] = await until(leading, f"{bridge.url} to lead", seconds)
    return found


async def test_a_second_serve_on_the_same_sqlite_file_is_refused_and_the_first_leads_on(
    bridge_process: Callable[..., BridgeProcess], tmp_path: Path
) -> None:
    first = bridge_process(LEASE)
    first.start()
    await first.wait_ready()
    state = await leads(first)
    db = tmp_path / "bridge.sqlite3"
    holder, token = lease_row(db)
    assert holder == state["holder"] == state["leader_holder"]
    assert replica_of(holder) == state["replica"] == state["leader_replica"]

    second = bridge_process(LEASE)  # the same configuration, another port
    second.log = tmp_path / "second.log"
    second.start()
    assert second.proc is not None
    try:
        code = await asyncio.to_thread(second.proc.wait, 20)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            "a second serve on the same SQLite file ran:\n" + second.log.read_text()[-2000:]
        ) from None
    assert code == 1
    lines = second.log.read_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("cannot start: another bridge (pid ")
    assert str(db) in lines[0] and "one bridge per SQLite file" in lines[0], lines[0]
    assert str(first.proc.pid if first.proc else "") in lines[0], lines[0]

    # the maintenance commands open the file beside the running bridge (they never lead)
    bridge_cli(first.config, "users", "list")
    bridge_cli(first.config, "tokens", "list")
    bridge_cli(first.config, "prune")
    await asyncio.sleep(1.5)  # past the lease's time to live: renewed, not taken
    state = await first.readiness()
    assert state["leader"] and state["holder"] == holder, state
    assert lease_row(db) == (holder, token)


async def test_a_bridge_started_after_the_first_ended_leads_with_a_bigger_token(
    bridge_process: Callable[..., BridgeProcess], tmp_path: Path
) -> None:
    db = tmp_path / "bridge.sqlite3"
    long = {"replication": {"lease_ttl": "60s"}}
    first = bridge_process(long)
    first.start()
    await first.wait_ready()
    await leads(first)
    holder1, token1 = lease_row(db)

    first.kill9()  # its lease stays behind, unexpired for a minute
    second = bridge_process(long)
    second.start()
    await second.wait_ready()
    state = await second.readiness()  # the lease was taken at start, before it listened
    assert state["leader"], state
    holder2, token2 = lease_row(db)
    assert holder2 == state["holder"] != holder1
    assert token2 > token1

    second.stop()  # SIGTERM: the lease is released
    third = bridge_process(long)
    third.start()
    await third.wait_ready()
    state = await third.readiness()
    assert state["leader"], state
    holder3, token3 = lease_row(db)
    assert holder3 == state["holder"] not in (holder1, holder2)
    assert token3 > token2


async def test_two_serves_with_the_same_configuration_on_redis_one_leads(
    tmp_path: Path, redis: RedisServer, smtp: SmtpServer
) -> None:
    """No replica_id set (both are the host name): still exactly one leads."""
    same = {"replication": {"sync_interval": "200ms", "lease_ttl": "1s"}}
    bridges = [
        replica(tmp_path, name, redis.url(), smtp.smtp_config(), 1000, 1000, same)
        for name in ("x", "y")
    ]
    try:
        for b in bridges:
            b.start()
        for b in bridges:
            await b.wait_ready()
        for _ in range(3):  # over several lease periods
            states = [await b.readiness() for b in bridges]
            assert states[0]["replica"] == states[1]["replica"], states
            assert states[0]["holder"] != states[1]["holder"], states
            assert [s["leader"] for s in states].count(True) == 1, states
            await asyncio.sleep(0.7)
    finally:
        for b in bridges:
            b.stop()
