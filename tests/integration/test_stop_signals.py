"""Signals to a real ``bridge serve`` on a real Redis, seen through a proxy that holds one of
its commands (:mod:`holding_proxy`, a slow network at a known point): a stop during the start
closes what the start opened and releases a lease it took (a peer takes over at once, not
after ``lease_ttl``); a second SIGTERM or SIGINT during a stop is logged once and ignored, so
the stop still releases the lease. Each ends in one stop line and exit 0."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from bridge_process import BridgeProcess, free_port
from builders import REPO, write_config
from holding_proxy import HoldingProxy
from polling import until
from redis_server import RedisServer

from bridge.store.redis.scripts import bodies

LEASE = "bridge:lease"


def bridge_on(tmp_path: Path, proxy: HoldingProxy) -> BridgeProcess:
    port = free_port()
    config = write_config(
        tmp_path,
        store=f"redis://127.0.0.1:{proxy.port}/0",
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "notices": {"archive_dir": str(tmp_path / "sent")},
        },
    )
    return BridgeProcess(config, port, tmp_path / "bridge.log")


async def exit_code(bridge: BridgeProcess) -> int:
    assert bridge.proc is not None
    return await asyncio.to_thread(bridge.proc.wait, 30)


def raw(server: RedisServer) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_during_the_start_after_the_lease_was_taken_releases_it(
    tmp_path: Path, redis: RedisServer, number: signal.Signals
) -> None:
    """Held at the start's last read (the people, after the lease was taken and the store
    restored): the stop releases the lease and closes the store, logs its line, exits 0."""
    async with HoldingProxy(redis.port, hold_on=b"users:rev") as proxy:
        bridge = bridge_on(tmp_path, proxy)
        bridge.start()
        try:
            await asyncio.wait_for(proxy.held.wait(), 30)
            assert raw(redis).hget(LEASE, "holder"), "the start holds the lease by now"
            assert bridge.proc is not None
            bridge.proc.send_signal(number)
            code = await exit_code(bridge)
        finally:
            bridge.stop()
    text = bridge.log.read_text()
    assert code == 0, text
    assert raw(redis).exists(LEASE) == 0, text  # released: a peer leads at once
    assert "Running on" not in text, text
    stopped = re.findall(rf"stopped on {number.name} during start-up after \d+\.\d+ s", text)
    assert len(stopped) == 1, text
    assert "Traceback" not in text, text


async def test_a_stop_while_the_lease_is_being_taken_releases_it(
    tmp_path: Path, redis: RedisServer
) -> None:
    """Redis ran the start's attempt to take the lease, its answer is held: the stop cuts the
    attempt off before the bridge knows it leads, and releases the lease all the same."""
    for body in bodies().values():  # loaded: the attempt is the one EVALSHA that takes it
        raw(redis).script_load(body)
    async with HoldingProxy(redis.port, hold_reply_to=LEASE.encode()) as proxy:
        bridge = bridge_on(tmp_path, proxy)
        bridge.start()
        try:
            await asyncio.wait_for(proxy.held.wait(), 30)
            assert raw(redis).hget(LEASE, "holder"), "taken in Redis, the answer held"
            assert bridge.proc is not None
            bridge.proc.send_signal(signal.SIGTERM)
            code = await exit_code(bridge)
        finally:
            bridge.stop()
    text = bridge.log.read_text()
    assert code == 0, text
    assert raw(redis).exists(LEASE) == 0, text
    assert " leads (fencing token" not in text, text  # it never knew
    assert len(re.findall(r"stopped on SIGTERM during start-up after", text)) == 1, text


async def test_a_second_sigterm_during_the_stop_is_ignored_and_the_lease_released(
    tmp_path: Path, redis: RedisServer
) -> None:
    """The stop held at its lease release: a second SIGTERM and a SIGINT are logged once
    ("already stopping") and change nothing; the stop goes on and releases the lease."""
    async with HoldingProxy(redis.port) as proxy:
        bridge = bridge_on(tmp_path, proxy)
        bridge.start()
        try:
            await bridge.wait_ready()
            assert raw(redis).hget(LEASE, "holder")
            proxy.hold_on = LEASE.encode()  # the release (or a renewal the stop cancels)
            assert bridge.proc is not None
            bridge.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proxy.held.wait(), 30)
            bridge.proc.send_signal(signal.SIGTERM)
            bridge.proc.send_signal(signal.SIGINT)

            def said_or_gone() -> bool:
                assert bridge.proc is not None
                return (
                    "already stopping" in bridge.log.read_text() or bridge.proc.poll() is not None
                )

            await until(said_or_gone, "the second signal to be handled")
            proxy.release()
            code = await exit_code(bridge)
        finally:
            bridge.stop()
    text = bridge.log.read_text()
    assert code == 0, text
    assert raw(redis).exists(LEASE) == 0, text
    assert len(re.findall("already stopping", text)) == 1, text
    assert len(re.findall(r"stopped on SIGTERM after \d+\.\d+ s", text)) == 1, text
    assert "Traceback" not in text, text


#: ``bridge serve`` with a SIGTERM sent to itself as ``bridge.cli.serve`` starts to load
#: (its modules take a second or more on a busy machine): the earliest a stop can come
SIGNAL_WHILE_LOADING = """
import os, signal, sys

class SignalOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == "bridge.cli.serve":
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, SignalOnImport())
from bridge.cli import main
sys.exit(main(["serve", "-c", sys.argv[1]]))
"""


def test_a_stop_while_the_modules_load_exits_0_with_its_line_and_opens_nothing(
    tmp_path: Path,
) -> None:
    """Not the signal's default (killed, exit -15): the stop line, exit 0, and nothing was
    opened (the SQLite file was not even made)."""
    config = write_config(
        tmp_path,
        extra={
            "server": {"listen": f"127.0.0.1:{free_port()}"},
            "notices": {"archive_dir": str(tmp_path / "sent")},
        },
    )
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_WHILE_LOADING, str(config)],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"stopped on SIGTERM during start-up after \d+\.\d+ s", done.stderr), (
        done.stderr
    )
    assert "Traceback" not in done.stderr and "Running on" not in done.stderr, done.stderr
    assert not (tmp_path / "bridge.sqlite3").exists()


async def test_sighup_is_logged_as_not_reloading_and_the_bridge_goes_on_serving(
    tmp_path: Path,
) -> None:
    """Operators send SIGHUP expecting a reload: its default ended the process at once and
    silently (no stop: the lease not released, a hand-over in flight left in doubt). It is
    logged as a WARNING saying the configuration is not reloaded, and the bridge goes on
    serving (``/readyz`` still 200); a SIGTERM after it stops as usual."""
    port = free_port()
    config = write_config(
        tmp_path,
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "notices": {"archive_dir": str(tmp_path / "sent")},
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    bridge.start()
    try:
        await bridge.wait_ready()
        assert bridge.proc is not None
        bridge.proc.send_signal(signal.SIGHUP)
        said = "SIGHUP: configuration is not reloaded; restart the bridge to apply changes"

        def logged_or_gone() -> bool:
            assert bridge.proc is not None
            return said in bridge.log.read_text() or bridge.proc.poll() is not None

        await until(logged_or_gone, "the SIGHUP to be handled")
        assert bridge.proc.poll() is None, bridge.log.read_text()
        await bridge.wait_ready()  # still serving
        bridge.proc.send_signal(signal.SIGTERM)
        code = await exit_code(bridge)
    finally:
        bridge.stop()
    text = bridge.log.read_text()
    assert code == 0, text
    hup = [line for line in text.splitlines() if said in line]
    assert len(hup) == 1 and "WARNING" in hup[0], text
    assert len(re.findall(r"stopped on SIGTERM after \d+\.\d+ s", text)) == 1, text
    assert "Traceback" not in text, text
