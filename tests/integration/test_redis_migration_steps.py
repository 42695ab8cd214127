"""Redis's schema migrations in bounded steps (bridge/store/redis/connection.py, ``_migrate``):
each call of the migration script does at most a budget of items, keeps its progress in
``P migration`` and only the last step of a migration sets its version; a start stopped after
any step (the process gone, or Redis restarted) resumes and ends with the data an uninterrupted
one leaves; what older bridges write meanwhile is migrated too; another client is never held
for more than a step. Schema 14: the target index holds the seq (``P audit:by-target:T``), and
searches answer as before (as SQLite answers).

The steps are called here as the driver calls them (the script from ``scripts.bodies()``, its
keys and arguments), with a budget of a few items, so small data sets take many steps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_server import RedisServer

from bridge.core.audit_search import AuditFilter
from bridge.store.interfaces import SCHEMA_VERSION, Store
from bridge.store.records import AuditEntry, IncidentRecord, TokenRecord
from bridge.store.redis import RedisStore
from bridge.store.redis.scripts import bodies
from bridge.store.sqlite import SqliteStore

T = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OLDEST = 10  # the schema the stores below are taken back to


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as s:
        yield s


def raw(server: RedisServer) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)


# ---- what is stored -------------------------------------------------------------------------
_ACTORS = ("ada", "bo", "token:ops")
_TARGETS = (
    "incident:inc-1",
    "draft:inc-1.nkom_varsel",
    "privacy:priv-1",
    "user:ada",
    "store",
    "draft:inc-2.pts_initial.2",
)


def history(count: int, first: int = 0) -> list[AuditEntry]:
    """Entries a minute apart, every seventh written 45 minutes late (another clock)."""
    return [
        AuditEntry(
            T + timedelta(minutes=n) - (timedelta(minutes=45) if n % 7 == 3 else timedelta()),
            _ACTORS[n % 3],
            ("draft.approved", "incident.note", "login.success")[n % 3],
            _TARGETS[n % len(_TARGETS)],
            {"n": n},
        )
        for n in range(first, first + count)
    ]


def incident(incident_id: str, into: str | None, **document: Any) -> IncidentRecord:
    return IncidentRecord(
        incident_id,
        f"topo:{incident_id}",
        T,
        "closed",
        [(f"fp-{incident_id}", T)],
        into,
        {"id": incident_id, "merged_into": into, "title": 'a "quoted" ] } title', **document},
        settled_at=T + timedelta(hours=1),
    )


#: a chain (a into b into c), a host listing one of two (h), one merged into an incident gone
#: (o), one alone (p)
INCIDENTS = [
    incident("inc-a", "inc-b"),
    incident("inc-b", "inc-c"),
    incident("inc-c", None),
    incident("inc-h", None, absorbed=["inc-x"]),
    incident("inc-x", "inc-h"),
    incident("inc-y", "inc-h"),
    incident("inc-o", "inc-gone"),
    incident("inc-p", None),
]
TOKENS = [
    TokenRecord("tok1", "grafana", "hash-1", ("viewer",), T, "ada"),
    TokenRecord("tok2", "old", "hash-2", ("viewer",), T, "ada", 1, T + timedelta(hours=1)),
]


async def fill(url: str, entries: int = 40) -> None:
    """A store of this bridge's schema, written through its interface."""
    store = RedisStore(url)
    await store.open()
    try:
        await store.append_audit(history(entries))
        await store.save_incidents(INCIDENTS)
        for token in TOKENS:
            await store.put_token(token, None, [])
    finally:
        await store.close()


def _delete(r: redis.Redis, pattern: str) -> None:
    keys = list(r.scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 500):
        r.delete(*keys[start : start + 500])


