"""The replicated store: Redis (redis-py asyncio), for two or more bridge replicas.

Same contract as every store (:mod:`bridge.store.base`). How this one keeps it:

- Every change that touches more than one key runs as one Lua script (EVALSHA), so Redis
  applies it whole or not at all: ingest (merge, delivery record, truncation), save_incidents,
  put_draft (revision check, draft, index sets, audit entries) and append_audit. The ingest
  script merges episodes exactly like :func:`bridge.core.alerts.merge_episode` (the contract
  suite checks it against the core on random observation orders).
- Every write script first checks the schema version key. A missing or different version means
  the data was flushed or lost, or a newer bridge migrated it: the write is refused
  (StoreUnavailable) instead of building a partial state beside it.
- Audit entries get their ``seq`` from ``INCR`` inside the same script as the entry.
- Every redis-py error, timeout or refused connection becomes
  :class:`~bridge.errors.StoreUnavailable`. The client never retries a command on its own (a
  script retried after a lost reply could apply twice); the pool replaces a dead pooled
  connection before sending on it, so the first call after Redis is back succeeds.

Durable acknowledgement. The webhook's 2xx must mean the alerts survive a Redis crash, so
:meth:`RedisStore.open` reads the server's settings (``CONFIG GET appendonly``, ``appendfsync``,
``maxmemory-policy``; ``INFO persistence`` and ``INFO memory``) and raises
:class:`~bridge.errors.ConfigError` naming each setting that cannot keep that promise:

- ``appendonly yes`` with ``appendfsync always`` (Redis fsyncs the AOF before it replies), or
  ``wait_replicas`` (below) so a write counts only once replicas have it;
- ``maxmemory-policy noeviction`` always: any other policy may evict alerts, drafts or audit.

A managed Redis often disables CONFIG; then the settings INFO shows are used and the error says
that CONFIG is unavailable and what could not be verified.

URL: ``redis[s]://[[USER]:PASSWORD@]HOST:PORT/DB[?PARAMS]``, parameters:

- ``prefix=TEXT`` — prefix of every key (default ``bridge:``); several bridges can share a
  database with different prefixes.
- ``wait_replicas=N`` and ``wait_timeout_ms=M`` (default 1000) — after every write, ``WAIT N
  M``; fewer than N acknowledgements raise StoreUnavailable. The write is then on the primary
  but not known to be on a replica; the caller retries (ingest is idempotent; a retried draft
  write finds its own revision and raises Conflict, so re-read).
- ``unsafe_ok=true`` — open despite unsafe settings, logging a WARNING naming each one.
- ``socket_timeout``, ``socket_connect_timeout`` (seconds, default 5 and 2),
  ``health_check_interval``, ``client_name``, ``max_connections`` (default 32),
  ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
  ``ssl_check_hostname`` — passed to redis-py. Any other parameter is a ConfigError.

Keys (``P`` = prefix): ``P schema`` (version), ``P alerts`` (hash: episode key → the text of
``_episode_value``), ``P alerts:seq`` (change counter) and ``P alerts:changes`` (sorted set:
episode key scored by the change number of its last write; :meth:`RedisStore.episodes_since`),
``P lease`` (hash: holder, token; expired by Redis itself) and ``P lease:token`` (counter of
fencing tokens), ``P deliveries`` (list, newest first), ``P truncation`` (hash: group key →
``"ts n"``), ``P incidents`` (hash: id → record JSON), ``P drafts`` (hash: id → draft JSON)
with ``P drafts:rev|state|incident`` (hashes: id → indexed field) and ``P drafts:by-state:S``
and ``P drafts:by-incident:I`` (sets of ids), ``P audit:seq`` (counter), ``P audit`` and
``P audit:target:T`` (sorted sets scored by seq, members the entry JSON with its seq),
``P alive`` (written by ping). People (schema 4): ``P users`` and ``P tokens`` (hashes: name or
id → JSON of :mod:`bridge.store.people`) with ``P users:rev`` and ``P tokens:rev`` (id →
revision), ``P tokens:by-hash`` (SHA-256 of the secret → id), ``P tokens:used`` (id → last
use); ``P sessions`` (hash: id hash → JSON), ``P sessions:by-user:U`` (set of id hashes) and
``P sessions:expiry`` (sorted set scored by the absolute end, epoch seconds). Privacy (schema
5): ``P privacy`` and ``P privacy:rev`` (hashes: case id → record JSON / revision) with
``P privacy:revisions:ID`` (list of every revision's record JSON, oldest first). Scripts build
the per-state/incident/target/user keys from the prefix, so Redis Cluster is not supported (one
primary, with replicas or Sentinel, is). Only sessions and the lease (on release) are ever
deleted; the audit log and the privacy register are append-only by that discipline (Redis has
no triggers to enforce it as SQLite does). Like SQLite's table, the delivery list grows with
every webhook: memory to watch under ``noeviction``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoPermissionError, RedisError, ResponseError

from bridge.core.alerts import AlertEpisode, Delivery
from bridge.errors import ConfigError, Conflict, LeaseLost, StoreUnavailable
from bridge.store.base import (
    SCHEMA_VERSION,
    AuditEntry,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    Lease,
    PrivacyCaseRecord,
    SessionRecord,
    Store,
    TokenRecord,
    UserRecord,
    check_follows,
    check_revision,
    revision_problem,
)
from bridge.store.codec import dumps, loads, opt_parse_ts, parse_ts, ts
from bridge.store.people import (
    expiry_score,
    session_from,
    session_json,
    token_from,
    token_json,
    user_from,
    user_json,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

_OWN_PARAMS = {"prefix", "unsafe_ok", "wait_replicas", "wait_timeout_ms", "max_connections"}
_DRIVER_PARAMS = {
    "socket_timeout",
    "socket_connect_timeout",
    "health_check_interval",
    "client_name",
    "ssl_cert_reqs",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_check_hostname",
}
_SCHEMA_ERROR = "BRIDGE_SCHEMA"

# ---- Lua ---------------------------------------------------------------------------------
# Shared head of every write script: KEYS[1] is the schema key, ARGV[1] the version this
# bridge writes. Timestamps are codec.ts text (fixed width, same punctuation everywhere), so
# Lua's string order is time order.
_GUARD = f"""
local found = redis.call('GET', KEYS[1])
if found ~= ARGV[1] then
  return redis.error_reply('{_SCHEMA_ERROR} ' .. (found or 'missing'))
