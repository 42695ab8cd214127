"""``bridge serve``: run the service until SIGTERM/SIGINT.

On SIGTERM the listener closes, requests in flight get :data:`IN_FLIGHT_GRACE` to finish (a
webhook cut off is not acknowledged: Alertmanager retries it), then the service stops: it lets a
notice being handed to the relay finish, persists what changed, releases the lease and closes
the store, within :func:`bridge.service.stop_deadline` (15 s plus ``smtp.timeout``, at most
60 s; usually well under a second). The deploy files give it 90 s before killing
(``TimeoutStopSec``, ``terminationGracePeriodSeconds``): 5 + 15 + 60 s, plus closing the store,
stay inside (docs/deployment.md, "Stopping"). SIGTERM or SIGINT, while running or during the
start (which restores the store's live work: seconds at 10^5 live alerts), ends in one INFO
line ``stopped on SIGTERM after 0.4 s`` (``stopped on SIGTERM during start-up after …``), the
time from the signal to the end of the stop, and exit 0; the start is logged too (``starting:
…`` at DEBUG, so that a refused start stays one line, then ``Running on http://HOST:PORT`` once
it listens). The signals are this command's from its first line (``bridge.cli`` keeps one that
comes while this module loads: nothing is open then, and it stops before anything is). One
during the start cancels the start where it is (opening or migrating the store, taking the
lease, restoring live work), and the service's start closes what it opened and releases a lease
it took (:meth:`bridge.service.BridgeService.start`), so a peer leads at once; one that comes
while the configuration or the inventory is read (before the event loop runs) takes effect right
after, before the store is opened.
A second SIGTERM or SIGINT during a stop (or a stopped start) is logged once, ``already
stopping (SIGTERM): SIGINT ignored …``, and changes nothing: the stop persists, releases the lease
and closes the store within its deadline. SIGKILL ends the process at once (docs/deployment.md).
SIGHUP (which operators send for a reload) reloads nothing: it is logged as a WARNING, ``SIGHUP:
configuration is not reloaded; restart the bridge to apply changes``, and the bridge goes on (its
default would end the process at once, without a stop); so from the first line, as the others.

It refuses to start (one line, exit 1) when ``notices.archive_dir`` cannot be made or written
(:func:`bridge.notices.archive.ready`): every notice is archived before it leaves.

On SQLite it first takes the file's serve lock (:mod:`bridge.store.sqlite.sole`): a second
``serve`` on the same file exits 1 with one line naming the first one's process id, and the
one holding it takes over at once a lease a killed predecessor left behind. A file that is a
copy made by ``bridge backup`` and put back in place is refused (exit 1) until ``bridge
restored`` ran on it (:mod:`bridge.store.sqlite.backup`): served as it is, the outbox would send
again what may have left after the backup. On either store it refuses (exit 1, one line naming
``bridge restored``) a store whose hand-over count is below the archive folder's witness: one
rolled back after notices left (restored from a backup by any means, :mod:`bridge.notices.witness`),
and one that holds nothing while the archive folder shows a store was in use with it: its data
is gone (:mod:`bridge.notices.in_use`; ``--accept-empty-store`` creates a new one, audited).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge.cli.common import invalid
from bridge.cli.log_format import configure
from bridge.config import LoadedConfig, load_config
from bridge.errors import ConfigError, StoreLost, StoreRolledBack, StoreUnavailable
from bridge.notices import archive
from bridge.store import Store, make_store
from bridge.store.sqlite import backup
from bridge.store.sqlite.connection import SqliteConnection
from bridge.store.sqlite.sole import AlreadyServed, sole_server

if TYPE_CHECKING:  # aiohttp is imported when it serves (bridge.cli: --help answers at once)
    from aiohttp import web

#: seconds requests in flight may take to finish after SIGTERM (aiohttp's default is 60)
IN_FLIGHT_GRACE = 5.0
#: seconds an idle keep-alive connection is kept (what ``web.run_app`` gave before)
KEEPALIVE_TIMEOUT = 75.0


log = logging.getLogger("bridge")


@dataclass
class _Stop:
    """What ended the run: the signal's name and when it came (``time.monotonic``); whether
    the server was listening by then. A signal while the start runs cancels it (``starting``:
    the service closes what it opened and releases a lease it took); once listening it asks
    :func:`_run` to stop (``requested``). A signal during a stop changes nothing: the first
    such is logged (``already stopping …``), the stop goes on to its end."""

    listening: bool = False
    name: str | None = None
    at: float = 0.0
    repeated: bool = False  # a second signal came (and was said)
    starting: asyncio.Task[None] | None = None
    requested: asyncio.Event = field(default_factory=asyncio.Event)

    def on_signal(self, number: signal.Signals) -> None:
        if self.name is not None:  # the stop goes on: said once, and the clock runs on
            if not self.repeated:
                self.repeated = True
                log.warning(
                    "already stopping (%s): %s ignored, the stop goes on; SIGKILL ends it at "
                    "once (a hand-over in flight is left in doubt, the lease to expire)",
                    self.name,
                    number.name,
                )
            return
        self.name, self.at = number.name, time.monotonic()
        self.requested.set()
        if self.starting is not None and not self.starting.done():
            self.starting.cancel()

    @staticmethod
    def on_hangup() -> None:
        """SIGHUP: operators send it for a reload, which the bridge does not do; its default
        (the process ends at once, silently: no stop, the lease left to expire, a hand-over in
        flight in doubt) would be worse. Said, and the bridge goes on as it was."""
        log.warning(
            "SIGHUP: configuration is not reloaded; restart the bridge to apply changes "
            "(docs/deployment.md, Stopping)"
        )

    def started(self, msg: str) -> None:
        """aiohttp's "Running on …" line."""
        self.listening = True
        log.info("%s", msg)

    def logged(self) -> None:
        if self.name is None:
            return
        log.info(
            "stopped on %s %safter %.1f s",
            self.name,
            "" if self.listening else "during start-up ",
            time.monotonic() - self.at,
        )