def target_index_of_json(r: redis.Redis, prefix: str) -> None:
    """The target index as schemas up to 13 kept it: each entry's JSON under P audit:target:T."""
    _delete(r, prefix + "audit:by-target:*")
    _delete(r, prefix + "audit:target:*")
    rows = r.zrange(prefix + "audit", 0, -1, withscores=True)
    pipe = r.pipeline(transaction=False)
    for text, seq in rows:
        pipe.zadd(prefix + "audit:target:" + json.loads(text)["target"], {text: seq})
    pipe.execute()


def back_to(r: redis.Redis, prefix: str, version: int) -> None:
    """The keys as a bridge of schema ``version`` (10 or 13) left them."""
    target_index_of_json(r, prefix)
    if version < 13:
        r.delete(prefix + "tokens:live-names")
    if version < 11:
        r.delete(prefix + "audit:at", prefix + "audit:clock")
        _delete(r, prefix + "audit:actor:*")
        _delete(r, prefix + "audit:incident:*")
    r.set(prefix + "schema", str(version))


def dump(r: redis.Redis, prefix: str) -> dict[str, Any]:
    """Every key under the prefix (without it) and its value, but the counter of fencing
    tokens (``lease:token``): it only moves up, and schema 12 in several steps takes a token
    (a walk done in one call takes none)."""
    out: dict[str, Any] = {}
    for key in r.scan_iter(match=prefix + "*", count=1000):
        if key == prefix + "lease:token":
            continue
        kind = r.type(key)
        value: Any
        if kind == "hash":
            value = r.hgetall(key)
        elif kind == "set":
            value = r.smembers(key)
        elif kind == "zset":
            value = r.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = r.lrange(key, 0, -1)
        else:
            value = r.get(key)
        out[key.removeprefix(prefix)] = value
    return out


def step(r: redis.Redis, prefix: str, budget: int) -> list[Any]:
    """One call of the migration script, as the driver makes it."""
    answer: list[Any] = r.eval(  # type: ignore[assignment]
        bodies()["migrate"],
        2,
        prefix + "schema",
        prefix + "migration",
        str(SCHEMA_VERSION),
        prefix,
        str(budget),
    )
    return answer


async def open_and_close(url: str) -> None:
    store = RedisStore(url)
    await store.open()
    await store.close()


async def reference(server: RedisServer) -> dict[str, Any]:
    """The data an uninterrupted start leaves on the schema-10 store."""
    with raw(server) as r:
        await fill(server.url(prefix="ref:"))
        back_to(r, "ref:", OLDEST)
        await open_and_close(server.url(prefix="ref:"))
        return dump(r, "ref:")


# ---- steps ----------------------------------------------------------------------------------
async def test_each_call_does_a_step_and_only_a_migrations_last_sets_its_version(
    server: RedisServer,
) -> None:
    """A schema-10 store migrated three items a call: many calls; while one is under way the
    version is the last one finished (10 at first, never a version whose data is half made)
    and its progress is kept in P migration; at the end the version is this bridge's and the
    progress key is gone."""
    with raw(server) as r:
        await fill(server.url(prefix="s:"))
        back_to(r, "s:", OLDEST)
        first = step(r, "s:", 3)
        assert first[0] == "more", first
        assert r.get("s:schema") == str(OLDEST)
        assert r.hget("s:migration", "version") == str(OLDEST + 1)
        seen = [int(r.get("s:schema") or 0)]
        for _ in range(200):
            answer = step(r, "s:", 3)
            seen.append(int(r.get("s:schema") or 0))
            if answer[0] == "done":
                break
        else:
            raise AssertionError("the migration never ended")
        assert seen == sorted(seen) and seen[-1] == SCHEMA_VERSION
        assert len(seen) > 20  # 40 entries three at a time, twice, and 8 incidents
        assert not r.exists("s:migration")
        assert step(r, "s:", 3) == ["done", SCHEMA_VERSION]


