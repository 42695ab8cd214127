"""Stored forms: the text every store keeps for each record is what the hand-written codecs wrote
before :mod:`bridge.store.record_codec` replaced them (a session now adds one key,
``second_factor_at``; the older form reads with it None). The literals below are exactly what that
code wrote for the records beside them (sorted keys, ``codec.ts`` timestamps), so data written
before the change reads back as equal records, and the new code writes the same text."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from builders import alert
from redis_server import RedisServer, shared_server
from store_kit import delivery, redis_prefix

from bridge.core.audit_search import AuditFilter
from bridge.store.interfaces import SCHEMA_VERSION, Store
from bridge.store.record_codec import encode
from bridge.store.records import (
    AuditEntry,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    PrivacyCaseRecord,
    SessionRecord,
    TokenRecord,
    UserRecord,
)
from bridge.store.redis import RedisStore
from bridge.store.redis.alerts import episode_field, episode_value
from bridge.store.sqlite import SqliteStore
from bridge.store.sqlite.alerts import episode_row, read_keys_sql
from bridge.store.sqlite.migrations import MIGRATIONS, statements

T = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
TS = "2026-11-23T10:00:00.123456Z"

USER = UserRecord(
    name="alice",
    display_name="Alice Åberg",
    password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    grants=("viewer", "approver:outage"),
    created_at=T,
    updated_at=T + timedelta(minutes=1),
    totp_secret="JBSWY3DPEHPK3PXP",
    totp_enrolled=True,
    totp_last_step=123,
    failed_logins=2,
    locked_until=T + timedelta(minutes=15),
)
USER_JSON = (
    '{"created_at":"2026-11-23T10:00:00.123456Z","disabled":false,"display_name":"Alice Åberg",'
    '"failed_logins":2,"grants":["viewer","approver:outage"],'
    '"locked_until":"2026-11-23T10:15:00.123456Z","name":"alice",'
    '"password_hash":"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA","totp_enrolled":true,'
    '"totp_last_step":123,"totp_secret":"JBSWY3DPEHPK3PXP",'
    '"updated_at":"2026-11-23T10:01:00.123456Z"}'
)
# Users now keep a grant waiting for a second admin (none: the keys below, as null and empty):
# the older form above still reads as USER; a write adds the four new keys.
USER_JSON_NOW = USER_JSON.replace(
    '"totp_enrolled"',
    '"pending_at":null,"pending_by":"","pending_kept":[],"pending_roles":[],"totp_enrolled"',
).replace(  # the code step's own lockout (a record written before reads them as none)
    '"totp_last_step":123,', '"totp_failures":0,"totp_last_step":123,"totp_locked_until":null,'
)
SESSION = SessionRecord(
    "ab12", "alice", T, T + timedelta(minutes=1), T + timedelta(hours=12), "csrf-1", True, "::1"
)
SESSION_JSON = (
    '{"address":"::1","created_at":"2026-11-23T10:00:00.123456Z","csrf_token":"csrf-1",'
    '"expires_at":"2026-11-23T22:00:00.123456Z","id_hash":"ab12",'
    '"last_seen":"2026-11-23T10:01:00.123456Z","second_factor_done":true,"user":"alice"}'
)
# Sessions now keep when the second factor was last given (None: not known, as for sessions stored
# before): the older form above still reads as SESSION; a write adds the one new key.
SESSION_JSON_NOW = SESSION_JSON.replace(
    '"second_factor_done"', '"second_factor_at":null,"second_factor_done"'
)
TOKEN = TokenRecord(
    "tok1", "grafana", "hash-tok1", ("viewer",), T, "alice", 1, T + timedelta(hours=1)
)
TOKEN_USED = T + timedelta(hours=2)
TOKEN_JSON = (
    '{"created_at":"2026-11-23T10:00:00.123456Z","created_by":"alice","grants":["viewer"],'
    '"id":"tok1","name":"grafana","revoked_at":"2026-11-23T11:00:00.123456Z",'
    '"token_hash":"hash-tok1"}'
)
DRAFT = DraftRecord(
    "d-1", "inc-1", "approved", 1, T, {"id": "d-1", "text": "rev 1 åäö", "n": [1, {"k": None}]}
)
DRAFT_DOC = '{"id":"d-1","n":[1,{"k":null}],"text":"rev 1 åäö"}'
DRAFT_JSON = (
    f'{{"document":{DRAFT_DOC},"id":"d-1","incident_id":"inc-1","revision":1,'
    f'"state":"approved","updated_at":"{TS}"}}'
)
INCIDENT = IncidentRecord(
    "inc-1",
    "topo:site",
    T,
    "open",
    [("fp1", T), ("fp2", T + timedelta(seconds=1))],
    None,
    {"id": "inc-1", "name": "Östersund"},
)
INCIDENT_EPISODES = '[["fp1","2026-11-23T10:00:00.123456Z"],["fp2","2026-11-23T10:00:01.123456Z"]]'
INCIDENT_DOC = '{"id":"inc-1","name":"Östersund"}'
INCIDENT_JSON = (
    f'{{"document":{INCIDENT_DOC},"episodes":{INCIDENT_EPISODES},"id":"inc-1",'
    f'"key":"topo:site","merged_into":null,"started_at":"{TS}","state":"open"}}'
)
#: schema 6 adds ``settled_at`` (absent in what older code wrote: read as None)
INCIDENT_JSON_NOW = INCIDENT_JSON.replace(
    '"merged_into":null,', '"merged_into":null,"settled_at":null,'
)
CASE = PrivacyCaseRecord(
    "priv-1", "open", 1, T, {"id": "priv-1", "state": "open", "description": "åäö"}
)
CASE_DOC = '{"description":"åäö","id":"priv-1","state":"open"}'
CASE_JSON = (
    f'{{"document":{CASE_DOC},"id":"priv-1","revision":1,"state":"open","updated_at":"{TS}"}}'
)
AUDIT = AuditEntry(T, "token:ops", "draft.approved", "draft:d-1", {"v": 1}, seq=1)
AUDIT_JSON = (
    f'{{"seq":1,"action":"draft.approved","actor":"token:ops","at":"{TS}","detail":{{"v":1}},'
    '"target":"draft:d-1"}'
)
DELIVERY = delivery(alert("fp1", T), at=T)
DELIVERY_RECORD = DeliveryRecord(T, "bridge", "g", "firing", 1, 0)
DELIVERY_JSON = (
    f'{{"alerts":1,"group_key":"g","received_at":"{TS}","receiver":"bridge",'
    '"status":"firing","truncated":0}'
)

#: SQLite: every row as the older code wrote it, by table (columns in table order)
SQLITE_ROWS: dict[str, tuple[Any, ...]] = {
    "users": ("alice", 1, USER_JSON),
    "sessions": ("ab12", "alice", "2026-11-23T22:00:00.123456Z", SESSION_JSON),
    "api_tokens": ("tok1", "hash-tok1", TS, 1, "2026-11-23T12:00:00.123456Z", TOKEN_JSON),
    "drafts": ("d-1", "inc-1", "approved", 1, TS, DRAFT_DOC),
    "incidents": ("inc-1", "topo:site", TS, "open", None, INCIDENT_EPISODES, INCIDENT_DOC, None),
    "privacy_cases": ("priv-1", "open", 1, TS, CASE_DOC),
    "privacy_case_revisions": ("priv-1", 1, TS, CASE_DOC),
    "audit": (1, TS, "token:ops", "draft.approved", "draft:d-1", '{"v":1}'),
    "deliveries": (1, TS, "bridge", "g", "firing", 1, 0),
}

#: Redis: every key (after the prefix) as the older code wrote it
REDIS_KEYS: dict[str, Any] = {
    "users": {"alice": USER_JSON},
    "users:rev": {"alice": "1"},
    "sessions": {"ab12": SESSION_JSON},
    "sessions:by-user:alice": {"ab12"},
    "sessions:expiry": [("ab12", SESSION.expires_at.timestamp())],
    "tokens": {"tok1": TOKEN_JSON},
    "tokens:rev": {"tok1": "1"},
    "tokens:by-hash": {"hash-tok1": "tok1"},
    "tokens:used": {"tok1": "2026-11-23T12:00:00.123456Z"},
    "drafts": {"d-1": DRAFT_JSON},
    "drafts:rev": {"d-1": "1"},
    "drafts:state": {"d-1": "approved"},
    "drafts:incident": {"d-1": "inc-1"},
    "drafts:by-state:approved": {"d-1"},
    "drafts:by-incident:inc-1": {"d-1"},
    "incidents": {"inc-1": INCIDENT_JSON},
    "privacy": {"priv-1": CASE_JSON},
    "privacy:rev": {"priv-1": "1"},
    "privacy:revisions:priv-1": [CASE_JSON],
    "audit:seq": "1",
    "audit": [(AUDIT_JSON, 1.0)],
    # schema 14: the target index holds the seq (up to 13 it held AUDIT_JSON again)
    "audit:by-target:draft:d-1": [("00000000000000000001", 1.0)],
    "deliveries": [DELIVERY_JSON],
}


async def write_everything(store: Store) -> None:
    """Every record, written through the store's interface."""
    await store.put_user(USER, None, [])
    await store.put_session(SESSION)
    await store.put_token(TOKEN, None, [])
    await store.touch_token(TOKEN.id, TOKEN_USED)
    await store.put_draft(DRAFT, None, [AUDIT])
    await store.save_incidents([INCIDENT])
    await store.put_privacy_case(CASE, None, [])
    await store.ingest(DELIVERY, T)