end
"""

# merge_episode in Lua. KEYS: schema, alerts, deliveries, truncation, alerts:seq, alerts:changes
# (every episode written gets the delivery's change number as its score there). ARGV: version,
# delivery JSON, group key, received ts, "ts n" truncation value, then field/episode pairs.
# Episodes are stored as "status|ends_at|first_seen|last_seen|IDENTITY\nDISPLAY" (see
# _episode_value), so the merge is string work: no JSON is decoded inside Redis, which keeps
# the script (during which Redis serves nobody else) short in an alert storm.
_INGEST = (
    _GUARD
    + """
local FORM = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^\\n]*)\\n(.*)$'
local merged = {}
local seq = redis.call('INCR', KEYS[5])
for i = 6, #ARGV, 2 do
  local field, value = ARGV[i], ARGV[i + 1]
  local kept = redis.call('HGET', KEYS[2], field)
  if kept then
    local ostatus, oend, ofirst, olast, oid, odisplay = string.match(kept, FORM)
    local status, ends, first, last, id, display = string.match(value, FORM)
    -- _rank(new) >= _rank(old): a resolve beats a firing; among resolves the later (or
    -- equal) end; '' (no end) ranks lowest, like datetime.min
    local new_wins
    if status == 'firing' then new_wins = (ostatus == 'firing')
    elseif ostatus == 'firing' then new_wins = true
    else new_wins = (ends >= oend) end
    if not new_wins then status, ends, id = ostatus, oend, oid end
    if last < olast then display = odisplay end
    if ofirst < first then first = ofirst end
    if olast > last then last = olast end
    value = status .. '|' .. ends .. '|' .. first .. '|' .. last .. '|' .. id .. '\\n' .. display
  end
  redis.call('HSET', KEYS[2], field, value)
  redis.call('ZADD', KEYS[6], seq, field)
  merged[#merged + 1] = value
end
redis.call('LPUSH', KEYS[3], ARGV[2])
local previous = redis.call('HGET', KEYS[4], ARGV[3])
if (not previous) or ARGV[4] >= string.match(previous, '^(%S+)') then
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[5])
end
return merged
"""
)

# Refuses a leader's write whose fencing token is not the live lease's ('' = not fenced).
_FENCE_FN = """
local function fenced(lease_key, fence)
  if fence == '' then return false end
  return redis.call('HGET', lease_key, 'token') ~= fence
end
"""

# KEYS: schema, incidents, lease. ARGV: version, fence, then id/record pairs.
_SAVE_INCIDENTS = (
    _GUARD
    + _FENCE_FN
    + """
if fenced(KEYS[3], ARGV[2]) then
  return {'fenced', redis.call('HGET', KEYS[3], 'token') or ''}
end
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return #ARGV
"""
)

# Appends audit entries from ARGV[first..]: target/entry-JSON pairs; KEYS[audit_seq], KEYS[audit]
# given by position. The entry JSON gets its seq spliced in front ('{"seq":N,' .. rest).
_APPEND_AUDIT_FN = """
local function append_audit(prefix, seq_key, log_key, first)
  for i = first, #ARGV, 2 do
    local seq = redis.call('INCR', seq_key)
    local entry = '{"seq":' .. seq .. ',' .. string.sub(ARGV[i + 1], 2)
    redis.call('ZADD', log_key, seq, entry)
    redis.call('ZADD', prefix .. 'audit:target:' .. ARGV[i], seq, entry)
  end
end
"""

# KEYS: schema, drafts, drafts:rev, drafts:state, drafts:incident, audit:seq, audit, lease.
# ARGV: version, prefix, id, expected revision ('' = must not exist), revision, state,
# incident id, draft JSON, fence ('' = none), then audit target/entry pairs.
_PUT_DRAFT = (
    _GUARD
    + _APPEND_AUDIT_FN
    + _FENCE_FN
    + """
if fenced(KEYS[8], ARGV[9]) then
  return {'fenced', redis.call('HGET', KEYS[8], 'token') or ''}
end
local prefix, id, expected = ARGV[2], ARGV[3], ARGV[4]
local stored = redis.call('HGET', KEYS[3], id)
if (expected == '' and stored) or (expected ~= '' and stored ~= expected) then
  return {'conflict', stored or ''}
end
local state, incident = ARGV[6], ARGV[7]
local old_state = redis.call('HGET', KEYS[4], id)
if old_state and old_state ~= state then
  redis.call('SREM', prefix .. 'drafts:by-state:' .. old_state, id)
end
local old_incident = redis.call('HGET', KEYS[5], id)
if old_incident and old_incident ~= incident then
  redis.call('SREM', prefix .. 'drafts:by-incident:' .. old_incident, id)
end
redis.call('SADD', prefix .. 'drafts:by-state:' .. state, id)
redis.call('SADD', prefix .. 'drafts:by-incident:' .. incident, id)
redis.call('HSET', KEYS[2], id, ARGV[8])
redis.call('HSET', KEYS[3], id, ARGV[5])
redis.call('HSET', KEYS[4], id, state)
redis.call('HSET', KEYS[5], id, incident)
append_audit(prefix, KEYS[6], KEYS[7], 10)
return {'ok', ARGV[5]}
"""
)

# KEYS: schema, audit:seq, audit. ARGV: version, prefix, then target/entry pairs.
_APPEND_AUDIT = (
    _GUARD
    + _APPEND_AUDIT_FN
    + """
append_audit(ARGV[2], KEYS[2], KEYS[3], 3)
return 'ok'
"""
)

# KEYS: schema, lease, lease:token. ARGV: version, holder, ttl in ms. The lease is a hash
# (holder, token) that Redis expires itself (PEXPIRE: the server's clock, not the replicas').
_ACQUIRE_LEASE = (
    _GUARD
    + """