async def test_a_start_stopped_after_any_step_resumes_to_the_same_data(
    server: RedisServer,
) -> None:
    """For every k: k steps of three items, then a bridge's start (the steps of its own
    budget) ends with exactly the keys an uninterrupted start leaves."""
    expected = await reference(server)
    with raw(server) as r:
        total = 0
        await fill(server.url(prefix="n:"))
        back_to(r, "n:", OLDEST)
        while step(r, "n:", 3)[0] != "done":
            total += 1
        assert dump(r, "n:") == expected
        for k in range(1, total + 1):
            prefix = f"k{k}:"
            await fill(server.url(prefix=prefix))
            back_to(r, prefix, OLDEST)
            for _ in range(k):
                step(r, prefix, 3)
            assert int(r.get(prefix + "schema") or 0) < SCHEMA_VERSION
            await open_and_close(server.url(prefix=prefix))
            assert dump(r, prefix) == expected, k


async def test_a_start_resumes_after_redis_was_killed_mid_migration(
    server: RedisServer,
) -> None:
    """Each step's writes and its progress reach the append-only file together: Redis killed
    (SIGKILL) after some steps comes back with them, and the next start finishes the rest."""
    expected = await reference(server)
    with raw(server) as r:
        await fill(server.url(prefix="x:"))
        back_to(r, "x:", OLDEST)
        for _ in range(9):  # into schema 11's walk
            step(r, "x:", 3)
        assert r.get("x:schema") == str(OLDEST)
        progress = r.hgetall("x:migration")
        assert progress["version"] == str(OLDEST + 1)
    server.kill()
    server.start()
    with raw(server) as r:
        assert r.hgetall("x:migration") == progress
        await open_and_close(server.url(prefix="x:"))
        assert dump(r, "x:") == expected


