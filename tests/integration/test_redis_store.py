"""What only the Redis store has: durable-acknowledgement checks, crashes and restarts of a real
redis-server, replicas (WAIT) and two bridge replicas writing at once. The shared contract is in
tests/integration/store/ (one suite per interface); these tests start their own servers
(redis_server.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import redis_server
from builders import alert, webhook, write_config
from polling import until
from redis_server import UNSAFE, RedisServer

from bridge.config import load_config
from bridge.core.alerts import parse_webhook
from bridge.errors import ConfigError, Conflict, StoreOutcomeUnknown, StoreUnavailable
from bridge.store import make_store
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.records import AuditEntry, DraftRecord, IncidentRecord
from bridge.store.redis import RedisStore, ServerSettings, durability_problems

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as s:
        yield s


@pytest.fixture
async def store(server: RedisServer) -> AsyncIterator[RedisStore]:
    s = RedisStore(server.url())
    await s.open()
    yield s
    await s.close()


def raw(server: RedisServer) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)


def delivery(*fingerprints: str, at: datetime = T0):  # type: ignore[no-untyped-def]
    return parse_webhook(webhook(*(alert(fp, T0) for fp in fingerprints)), at)


def draft(rev: int, state: str = "draft") -> DraftRecord:
    return DraftRecord("d-1", "inc-1", state, rev, T0 + timedelta(minutes=rev), {"rev": rev})


def entry(action: str) -> AuditEntry:
    return AuditEntry(T0, "token:ops", action, "draft:d-1", {})


async def open_fails(url: str) -> ConfigError:
    s = RedisStore(url)
    with pytest.raises(ConfigError) as caught:
        await s.open()
    return caught.value


def test_missing_redis_server_fails_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without redis-server the Redis tests fail (not skip) saying what to install."""
    monkeypatch.setattr(redis_server.shutil, "which", lambda _: None)
    monkeypatch.setattr(redis_server.os, "access", lambda *_: False)
    with pytest.raises(redis_server.RedisServerError, match="Debian package redis-server"):
        RedisServer(tmp_path).start()


# ---- URL and factory ---------------------------------------------------------------------------
def test_make_store_returns_a_redis_store_with_the_password_redacted() -> None:
    """redis:// and rediss:// URLs give a RedisStore whose url never shows the password."""
    store = make_store("redis://:hunter2@redis.example:6380/2?prefix=nb:")
    assert isinstance(store, RedisStore)
    assert store.url == "redis://:<secret>@redis.example:6380/2?prefix=nb:"
    assert store.prefix == "nb:"
    assert isinstance(make_store("rediss://redis.example:6380/0"), RedisStore)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("colour=blue", "'colour'"),
        ("wait_replicas=two", "wait_replicas"),
        ("wait_timeout_ms=0", "wait_timeout_ms"),
        ("prefix=", "prefix"),
    ],
)
def test_bad_url_parameters_are_config_errors(query: str, named: str) -> None:
    """An unknown or invalid URL parameter is a ConfigError naming it, before any connection."""
    with pytest.raises(ConfigError, match=named):
        RedisStore(f"redis://127.0.0.1:1/0?{query}")


# ---- durable acknowledgement --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("setting", "value"),
    [("appendonly", "no"), ("appendfsync", "everysec"), ("maxmemory-policy", "allkeys-lru")],
)
async def test_each_unsafe_setting_is_refused_by_name(
    server: RedisServer, setting: str, value: str
) -> None:
    """A server that could lose acknowledged writes is refused; the error names the setting."""
    with raw(server) as r:
        r.config_set(setting, value)
    error = await open_fails(server.url())
    named = [p for p in error.problems if p.split(": ")[2].startswith(setting)]
    assert len(named) == 1 and repr(value) in named[0], error.problems
    others = {"appendonly", "appendfsync", "maxmemory-policy"} - {setting}
    assert not any(p.split(": ")[2].startswith(tuple(others)) for p in error.problems)
    assert "unsafe_ok=true" in str(error)


async def test_unsafe_ok_opens_and_warns_naming_each_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """unsafe_ok=true opens an unsafe server and logs one WARNING per unsafe setting."""
    with RedisServer(tmp_path, settings=UNSAFE) as server:
        error = await open_fails(server.url())
        assert len(error.problems) == 4  # three settings and the remedy
        caplog.set_level(logging.WARNING, logger="bridge.store.redis")
        s = RedisStore(server.url(unsafe_ok="true"))
        await s.open()
        try:
            await s.ingest(delivery("a"), T0)
        finally:
            await s.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for setting in ("appendonly", "appendfsync", "maxmemory-policy"):
        assert sum(f": {setting} is" in w for w in warnings) == 1, warnings