async def assert_reads_everything(store: Store) -> None:
    """Every record reads back equal to the one the stored text was written for."""
    assert await store.get_user("alice") == USER
    assert await store.list_users() == [USER]
    assert await store.get_session("ab12") == SESSION
    used = replace(TOKEN, last_used_at=TOKEN_USED)
    assert await store.get_token("tok1") == used
    assert await store.find_token("hash-tok1") == used
    assert await store.list_tokens() == [used]
    assert await store.get_draft("d-1") == DRAFT
    assert await store.list_drafts("inc-1", {"approved"}) == [DRAFT]
    assert await store.get_incident("inc-1") == INCIDENT
    assert await store.load_incidents() == [INCIDENT]
    assert await store.get_privacy_case("priv-1") == CASE
    assert await store.privacy_case_revisions("priv-1") == [CASE]
    assert await store.list_privacy_cases() == [CASE]
    assert await store.audit_log() == [AUDIT]
    assert await store.audit_log(target="draft:d-1") == [AUDIT]
    assert await store.recent_deliveries(5) == [DELIVERY_RECORD]


# ---- SQLite ---------------------------------------------------------------------------------
async def test_sqlite_reads_rows_written_by_the_older_code(tmp_path: Path) -> None:
    """Rows as the hand-written codecs stored them read back as equal records."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = SqliteStore(url)
    await store.open()  # the schema
    await store.close()
    conn = sqlite3.connect(tmp_path / "old.sqlite3")
    with conn:
        for table, row in SQLITE_ROWS.items():
            conn.execute(f"INSERT INTO {table} VALUES ({','.join('?' * len(row))})", row)
    conn.close()
    store = SqliteStore(url)
    await store.open()
    try:
        await assert_reads_everything(store)
    finally:
        await store.close()


async def test_sqlite_writes_the_rows_the_older_code_wrote(tmp_path: Path) -> None:
    """The record codec writes byte for byte the rows the hand-written codecs wrote."""
    path = tmp_path / "new.sqlite3"
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await write_everything(store)
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        for table, row in SQLITE_ROWS.items():
            if table == "sessions":
                row = (*row[:3], SESSION_JSON_NOW)
            if table == "users":
                row = (*row[:2], USER_JSON_NOW)
            assert conn.execute(f"SELECT * FROM {table}").fetchall() == [row], table
    finally:
        conn.close()


# ---- Redis ----------------------------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[RedisServer]:
    yield shared_server()


def _raw(server: RedisServer) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)


def _put(r: redis.Redis, key: str, value: Any) -> None:
    if isinstance(value, dict):
        r.hset(key, mapping=value)
    elif isinstance(value, set):
        r.sadd(key, *value)
    elif isinstance(value, str):
        r.set(key, value)
    elif isinstance(value[0], tuple):
        r.zadd(key, dict(value))
    else:
        r.rpush(key, *value)


def _get(r: redis.Redis, key: str) -> Any:
    kind = r.type(key)
    if kind == "hash":
        return r.hgetall(key)
    if kind == "set":
        return r.smembers(key)
    if kind == "string":
        return r.get(key)
    if kind == "zset":
        return r.zrange(key, 0, -1, withscores=True)
    return r.lrange(key, 0, -1)


async def test_redis_reads_keys_written_by_the_older_code(
    server: RedisServer, tmp_path: Path
) -> None:
    """Keys as the hand-written codecs stored them read back as equal records."""
    prefix = redis_prefix(tmp_path)
    store = RedisStore(server.url(prefix=prefix))
    await store.open()  # the schema key
    try:
        with _raw(server) as r:
            for key, value in REDIS_KEYS.items():
                _put(r, prefix + key, value)
        await assert_reads_everything(store)
    finally:
        await store.close()


async def test_redis_writes_the_keys_the_older_code_wrote(
    server: RedisServer, tmp_path: Path
) -> None:
    """The record codec writes byte for byte the values the hand-written codecs wrote."""
    prefix = redis_prefix(tmp_path)
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    try:
        await write_everything(store)
    finally:
        await store.close()
    with _raw(server) as r:
        for key, value in REDIS_KEYS.items():
            if key == "sessions":
                value = {"ab12": SESSION_JSON_NOW}
            if key == "users":
                value = {"alice": USER_JSON_NOW}
            if key == "incidents":
                value = {"inc-1": INCIDENT_JSON_NOW}
            assert _get(r, prefix + key) == value, key


async def test_redis_schema_6_indexes_what_schema_5_stored(
    server: RedisServer, tmp_path: Path
) -> None:
    """Opening a schema-5 Redis store migrates it (schema 6 onwards): its incidents (with no
    ``settled_at``: treated as live) and its episodes are in the indexes a restart and the
    pages read."""
    prefix = redis_prefix(tmp_path)
    firing = DELIVERY.episodes[0]
    with _raw(server) as r:
        for key, value in REDIS_KEYS.items():
            _put(r, prefix + key, value)
        r.hset(prefix + "alerts", episode_field(firing), episode_value(firing))
        r.set(prefix + "schema", "5")
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert await store.live_incidents(T + timedelta(days=365)) == [INCIDENT]
        assert await store.incident_page("all", None, 10) == [INCIDENT]
        live, _ = await store.live_episodes(T + timedelta(days=365))
        assert [ep.fingerprint for ep in live] == ["fp1"]
    finally:
        await store.close()


def at_schema(path: Path, version: int) -> sqlite3.Connection:
    """A SQLite file as a bridge of schema ``version`` left it, open (nothing stored)."""
    conn = sqlite3.connect(path)
    with conn:
        for step in range(1, version + 1):
            for statement in statements(MIGRATIONS[step]):
                conn.execute(statement)
        conn.execute("INSERT INTO meta VALUES('schema_version', ?)", (str(version),))
    return conn


async def test_sqlite_schema_6_adds_settled_at_to_what_schema_5_stored(tmp_path: Path) -> None:
    """A schema-5 SQLite file gains ``settled_at`` (NULL: live) and the indexes on open."""
    path = tmp_path / "v5.sqlite3"
    conn = at_schema(path, 5)
    with conn:
        row = SQLITE_ROWS["incidents"][:-1]
        conn.execute(f"INSERT INTO incidents VALUES ({','.join('?' * len(row))})", row)
    conn.close()
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert await store.live_incidents(T + timedelta(days=365)) == [INCIDENT]
    finally:
        await store.close()


async def test_sqlite_schema_10_keeps_in_write_order_what_schema_9_stored(tmp_path: Path) -> None:
    """A schema-9 file (alerts in key order) opens as schema 10 (alerts in write order, a
    unique index on the key): every row reads back as it was, with its change number, and a
    later write of a stored alert merges into its row instead of adding one."""
    path = tmp_path / "v9.sqlite3"
    first = DELIVERY.episodes[0]
    second = delivery(alert("fp0", T + timedelta(minutes=1)), at=T).episodes[0]
    conn = at_schema(path, 9)
    with conn:
        for seq, ep in ((1, first), (2, second)):
            conn.execute(
                "INSERT INTO alerts VALUES (?,?,?,?,?,?,?,?,?,?,?)", (*episode_row(ep), seq)
            )
            conn.execute(
                "INSERT INTO deliveries VALUES (?,?,?,?,?,?,?)",
                (seq, TS, "bridge", "g", "firing", 1, 0),
            )
    conn.close()
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert sorted(await store.load_episodes(), key=lambda e: e.fingerprint) == [second, first]
        assert await store.episodes_since(1) == ([second], 2)
        resolved = delivery(
            alert("fp1", T, status="resolved", ends_at=T + timedelta(minutes=5)),
            at=T + timedelta(minutes=6),
        )
        await store.ingest(resolved, T + timedelta(minutes=6))
        stored = {e.fingerprint: e for e in await store.load_episodes()}
        assert len(stored) == 2 and stored["fp1"].status == "resolved"
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        indexes = {row[1]: row[2] for row in conn.execute("PRAGMA index_list(alerts)")}
        assert indexes["alerts_key"] == 1  # unique
        assert conn.execute("SELECT count(*) FROM alerts").fetchone() == (2,)
    finally:
        conn.close()


def test_sqlite_reads_alerts_by_their_key_through_the_index(tmp_path: Path) -> None:
    """Reading chosen alerts (an old incident's, a restart's older ones) and retention's
    look-ups find them through the key's index, never by scanning every stored alert."""
    conn = at_schema(tmp_path / "plans.sqlite3", SCHEMA_VERSION)
    try:
        for sql, params in (
            (read_keys_sql(3), ("f", "s") * 3),
            ("SELECT 1 FROM alerts WHERE fingerprint=? AND starts_at=?", ("f", "s")),
            ("DELETE FROM alerts WHERE fingerprint=? AND starts_at=?", ("f", "s")),
        ):
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert not any(step.startswith("SCAN a") or step == "SCAN alerts" for step in plan)
            assert any("alerts_key" in step for step in plan), plan
    finally:
        conn.close()