def _bind_problem(exc: OSError, host: str) -> str | None:
    """Why the listener could not be opened (the host does not resolve, the port is in use, the
    address is not this machine's, a privileged port), or None for any other OSError."""
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host {host!r}: {exc.strerror or exc}"
    # asyncio's create_server: "error while attempting to bind on address (…): reason"
    if "attempting to bind" in str(exc):
        return str(exc).rpartition(": ")[2] or str(exc)
    return None


def serve(path: str, early: Sequence[int] = (), *, accept_empty_store: bool = False) -> int:
    """``early``: the signals that came while this module loaded (bridge.cli keeps them);
    ``accept_empty_store``: ``--accept-empty-store`` (:mod:`bridge.notices.in_use`)."""
    # SIGTERM/SIGINT are the loop's from here on: one that comes before the loop runs (while
    # the configuration, the store's file lock or the inventory are read) waits for it, and
    # then stops the start before it opens the store
    stop = _Stop()
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        for number in (signal.SIGTERM, signal.SIGINT):
            runner.get_loop().add_signal_handler(number, stop.on_signal, number)
        runner.get_loop().add_signal_handler(signal.SIGHUP, stop.on_hangup)
        for came in early:
            if came == signal.SIGHUP:
                stop.on_hangup()
            else:
                stop.on_signal(signal.Signals(came))
        try:
            return _serve_config(path, runner, stop, accept_empty_store)
        finally:
            stop.logged()


def _serve_config(path: str, runner: asyncio.Runner, stop: _Stop, accept_empty: bool) -> int:
    try:
        loaded = load_config(path)
        configure(loaded.config.log_level, loaded.config.log_format)
    except ConfigError as exc:
        return invalid(exc)
    if stop.name is not None:  # came while the modules or the configuration loaded: stop here
        return 0
    with contextlib.ExitStack() as held:
        url = loaded.store_url()
        sole = url.startswith("sqlite:///")  # one bridge per SQLite file (store.sqlite.sole)
        if sole:
            try:
                held.enter_context(sole_server(url))
            except AlreadyServed as exc:
                print(f"cannot start: {exc}", file=sys.stderr)
                return 1
            database = SqliteConnection(url).path
            taken = backup.pending(database)
            if taken is not None:
                print(
                    f"cannot start: {database} is a copy made by `bridge backup` at "
                    f"{taken.isoformat()}: run `bridge restored -c {path}` on it first, or "
                    "notices sent after the backup would be sent again (docs/deployment.md, "
                    '"Backups and restore")',
                    file=sys.stderr,
                )
                return 1
        return _serve(loaded, make_store(url, sole=sole), runner, stop, accept_empty)


def _serve(
    loaded: LoadedConfig, store: Store, runner: asyncio.Runner, stop: _Stop, accept_empty: bool
) -> int:
    from bridge.web.app import create_app

    unwritable = archive.ready(loaded.config.notices.archive_dir)
    if unwritable is not None:  # else every approved notice would fail as it should leave
        print(f"cannot start: {unwritable}: approved notices could not be sent", file=sys.stderr)
        return 1
    try:
        # reads the inventory: may raise ConfigError
        app = create_app(loaded, store=store, accept_empty_store=accept_empty)
    except ConfigError as exc:
        return invalid(exc)
    server = loaded.config.server
    # DEBUG: a refused start stays one line at the default level (docs/deployment.md)
    log.debug("starting: %s, listening on %s once started", loaded.path, server.listen)
    try:
        runner.run(_run(app, server.host, server.port, stop))
    except (StoreUnavailable, StoreRolledBack, StoreLost) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        reason = _bind_problem(exc, server.host)
        if reason is None:
            raise
        print(f"cannot start: server.listen {server.listen!r}: {reason}", file=sys.stderr)
        return 1
    except ConfigError as exc:  # e.g. a Redis whose settings cannot keep acknowledged alerts
        return invalid(exc)
    return 0


async def _run(app: web.Application, host: str, port: int, stop: _Stop) -> None:
    """Start the app (the service, then the listener), serve until a signal, then stop: close
    the listener, give requests in flight :data:`IN_FLIGHT_GRACE`, stop the service. A signal
    during the start cancels it where it is: what the service opened is closed by it
    (:meth:`bridge.service.BridgeService.start`), what aiohttp started by its cleanup."""
    from aiohttp import web

    from bridge.web.malformed import AppRunner

    runner = AppRunner(  # web.AppRunner, answering a malformed request without quoting it
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=IN_FLIGHT_GRACE,
        keepalive_timeout=KEEPALIVE_TIMEOUT,
    )

    async def start() -> None:
        await runner.setup()  # the app's start: the service's (store, lease, live work)
        await web.TCPSite(runner, host, port).start()

    try:
        stop.starting = asyncio.create_task(start(), name="start")
        if stop.name is not None:  # came before the loop ran: nothing to start
            stop.starting.cancel()
        try:
            await stop.starting
        except asyncio.CancelledError:
            if stop.name is None:  # not ours: this task was cancelled
                raise
            return
        names = ", ".join(sorted(str(site.name) for site in runner.sites))
        stop.started(f"======== Running on {names} ========")
        await stop.requested.wait()
    finally:
        await runner.cleanup()
