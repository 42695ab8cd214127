"""A full disk under a bridge on SQLite, on a real small filesystem (a tmpfs the test mounts:
tests/small_disk.py) and through the real app: webhooks answer 503 and ``/readyz`` does too
(its probe writes: one fixed row rewritten, nothing that grows), the refusals are logged once
per outage with their count when it ends, a lease renewal refused is counted, an upgrade names
the full disk and logs its migration, and a backup that does not fit leaves nothing behind."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from small_disk import SmallDisk, small_disk

from bridge.cli.backup import backup
from bridge.errors import StoreUnavailable
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.migrations import MIGRATIONS, statements
from bridge.web.keys import METRICS, SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
FULL = "database or disk is full"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with small_disk(tmp_path / "disk") as mounted:
        yield mounted


async def _app_on(disk: SmallDisk, tmp_path: Path, client_for: Any) -> Any:
    url = f"sqlite:///{disk.path / 'bridge.sqlite3'}"
    return await client_for(write_config(tmp_path, store=url))


async def _post(client: Any, body: dict[str, Any]) -> int:
    return int((await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status)


def _hook(clock: FakeClock, n: int) -> dict[str, Any]:
    return webhook(alert(f"fp{n}", clock.now() - timedelta(minutes=1), element=f"e{n}"))


async def test_readyz_answers_503_while_a_full_disk_refuses_writes_and_200_once_freed(
    disk: SmallDisk, tmp_path: Path, client_for: Any, clock: FakeClock
) -> None:
    client = await _app_on(disk, tmp_path, client_for)
    assert await _post(client, _hook(clock, 0)) == 200
    assert (await client.get("/readyz")).status == 200
    disk.fill()
    assert await _post(client, _hook(clock, 1)) == 503
    probe = await client.get("/readyz", headers=API)
    assert probe.status == 503
    assert FULL in (await probe.json())["detail"]
    disk.free()
    assert (await client.get("/readyz")).status == 200
    assert await _post(client, _hook(clock, 1)) == 200


async def test_the_readiness_probe_rewrites_one_row_and_leaves_nothing_that_grows(
    disk: SmallDisk, tmp_path: Path, client_for: Any
) -> None:
    client = await _app_on(disk, tmp_path, client_for)
    service = client.server.app[SERVICE]
    await service.ready()

    def sizes() -> tuple[int, int]:
        conn = sqlite3.connect(disk.path / "bridge.sqlite3")
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            rows = conn.execute("SELECT count(*) FROM meta").fetchone()[0]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            return rows, pages
        finally:
            conn.close()

    before = sizes()
    for _ in range(200):
        await service.ready()
    assert sizes() == before


async def test_webhooks_refused_by_a_full_disk_are_logged_once_and_counted_when_it_ends(
    disk: SmallDisk,
    tmp_path: Path,
    client_for: Any,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await _app_on(disk, tmp_path, client_for)
    metrics = client.server.app[METRICS]
    assert await _post(client, _hook(clock, 0)) == 200
    disk.fill()
    caplog.set_level(logging.INFO)
    caplog.clear()
    for n in range(1, 8):
        assert await _post(client, _hook(clock, n)) == 503
    assert metrics.webhook_requests.labels(code="503")._value.get() == 7  # each one counted
    assert metrics.store_errors.labels(op="ingest")._value.get() == 7
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    refusals = [r for r in warned if "webhook" in r.getMessage()]
    assert len(refusals) == 1, [r.getMessage() for r in refusals]
    assert FULL in refusals[0].getMessage()
    disk.free()
    caplog.clear()
    assert await _post(client, _hook(clock, 8)) == 200
    assert await _post(client, _hook(clock, 9)) == 200
    ended = [r for r in caplog.records if "webhook" in r.getMessage()]
    assert len(ended) == 1, [r.getMessage() for r in ended]
    assert ended[0].levelno == logging.INFO
    assert "7 refused" in ended[0].getMessage()


async def test_a_lease_renewal_refused_by_a_full_disk_is_counted(
    disk: SmallDisk, tmp_path: Path, client_for: Any
) -> None:
    client = await _app_on(disk, tmp_path, client_for)
    service = client.server.app[SERVICE]
    metrics = client.server.app[METRICS]
    assert service.leadership.leading
    disk.fill()
    await service.leadership.step()
    assert metrics.task_failures.labels(task="lease")._value.get() == 1
    assert metrics.store_errors.labels(op="acquire_lease")._value.get() == 1
    disk.free()
    await service.leadership.step()
    assert metrics.task_failures.labels(task="lease")._value.get() == 1
    assert service.leadership.leading


def _schema_9_store(path: Path) -> None:
    """A store as a bridge of schema 9 left it, in WAL mode, its WAL emptied."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for version in range(1, 10):
            for statement in statements(MIGRATIONS[version]):
                conn.execute(statement)
        conn.execute("INSERT INTO meta(key, value) VALUES('schema_version', '9')")
    finally:
        conn.close()


