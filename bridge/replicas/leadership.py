"""This replica's claim to lead: the store's lease, taken and renewed on a timer.

Contract:
- :attr:`Leadership.token` is the fencing token while this replica leads, else None. Every
  write the leader makes carries it (``fence=``); the store refuses it once the lease moved on.
- :meth:`step` makes one attempt to take or renew the lease. On gaining it, ``on_gain`` runs
  (the token is already set, so what it writes is fenced); on losing it, ``token`` is cleared
  first and then ``on_lose`` runs. A takeover that fails, whatever the error (a fenced write
  refused during it too: :meth:`lost` then ends it), is given up: counted
  (``bridge_task_failures_total{task="takeover"}``), logged, ``on_lose`` run and the lease
  released, so this replica or another tries again; it never stays half taken over.
  A renewal the store cannot answer (or refuses: a full disk) is counted
  (``bridge_task_failures_total{task="lease"}`` and ``bridge_store_errors_total{op}``, on a
  follower's attempt to take the lease too) and keeps the claim only until
  the lease would have expired (measured from when the last successful renewal was *sent*, on
  this process's monotonic clock), then gives it up: a leader cut off from the store stops
  acting before another can have taken over.
- A store that answers but must not be written (StoreUnsafe: Redis's durability settings
  changed at runtime) ends leadership at once, not when the lease would have expired; one
  found restarted or failed over underneath (StoreUnsafe with ``reset``) does too, is counted
  (``bridge_store_resets_total``) and ``on_reset`` runs (the service re-reads the store), on a
  follower as well. Leading again later is a takeover: ``on_gain`` rebuilds.
- :meth:`holds` says whether the lease is still this replica's by its own monotonic clock
  (leading, and less than ``ttl`` since the last successful renewal was sent): checked right
  before what no fenced write covers (the outbox's hand-over to the mail relay).
- :meth:`lost` is called when a fenced write was refused (LeaseLost): leadership ends at once,
  unless the lease merely lapsed and re-taking it gives back the same token (nobody took it).
- The lease lasts ``ttl`` and is renewed every ``ttl / 3``; a dead leader's lease expires after
  at most ``ttl`` and a follower takes it within ``ttl / 3`` more.
- The lease's holder is one process, never a host or a replica name: :func:`lease_holder`
  (the replica id, the process id and a nonce drawn at start). Two processes under one name (a
  second bridge started on the same machine with the same configuration) are two holders: one
  leads, the other follows. A restarted process is a new holder too, so it leads under a new
  fencing token: at once after a clean stop (which releases the lease); after a crash once the
  dead one's lease expired (at most ``ttl`` plus ``ttl / 3``), or at once on SQLite, where
  ``bridge serve`` holds the file's serve lock and so knows the lease's holder is gone
  (:mod:`bridge.store.sqlite.sole`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bridge.errors import LeaseLost, StoreUnavailable, StoreUnsafe, traced
from bridge.metrics import Metrics
from bridge.store.holders import lease_holder, replica_of
from bridge.store.interfaces import LeaseStore

__all__ = ["Leadership", "lease_holder", "replica_of"]

log = logging.getLogger("bridge.replicas")


class Leadership:
    """See the module contract."""

    def __init__(
        self,
        store: LeaseStore,
        holder: str,
        ttl: timedelta,
        on_gain: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
        metrics: Metrics | None = None,
        *,
        on_reset: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.holder = holder  # unique per process: lease_holder()
        self.ttl = ttl
        self.token: int | None = None
        self.leader_id: str | None = None  # holder leading, as last seen (None: nobody/unknown)
        self._on_gain = on_gain
        self._on_lose = on_lose
        self._on_reset = on_reset
        self._valid_until = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._taking_over: asyncio.Task[Any] | None = None  # the task running on_gain
        #: an attempt to take the lease was sent and its answer not read (cancelled): stop()
        #: releases the lease all the same (only this holder's: a no-op if it was not taken)
        self._asked = False
        self.metrics = metrics

    @property
    def leading(self) -> bool:
        return self.token is not None

    def holds(self) -> bool:
        """Leading, and the lease not lapsed by this process's monotonic clock (contract)."""
        return self.token is not None and time.monotonic() < self._valid_until

    @property
    def renew_every(self) -> float:
        return self.ttl.total_seconds() / 3

    async def step(self) -> None:
        """One attempt to take or renew the lease (see the module contract)."""
        async with self._lock:
            sent = time.monotonic()
            self._asked = True  # an answer cut off (cancelled) may have been a lease taken
            try:
                token = await self.store.acquire_lease(self.holder, self.ttl)
            except StoreUnsafe as exc:
                self._asked = False
                await self._unsafe(exc)
                return
            except StoreUnavailable as exc:
                self._asked = False
                self._store_failed(exc)
                if self.token is not None and time.monotonic() >= self._valid_until:
                    log.error("lease not renewed before it expired (%s): stepping down", exc)
                    await self._lose()
                return
            self._asked = False
            if self.metrics is not None:  # the store answered: taken, renewed or held by another
                self.metrics.task_last_success.labels(task="lease").set(time.time())
            if token is None:
                lease = None
                with contextlib.suppress(StoreUnavailable):
                    lease = await self.store.current_lease()
                self.leader_id = lease.holder if lease else None
                if self.token is not None:
                    log.error("lease taken by %s: stepping down", self.leader_id)
                    await self._lose()
                return
            self._valid_until = sent + self.ttl.total_seconds()
            self.leader_id = self.holder
            if self.token == token:
                return
            if self.token is not None:  # expired and retaken by us under a new token
                await self._lose()
            self.token = token
            log.info("replica %s leads (fencing token %d)", self.holder, token)
            self._taking_over = asyncio.current_task()
            try:
                await self._on_gain()
            except (StoreUnavailable, LeaseLost) as exc:  # needs the store: try again next step
                self._failed("takeover")
                log.error("taking over failed (%s): stepping down", exc)
                await self._release_quietly()
                await self._lose()
            except Exception as exc:  # half taken over: give it up, to be tried again
                self._failed("takeover")
                log.error("taking over failed, stepping down\n%s", traced(exc))
                await self._release_quietly()
                await self._lose()
            finally:
                self._taking_over = None

    async def _unsafe(self, exc: StoreUnsafe) -> None:
        """The store must not be written now, or was reset underneath: stop leading at once
        (the lease cannot be released: that is a write; it expires). See the contract."""
        if exc.reset:
            if self.metrics is not None:
                self.metrics.store_resets.inc()
            log.error("%s", exc)
        if self.token is not None:
            log.error("store unsafe to write (%s): stepping down", exc.cause)
            await self._lose()
        if exc.reset and self._on_reset is not None:
            await self._on_reset()

    def _store_failed(self, exc: StoreUnavailable) -> None:
        """A renewal (or an attempt to take the lease) the store refused: counted as the
        lease task's failure and as a store error, as other store failures are."""
        self._failed("lease")
        if self.metrics is not None:
            self.metrics.store_error(exc)

    def _failed(self, task: str) -> None:
        if self.metrics is not None:
            self.metrics.task_failures.labels(task=task).inc()

    async def _lose(self) -> None:
        self.token = None
        if self.leader_id == self.holder:
            self.leader_id = None
        await self._on_lose()

    async def _release_quietly(self) -> None:
        with contextlib.suppress(StoreUnavailable):
            await self.store.release_lease(self.holder)

    async def lost(self, why: str) -> None:
        """A fenced write was refused: stop leading now, unless the lease only lapsed (this
        replica was too busy to renew it in time) and nobody took it meanwhile: then taking it
        again gives back the same fencing token, no other replica can have written under
        another, and leading goes on (the refused write stays to do: its owner retries it)."""
        if self._taking_over is not None and self._taking_over is asyncio.current_task():
            # refused while taking over (step() holds the lock): end the takeover, which then
            # steps down and releases the lease (waiting for the lock here would never end)
            raise LeaseLost("takeover", why)
        async with self._lock:
            if self.token is None:
                return
            sent = time.monotonic()
            try:
                renewed = await self.store.acquire_lease(self.holder, self.ttl)
            except StoreUnsafe as exc:
                await self._unsafe(exc)
                return
            except StoreUnavailable as exc:
                self._store_failed(exc)
                renewed = None
            if renewed == self.token:
                self._valid_until = sent + self.ttl.total_seconds()
                log.warning(
                    "replica %s renewed its lapsed lease with the same fencing token %d "
                    "(nobody took it; %s): leading on",
                    self.holder,
                    self.token,
                    why,
                )
                return
            log.error("replica %s lost the lease (%s): stepping down", self.holder, why)
            await self._lose()

    async def run(self) -> None:
        """Renew (or try to take) the lease every ``ttl / 3`` until cancelled: at a fixed rate
        (a slow renewal or a late wake-up does not push the next one back; a renewal more than
        a period late runs at once, without a burst to catch up)."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += self.renew_every
            now = loop.time()
            if next_at < now:
                next_at = now
            await asyncio.sleep(next_at - now)
            try:
                await self.step()
            except Exception as exc:  # keep trying: a bug in a callback must not end the loop
                self._failed("lease")
                log.error("lease step failed\n%s", traced(exc))

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="lease")

    async def stop(self) -> None:
        """Stop renewing and give the lease up so another replica takes over at once (also
        when an attempt to take it was cancelled before its answer: it may have been taken)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            if self.token is not None or self._asked:
                await self._release_quietly()
                self.token = None
                self.leader_id = None
                self._asked = False