#: three entries as schema 10 stored them: the second written 40 minutes late (another clock)
_OLD_AUDIT = [
    (1, "2026-11-23T10:00:00.000000Z", "ada", "draft.approved", "draft:inc-7.nkom_varsel"),
    (2, "2026-11-23T09:20:00.500000Z", "bo", "incident.note", "incident:inc-7"),
    (3, "2026-11-23T10:05:00.000000Z", "ada", "login.success", "user:ada"),
]


async def _old_audit_is_searched(store: Store) -> None:
    """What schema 11 indexes for the entries stored before it: actor, incident, time (the
    late entry found through the clock the migration computed, with a scan of one)."""
    assert await store.schema_version() == SCHEMA_VERSION
    ada = await store.search_audit(AuditFilter(actor="ada"), 10)
    assert [e.seq for e in ada.entries] == [3, 1]
    inc = await store.search_audit(AuditFilter(incident="inc-7"), 10)
    assert [e.seq for e in inc.entries] == [2, 1]
    where = AuditFilter(since=T - timedelta(hours=1), until=T - timedelta(minutes=30))
    found, before = [], None
    for _ in range(5):
        page = await store.search_audit(where, 10, before, 1)
        found += [e.seq for e in page.entries]
        before = page.resume
        if before is None:
            break
    assert found == [2]
    await store.append_audit([AuditEntry(T + timedelta(hours=1), "cy", "x.y", "store")])
    late = await store.search_audit(AuditFilter(since=T + timedelta(minutes=30)), 10)
    assert [(e.seq, e.actor) for e in late.entries] == [(4, "cy")]