#: an audit append as a bridge of schema 10 made it (its guard, the log and the target index)
_OLDER_APPEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 'refused' end
local seq = redis.call('INCR', KEYS[2])
local entry = '{"seq":' .. seq .. ',' .. string.sub(ARGV[4], 2)
redis.call('ZADD', KEYS[3], seq, entry)
redis.call('ZADD', KEYS[3] .. ':target:' .. ARGV[3], seq, entry)
return 'ok'
"""


def older_append(r: redis.Redis, prefix: str, entry: AuditEntry) -> str:
    text = json.dumps(
        {
            "action": entry.action,
            "actor": entry.actor,
            "at": entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "detail": entry.detail,
            "target": entry.target,
        },
        separators=(",", ":"),
    )
    keys = [prefix + "schema", prefix + "audit:seq", prefix + "audit"]
    return str(r.eval(_OLDER_APPEND, 3, *keys, str(OLDEST), "", entry.target, text))


async def test_entries_an_older_bridge_appends_meanwhile_are_migrated(
    server: RedisServer,
) -> None:
    """A bridge of schema 10 still running appends entries between the steps (its writes are
    accepted: the version is still 10 until schema 11's last step, then refused): the store
    ends as if they had been there before the start."""
    late = history(12, first=40)
    with raw(server) as r:
        await fill(server.url(prefix="ref:"))
        back_to(r, "ref:", OLDEST)
        for entry in late:
            assert older_append(r, "ref:", entry) == "ok"
        await open_and_close(server.url(prefix="ref:"))
        expected = dump(r, "ref:")

        await fill(server.url(prefix="o:"))
        back_to(r, "o:", OLDEST)
        said = []
        pending = list(late)
        while pending:
            step(r, "o:", 3)
            said.append(older_append(r, "o:", pending[0]))
            if said[-1] == "ok":
                pending.pop(0)
            else:
                break
        assert said[-1] == "ok" and len(said) == len(late)  # all accepted while at schema 10
        await open_and_close(server.url(prefix="o:"))
        assert dump(r, "o:") == expected


# ---- schema 12 and an older leader ----------------------------------------------------------
def until_migrating(r: redis.Redis, prefix: str, version: int) -> None:
    """Steps of one item until migration ``version`` has made its first step."""
    for _ in range(500):
        answer = step(r, prefix, 1)
        if answer[0] == "more" and int(answer[2]) == version:
            return
    raise AssertionError(f"migration {version} never started")


def older_save(r: redis.Redis, prefix: str, version: str, fence: str, record: str) -> Any:
    """save_incidents as an older bridge's leader calls it (its version, its fencing token),
    of the record of inc-c (``record``: its text as that bridge writes it, with no list)."""
    keys = [
        prefix + k
        for k in (
            "schema",
            "incidents",
            "lease",
            "incidents:start",
            "incidents:by-start",
            "incidents:unsettled",
            "incidents:settled",
        )
    ]
    member = f"{T.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|inc-c"
    args = [version, fence, "inc-c", record, member, str(int(T.timestamp()) + 3600)]
    return r.eval(bodies()["save_incidents"], len(keys), *keys, *args)


def older_acquire(r: redis.Redis, prefix: str, version: str) -> Any:
    keys = [prefix + k for k in ("schema", "lease", "lease:token")]
    return r.eval(bodies()["acquire_lease"], len(keys), *keys, version, "older", "10000", "0")


async def test_an_older_leader_cannot_undo_the_lists_schema_12_writes(
    server: RedisServer,
) -> None:
    """While schema 12 lists in each host what was merged into it, it holds the leader lease:
    a leader of schema 11 still running is fenced (its save of a host, which would write the
    host without its list, is refused) and another cannot take the lease. If the lease lapsed
    between steps (the start stopped for longer than it lasts) and an older leader saved a
    host meanwhile, the migration starts over, and ends with every list."""
    with raw(server) as r:
        await fill(server.url(prefix="ref:"))
        back_to(r, "ref:", OLDEST)
        await open_and_close(server.url(prefix="ref:"))
        expected = dump(r, "ref:")

        await fill(server.url(prefix="l:"))
        back_to(r, "l:", OLDEST)
        for _ in range(500):
            if r.get("l:schema") == "11":
                break
            step(r, "l:", 3)
        token = older_acquire(r, "l:", "11")
        assert token[0] == "ok"
        unlisted = r.hget("l:incidents", "inc-c")  # as the older leader holds it
        assert unlisted is not None and "absorbed" not in unlisted
        until_migrating(r, "l:", 12)
        assert older_save(r, "l:", "11", str(token[1]), unlisted)[0] == "fenced"
        assert older_acquire(r, "l:", "11")[0] == "held"
        for _ in range(3):
            step(r, "l:", 1)  # inc-a, inc-b, inc-c read: inc-c lists inc-a and inc-b
        assert '"absorbed":["inc-a","inc-b"]' in r.hget("l:incidents", "inc-c")
        # the lease lapses; an older leader takes it and saves a host as it holds it
        r.delete("l:lease")
        again = older_acquire(r, "l:", "11")
        assert again[0] == "ok"
        assert older_save(r, "l:", "11", str(again[1]), unlisted) != ["fenced"]
        for _ in range(500):  # the rest, an incident a step (so it holds the lease again)
            if step(r, "l:", 1)[0] == "done":
                break
        assert dump(r, "l:") == expected
        # the older leaders' tokens, the migration's first and the one it took starting over
        assert r.get("l:lease:token") == "4"
        assert not r.exists("l:lease")  # released at the end: the new bridge leads at once


# ---- how long Redis is held ------------------------------------------------------------------
async def test_a_migration_holds_redis_only_a_step_at_a_time(server: RedisServer) -> None:
    """Schema 11 and 14 on 30 000 stored audit entries: every script call of the migration is
    a small share of it (SLOWLOG of every call over 1 ms; the commands inside a script are
    logged too, each in microseconds), so another client waits at most one step, never for the
    whole log; and Lua never holds the log (its memory stays small)."""
    count = 30_000
    with raw(server) as r:
        r.set("bridge:schema", "13")  # any store; the log below is written as schema 10 did
        pipe = r.pipeline(transaction=False)
        for seq, entry in enumerate(history(count), start=1):
            text = json.dumps(
                {
                    "seq": seq,
                    "action": entry.action,
                    "actor": entry.actor,
                    "at": entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "detail": entry.detail,
                    "target": entry.target,
                },
                separators=(",", ":"),
            )
            pipe.zadd("bridge:audit", {text: seq})
            pipe.zadd("bridge:audit:target:" + entry.target, {text: seq})
            if seq % 1000 == 0:
                pipe.execute()
        pipe.execute()
        r.set("bridge:audit:seq", str(count))
        r.set("bridge:schema", str(OLDEST))
        r.config_set("slowlog-log-slower-than", 1000)
        r.config_set("slowlog-max-len", 10_000)
        r.slowlog_reset()
        await open_and_close(server.url())
        assert r.get("bridge:schema") == str(SCHEMA_VERSION)
        scripts = [
            e["duration"]
            for e in r.slowlog_get(10_000)
            if str(e["command"]).upper().startswith(("EVAL", "B'EVAL"))
        ]
        vm = int(r.info("memory")["used_memory_vm_eval"])
    assert len(scripts) >= count // 1000  # a step per thousand entries, twice (some < 1 ms)
    assert max(scripts) <= 0.1 * sum(scripts), (max(scripts), sum(scripts))
    assert vm < 4 * 2**20, vm


# ---- schema 14: the target index holds the seq ----------------------------------------------
_TARGET_FILTERS = [
    AuditFilter(target=t, **extra)  # type: ignore[arg-type]
    for t in (*_TARGETS, "draft:inc-9.none")
    for extra in (
        {},
        {"since": T + timedelta(minutes=20), "until": T + timedelta(minutes=70)},
        {"actor": "ada"},
        {"action": "draft."},
    )
]


async def _answers(store: Store) -> list[Any]:
    """Every target search's pages (several page sizes and scan bounds) and the target logs."""
    out: list[Any] = []
    for where in _TARGET_FILTERS:
        for limit, scan in ((100, 1000), (3, 1000), (4, 5)):
            before = None
            for _ in range(200):
                page = await store.search_audit(where, limit, before, scan)
                out.append(([e for e in page.entries], page.resume))
                if page.resume is None:
                    break
                before = page.resume
    for target in (*_TARGETS, "nothing"):
        out.append(await store.audit_log(target=target))
        out.append(await store.audit_log(limit=2, before_seq=30, target=target))
    return out


async def test_the_target_index_holds_seqs_and_searches_answer_as_before(
    server: RedisServer, tmp_path: Path
) -> None:
    """A store of schema 13 (each entry's JSON kept again under its target) opens with the
    target index holding each entry's seq, as the actor and incident indexes do, and no JSON
    copy left; every search by target and every target log answers what SQLite answers for
    the same entries, page for page."""
    entries = history(90)
    sqlite = SqliteStore(f"sqlite:///{tmp_path / 'same.sqlite3'}")
    await sqlite.open()
    try:
        await sqlite.append_audit(entries)
        expected = await _answers(sqlite)
    finally:
        await sqlite.close()
    url = server.url(prefix="t:")
    store = RedisStore(url)
    await store.open()
    try:
        await store.append_audit(entries)
    finally:
        await store.close()
    with raw(server) as r:
        back_to(r, "t:", 13)
    store = RedisStore(url)
    await store.open()
    try:
        assert await _answers(store) == expected
        await store.append_audit([AuditEntry(T, "cy", "x.y", "store")])
        assert (await store.audit_log(limit=1, target="store"))[0].actor == "cy"
    finally:
        await store.close()
    with raw(server) as r:
        assert list(r.scan_iter(match="t:audit:target:*")) == []
        members = r.zrange("t:audit:by-target:store", 0, -1, withscores=True)
        assert members and all(m == f"{int(s):020d}" for m, s in members)
        assert len(members) == 1 + sum(e.target == "store" for e in entries)