async def test_disabled_config_command_is_explained(tmp_path: Path) -> None:
    """With CONFIG renamed away (as managed Redis does) the error says so and points at
    unsafe_ok; wait_replicas plus noeviction seen through INFO is enough to open."""
    with RedisServer(tmp_path, extra=("--rename-command", "CONFIG", "")) as server:
        error = await open_fails(server.url())
        text = str(error)
        assert "CONFIG GET is disabled" in text and "unsafe_ok=true" in text
        assert "appendfsync is unknown" in text
        assert "maxmemory-policy" not in text  # INFO memory showed noeviction
        s = RedisStore(server.url(wait_replicas=1, wait_timeout_ms=50))
        await s.open()
        await s.close()


def test_durability_rules() -> None:
    """AOF+always or WAIT makes writes durable; eviction is refused either way."""
    safe = ServerSettings("yes", "always", "noeviction", "ok")
    assert durability_problems(safe, 0) == []
    no_aof = ServerSettings("no", "everysec", "noeviction")
    assert len(durability_problems(no_aof, 0)) == 2
    assert durability_problems(no_aof, 1) == []
    evicting = ServerSettings("yes", "always", "volatile-lru")
    assert "maxmemory-policy" in durability_problems(evicting, 1)[0]
    broken_disk = ServerSettings("yes", "always", "noeviction", "err")
    assert "aof_last_write_status" in durability_problems(broken_disk, 0)[0]


async def test_wait_without_enough_replicas_is_unavailable(server: RedisServer) -> None:
    """With wait_replicas=1 and no replica, writes and ping raise StoreUnavailable naming WAIT:
    StoreOutcomeUnknown, as the write is on the primary (never "nothing was stored")."""
    s = RedisStore(server.url(wait_replicas=1, wait_timeout_ms=50))
    await s.open()
    try:
        with pytest.raises(StoreOutcomeUnknown, match="0 of 1 replica"):
            await s.ingest(delivery("a"), T0)
        assert [ep.fingerprint for ep in await s.load_episodes()] == ["a"]
        with pytest.raises(StoreUnavailable, match="WAIT"):
            await s.ping()
        with pytest.raises(Conflict):  # a refused draft write needs no replica to say so
            await s.put_draft(draft(2), 1, [])
    finally:
        await s.close()


async def test_wait_for_a_real_replica(server: RedisServer, tmp_path: Path) -> None:
    """With a replica attached, WAIT succeeds and the replica has the alerts when ingest returns."""
    with raw(server) as r:
        r.config_set("repl-diskless-sync-delay", 0)  # first sync now, not in 5 s
    replica_args = ("--replicaof", "127.0.0.1", str(server.port))
    with RedisServer(tmp_path / "replica", extra=replica_args) as replica, raw(server) as r:
        await until(
            lambda: r.info("replication").get("slave0", {}).get("state") == "online",
            "the replica to come online",
            15,
        )
        s = RedisStore(server.url(wait_replicas=1, wait_timeout_ms=2000))
        await s.open()
        try:
            await s.ingest(delivery("a", "b"), T0)
            await s.ping()
        finally:
            await s.close()
        with raw(replica) as copy:
            assert copy.hlen("bridge:alerts") == 2


# ---- crashes, restarts, lost data ----------------------------------------------------------------
async def test_data_survives_kill_9_of_redis(server: RedisServer) -> None:
    """Everything acknowledged before a SIGKILL of redis-server is there after restart (AOF),
    and the audit sequence goes on from where it was."""
    s = RedisStore(server.url())
    await s.open()
    await s.ingest(delivery(*(f"fp{i}" for i in range(50))), T0)
    record = IncidentRecord("inc-1", "k", T0, "open", [("fp1", T0)], None, {"n": 1})
    await s.save_incidents([record])
    await s.put_draft(draft(1), None, [entry("draft.created")])
    await s.close()
    server.kill()
    server.start()
    s = RedisStore(server.url())
    await s.open()
    try:
        assert len(await s.load_episodes()) == 50
        assert await s.get_incident("inc-1") == record
        assert await s.get_draft("d-1") == draft(1)
        await s.append_audit([entry("after.restart")])
        log = await s.audit_log()
        assert [e.action for e in log] == ["after.restart", "draft.created"]
        assert log[0].seq > log[1].seq
    finally:
        await s.close()


async def test_redis_down_is_unavailable_and_the_store_reconnects(
    server: RedisServer, store: RedisStore
) -> None:
    """While Redis is down, ingest and ping raise StoreUnavailable promptly; once it is back
    the same store object writes again without being reopened."""
    await store.ingest(delivery("before"), T0)
    server.kill()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="ingest"):
        await store.ingest(delivery("during"), T0)
    with pytest.raises(StoreUnavailable, match="ping"):
        await store.ping()
    assert time.monotonic() - started < 5  # well inside Alertmanager's webhook timeout
    server.start()
    await store.ping()
    await store.ingest(delivery("after"), T0)
    assert sorted(ep.fingerprint for ep in await store.load_episodes()) == ["after", "before"]


