"""The Redis client behind every concern: open (durability check, scripts, migration), close,
and the two ways to reach Redis, :meth:`RedisConnection._call` (reads) and
:meth:`RedisConnection._write` (a guarded script, then ``WAIT`` when configured).

- Every change that touches more than one key runs as one Lua script (EVALSHA), so Redis
  applies it whole or not at all.
- Every write script first checks the schema version key (``lua/_guard.lua``). A missing or
  different version means the data was flushed or lost, or a newer bridge migrated it: the
  write is refused (StoreUnavailable) instead of building a partial state beside it.
- Every redis-py error, timeout or refused connection becomes
  :class:`~bridge.errors.StoreUnavailable`. The client never retries a command on its own (a
  script retried after a lost reply could apply twice); the pool replaces a dead pooled
  connection before sending on it, so the first call after Redis is back succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bridge.errors import StoreUnavailable
from bridge.store.codec import ts
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.redis.durability import judge, read_settings
from bridge.store.redis.replies import describe, is_conflict
from bridge.store.redis.scripts import bodies
from bridge.store.redis.url import parse_url, redact

log = logging.getLogger(__name__)

T = TypeVar("T")


class RedisConnection:
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
            judge(await read_settings(client), self.options, self.url)
            self._scripts = {name: client.register_script(body) for name, body in bodies().items()}
            self._client = client
            await self._migrate()
        except (RedisError, OSError) as exc:
            await self._discard(client)
            raise StoreUnavailable("open", f"{self.url}: {describe(exc)}") from exc
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

    async def ping(self) -> None:
        """A guarded write (and WAIT when configured): a read-only replica, a refused AOF
        write, lost data or missing replicas all make the store not ready."""
        await self._write("ping", "ping", [self._key("alive")], [ts(datetime.now(UTC))])

    async def schema_version(self) -> int:
        value = await self._call("schema_version", lambda c: c.get(self._key("schema")))
        return int(value) if value else 0

    # ---- plumbing -----------------------------------------------------------------------
    async def _call(self, op: str, fn: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        client = self._client
        if client is None:
            raise StoreUnavailable(op, "store is not open")
        try:
            return await fn(client)
        except (RedisError, OSError) as exc:  # TimeoutError is an OSError
            raise StoreUnavailable(op, describe(exc)) from exc

    async def _script(self, op: str, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script that writes nothing (no guard, no WAIT)."""
        run = self._scripts.get(script)

        async def read(client: aioredis.Redis) -> Any:
            assert run is not None
            return await run(keys=keys, args=args)

        return await self._call(op, read)

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
            if is_conflict(result):
                return result  # nothing was written: no replica needs it
            if int(acked) < wanted:
                raise StoreUnavailable(
                    op,
                    f"WAIT: {acked} of {wanted} replica(s) acknowledged within "
                    f"{self.options.wait_timeout_ms} ms; the write is on the primary only",
                )
            return result

        return await self._call(op, waited if wanted else direct)