async def test_sqlite_schema_11_indexes_the_audit_log_schema_10_stored(tmp_path: Path) -> None:
    path = tmp_path / "v10.sqlite3"
    conn = at_schema(path, 10)
    with conn:
        for seq, at, actor, action, target in _OLD_AUDIT:
            conn.execute(
                "INSERT INTO audit VALUES (?,?,?,?,?,?)", (seq, at, actor, action, target, "{}")
            )
    conn.close()
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await _old_audit_is_searched(store)
    finally:
        await store.close()


async def test_redis_schema_11_indexes_the_audit_log_schema_10_stored(
    server: RedisServer, tmp_path: Path
) -> None:
    prefix = redis_prefix(tmp_path)
    with _raw(server) as r:
        for seq, at, actor, action, target in _OLD_AUDIT:
            entry = (
                f'{{"seq":{seq},"action":"{action}","actor":"{actor}","at":"{at}",'
                f'"detail":{{}},"target":"{target}"}}'
            )
            r.zadd(prefix + "audit", {entry: seq})
            r.zadd(prefix + f"audit:target:{target}", {entry: seq})
        r.set(prefix + "audit:seq", "3")
        r.set(prefix + "schema", "10")
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    try:
        await _old_audit_is_searched(store)
    finally:
        await store.close()