async def test_flushed_data_refuses_writes(server: RedisServer, store: RedisStore) -> None:
    """When the schema key vanishes (FLUSHALL, a restart without persistence) writes are refused
    and nothing is written; the refusal says the data is gone and to restore it (a restart
    would not bring it back: it said "restart the bridge to re-check", and the restart served
    an empty store)."""
    with raw(server) as r:
        r.flushall()
        with pytest.raises(StoreUnavailable, match="schema version key is missing") as refused:
            await store.ingest(delivery("a"), T0)
        said = str(refused.value)
        assert "data is gone" in said and "restore the data from a backup" in said, said
        assert "`bridge restored`" in said and "re-check" not in said, said
        with pytest.raises(StoreUnavailable, match="missing"):
            await store.ping()
        assert r.dbsize() == 0


async def test_newer_schema_is_refused_and_older_is_migrated(server: RedisServer) -> None:
    """A schema newer than this bridge's refuses to open; an older one is migrated."""
    with raw(server) as r:
        r.set("bridge:schema", SCHEMA_VERSION + 1)
        with pytest.raises(StoreUnavailable, match="upgrade the bridge"):
            await RedisStore(server.url()).open()
        r.set("bridge:schema", 1)
        s = RedisStore(server.url())
        await s.open()
        try:
            assert await s.schema_version() == SCHEMA_VERSION
        finally:
            await s.close()


async def test_a_migration_longer_than_the_socket_timeout_completes_the_open(
    server: RedisServer,
) -> None:
    """A whole (not stepped) migration may read every record of a kind, and a step waits its
    turn behind other clients' scripts: opening waits for each call's answer beyond
    ``socket_timeout``, meant for one command. Redis holds back scripts (``CLIENT PAUSE 1000
    WRITE``: the reads of the open go on) for five times the socket timeout."""
    with raw(server) as r:
        r.set("bridge:schema", SCHEMA_VERSION - 1)
        r.execute_command("CLIENT", "PAUSE", 1000, "WRITE")
    s = RedisStore(server.url(socket_timeout="0.2"))
    await s.open()
    try:
        assert await s.schema_version() == SCHEMA_VERSION
    finally:
        await s.close()


async def test_prefixes_keep_bridges_apart(server: RedisServer) -> None:
    """Two prefixes in one database are two independent stores."""
    a, b = RedisStore(server.url(prefix="se:")), RedisStore(server.url(prefix="no:"))
    await a.open()
    await b.open()
    try:
        await a.ingest(delivery("a"), T0)
        assert await b.load_episodes() == []
        assert [ep.fingerprint for ep in await a.load_episodes()] == ["a"]
    finally:
        await a.close()
        await b.close()


async def test_pruning_leaves_no_index_entry_behind(server: RedisServer, store: RedisStore) -> None:
    """What retention prunes leaves every index that names it (the indexes the store reads
    skip a missing record, so only their sizes show a leftover)."""
    fields = ("a", "b", "c")
    await store.ingest(delivery(*fields), T0)
    records = [
        IncidentRecord(f"inc-{n}", "k", T0, "closed", [(n, T0)], None, {}, settled_at=settled)
        for n, settled in zip(fields, (T0, None, T0), strict=True)
    ]
    await store.save_incidents([*records, IncidentRecord("inc-o", "k", T0, "open", [], None)])
    drafts = [DraftRecord(f"d-{n}", f"inc-{n}", "sent", 1, T0, {}) for n in fields]
    for d in drafts:
        await store.put_draft(d, None, [])
    await store.prune_episodes([("a", T0), ("b", T0)])
    await store.prune_incidents(["inc-a", "inc-b"])
    await store.prune_drafts([("d-a", 1), ("d-b", 1)])
    r, p = raw(server), store.prefix
    assert r.zcard(p + "alerts:ends") == r.zcard(p + "alerts:changes") == r.hlen(p + "alerts") == 1
    assert r.zcard(p + "incidents:by-start") == r.hlen(p + "incidents:start") == 2
    assert r.hlen(p + "incidents") == 2 and r.zcard(p + "incidents:settled") == 1
    assert r.smembers(p + "incidents:unsettled") == {"inc-o"}
    assert r.hlen(p + "drafts:rev") == r.hlen(p + "drafts:state") == 1
    assert r.hlen(p + "drafts:incident") == 1
    assert r.smembers(p + "drafts:by-state:sent") == {"d-c"}
    assert not r.exists(p + "drafts:by-incident:inc-a")


