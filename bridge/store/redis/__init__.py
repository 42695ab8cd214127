"""The replicated store: Redis (redis-py asyncio), for two or more bridge replicas.

Same contract as every store (:mod:`bridge.store.interfaces`). ``RedisStore`` is assembled from
one class per concern (alerts, incidents, drafts, audit, lease, people, privacy, retention,
casebook, declarations, the hand-over count), each over the shared client (:mod:`.connection`:
open, durability check, migration, reads and guarded writes); what several concerns share is
in :mod:`.guards` (audit arguments, the revised-document write) and :mod:`.replies` (conflict,
fence and error answers). The URL and its parameters are :mod:`.url`; durable acknowledgement
(which server settings are refused) is :mod:`.durability`.

Every change that touches more than one key runs as one Lua script (``lua/*.lua``, loaded by
:mod:`.scripts`): ingest (merge, delivery record, truncation), save_incidents, put_draft
(revision check, draft, index sets, audit entries), append_audit and the casebook's
open_casebook (counter and record) and put_casebook. The ingest script merges
episodes exactly like :func:`bridge.core.alerts.merge_episode` (the contract suite checks it
against the core on random observation orders).

Keys (``P`` = prefix): ``P schema`` (version), ``P alive`` (written by ping); the keys of each
concern are listed in its module. Scripts build the per-state/incident/target/user keys from
the prefix, so Redis Cluster is not supported (one primary, with replicas or Sentinel, is).
Only sessions, the lease (on release) and what retention prunes (:mod:`.retention`: episodes,
deliveries, drafts, incidents) are ever deleted; the audit log and the privacy register are
append-only by that discipline (Redis has no triggers to enforce it as SQLite
does).
"""

from __future__ import annotations

from bridge.core.store_url import redact
from bridge.store.redis.alerts import RedisAlerts
from bridge.store.redis.audit import RedisAudit
from bridge.store.redis.casebook import RedisCasebook
from bridge.store.redis.declarations import RedisDeclarations
from bridge.store.redis.drafts import RedisDrafts
from bridge.store.redis.durability import ServerSettings, durability_problems
from bridge.store.redis.handovers import RedisHandovers
from bridge.store.redis.incidents import RedisIncidents
from bridge.store.redis.lease import RedisLease
from bridge.store.redis.people import RedisPeople
from bridge.store.redis.privacy import RedisPrivacy
from bridge.store.redis.retention import RedisRetention
from bridge.store.redis.url import RedisOptions, parse_url

__all__ = [
    "RedisOptions",
    "RedisStore",
    "ServerSettings",
    "durability_problems",
    "parse_url",
    "redact",
]


class RedisStore(
    RedisAlerts,
    RedisIncidents,
    RedisDrafts,
    RedisAudit,
    RedisLease,
    RedisPeople,
    RedisPrivacy,
    RedisDeclarations,
    RedisRetention,
    RedisCasebook,
    RedisHandovers,
):
    """Every concern of :class:`bridge.store.interfaces.Store` on one Redis database (or one
    key prefix in it). ``url`` is the store URL with its password redacted."""