async def test_an_upgrade_on_a_full_disk_says_so_changes_nothing_and_logs_the_migration_later(
    disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    path = disk.path / "bridge.sqlite3"
    _schema_9_store(path)
    holder = sqlite3.connect(path)  # keeps -wal and -shm in place, the WAL empty
    try:
        holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        disk.fill()
        caplog.set_level(logging.INFO)
        with pytest.raises(StoreUnavailable) as refused:
            await SqliteStore(f"sqlite:///{path}").open()
        assert FULL in str(refused.value)
        assert "no transaction is active" not in str(refused.value)
        assert holder.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            "9",
        )
        assert not [r for r in caplog.records if "schema migrated" in r.getMessage()]
        disk.free()
        store = SqliteStore(f"sqlite:///{path}")
        await store.open()
        try:
            assert await store.schema_version() == SCHEMA_VERSION
        finally:
            await store.close()
        migrated = [r.getMessage() for r in caplog.records if "schema migrated" in r.getMessage()]
        assert migrated == [f"store {path}: schema migrated from 9 to {SCHEMA_VERSION}"]
    finally:
        holder.close()


async def test_opening_a_store_on_a_full_disk_says_the_disk_is_full_whatever_sqlite_says(
    disk: SmallDisk,
) -> None:
    """Without room for its shared-memory file SQLite says only "disk I/O error"."""
    path = disk.path / "bridge.sqlite3"
    _schema_9_store(path)
    disk.fill()
    with pytest.raises(StoreUnavailable) as refused:
        await SqliteStore(f"sqlite:///{path}").open()
    assert "no space left" in str(refused.value)


async def test_a_backup_that_does_not_fit_leaves_no_file_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copy fits, but not the side files SQLite makes to finish it (its ``-wal`` and
    ``-shm``: the copy is a WAL database until switched to journal mode DELETE)."""
    config = write_config(tmp_path)
    live = tmp_path / "bridge.sqlite3"
    store = SqliteStore(f"sqlite:///{live}")
    await store.open()
    await store.close()
    conn = sqlite3.connect(live, isolation_level=None)
    try:  # some size, as a store in use has
        conn.execute("CREATE TABLE ballast (b BLOB)")
        conn.execute("INSERT INTO ballast VALUES (zeroblob(1024 * 1024))")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = pages * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    with small_disk(tmp_path / "backups", size=f"{size // 1024 + 16}k") as disk:
        assert backup(str(config), str(disk.path)) == 1
        assert "cannot finish the copy" in capsys.readouterr().err
        assert sorted(p.name for p in disk.path.iterdir()) == []


def test_a_refusal_with_another_cause_is_logged_again_and_the_count_covers_the_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bridge.store.outage import Refusals  # here: the other tests run without it

    refusals = Refusals("webhooks", "webhooks stored again", FakeClock().now)
    caplog.set_level(logging.INFO, logger="bridge.store")
    for _ in range(3):
        refusals.refused(StoreUnavailable("ingest", FULL))
    refusals.refused(StoreUnavailable("ingest", "database is locked"))
    refusals.refused(StoreUnavailable("ingest", "database is locked"))
    refusals.answered()
    refusals.answered()
    logged = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in logged] == [logging.WARNING, logging.WARNING, logging.INFO]
    assert FULL in logged[0][1] and "database is locked" in logged[1][1]
    assert "5 refused" in logged[2][1]
