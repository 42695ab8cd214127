"""Durable acknowledgement: which Redis settings can keep the webhook's promise.

The webhook's 2xx must mean the alerts survive a Redis crash, so the store's ``open`` reads the
server's settings (``CONFIG GET appendonly``, ``appendfsync``, ``maxmemory-policy``; ``INFO
persistence`` and ``INFO memory``) and raises :class:`~bridge.errors.ConfigError` naming each
setting that cannot keep that promise:

- ``appendonly yes`` with ``appendfsync always`` (Redis fsyncs the AOF before it replies), or
  ``wait_replicas`` (:mod:`.url`) so a write counts only once replicas have it;
- ``maxmemory-policy noeviction`` always: any other policy may evict alerts, drafts or audit.

A managed Redis often disables CONFIG; then the settings INFO shows are used and the error says
that CONFIG is unavailable and what could not be verified.

Connected replicas (``INFO replication``) without ``wait_replicas`` are logged as a warning, not
refused (:func:`replica_warning`). The store reads the settings again while it runs
(:mod:`.connection`: refusing writes while they are unsafe, and noticing a restart or failover
by the server's ``run_id`` and ``master_replid``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoPermissionError, ResponseError

from bridge.errors import ConfigError
from bridge.store.redis.replies import describe
from bridge.store.redis.url import RedisOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the server said about persistence and eviction (None: could not be read)."""

    appendonly: str | None
    appendfsync: str | None
    maxmemory_policy: str | None
    aof_last_write_status: str | None = None
    config_unavailable: str | None = None  # why CONFIG GET could not be used
    connected_replicas: int | None = None  # INFO replication connected_slaves
    run_id: str | None = None  # INFO server: new at every restart
    replid: str | None = None  # INFO replication master_replid: new at a failover

    @property
    def identity(self) -> tuple[str | None, str | None]:
        """Which server (process) answered and which replication history it continues: a
        change means Redis was restarted or failed over underneath (None: INFO unavailable)."""
        return (self.run_id, self.replid)


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


async def read_settings(client: aioredis.Redis) -> ServerSettings:
    """What the server says about persistence, eviction, replicas and its identity (CONFIG GET,
    else INFO), in one round trip (a pipeline): cheap enough to repeat every few seconds."""
    names = ("appendonly", "appendfsync", "maxmemory-policy")
    sections = ("persistence", "memory", "replication", "server")
    async with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.config_get(name)
        for section in sections:
            pipe.info(section)
        replies = await pipe.execute(raise_on_error=False)
    values: dict[str, str | None] = {}
    unavailable: str | None = None
    for name, got in zip(names, replies[: len(names)], strict=True):
        if isinstance(got, (NoPermissionError, ResponseError)):
            unavailable = describe(got)
            break
        if isinstance(got, Exception):
            raise got
        values[name] = None if got.get(name) is None else str(got[name])
    infos: list[dict[str, str]] = []
    for got in replies[len(names) :]:
        if isinstance(got, (NoPermissionError, ResponseError)):
            log.debug("INFO is unavailable: %s", describe(got))
            got = {}
        elif isinstance(got, Exception):
            raise got
        infos.append(_info_fields(got))
    persistence, memory, replication, server = infos
    if unavailable is not None:  # what INFO shows instead (appendfsync it does not show)
        aof = persistence.get("aof_enabled")
        values = {
            "appendonly": None if aof is None else ("yes" if aof == "1" else "no"),
            "appendfsync": None,
            "maxmemory-policy": memory.get("maxmemory_policy"),
        }
    replicas = replication.get("connected_slaves")
    return ServerSettings(
        appendonly=values.get("appendonly"),
        appendfsync=values.get("appendfsync"),
        maxmemory_policy=values.get("maxmemory-policy"),
        aof_last_write_status=persistence.get("aof_last_write_status"),
        config_unavailable=unavailable,
        connected_replicas=int(replicas) if replicas and replicas.isdigit() else None,
        run_id=server.get("run_id"),
        replid=replication.get("master_replid"),
    )


def replica_warning(settings: ServerSettings, wait_replicas: int) -> str | None:
    """Why acknowledged writes could be lost in a failover (None: no replica, or WAIT used).

    A warning, not a refusal: ``appendfsync always`` keeps them through a crash of this server,
    which is what the bridge promises; a replica promoted in its place may lack the last ones."""
    if wait_replicas or not settings.connected_replicas:
        return None
    return (
        f"{settings.connected_replicas} replica(s) connected (INFO replication) but "
        "wait_replicas is not set: replication is asynchronous, so a failover to a replica can "
        "lose acknowledged alerts; give wait_replicas=N in the store URL"
    )


def judge(settings: ServerSettings, options: RedisOptions, url: str) -> None:
    """Raise ConfigError naming every unsafe setting, unless ``unsafe_ok`` (then log them);
    log a warning for replicas without ``wait_replicas`` (:func:`replica_warning`)."""
    warning = replica_warning(settings, options.wait_replicas)
    if warning:
        log.warning("store %s: %s", url, warning)
    problems = durability_problems(settings, options.wait_replicas)
    if not problems:
        return
    if options.unsafe_ok:
        for problem in problems:
            log.warning("store %s: unsafe Redis setting accepted (unsafe_ok): %s", url, problem)
        return
    raise ConfigError(
        [f"store: {url}: {p}" for p in problems]
        + [
            f"store: {url}: the bridge refuses to acknowledge alerts it could lose; "
            "fix the Redis settings, or add unsafe_ok=true to the store URL to run anyway"
        ]
    )