# ---- two replicas ------------------------------------------------------------------------------
async def test_two_store_instances_race_for_a_draft(server: RedisServer) -> None:
    """Two RedisStore objects (two bridge replicas) writing the same revision: exactly one wins,
    the other gets Conflict, and only the winner's audit entry exists."""
    one, two = RedisStore(server.url()), RedisStore(server.url())
    await one.open()
    await two.open()
    try:
        await one.put_draft(draft(1), None, [entry("created")])
        for rev in range(2, 12):
            results = await asyncio.gather(
                one.put_draft(draft(rev, "by-one"), rev - 1, [entry(f"one{rev}")]),
                two.put_draft(draft(rev, "by-two"), rev - 1, [entry(f"two{rev}")]),
                return_exceptions=True,
            )
            assert sum(r is None for r in results) == 1, results
            (lost,) = [r for r in results if r is not None]
            assert isinstance(lost, Conflict) and "changed meanwhile" in str(lost)
        final = await two.get_draft("d-1")
        assert final is not None and final.revision == 11
        actions = [e.action for e in await one.audit_log(limit=100)]
        assert len(actions) == 11 and actions[-1] == "created"
        assert final.state == ("by-one" if actions[0].startswith("one") else "by-two")
    finally:
        await one.close()
        await two.close()


async def test_store_unsafe_ok_in_the_config_file_opens_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The config's long form ``store: {url, unsafe_ok: true}`` is the same explicit, logged
    override; without it the same server is refused."""
    (tmp_path / "strict").mkdir()
    (tmp_path / "lenient").mkdir()
    with RedisServer(tmp_path / "redis", settings=UNSAFE) as server:
        refused = write_config(tmp_path / "strict", store=server.url())
        with pytest.raises(ConfigError):
            await make_store(load_config(refused, env={}).store_url()).open()
        allowed = write_config(
            tmp_path / "lenient", extra={"store": {"url": server.url(), "unsafe_ok": True}}
        )
        caplog.set_level(logging.WARNING, logger="bridge.store.redis")
        s = make_store(load_config(allowed, env={}).store_url())
        await s.open()
        await s.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("unsafe_ok" in w and "appendfsync" in w for w in warnings), warnings


def test_store_unsafe_ok_is_refused_for_sqlite(tmp_path: Path) -> None:
    """store.unsafe_ok on a SQLite store is a configuration error naming the key."""
    path = write_config(
        tmp_path, extra={"store": {"url": "sqlite:///x.sqlite3", "unsafe_ok": True}}
    )
    with pytest.raises(ConfigError, match=r"store.*unsafe_ok applies to a redis:// store only"):
        load_config(path, env={})


async def test_concurrent_writes_go_together_each_answered_as_if_alone(
    server: RedisServer, store: RedisStore
) -> None:
    """Writes made at once are sent together (one pipeline on one connection: the bridge's
    client opens no connection per write) and each caller gets its own script's answer: every
    delivery stored, with a change number of its own."""
    before = raw(server).info("stats")["total_connections_received"]
    results = await asyncio.gather(
        *(store.ingest_numbered(delivery(f"fp-{n}"), T0) for n in range(200))
    )
    changes = [change for _, change in results]
    assert len(set(changes)) == 200
    assert sorted(ep.fingerprint for eps, _ in results for ep in eps) == sorted(
        f"fp-{n}" for n in range(200)
    )
    assert len(await store.load_episodes()) == 200
    opened = raw(server).info("stats")["total_connections_received"] - before
    assert opened <= 3, f"{opened} connections for 200 writes made at once"


async def test_writes_go_on_after_redis_forgot_its_scripts(
    server: RedisServer, store: RedisStore
) -> None:
    """A script Redis no longer knows (SCRIPT FLUSH, as after a restart) did not run: each
    write of a batch that met NOSCRIPT is sent again alone, and stored once."""
    await store.ingest_numbered(delivery("fp-before"), T0)
    raw(server).script_flush()
    results = await asyncio.gather(
        *(store.ingest_numbered(delivery(f"fp-{n}"), T0) for n in range(20))
    )
    assert len({change for _, change in results}) == 20
    assert len(await store.load_episodes()) == 21


async def test_a_refused_write_in_a_batch_fails_its_own_caller_with_its_reason(
    server: RedisServer, store: RedisStore
) -> None:
    """Each write's own error reaches its caller through the batch: with the schema key gone
    (the data flushed underneath), every one of the writes made at once is refused naming
    it, and nothing is written."""
    raw(server).delete("bridge:schema")
    outcomes = await asyncio.gather(
        *(store.ingest_numbered(delivery(f"fp-{n}"), T0) for n in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(o, StoreUnavailable) for o in outcomes), outcomes
    assert all("schema version key" in str(o) for o in outcomes), outcomes
    assert raw(server).hlen("bridge:alerts") == 0
