"""A store whose data is gone while the archive folder shows it was in use: Redis killed, its
data directory wiped and started again; the SQLite file removed. The archive folder keeps what
the leader wrote there (the audit log's ``.audit-seq`` mark, on every outbox round and at the
stop; ``.handovers`` once a notice left), so ``bridge serve`` refuses to start on the empty
store (one line naming what happened and what to do: restore from a backup, then ``bridge
restored``), creates nothing, instead of logging ``schema migrated from 0`` and serving an empty
store (people, audit log, privacy register gone, silently). ``--accept-empty-store`` is the
explicit way to take a new empty store: audited (``store.created_empty``, numbered above the
mark), and the next start needs nothing more."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_py
from bridge_process import BridgeProcess, free_port
from builders import PASSWORD, REPO, write_config
from redis_server import RedisServer

from bridge.notices import audit_mark
from bridge.store import make_store

FLAG = "--accept-empty-store"


def command(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A ``bridge`` command that is expected to refuse (``serve`` would serve for ever else)."""
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args, "-c", str(config)],
        input=stdin,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def redis_keys(server: RedisServer) -> list[str]:
    with redis_py.Redis(host="127.0.0.1", port=server.port, decode_responses=True) as r:
        return sorted(r.keys("*"))


def lose_data(kind: str, server: RedisServer, database: Path) -> None:
    """What the audit did: Redis killed (-9), its data directory wiped, started again; the
    SQLite file (and its -wal, -shm) removed."""
    if kind == "redis":
        server.kill()
        shutil.rmtree(server.folder / "appendonlydir")
        server.start()
        assert redis_keys(server) == []
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_a_store_whose_data_is_gone_is_refused_unless_a_new_empty_one_is_accepted(
    tmp_path: Path, redis: RedisServer, kind: str
) -> None:
    port = free_port()
    archive = tmp_path / "sent"
    database = tmp_path / "bridge.sqlite3"
    url = redis.url() if kind == "redis" else f"sqlite:///{database}"
    config = write_config(
        tmp_path,
        store=url,
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "notices": {"archive_dir": str(archive)},
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    bridge.start()
    try:
        await bridge.wait_ready()
    finally:
        bridge.stop()  # SIGTERM: the leader records the audit log's mark as it stops
    mark = audit_mark.read(archive)
    assert mark is not None and mark.seq >= 1, bridge.log.read_text()

    lose_data(kind, redis, database)
    refused = await asyncio.to_thread(command, config, "serve")
    assert refused.returncode == 1, refused.stderr
    said = refused.stderr.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("cannot start: "), refused.stderr
    assert "data is gone" in said[0] and str(archive) in said[0], said
    assert f"audit seq {mark.seq}" in said[0], said
    assert "restore the data from a backup, then run `bridge restored`" in said[0], said
    assert FLAG in said[0], said
    assert "schema migrated" not in refused.stderr
    # nor does a command that would create the store as it writes
    add = ("users", "add", "kari", "--role", "viewer", "--password-file", "-")
    for args in (add, ("prune",)):
        other = await asyncio.to_thread(command, config, *args, stdin=PASSWORD + "\n")
        assert other.returncode == 1, other.stderr
        assert "data is gone" in other.stderr and "bridge restored" in other.stderr, other.stderr
    if kind == "redis":  # nothing was created
        assert redis_keys(redis) == []
    else:
        assert not database.exists()

    accepted = BridgeProcess(config, port, tmp_path / "accepted.log")
    accepted.start(flags=(FLAG,))
    try:
        await accepted.wait_ready()
    finally:
        accepted.stop()
    text = accepted.log.read_text()
    assert "WARNING" in text and "a new empty store" in text, text
    store = make_store(url)
    await store.open()
    try:
        entries = [e for e in await store.audit_log(1000) if e.action == "store.created_empty"]
    finally:
        await store.close()
    assert len(entries) == 1, text
    (created,) = entries
    assert created.seq > mark.seq  # numbered above every seq handed out before the loss
    assert created.detail["audit_seq_mark"] == mark.seq
    assert created.detail["archive_dir"] == str(archive)

    again = BridgeProcess(config, port, tmp_path / "again.log")
    again.start()  # the store is in use again: no flag needed
    try:
        await again.wait_ready()
    finally:
        again.stop()