local holder = redis.call('HGET', KEYS[2], 'holder')
if holder and holder ~= ARGV[2] then return {'held', holder} end
local token
if holder then
  token = redis.call('HGET', KEYS[2], 'token')
else
  token = tostring(redis.call('INCR', KEYS[3]))
  redis.call('HSET', KEYS[2], 'holder', ARGV[2], 'token', token)
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'ok', token}
"""
)

# KEYS: schema, lease. ARGV: version, holder.
_RELEASE_LEASE = (
    _GUARD
    + """
if redis.call('HGET', KEYS[2], 'holder') == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 'ok'
"""
)

# A document under compare-and-set on its revision, with audit entries (users, API tokens,
# privacy cases). KEYS: schema, documents, revisions, audit:seq, audit, index (hash: field →
# id). ARGV: version, prefix, id, expected revision ('' = must not exist), revision, document
# JSON, index field ('' = none), history key prefix ('' = none: else every revision is also
# pushed on P<history>ID, e.g. P privacy:revisions:ID), then audit target/entry pairs.
_PUT_REVISED = (
    _GUARD
    + _APPEND_AUDIT_FN
    + """
local prefix, id, expected = ARGV[2], ARGV[3], ARGV[4]
local stored = redis.call('HGET', KEYS[3], id)
if (expected == '' and stored) or (expected ~= '' and stored ~= expected) then
  return {'conflict', stored or ''}
end
redis.call('HSET', KEYS[2], id, ARGV[6])
redis.call('HSET', KEYS[3], id, ARGV[5])
if ARGV[7] ~= '' then redis.call('HSET', KEYS[6], ARGV[7], id) end
if ARGV[8] ~= '' then redis.call('RPUSH', prefix .. ARGV[8] .. id, ARGV[6]) end
append_audit(prefix, KEYS[4], KEYS[5], 9)
return {'ok', ARGV[5]}
"""
)

# KEYS: schema, sessions, sessions:expiry. ARGV: version, prefix, id hash, user, JSON, score.
_PUT_SESSION = (
    _GUARD
    + """