# ---- schema 12: what was merged into each stored incident, listed in it ----------------------
#: the schema before stored hosts listed what was merged into them
BEFORE_THE_LIST = 11
#: a document as the bridge stores one (sorted keys when written): an empty array, a text with
#: a quote, a bracket and a brace in it, a nested object, a non-ASCII name
_DOC = {
    "alert_count": 2,
    "impact": {"by_service": {"mobile": 5000}, "current": 0, "peak": 5000},
    "merged_into": None,
    "stale_alerts": [],
    "title": 'Heimdal "cell" ] } down',
    "region": "Trøndelag",
}


def _merged(incident_id: str, into: str | None, **document: Any) -> IncidentRecord:
    return IncidentRecord(
        incident_id,
        f"topo:{incident_id}",
        T,
        "closed",
        [(f"fp-{incident_id}", T)],
        into,
        {**_DOC, "id": incident_id, "merged_into": into, **document},
        settled_at=T + timedelta(hours=1),
    )


#: as a bridge of schema 11 stored them: A merged into B, B into C (a chain; no list in any);
#: X and Y merged into H, whose record lists X only (written by a bridge that listed them, Y
#: merged by one that did not); O merged into an incident the store no longer holds
#: (retention); P stands alone
_OLD_RECORDS = [
    _merged("inc-a", "inc-b"),
    _merged("inc-b", "inc-c"),
    _merged("inc-c", None),
    _merged("inc-h", None, absorbed=["inc-x"]),
    _merged("inc-x", "inc-h"),
    _merged("inc-y", "inc-h"),
    _merged("inc-o", "inc-gone"),
    _merged("inc-p", None),
]
#: what schema 12 lists in each (sorted by id; the others stay as they were)
_LISTED = {"inc-b": ["inc-a"], "inc-c": ["inc-a", "inc-b"], "inc-h": ["inc-x", "inc-y"]}


