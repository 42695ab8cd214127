"""Live updates for the console: a Server-Sent Events stream of "something changed" events.

Contract:
- One :class:`LiveFeed` per app compares a cheap snapshot of the service's state (a digest per open
  incident, closed one that still owes, and draft) every ``interval`` seconds while anyone
  subscribes (nothing is compared while nobody watches), and at once after any successful
  state-changing API request (:meth:`LiveFeed.poke`, from the ``poke_middleware`` of
  bridge/web/api/events.py: webhook, edit, approve…), but never more often than once per ``min_gap``
  seconds: during a storm every webhook pokes, hundreds a second, and each comparison reads every
  open incident and draft (pokes meanwhile are one comparison at the end of the gap). A poke while
  nobody watches costs nothing. When digests differ it publishes ``{"seq": n, "incidents": [ids],
  "drafts": [ids], "privacy": [case ids]}`` to every subscriber, each seeing only the ids of the
  tracks it may view (a ``visible`` filter per stream; an event with nothing visible is not sent);
  ``seq`` grows by one per published change. Pages refetch what they show.
- The periodic comparison is what makes a change visible that no request on this process made
  (the timer's verdicts, the outbox, and later another replica's writes once the state read
  here comes from the shared store); the pokes only make the common case immediate.
- :meth:`LiveFeed.stream` answers ``text/event-stream``: a ``retry`` hint, then ``changed``
  events, with a comment line every ``heartbeat`` seconds so proxies keep the stream open.
  Authentication is the caller's job (the route checks the viewer role first); the route also
  passes ``alive``, asked once at every wake (events, a heartbeat, :meth:`LiveFeed.recheck`s:
  however many came since the last wake): once it says no (the session ended, the person's
  roles or the token changed) the stream ends.
- :meth:`LiveFeed.recheck` wakes every stream to ask ``alive`` (after any state-changing
  request: a sign-out, a role change, a revoked token ends the streams it concerns at once). It
  sets a flag per stream, so a storm of requests costs one ``alive`` per stream per wake.
- What waits for one stream is bounded: at most ``max_pending`` events; one more and they are
  all replaced by a single ``resync`` event (``{"seq": n}``: the page refetches everything, as
  after a reconnect), and nothing more is queued for it until that is written. A write the
  client does not take within ``write_timeout`` seconds (a browser that stopped reading: its
  socket buffers are full) ends the stream: the connection is closed, the subscriber removed
  and counted in :attr:`LiveFeed.stalled`; a browser that reads again reconnects.
- :meth:`LiveFeed.close` (aiohttp ``on_shutdown``) ends every open stream so the server stops
  promptly; the poller (:meth:`LiveFeed.running`, a ``cleanup_ctx``) stops with the app's
  cleanup. The app factory registers both.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from bridge.errors import StoreUnavailable, traced
from bridge.service import BridgeService

log = logging.getLogger("bridge.web.live")

Snapshot = dict[str, str]  # "incident:<id>" / "draft:<id>" → digest


def _digest(value: Any) -> str:
    return hashlib.blake2b(orjson.dumps(value, default=str), digest_size=12).hexdigest()


async def service_snapshot(service: BridgeService) -> Snapshot:
    """Digests of what the console shows: open incidents (summary, obligations, the revision
    of people's handling: title, acknowledgement, assignee, notes), closed ones that still owe
    (their obligations: the queue shows them), drafts and privacy cases (revision, state,
    obligations: no contents)."""
    await service.settle_notices()
    out: Snapshot = {}
    summaries = service.list_incidents("open")
    try:  # people's handling; with the store down the rest still shows changes
        handled = await service.casebooks.store.casebooks([s["id"] for s in summaries])
    except StoreUnavailable:
        handled = {}
    for summary in summaries:
        incident = service.engine.incidents.get(summary["id"])
        owed = (
            [] if incident is None else [(o.kind, o.due_at, o.state) for o in incident.obligations]
        )
        book = handled.get(summary["id"])
        out[f"incident:{summary['id']}"] = _digest([summary, owed, book and book.revision])
    # closed but still owing (on the queue, as in bridge_obligation_due_timestamp_seconds):
    # memory holds them only while they owe (bridge.core.liveness), so this stays bounded
    for incident in list(service.engine.incidents.values()):
        key = f"incident:{incident.id}"
        if key in out or incident.merged_into is not None or not incident.obligations:
            continue
        owed = [(o.kind, o.due_at, o.state) for o in incident.obligations]
        out[key] = _digest([incident.state, owed])
    for case in list(service.privacy.cases.values()):
        owed = [(o.kind, o.due_at, o.state) for o in service.privacy_owed.obligations(case.id)]
        out[f"privacy:{case.id}"] = _digest([case.revision, case.state, owed])
    for draft in service.desk.select():
        out[f"draft:{draft.id}"] = _digest(
            [draft.state, draft.revision, draft.latest.number, draft.updated_at, draft.flag]
        )
    return out


def changes(old: Snapshot, new: Snapshot) -> tuple[list[str], list[str]]:
    """(incident ids, draft ids) whose digest appeared, changed or disappeared."""
    keys = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    incidents = sorted(k.partition(":")[2] for k in keys if k.startswith("incident:"))
    drafts = sorted(k.partition(":")[2] for k in keys if k.startswith("draft:"))
    return incidents, drafts


def privacy_changes(old: Snapshot, new: Snapshot) -> list[str]:
    """Privacy case ids whose digest appeared, changed or disappeared."""
    keys = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    return sorted(k.partition(":")[2] for k in keys if k.startswith("privacy:"))


#: events waiting for one stream before they give way to a single "resync"
MAX_PENDING = 32
#: seconds one write to a stream may wait for the client to read before the stream is dropped
WRITE_TIMEOUT = 10.0

Visible = Callable[[dict[str, Any]], dict[str, Any] | None]


def trim(
    event: dict[str, Any], outage: bool, privacy: bool, is_case: Callable[[str], bool]
) -> dict[str, Any] | None:
    """``event`` as a subscriber viewing the ``outage`` and/or ``privacy`` track may see it:
    incidents and outage drafts for outage viewers, privacy cases and their drafts (``is_case``
    of the draft id's case part) for privacy viewers; None when nothing is left."""
    drafts = [d for d in event["drafts"] if (privacy if is_case(d.partition(".")[0]) else outage)]
    incidents = event["incidents"] if outage else []
    cases = event.get("privacy", []) if privacy else []
    if not (incidents or drafts or cases):
        return None
    return {"seq": event["seq"], "incidents": incidents, "drafts": drafts, "privacy": cases}


async def _still(alive: Callable[[], Awaitable[bool]]) -> bool:
    """``alive()``, False when it cannot be told (the store unavailable: the stream ends, the
    browser reconnects and is checked afresh)."""
    try:
        return await alive()
    except StoreUnavailable:
        return False


class _Subscriber:
    """What waits for one stream: events (at most ``limit``), whether it owes a resync (its
    events overflowed) and a wake-up (events, a recheck or the end)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.events: deque[dict[str, Any]] = deque()
        self.resync = False
        self.ended = False
        self.wake = asyncio.Event()

    def put(self, event: dict[str, Any]) -> bool:
        """Queue ``event``; True when this one overflowed the queue (a resync is now owed)."""
        self.wake.set()
        if self.resync:
            return False  # the resync owed covers it
        if len(self.events) < self.limit:
            self.events.append(event)
            return False
        self.events.clear()
        self.resync = True
        return True

    def take(self) -> tuple[bool, list[dict[str, Any]]]:
        """(whether a resync is owed, the events waiting), leaving nothing waiting."""
        resync, events = self.resync, list(self.events)
        self.resync = False
        self.events.clear()
        return resync, events

    def end(self) -> None:
        self.ended = True
        self.wake.set()


class _Stalled(Exception):
    """A write to the stream's client did not finish in time."""


class LiveFeed:
    """See the module contract."""

    def __init__(
        self,
        snapshot: Callable[[], Awaitable[Snapshot]],
        interval: float = 2.0,
        heartbeat: float = 15.0,
        min_gap: float = 0.25,
        max_pending: int = MAX_PENDING,
        write_timeout: float = WRITE_TIMEOUT,
    ) -> None:
        self._snapshot = snapshot
        self.interval = interval
        self.min_gap = min_gap
        self.heartbeat = heartbeat
        self.max_pending = max_pending
        self.write_timeout = write_timeout
        self.seq = 0
        self._last: Snapshot | None = None
        self._subscribers: set[_Subscriber] = set()
        self._wake = asyncio.Event()
        self._closed = False
        self.ended = 0  # streams ended because their session or roles ended or changed
        self.stalled = 0  # streams dropped because their client stopped reading
        self.resyncs = 0  # resync events owed because a stream's events overflowed

    def recheck(self) -> None:
        """Every stream asks its ``alive`` at its next wake (one ask however many rechecks)."""
        for subscriber in self._subscribers:
            subscriber.wake.set()

    def backlog(self) -> int:
        """The most events waiting for any one stream."""
        return max((len(s.events) for s in self._subscribers), default=0)

    def poke(self) -> None:
        """Compare now rather than at the next interval (see the contract: at most once per
        ``min_gap``; nothing while nobody watches)."""
        if self._subscribers:
            self._wake.set()

    async def check(self) -> dict[str, Any] | None:
        """Compare once; publish and return the event when something changed."""
        try:
            current = await self._snapshot()
        except StoreUnavailable as exc:
            log.info("live feed: state unavailable (%s); trying again", exc)
            return None
        previous, self._last = self._last, current
        if previous is None:
            return None
        incidents, drafts = changes(previous, current)
        cases = privacy_changes(previous, current)
        if not incidents and not drafts and not cases:
            return None
        self.seq += 1
        event = {"seq": self.seq, "incidents": incidents, "drafts": drafts, "privacy": cases}
        for subscriber in self._subscribers:
            if subscriber.put(event):
                self.resyncs += 1
        return event

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            if not self._subscribers:
                self._last = None  # nobody watches: compare nothing (a subscriber re-baselines)
                continue
            began = asyncio.get_running_loop().time()
            try:
                await self.check()
            except Exception as exc:  # the feed must outlive any one bad snapshot
                log.error("live feed: snapshot failed\n%s", traced(exc))
            rest = self.min_gap - (asyncio.get_running_loop().time() - began)
            if rest > 0:  # pokes meanwhile wait for the end of the gap: one comparison
                await asyncio.sleep(rest)

    async def running(self, app: web.Application) -> AsyncIterator[None]:
        """Poll while the app runs (aiohttp ``cleanup_ctx``)."""
        task = asyncio.create_task(self.run(), name="live-feed")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self, app: web.Application | None = None) -> None:
        """End every open stream (on_shutdown)."""
        self._closed = True
        for subscriber in self._subscribers:
            subscriber.end()

    async def stream(
        self,
        request: web.Request,
        visible: Visible | None = None,
        alive: Callable[[], Awaitable[bool]] | None = None,
    ) -> web.StreamResponse:
        """The text/event-stream answer for one subscriber; ``visible`` trims each event to
        what the subscriber may see (None: skip the event); the stream ends once ``alive``
        says no."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: do not buffer the stream
            }
        )
        subscriber = _Subscriber(self.max_pending)
        self._subscribers.add(subscriber)

        async def send(data: bytes) -> None:
            try:
                await asyncio.wait_for(response.write(data), self.write_timeout)
            except TimeoutError:
                raise _Stalled from None

        try:
            if self._last is None:  # the baseline, before the page (on open) fetches its data
                await self.check()
            await response.prepare(request)
            await send(f"retry: 3000\n: seq {self.seq}\n\n".encode())
            while not (self._closed or subscriber.ended):
                with contextlib.suppress(TimeoutError):  # a heartbeat: ask alive, write a comment
                    await asyncio.wait_for(subscriber.wake.wait(), self.heartbeat)
                subscriber.wake.clear()  # what wakes it from now on is another wake
                if self._closed or subscriber.ended:
                    break
                if alive is not None and not await _still(alive):
                    self.ended += 1
                    break
                resync, events = subscriber.take()
                out = []
                if resync:  # its events overflowed: the page refetches everything
                    out.append(f'id: {self.seq}\nevent: resync\ndata: {{"seq": {self.seq}}}\n\n')
                for event in events:
                    seen = event if visible is None else visible(event)
                    if seen is not None:
                        data = orjson.dumps(seen).decode()
                        out.append(f"id: {seen['seq']}\nevent: changed\ndata: {data}\n\n")
                await send("".join(out).encode() if out else b": keep-alive\n\n")
        except _Stalled:
            self.stalled += 1
            log.info("live feed: %s stopped reading; its stream is dropped", request.remote)
            if request.transport is not None:
                request.transport.abort()  # what is buffered for it goes too
        except ConnectionResetError:
            pass  # the browser went away
        finally:
            self._subscribers.discard(subscriber)
        return response
