"""The Redis client behind every concern: open (durability check, scripts, migration), close,
and the two ways to reach Redis, :meth:`RedisConnection._call` (reads) and
:meth:`RedisConnection._write` (a guarded script, then ``WAIT`` when configured).

- Every change that touches more than one key runs as one Lua script (EVALSHA), so Redis
  applies it whole or not at all.
- Every write script first checks the schema version key (``lua/_guard.lua``). A missing or
  different version means the data was flushed or lost, or a newer bridge migrated it: the
  write is refused (StoreUnavailable) instead of building a partial state beside it.
- The server's settings are read again while the store runs (:meth:`RedisConnection._check`,
  before a write when ``check_interval_ms``, default 5 s, has passed since the last read: one
  pipelined round trip). While they cannot keep acknowledged writes (``CONFIG SET appendfsync
  everysec`` at runtime, a failing AOF disk, an evicting policy) every write is refused with
  :class:`~bridge.errors.StoreUnsafe` naming the setting (webhooks 503, ``/readyz`` 503, the
  lease renewal too, so a leader steps down at once); when they are right again, writes
  resume. ``unsafe_ok`` logs the change instead. A changed ``run_id`` or ``master_replid``
  (Redis restarted, or a replica promoted, underneath: data may have been rolled back) is
  logged, counted in :attr:`RedisConnection.resets` and said once to the next lease renewal
  (StoreUnsafe with ``reset``), which steps down and has the replica re-read the store.
- Writes made while others are on their way go to Redis together (:class:`_Batch`): the
  scripts of every write queued in one turn of the event loop are sent as one pipeline on one
  connection (no transaction: each script is still applied whole on its own, in the order
  queued; Redis' append-only file takes them in one fsync), and each caller gets its own
  script's answer or error. Alone, a write goes as it is. Measured on a 2-core machine with 16
  concurrent writers and ``appendfsync always``: the client's CPU per write 81 → 35 µs, and
  writes per second up 30–120 %; see docs/performance.md. A script Redis no longer knows
  (NOSCRIPT: its script cache was emptied by a restart or ``SCRIPT FLUSH``) did not run and is
  sent again on its own, which loads it. ``wait_replicas`` writes are not batched (each is
  followed by its own ``WAIT``).
- Every redis-py error, timeout or refused connection becomes
  :class:`~bridge.errors.StoreUnavailable`; for a write that was sent and not answered (a
  timeout or a connection lost after the script went out, a ``WAIT`` short of replicas) it is
  :class:`~bridge.errors.StoreOutcomeUnknown`: Redis may have applied it, or apply it when it
  goes on (a Redis that hangs runs what it received), so nobody is told nothing was stored
  (:func:`~bridge.store.redis.replies.maybe_applied`). The client never retries a command on
  its own (a script retried after a lost reply could apply twice). After Redis restarted, the
  first call on each connection the pool kept from before may fail ("Connection closed by
  server": sent, so its outcome is unknown) and that connection is replaced: a webhook then
  answers 503 once per such connection and Alertmanager sends it again; later calls succeed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bridge.core.store_url import redact
from bridge.errors import StoreEmpty, StoreOutcomeUnknown, StoreUnavailable, StoreUnsafe
from bridge.store.codec import ts
from bridge.store.interfaces import SCHEMA_VERSION
from bridge.store.redis.durability import (
    ServerSettings,
    durability_problems,
    judge,
    read_settings,
    replica_warning,
)
from bridge.store.redis.replies import describe, is_conflict, maybe_applied, text
from bridge.store.redis.scripts import bodies
from bridge.store.redis.url import parse_url

log = logging.getLogger(__name__)

T = TypeVar("T")

#: how long opening waits for one call of the migration script (seconds): a whole (not
#: stepped) migration runs once, at an upgrade, and may read every record of a kind
MIGRATION_TIMEOUT = 600.0
#: how many items (audit entries, incidents) one step of a stepped migration handles at most:
#: 10-60 ms of Redis's time on a 2-core machine (docs/performance.md, the audit log)
MIGRATION_STEP = 1000
#: how often (seconds) a long migration logs where it is
MIGRATION_NOTE_EVERY = 10.0


class RedisConnection:
    """See the module docstring. ``url`` is the store URL with its password redacted."""

    def __init__(self, url: str) -> None:
        self.options = parse_url(url)
        self.url = redact(url)
        self.prefix = self.options.prefix
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, Any] = {}
        #: writes queued for the next pipeline (see the module docstring), or None
        self._batch: _Batch | None = None
        self._sending: set[asyncio.Task[None]] = set()  # held: the loop keeps weak references
        # the settings read again while running (see the module docstring)
        self._checking = asyncio.Lock()
        self._checked_at = 0.0  # time.monotonic() of the last read
        self._noted: tuple[str, ...] = ()  # problems and warnings last logged
        self._unsafe: str | None = None  # why writes are refused now (None: they are not)
        self._identity: tuple[str | None, str | None] | None = None  # run_id, master_replid
        self._reset: str | None = None  # a restart or failover not yet told to the lease
        #: restarts or failovers of Redis found underneath this store since it was opened
        self.resets = 0
        # the highest fencing token and change number this process has seen: the scripts that
        # hand out new ones raise their counter above these first (lua/_floor.lua), so after a
        # rollback underneath no number this process saw is handed out again
        self._top_token = 0
        self._top_change = 0

    def _key(self, name: str) -> str:
        return self.prefix + name

    # ---- lifecycle ----------------------------------------------------------------------
    async def open(self, *, migrate: bool = True, create: bool = True) -> None:
        """Connect, check durability (ConfigError), migrate (StoreUnavailable if newer);
        without ``migrate``, an empty or older schema is refused instead (StoreUnavailable);
        without ``create``, a prefix without its schema key is refused (StoreEmpty) before
        anything is written."""
        pool = aioredis.BlockingConnectionPool.from_url(
            self.options.driver_url, **self.options.driver_kwargs
        )
        client = aioredis.Redis.from_pool(pool)
        try:
            await client.ping()
            settings = await read_settings(client)
            judge(settings, self.options, self.url)
            self._seen(settings, opening=True)
            self._scripts = {name: client.register_script(body) for name, body in bodies().items()}
            self._client = client
            if not create and await client.get(self._key("schema")) is None:
                raise StoreEmpty(f"{self.url} (prefix {self.prefix!r})")
            await (self._migrate() if migrate else self._refuse_older(client))
        except (RedisError, OSError) as exc:
            await self._discard(client)
            raise StoreUnavailable("open", f"{self.url}: {describe(exc)}") from exc
        except BaseException:
            await self._discard(client)
            raise

    # ---- the settings, again while running -----------------------------------------------
    async def _check(self, op: str) -> None:
        """Read the server's settings again when ``check_interval_ms`` has passed; raise
        StoreUnsafe while they cannot keep acknowledged writes (see the module docstring)."""
        every = self.options.check_interval_ms / 1000
        if time.monotonic() - self._checked_at >= every:
            async with self._checking:  # concurrent writes wait for one read
                if time.monotonic() - self._checked_at >= every:
                    settings = await self._call(op, read_settings)
                    self._checked_at = time.monotonic()
                    self._seen(settings)
        if self._unsafe is not None:
            raise StoreUnsafe(op, self._unsafe)

    def _seen(self, settings: ServerSettings, *, opening: bool = False) -> None:
        """Judge settings read at open (already logged by ``judge``) or while running."""
        self._checked_at = time.monotonic()
        problems = durability_problems(settings, self.options.wait_replicas)
        warning = replica_warning(settings, self.options.wait_replicas)
        noted = (*problems, *([warning] if warning else []))
        if not opening and noted != self._noted:
            for note in noted:
                if note not in self._noted:
                    log.warning("store %s: Redis settings changed: %s", self.url, note)
        self._noted = noted
        if problems and not self.options.unsafe_ok:
            if self._unsafe is None:
                log.error(
                    "store %s: refusing every write until the Redis settings keep acknowledged "
                    "writes again: %s",
                    self.url,
                    "; ".join(problems),
                )
            self._unsafe = (
                "the Redis settings changed and could lose acknowledged writes, so writes are "
                "refused until they are fixed: " + "; ".join(problems)
            )
        elif self._unsafe is not None:
            log.warning("store %s: the Redis settings are safe again: writes resume", self.url)
            self._unsafe = None
        self._identify(settings)

    def _identify(self, settings: ServerSettings) -> None:
        """Notice a restart (new ``run_id``) or a failover (new ``master_replid``)."""
        before, now = self._identity, settings.identity
        self._identity = now
        if before is None:
            return
        changed = [
            f"{name} {old} → {new}"
            for name, old, new in zip(("run_id", "master_replid"), before, now, strict=True)
            if old is not None and new is not None and old != new
        ]
        if not changed:
            return
        self.resets += 1
        self._reset = (
            "Redis was restarted or failed over underneath (" + ", ".join(changed) + "): what "
            "it acknowledged last may be gone, so the store is read again"
        )
        log.error("store %s: %s", self.url, self._reset)

    def _saw_token(self, token: int) -> int:
        self._top_token = max(self._top_token, token)
        return token

    def _saw_change(self, change: int) -> int:
        self._top_change = max(self._top_change, change)
        return change

    def _take_reset(self) -> str | None:
        """A restart or failover not yet told (the lease's renewal tells it), once."""
        reset, self._reset = self._reset, None
        return reset

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

    async def _refuse_older(self, client: aioredis.Redis) -> None:
        """For a store opened without migrating: its schema must be this bridge's."""
        value = await client.get(self._key("schema"))
        current = int(value) if value else 0
        if current < SCHEMA_VERSION:
            raise StoreUnavailable(
                "open",
                f"{self.url} (prefix {self.prefix!r}) has schema {current}, older than this "
                f"bridge's {SCHEMA_VERSION}: start `bridge serve` of this version to upgrade it "
                "first (docs/deployment.md, Upgrading); nothing was changed",
            )
        if current > SCHEMA_VERSION:
            raise StoreUnavailable(
                "open",
                f"{self.url} (prefix {self.prefix!r}) has schema {current}, newer than this "
                f"bridge's {SCHEMA_VERSION}: upgrade the bridge",
            )

    async def _migrate(self) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`: the migration script (``lua/migrate.lua``)
        called again and again on one connection until it answers ``done``.

        - A call applies the *whole* migrations due in a row (small ones, each setting its
          version) or one *step* of a stepped one (``scripts.STEPPED``: those that walk a data
          set): at most :data:`MIGRATION_STEP` items, so Redis is held for milliseconds at a
          time, never for the whole data set, and Lua never holds more than a step's items.
        - A stepped migration keeps where it is in ``P migration`` (hash: its ``version`` and
          whatever its steps keep), written by each step with its work, so a start stopped at
          any point (the bridge killed, Redis restarted: a step reaches the append-only file
          whole) resumes at the next step; two bridges opening at once share the steps. Only
          its last step sets its version (and deletes the progress): until then the version is
          the last one finished, so nothing reads its data as migrated. This bridge does not
          listen before the store is open; older bridges still running keep their version,
          so their writes are accepted meanwhile.
        - Writing one: ``lua/migration_N.lua`` is a function body called once a step with
          ``progress``, ``prefix`` and ``budget`` in scope; it handles about ``budget`` items
          in an order where what an older bridge writes meanwhile is still ahead of it (audit
          entries by seq: migration 11, 14) or holds off the older writers it races with
          (migration 12 holds the leader lease), keeps its cursor in ``progress``, returns a
          note while there is more and nothing when done; list N in ``scripts.STEPPED``.

        Each call waits up to :data:`MIGRATION_TIMEOUT` for its answer (a whole migration may
        read every record of a kind: the socket timeout is meant for one command)."""
        client = self._client
        assert client is not None
        began, said = time.monotonic(), time.monotonic()
        before = await client.get(self._key("schema"))
        keys = [self._key("schema"), self._key("migration")]
        args = [SCHEMA_VERSION, self.prefix, MIGRATION_STEP]
        pool = client.connection_pool
        conn = await pool.get_connection()  # type: ignore[no-untyped-call]  # redis-py: untyped
        steps = 0
        try:
            sha = await self._answer(conn, "SCRIPT", "LOAD", bodies()["migrate"])
            while True:
                try:
                    answer = await self._answer(conn, "EVALSHA", sha, len(keys), *keys, *args)
                except NoScriptError:  # Redis restarted (or SCRIPT FLUSH) meanwhile: not run
                    sha = await self._answer(conn, "SCRIPT", "LOAD", bodies()["migrate"])
                    continue
                steps += 1
                kind = text(answer[0])
                if kind == "newer":
                    raise StoreUnavailable(
                        "open",
                        f"{self.url} (prefix {self.prefix!r}) has schema {answer[1]}, newer "
                        f"than this bridge's {SCHEMA_VERSION}: upgrade the bridge",
                    )
                if kind == "done":
                    break
                if time.monotonic() - said >= MIGRATION_NOTE_EVERY or text(answer[3]) == "done":
                    said = time.monotonic()
                    log.info(
                        "store %s: migrating to schema %s (now at %s): %s",
                        self.url,
                        answer[2],
                        answer[1],
                        text(answer[3]),
                    )
        finally:
            await pool.release(conn)
        if int(before or 0) != SCHEMA_VERSION:
            log.info(
                "store %s: schema migrated from %s to %s (%d calls, %.1f s)",
                self.url,
                int(before or 0),
                SCHEMA_VERSION,
                steps,
                time.monotonic() - began,
            )

    async def _answer(self, conn: Any, *command: Any) -> Any:
        """One command on the migration's connection, its answer awaited for up to
        :data:`MIGRATION_TIMEOUT` (redis-py errors are raised as they are)."""
        await conn.send_command(*command)
        try:
            return await conn.read_response(timeout=MIGRATION_TIMEOUT)
        except RedisTimeoutError as exc:
            raise StoreUnavailable(
                "open",
                f"{self.url} (prefix {self.prefix!r}): the schema migration gave no answer "
                f"within {MIGRATION_TIMEOUT:.0f} s; Redis completes that call on its own: "
                "start the bridge again once Redis answers other commands",
            ) from exc

    async def ping(self) -> None:
        """A guarded write (and WAIT when configured): a read-only replica, a refused AOF
        write, lost data, missing replicas or settings changed to unsafe ones (read again
        every ``check_interval_ms``) all make the store not ready."""
        await self._write("ping", "ping", [self._key("alive")], [ts(datetime.now(UTC))])

    async def schema_version(self) -> int:
        value = await self._call("schema_version", lambda c: c.get(self._key("schema")))
        return int(value) if value else 0

    # ---- plumbing -----------------------------------------------------------------------
    async def _call(
        self, op: str, fn: Callable[[aioredis.Redis], Awaitable[T]], *, writes: bool = False
    ) -> T:
        """``fn`` on the client, its errors as StoreUnavailable; a write (``writes``) that
        may have been applied all the same as StoreOutcomeUnknown (see the module docstring)."""
        client = self._client
        if client is None:
            raise StoreUnavailable(op, "store is not open")
        try:
            return await fn(client)
        except (RedisError, OSError) as exc:  # TimeoutError is an OSError
            if writes and maybe_applied(exc):
                raise StoreOutcomeUnknown(op, describe(exc)) from exc
            raise StoreUnavailable(op, describe(exc)) from exc

    async def _script(self, op: str, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script that writes nothing (no guard, no WAIT)."""
        run = self._scripts.get(script)

        async def read(client: aioredis.Redis) -> Any:
            assert run is not None
            return await run(keys=keys, args=args)

        return await self._call(op, read)

    async def _write(self, op: str, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a write script; with wait_replicas, follow it by WAIT on the same connection.
        Refused (StoreUnsafe) while the server's settings are unsafe (:meth:`_check`)."""
        await self._check(op)
        run = self._scripts.get(script)
        guarded_keys = [self._key("schema"), *keys]
        guarded_args = [str(SCHEMA_VERSION), *args]
        wanted = self.options.wait_replicas

        async def direct(client: aioredis.Redis) -> Any:
            assert run is not None
            return await self._batched(client, run, guarded_keys, guarded_args)

        async def waited(client: aioredis.Redis) -> Any:
            assert run is not None
            async with client.pipeline(transaction=False) as pipe:
                await run(keys=guarded_keys, args=guarded_args, client=pipe)
                pipe.wait(wanted, self.options.wait_timeout_ms)
                result, acked = await pipe.execute()
            if is_conflict(result):
                return result  # nothing was written: no replica needs it
            if int(acked) < wanted:
                raise StoreOutcomeUnknown(
                    op,
                    f"WAIT: {acked} of {wanted} replica(s) acknowledged within "
                    f"{self.options.wait_timeout_ms} ms; the write is on the primary only",
                )
            return result

        return await self._call(op, waited if wanted else direct, writes=True)

    def _batched(
        self, client: aioredis.Redis, run: Any, keys: list[str], args: list[Any]
    ) -> asyncio.Future[Any]:
        """Queue a write script for the next pipeline (see the module docstring); its
        answer, or the redis-py error it met."""
        batch = self._batch
        if batch is None or batch.client is not client:
            batch = self._batch = _Batch(client)
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return batch.add(run, keys, args)

    async def _send(self, batch: _Batch) -> None:
        """Send a batch once the writes queued in this turn of the loop are in it."""
        await asyncio.sleep(0)
        if self._batch is batch:
            self._batch = None  # writes from now on go in the next batch
        await batch.send()


class _Batch:
    """Write scripts queued in one turn of the event loop, sent as one pipeline (see the
    module docstring). Every queued future is settled: with its script's answer, or with
    the redis-py error that script (or the whole pipeline) met."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.writes: list[tuple[Any, list[str], list[Any], asyncio.Future[Any]]] = []

    def add(self, run: Any, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.writes.append((run, keys, args, future))
        return future

    async def send(self) -> None:
        writes = self.writes
        try:
            if len(writes) == 1:  # alone: as it is (a pipeline would only add to it)
                run, keys, args, future = writes[0]
                _settle(future, await _outcome(run(keys=keys, args=args)))
                return
            async with self.client.pipeline(transaction=False) as pipe:
                for run, keys, args, _ in writes:
                    pipe.execute_command("EVALSHA", run.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
            for (run, keys, args, future), result in zip(writes, results, strict=True):
                if isinstance(result, NoScriptError):  # it did not run: send it alone (loads it)
                    result = await _outcome(run(keys=keys, args=args))
                _settle(future, result)
        except (RedisError, OSError) as exc:  # the pipeline failed: every write not answered
            for *_, future in writes:
                _settle(future, exc)
        finally:  # cancelled (the store closing): nobody waits for ever
            for *_, future in writes:
                _settle(
                    future, RedisConnectionError("the store closed before the write was answered")
                )


async def _outcome(call: Awaitable[Any]) -> Any:
    """The call's answer, or the redis-py error (or OSError) it raised."""
    try:
        return await call
    except (RedisError, OSError) as exc:
        return exc


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    """Give ``future`` its answer (an exception is raised to its caller), if it has none."""
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