def _listed(record: IncidentRecord) -> IncidentRecord:
    absorbed = _LISTED.get(record.id)
    if absorbed is None:
        return record
    return replace(record, document={**record.document, "absorbed": absorbed})


async def _old_hosts_list_what_was_merged(store: Store) -> None:
    assert await store.schema_version() == SCHEMA_VERSION
    for old in _OLD_RECORDS:
        assert await store.get_incident(old.id) == _listed(old), old.id
    assert await store.get_incident("inc-gone") is None


async def test_sqlite_schema_12_lists_in_each_host_what_was_merged_into_it(
    tmp_path: Path,
) -> None:
    """A store written before hosts listed the incidents merged into them gets the lists on
    open (a chain listed in each incident it leads through, a list already there added to),
    every other record as it was; the migration applied again changes nothing."""
    path = tmp_path / "v11.sqlite3"
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await store.save_incidents(_OLD_RECORDS)
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(BEFORE_THE_LIST),))
        before = dict(conn.execute("SELECT id, document FROM incidents").fetchall())
    conn.close()
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        await _old_hosts_list_what_was_merged(store)
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        after = dict(conn.execute("SELECT id, document FROM incidents").fetchall())
        assert {i: t for i, t in after.items() if i not in _LISTED} == {
            i: t for i, t in before.items() if i not in _LISTED
        }  # byte for byte
        with conn:
            for statement in statements(MIGRATIONS[12]):
                conn.execute(statement)
        assert dict(conn.execute("SELECT id, document FROM incidents").fetchall()) == after
    finally:
        conn.close()


async def test_redis_schema_12_lists_in_each_host_what_was_merged_into_it(
    server: RedisServer, tmp_path: Path
) -> None:
    """As on SQLite; each record's text is the one the bridge writes for it (sorted keys),
    byte for byte, and opening the store at schema 11 again changes nothing."""
    prefix = redis_prefix(tmp_path)
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    try:
        await store.save_incidents(_OLD_RECORDS)
    finally:
        await store.close()
    with _raw(server) as r:
        r.set(prefix + "schema", str(BEFORE_THE_LIST))
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    try:
        await _old_hosts_list_what_was_merged(store)
    finally:
        await store.close()
    with _raw(server) as r:
        after = r.hgetall(prefix + "incidents")
        assert after == {old.id: encode(_listed(old)) for old in _OLD_RECORDS}
        r.set(prefix + "schema", str(BEFORE_THE_LIST))
    store = RedisStore(server.url(prefix=prefix))
    await store.open()
    await store.close()
    with _raw(server) as r:
        assert r.hgetall(prefix + "incidents") == after