redis.call('HSET', KEYS[2], ARGV[3], ARGV[5])
redis.call('SADD', ARGV[2] .. 'sessions:by-user:' .. ARGV[4], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
return 'ok'
"""
)

# KEYS: alerts:changes, alerts. ARGV: cursor. Returns the top change number, then the episodes
# changed after the cursor (read in one step, so the number and the values agree).
_EPISODES_SINCE = """
local changed = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {ARGV[1]}
if #changed == 0 then return out end
out[1] = changed[#changed]
for i = 1, #changed, 2 do
  local value = redis.call('HGET', KEYS[2], changed[i])
  if value then out[#out + 1] = value end
end
return out
"""
# KEYS: schema, sessions, sessions:expiry. ARGV: version, prefix, mode (id | user | expired),
# value (id hash, user name, or the epoch score of now). Returns how many sessions went.
_DELETE_SESSIONS = (
    _GUARD
    + """
local prefix, mode, value = ARGV[2], ARGV[3], ARGV[4]
local ids
if mode == 'user' then
  ids = redis.call('SMEMBERS', prefix .. 'sessions:by-user:' .. value)
elseif mode == 'expired' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', value)
else
  ids = {value}
end
local n = 0
for _, id in ipairs(ids) do
  local doc = redis.call('HGET', KEYS[2], id)
  if doc then
    redis.call('SREM', prefix .. 'sessions:by-user:' .. cjson.decode(doc)['user'], id)
    redis.call('HDEL', KEYS[2], id)
    n = n + 1
  end
  redis.call('ZREM', KEYS[3], id)
end
if mode == 'user' then redis.call('DEL', prefix .. 'sessions:by-user:' .. value) end
return n
"""
)

# KEYS: schema, tokens:used. ARGV: version, id, ts (kept only when later).
_TOUCH_TOKEN = (
    _GUARD
    + """
local old = redis.call('HGET', KEYS[2], ARGV[2])
if (not old) or ARGV[3] > old then redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) end
return 'ok'
"""
)

# KEYS: schema, alive. ARGV: version, now. A write, so a read-only replica or a full disk fails.
_PING = (
    _GUARD
    + """
redis.call('SET', KEYS[2], ARGV[2])
return 'ok'
"""
)

#: What each schema version adds, as Lua run inside the migration script. Redis creates keys on
#: first write, so versions 1 (alerts, deliveries, truncation, incidents) and 2 (drafts, audit)
#: need no statement; a later version that reshapes data adds its Lua here.
_MIGRATIONS: dict[int, str] = {
    1: "-- alerts, deliveries, truncation, incidents: created on first write",
    2: "-- drafts with index sets, audit log and its counter: created on first write",
    3: """-- change numbers for the episodes already stored; the lease is created on first use
for _, field in ipairs(redis.call('HKEYS', ARGV[2] .. 'alerts')) do
  redis.call('ZADD', ARGV[2] .. 'alerts:changes', redis.call('INCR', ARGV[2] .. 'alerts:seq'),
             field)
end""",
    4: "-- users, API tokens, sessions with their indexes: created on first write",
    5: "-- privacy cases, their revision lists: created on first write",
}


def _migration_script() -> str:
    """One script: read the version, refuse a newer one, apply each missing step, set it."""
    steps = "\n".join(
        f"if current < {version} then\n{body}\nend" for version, body in sorted(_MIGRATIONS.items())
    )
    return f"""
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local target = tonumber(ARGV[1])
if current > target then return {{'newer', current}} end
{steps}
redis.call('SET', KEYS[1], ARGV[1])
return {{'ok', current}}
"""


# ---- durability ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the server said about persistence and eviction (None: could not be read)."""

    appendonly: str | None
    appendfsync: str | None
    maxmemory_policy: str | None
    aof_last_write_status: str | None = None
    config_unavailable: str | None = None  # why CONFIG GET could not be used


def durability_problems(settings: ServerSettings, wait_replicas: int) -> list[str]:
    """Every reason an acknowledged write could be lost with these settings (empty: none)."""
    problems: list[str] = []
    unknown = (
        f"unknown, CONFIG GET is unavailable ({settings.config_unavailable})"
        if settings.config_unavailable
        else "unknown"
    )
    remedy = "(or give wait_replicas=N in the store URL to wait for replicas instead)"
    if wait_replicas == 0:
        if settings.appendonly != "yes":
            shown = unknown if settings.appendonly is None else repr(settings.appendonly)
            problems.append(
                f"appendonly is {shown}: expected 'yes' with appendfsync 'always', so an "
                f"acknowledged alert survives a Redis crash {remedy}"
            )
        if settings.appendfsync != "always":
            shown = unknown if settings.appendfsync is None else repr(settings.appendfsync)
            problems.append(
                f"appendfsync is {shown}: expected 'always' ('everysec' loses up to a second "
                f"of acknowledged writes in a crash) {remedy}"
            )
        if settings.aof_last_write_status not in (None, "ok"):
            problems.append(
                f"aof_last_write_status is {settings.aof_last_write_status!r} (INFO "
                "persistence): Redis cannot write its append-only file; fix its disk"
            )
    if settings.maxmemory_policy != "noeviction":
        shown = unknown if settings.maxmemory_policy is None else repr(settings.maxmemory_policy)
        problems.append(
            f"maxmemory-policy is {shown}: expected 'noeviction' (any other policy may evict "
            "stored alerts, drafts or audit entries)"
        )
    if problems and settings.config_unavailable:
        problems.append(
            "CONFIG GET is disabled on this server (a managed Redis often does that), so the "
            "settings above cannot be verified: confirm them with the provider, then add "
            "unsafe_ok=true to the store URL"
        )
    return problems


def _info_fields(reply: Any) -> dict[str, str]:
    """redis-py parses INFO into a dict; anything else (a proxy's odd reply) reads as empty."""
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    return {}


# ---- URL -----------------------------------------------------------------------------------
def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def redact(url: str) -> str:
    """The URL with its password shown as ``<secret>`` (for logs, errors and /readyz)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = quote(parts.username or "", safe="")
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:<secret>@{host}"))


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """The store URL, split into what this module uses and what redis-py gets."""

    driver_url: str
    prefix: str
    unsafe_ok: bool
    wait_replicas: int
    wait_timeout_ms: int
    max_connections: int
    driver_kwargs: dict[str, Any]


def parse_url(url: str) -> RedisOptions:
    """Split and validate a store URL; every problem raises ConfigError naming the parameter."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"not a redis URL: {redact(url)!r}")
    where = f"store: {redact(url)}"
    problems: list[str] = []
    own: dict[str, str] = {}
    passed: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in _OWN_PARAMS:
            own[name] = value
        elif name in _DRIVER_PARAMS:
            passed.append((name, value))
        else:
            known = ", ".join(sorted(_OWN_PARAMS | _DRIVER_PARAMS))
            problems.append(f"{where}: unknown parameter {name!r} (known: {known})")

    def integer(name: str, default: int, minimum: int) -> int:
        text = own.get(name)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            problems.append(f"{where}: {name}: expected an integer >= {minimum}, got {text!r}")
            return default
        return value

    prefix = own.get("prefix", "bridge:")
    if not prefix:
        problems.append(f"{where}: prefix: expected a non-empty key prefix")
    wait_replicas = integer("wait_replicas", 0, 0)
    wait_timeout_ms = integer("wait_timeout_ms", 1000, 1)
    max_connections = integer("max_connections", 32, 1)
    if problems:
        raise ConfigError(problems)
    # a socket timeout shorter than WAIT would report a slow replica as a dead Redis
    patience = max(5.0, (wait_timeout_ms / 1000 if wait_replicas else 0.0) + 2.0)
    return RedisOptions(
        driver_url=urlunsplit(parts._replace(query=urlencode(passed))),
        prefix=prefix,
        unsafe_ok=_truthy(own.get("unsafe_ok", "false")),
        wait_replicas=wait_replicas,
        wait_timeout_ms=wait_timeout_ms,
        max_connections=max_connections,
        driver_kwargs={  # the URL's own socket_* parameters override these
            "socket_timeout": patience,
            "socket_connect_timeout": 2.0,
            "max_connections": max_connections,
            "timeout": patience,  # BlockingConnectionPool: wait this long for a free connection
            "retry": Retry(NoBackoff(), 0),  # a retried script could apply twice
            "decode_responses": True,
        },
    )


# ---- the store -------------------------------------------------------------------------------
def _episode_field(ep: AlertEpisode) -> str:
    # fingerprints are hex; the timestamp has a fixed form, so the last newline splits
    return f"{ep.fingerprint}\n{ts(ep.starts_at)}"


def _episode_value(ep: AlertEpisode) -> str:
    """``status|ends_at|first_seen|last_seen|IDENTITY\\nDISPLAY``: the fields the merge compares
    as plain text ('' for no end), then two compact JSON objects: what follows the winning rank
    (identity: fingerprint, starts_at, labels) and what follows the later last_seen (display:
    annotations, generator_url, group_key). Compact JSON escapes every newline, and no
    timestamp or status holds a ``|``, so the separators are unambiguous."""
    identity = dumps(
        {"fingerprint": ep.fingerprint, "starts_at": ts(ep.starts_at), "labels": ep.labels}
    )
    display = dumps(
        {
            "annotations": ep.annotations,
            "generator_url": ep.generator_url,
            "group_key": ep.group_key,
        }
    )
    ends = "" if ep.ends_at is None else ts(ep.ends_at)
    return f"{ep.status}|{ends}|{ts(ep.first_seen)}|{ts(ep.last_seen)}|{identity}\n{display}"


def _episode(value: bytes | str) -> AlertEpisode:
    status, ends, first, last, rest = _text(value).split("|", 4)
    identity_text, display_text = rest.split("\n", 1)
    identity, display = loads(identity_text), loads(display_text)
    return AlertEpisode(
        fingerprint=identity["fingerprint"],
        starts_at=parse_ts(identity["starts_at"]),
        status=status,
        ends_at=parse_ts(ends) if ends else None,
        labels=identity["labels"],
        annotations=display["annotations"],
        first_seen=parse_ts(first),
        last_seen=parse_ts(last),
        generator_url=display["generator_url"],
        group_key=display["group_key"],
    )


def _audit_args(entries: Sequence[AuditEntry]) -> list[str]:
    args: list[str] = []
    for e in entries:
        args.append(e.target)
        args.append(
            dumps(
                {
                    "at": ts(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target": e.target,
                    "detail": e.detail,
                }
            )
        )
    return args


def _audit_entry(text: str) -> AuditEntry:
    d = loads(text)
    return AuditEntry(
        at=parse_ts(d["at"]),
        actor=d["actor"],
        action=d["action"],
        target=d["target"],
        detail=d["detail"],
        seq=int(d["seq"]),
    )


def _draft_json(draft: DraftRecord) -> str:
    return dumps(
        {
            "id": draft.id,
            "incident_id": draft.incident_id,
            "state": draft.state,
            "revision": draft.revision,
            "updated_at": ts(draft.updated_at),
            "document": draft.document,
        }
    )


def _draft(text: str) -> DraftRecord:
    d = loads(text)
    return DraftRecord(
        id=d["id"],
        incident_id=d["incident_id"],
        state=d["state"],
        revision=int(d["revision"]),
        updated_at=parse_ts(d["updated_at"]),
        document=d["document"],
    )


def _incident_json(r: IncidentRecord) -> str:
    return dumps(
        {
            "id": r.id,
            "key": r.key,
            "started_at": ts(r.started_at),
            "state": r.state,
            "merged_into": r.merged_into,
            "episodes": [[fp, ts(at)] for fp, at in r.episodes],
            "document": r.document,
        }
    )


def _incident(text: str) -> IncidentRecord:
    d = loads(text)
    return IncidentRecord(
        id=d["id"],
        key=d["key"],
        started_at=parse_ts(d["started_at"]),
        state=d["state"],
        merged_into=d["merged_into"],
        episodes=[(fp, parse_ts(at)) for fp, at in d["episodes"]],
        document=d["document"],
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ResponseError) and text.startswith(_SCHEMA_ERROR):
        found = text[len(_SCHEMA_ERROR) :].strip()
        return (
            f"the schema version key is {found}, expected {SCHEMA_VERSION}: the Redis data was "
            "flushed or lost, or a newer bridge migrated it; nothing was written (restart "
            "the bridge to re-check)"
        )
    return f"{type(exc).__name__}: {text}"


class RedisStore(Store):
    """See the module docstring. ``url`` is the store URL with its password redacted."""

    def __init__(self, url: str) -> None:
        self.options = parse_url(url)
        self.url = redact(url)
        self.prefix = self.options.prefix
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}

    def _key(self, name: str) -> str:
        return self.prefix + name

    # ---- lifecycle ----------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, check durability (ConfigError), migrate (StoreUnavailable if newer)."""
        pool = aioredis.BlockingConnectionPool.from_url(
            self.options.driver_url, **self.options.driver_kwargs
        )
        client = aioredis.Redis.from_pool(pool)
        try:
            await client.ping()
            settings = await self._read_settings(client)
            self._judge(settings)
            self._register(client)
            self._client = client
            await self._migrate()
        except (RedisError, OSError) as exc:
            await self._discard(client)
            raise StoreUnavailable("open", f"{self.url}: {_describe(exc)}") from exc
        except BaseException:
            await self._discard(client)
            raise

    async def _discard(self, client: aioredis.Redis) -> None:
        self._client = None
        try:
            await client.aclose()
        except (RedisError, OSError):
            log.debug("closing a failed Redis client", exc_info=True)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await self._discard(client)

    def _register(self, client: aioredis.Redis) -> None:
        self._scripts = {
            name: client.register_script(body)
            for name, body in (
                ("ingest", _INGEST),
                ("save_incidents", _SAVE_INCIDENTS),
                ("put_draft", _PUT_DRAFT),
                ("append_audit", _APPEND_AUDIT),
                ("put_revised", _PUT_REVISED),
                ("put_session", _PUT_SESSION),
                ("delete_sessions", _DELETE_SESSIONS),
                ("touch_token", _TOUCH_TOKEN),
                ("ping", _PING),
                ("acquire_lease", _ACQUIRE_LEASE),
                ("release_lease", _RELEASE_LEASE),
                ("episodes_since", _EPISODES_SINCE),
                ("migrate", _migration_script()),
            )
        }

    @staticmethod
    async def _read_settings(client: aioredis.Redis) -> ServerSettings:
        values: dict[str, str | None] = {}
        unavailable: str | None = None
        for name in ("appendonly", "appendfsync", "maxmemory-policy"):
            try:
                got = await client.config_get(name)
            except (NoPermissionError, ResponseError) as exc:
                unavailable = _describe(exc)
                break
            values[name] = None if got.get(name) is None else str(got[name])
        persistence = memory = {}
        try:
            persistence = _info_fields(await client.info("persistence"))
            memory = _info_fields(await client.info("memory"))
        except (NoPermissionError, ResponseError):
            log.debug("INFO is unavailable", exc_info=True)
        if unavailable is not None:  # what INFO shows instead (appendfsync it does not show)
            aof = persistence.get("aof_enabled")
            values = {
                "appendonly": None if aof is None else ("yes" if aof == "1" else "no"),
                "appendfsync": None,
                "maxmemory-policy": memory.get("maxmemory_policy"),
            }
        return ServerSettings(
            appendonly=values.get("appendonly"),
            appendfsync=values.get("appendfsync"),
            maxmemory_policy=values.get("maxmemory-policy"),
            aof_last_write_status=persistence.get("aof_last_write_status"),
            config_unavailable=unavailable,
        )

    def _judge(self, settings: ServerSettings) -> None:
        problems = durability_problems(settings, self.options.wait_replicas)
        if not problems:
            return
        if self.options.unsafe_ok:
            for problem in problems:
                log.warning(
                    "store %s: unsafe Redis setting accepted (unsafe_ok): %s", self.url, problem
                )
            return
        raise ConfigError(
            [f"store: {self.url}: {p}" for p in problems]
            + [
                f"store: {self.url}: the bridge refuses to acknowledge alerts it could lose; "
                "fix the Redis settings, or add unsafe_ok=true to the store URL to run anyway"
            ]
        )

    async def _migrate(self) -> None:
        result = await self._scripts["migrate"](
            keys=[self._key("schema")], args=[str(SCHEMA_VERSION), self.prefix]
        )
        if result[0] == "newer":
            raise StoreUnavailable(
                "open",
                f"{self.url} (prefix {self.prefix!r}) has schema {result[1]}, newer than this "
                f"bridge's {SCHEMA_VERSION}: upgrade the bridge",
            )
        if int(result[1]) != SCHEMA_VERSION:
            log.info("store %s: schema migrated from %s to %s", self.url, result[1], SCHEMA_VERSION)

    # ---- plumbing -----------------------------------------------------------------------
    async def _call(self, op: str, fn: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        client = self._client
        if client is None:
            raise StoreUnavailable(op, "store is not open")
        try:
            return await fn(client)
        except (RedisError, OSError) as exc:  # TimeoutError is an OSError
            raise StoreUnavailable(op, _describe(exc)) from exc

    async def _write(self, op: str, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a write script; with wait_replicas, follow it by WAIT on the same connection."""
        run = self._scripts.get(script)
        guarded_keys = [self._key("schema"), *keys]
        guarded_args = [str(SCHEMA_VERSION), *args]
        wanted = self.options.wait_replicas

        async def direct(client: aioredis.Redis) -> Any:
            assert run is not None
            return await run(keys=guarded_keys, args=guarded_args)

        async def waited(client: aioredis.Redis) -> Any:
            assert run is not None
            async with client.pipeline(transaction=False) as pipe:
                await run(keys=guarded_keys, args=guarded_args, client=pipe)
                pipe.wait(wanted, self.options.wait_timeout_ms)
                result, acked = await pipe.execute()
            if _is_conflict(result):
                return result  # nothing was written: no replica needs it
            if int(acked) < wanted:
                raise StoreUnavailable(
                    op,
                    f"WAIT: {acked} of {wanted} replica(s) acknowledged within "
                    f"{self.options.wait_timeout_ms} ms; the write is on the primary only",
                )
            return result

        return await self._call(op, waited if wanted else direct)

    # ---- Store ---------------------------------------------------------------------------
    async def ping(self) -> None:
        """A guarded write (and WAIT when configured): a read-only replica, a refused AOF
        write, lost data or missing replicas all make the store not ready."""
        await self._write("ping", "ping", [self._key("alive")], [ts(datetime.now(UTC))])

    async def schema_version(self) -> int:
        value = await self._call("schema_version", lambda c: c.get(self._key("schema")))
        return int(value) if value else 0

    async def ingest(self, delivery: Delivery, received_at: datetime) -> list[AlertEpisode]:
        at = ts(received_at)
        args: list[str] = [
            dumps(
                {
                    "received_at": at,
                    "receiver": delivery.receiver,
                    "group_key": delivery.group_key,
                    "status": delivery.status,
                    "alerts": len(delivery.episodes),
                    "truncated": delivery.truncated_alerts,
                }
            ),
            delivery.group_key,
            at,
            f"{at} {delivery.truncated_alerts}",
        ]
        for ep in delivery.episodes:
            args.append(_episode_field(ep))
            args.append(_episode_value(ep))
        keys = [
            self._key("alerts"),
            self._key("deliveries"),
            self._key("truncation"),
            self._key("alerts:seq"),
            self._key("alerts:changes"),
        ]
        merged = await self._write("ingest", "ingest", keys, args)
        return [_episode(text) for text in merged]

    async def load_episodes(self) -> list[AlertEpisode]:
        values = await self._call("load_episodes", lambda c: c.hvals(self._key("alerts")))
        return [_episode(text) for text in values]

    async def episodes_since(self, cursor: int) -> tuple[list[AlertEpisode], int]:
        script = self._scripts.get("episodes_since")
        keys = [self._key("alerts:changes"), self._key("alerts")]

        async def read(c: aioredis.Redis) -> Any:
            assert script is not None
            return await script(keys=keys, args=[str(cursor)])

        reply = await self._call("episodes_since", read)
        return [_episode(_text(v)) for v in reply[1:]], int(_text(reply[0]))

    async def load_truncation(self) -> dict[str, int]:
        raw = await self._call("load_truncation", lambda c: c.hgetall(self._key("truncation")))
        return {_text(g): int(_text(v).rsplit(" ", 1)[1]) for g, v in raw.items()}

    async def recent_deliveries(self, limit: int) -> list[DeliveryRecord]:
        if limit <= 0:
            return []
        rows = await self._call(
            "recent_deliveries", lambda c: c.lrange(self._key("deliveries"), 0, limit - 1)
        )
        out = []
        for text in rows:
            d = loads(text)
            out.append(
                DeliveryRecord(
                    parse_ts(d["received_at"]),
                    d["receiver"],
                    d["group_key"],
                    d["status"],
                    int(d["alerts"]),
                    int(d["truncated"]),
                )
            )
        return out

    async def save_incidents(
        self, records: Sequence[IncidentRecord], fence: int | None = None
    ) -> None:
        if not records:
            return
        args: list[str] = ["" if fence is None else str(fence)]
        for r in records:
            args.append(r.id)
            args.append(_incident_json(r))
        keys = [self._key("incidents"), self._key("lease")]
        result = await self._write("save_incidents", "save_incidents", keys, args)
        _raise_if_fenced("save_incidents", result, fence)

    async def load_incidents(self) -> list[IncidentRecord]:
        values = await self._call("load_incidents", lambda c: c.hvals(self._key("incidents")))
        records = [_incident(_text(text)) for text in values]
        records.sort(key=lambda r: (r.started_at, r.id))
        return records

    async def get_incident(self, incident_id: str) -> IncidentRecord | None:
        text = await self._call(
            "get_incident", lambda c: c.hget(self._key("incidents"), incident_id)
        )
        return None if text is None else _incident(_text(text))

    # ---- notices -------------------------------------------------------------------------
    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        check_follows(draft, expected_revision)
        keys = [
            self._key("drafts"),
            self._key("drafts:rev"),
            self._key("drafts:state"),
            self._key("drafts:incident"),
            self._key("audit:seq"),
            self._key("audit"),
            self._key("lease"),
        ]
        args = [
            self.prefix,
            draft.id,
            "" if expected_revision is None else str(expected_revision),
            str(draft.revision),
            draft.state,
            draft.incident_id,
            _draft_json(draft),
            "" if fence is None else str(fence),
            *_audit_args(audit),
        ]
        result = await self._write("put_draft", "put_draft", keys, args)
        _raise_if_fenced("put_draft", result, fence)
        if _is_conflict(result):
            stored = int(result[1]) if result[1] else None
            raise Conflict(f"draft {draft.id}", revision_problem(stored, expected_revision))

    async def get_draft(self, draft_id: str) -> DraftRecord | None:
        text = await self._call("get_draft", lambda c: c.hget(self._key("drafts"), draft_id))
        return None if text is None else _draft(_text(text))

    async def list_drafts(
        self, incident_id: str | None = None, states: Collection[str] | None = None
    ) -> list[DraftRecord]:
        if states is not None and not states:
            return []

        async def read(c: aioredis.Redis) -> list[str]:
            if incident_id is None and states is None:
                return [_text(v) for v in await c.hvals(self._key("drafts"))]
            ids: set[str] | None = None
            if incident_id is not None:
                members = await c.smembers(self._key(f"drafts:by-incident:{incident_id}"))
                ids = {_text(m) for m in members}
            if states is not None:
                keys = [self._key(f"drafts:by-state:{s}") for s in sorted(states)]
                in_states = {_text(m) for m in await c.sunion(keys)}
                ids = in_states if ids is None else ids & in_states
            if not ids:
                return []
            found = await c.hmget(self._key("drafts"), sorted(ids))
            return [_text(text) for text in found if text is not None]

        drafts = [_draft(text) for text in await self._call("list_drafts", read)]
        # the index and the documents are read by two commands: filter on the documents
        drafts = [
            d
            for d in drafts
            if (incident_id is None or d.incident_id == incident_id)
            and (states is None or d.state in states)
        ]
        drafts.sort(key=lambda d: d.id)
        return drafts

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self._write(
                "append_audit",
                "append_audit",
                [self._key("audit:seq"), self._key("audit")],
                [self.prefix, *_audit_args(entries)],
            )

    async def audit_log(
        self, limit: int = 100, before_seq: int | None = None, target: str | None = None
    ) -> list[AuditEntry]:
        if limit <= 0:
            return []
        key = self._key("audit") if target is None else self._key(f"audit:target:{target}")
        top = "+inf" if before_seq is None else f"({before_seq}"
        rows = await self._call(
            "audit_log", lambda c: c.zrevrangebyscore(key, top, "-inf", start=0, num=limit)
        )
        return [_audit_entry(_text(text)) for text in rows if isinstance(text, str | bytes)]

    # ---- leadership ----------------------------------------------------------------------
    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        ttl_ms = max(1, int(ttl.total_seconds() * 1000))
        keys = [self._key("lease"), self._key("lease:token")]
        result = await self._write("acquire_lease", "acquire_lease", keys, [holder, str(ttl_ms)])
        return int(_text(result[1])) if _text(result[0]) == "ok" else None

    async def release_lease(self, holder: str) -> None:
        await self._write("release_lease", "release_lease", [self._key("lease")], [holder])

    async def current_lease(self) -> Lease | None:
        found = await self._call("current_lease", lambda c: c.hgetall(self._key("lease")))
        fields = {_text(k): _text(v) for k, v in found.items()}
        if "holder" not in fields or "token" not in fields:
            return None
        return Lease(fields["holder"], int(fields["token"]))

    # ---- people, sessions, API tokens ------------------------------------------------------
    async def _put_revised(
        self,
        op: str,
        kind: str,
        what: str,
        record_id: str,
        revision: int,
        expected_revision: int | None,
        body: str,
        index_field: str,
        audit: Sequence[AuditEntry],
        history: str = "",
    ) -> None:
        keys = [
            self._key(kind),
            self._key(f"{kind}:rev"),
            self._key("audit:seq"),
            self._key("audit"),
            self._key(f"{kind}:by-hash"),
        ]
        args = [
            self.prefix,
            record_id,
            "" if expected_revision is None else str(expected_revision),
            str(revision),
            body,
            index_field,
            history,
            *_audit_args(audit),
        ]
        result = await self._write(op, "put_revised", keys, args)
        if _is_conflict(result):
            stored = int(result[1]) if result[1] else None
            raise Conflict(what, revision_problem(stored, expected_revision))

    async def put_user(
        self, user: UserRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"user {user.name}"
        check_revision(what, user.revision, expected_revision)
        await self._put_revised(
            "put_user",
            "users",
            what,
            user.name,
            user.revision,
            expected_revision,
            user_json(user),
            "",
            audit,
        )

    async def get_user(self, name: str) -> UserRecord | None:
        async def read(c: aioredis.Redis) -> tuple[Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                pipe.hget(self._key("users"), name)
                pipe.hget(self._key("users:rev"), name)
                doc, rev = await pipe.execute()
            return doc, rev

        doc, rev = await self._call("get_user", read)
        return None if doc is None else user_from(_text(doc), int(rev))

    async def list_users(self) -> list[UserRecord]:
        async def read(c: aioredis.Redis) -> tuple[Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                pipe.hgetall(self._key("users"))
                pipe.hgetall(self._key("users:rev"))
                docs, revs = await pipe.execute()
            return docs, revs

        docs, revs = await self._call("list_users", read)
        users = [user_from(_text(doc), int(revs[name])) for name, doc in docs.items()]
        return sorted(users, key=lambda u: u.name)

    async def put_session(self, session: SessionRecord) -> None:
        await self._write(
            "put_session",
            "put_session",
            [self._key("sessions"), self._key("sessions:expiry")],
            [
                self.prefix,
                session.id_hash,
                session.user,
                session_json(session),
                repr(expiry_score(session.expires_at)),
            ],
        )

    async def get_session(self, id_hash: str) -> SessionRecord | None:
        doc = await self._call("get_session", lambda c: c.hget(self._key("sessions"), id_hash))
        return None if doc is None else session_from(_text(doc))

    async def _delete_sessions(self, op: str, mode: str, value: str) -> int:
        n = await self._write(
            op,
            "delete_sessions",
            [self._key("sessions"), self._key("sessions:expiry")],
            [self.prefix, mode, value],
        )
        return int(n)

    async def delete_session(self, id_hash: str) -> None:
        await self._delete_sessions("delete_session", "id", id_hash)

    async def delete_user_sessions(self, user: str) -> int:
        return await self._delete_sessions("delete_user_sessions", "user", user)

    async def prune_sessions(self, now: datetime) -> int:
        return await self._delete_sessions("prune_sessions", "expired", repr(expiry_score(now)))

    async def put_token(
        self, token: TokenRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        what = f"token {token.id}"
        check_revision(what, token.revision, expected_revision)
        await self._put_revised(
            "put_token",
            "tokens",
            what,
            token.id,
            token.revision,
            expected_revision,
            token_json(token),
            token.token_hash,
            audit,
        )

    async def _read_tokens(self, op: str, ids: list[str] | None) -> list[TokenRecord]:
        async def read(c: aioredis.Redis) -> tuple[Any, Any, Any]:
            async with c.pipeline(transaction=True) as pipe:
                if ids is None:
                    pipe.hgetall(self._key("tokens"))
                else:
                    pipe.hmget(self._key("tokens"), ids)
                pipe.hgetall(self._key("tokens:rev"))
                pipe.hgetall(self._key("tokens:used"))
                docs, revs, used = await pipe.execute()
            return docs, revs, used

        docs, revs, used = await self._call(op, read)
        pairs = list(docs.items()) if ids is None else list(zip(ids, docs, strict=True))
        tokens = [
            token_from(_text(doc), int(revs[tid]), opt_parse_ts(used.get(tid)))
            for tid, doc in pairs
            if doc is not None
        ]
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

    async def get_token(self, token_id: str) -> TokenRecord | None:
        found = await self._read_tokens("get_token", [token_id])
        return found[0] if found else None

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        token_id = await self._call(
            "find_token", lambda c: c.hget(self._key("tokens:by-hash"), token_hash)
        )
        if token_id is None:
            return None
        found = await self._read_tokens("find_token", [_text(token_id)])
        return found[0] if found else None

    async def list_tokens(self) -> list[TokenRecord]:
        return await self._read_tokens("list_tokens", None)

    async def touch_token(self, token_id: str, at: datetime) -> None:
        await self._write(
            "touch_token", "touch_token", [self._key("tokens:used")], [token_id, ts(at)]
        )

    # ---- privacy cases -----------------------------------------------------------------
    async def put_privacy_case(
        self, case: PrivacyCaseRecord, expected_revision: int | None, audit: Sequence[AuditEntry]
    ) -> None:
        check_follows(case, expected_revision, "privacy case")
        await self._put_revised(
            "put_privacy_case",
            "privacy",
            f"privacy case {case.id}",
            case.id,
            case.revision,
            expected_revision,
            _privacy_json(case),
            "",
            audit,
            history="privacy:revisions:",
        )

    async def get_privacy_case(self, case_id: str) -> PrivacyCaseRecord | None:
        text = await self._call("get_privacy_case", lambda c: c.hget(self._key("privacy"), case_id))
        return None if text is None else _privacy_case(_text(text))

    async def list_privacy_cases(self) -> list[PrivacyCaseRecord]:
        values = await self._call("list_privacy_cases", lambda c: c.hvals(self._key("privacy")))
        return sorted((_privacy_case(_text(v)) for v in values), key=lambda r: r.id)

    async def privacy_case_revisions(self, case_id: str) -> list[PrivacyCaseRecord]:
        values = await self._call(
            "privacy_case_revisions",
            lambda c: c.lrange(self._key(f"privacy:revisions:{case_id}"), 0, -1),
        )
        return [_privacy_case(_text(v)) for v in values]


def _privacy_json(case: PrivacyCaseRecord) -> str:
    return dumps(
        {
            "id": case.id,
            "state": case.state,
            "revision": case.revision,
            "updated_at": ts(case.updated_at),
            "document": case.document,
        }
    )


def _privacy_case(text: str) -> PrivacyCaseRecord:
    d = loads(text)
    return PrivacyCaseRecord(
        id=d["id"],
        state=d["state"],
        revision=int(d["revision"]),
        updated_at=parse_ts(d["updated_at"]),
        document=d["document"],
    )


def _raise_if_fenced(op: str, result: Any, fence: int | None) -> None:
    if isinstance(result, list) and result and _text(result[0]) == "fenced":
        held = _text(result[1]) if len(result) > 1 and result[1] else ""
        now = f"token {held} is live" if held else "nobody holds it"
        raise LeaseLost(op, f"the lease is not held with token {fence} ({now})")


def _text(value: bytes | str) -> str:
    # decode_responses=True gives str; the types admit bytes too
    return value if isinstance(value, str) else value.decode()


def _is_conflict(result: Any) -> bool:
    return isinstance(result, list) and bool(result) and result[0] == "conflict"
