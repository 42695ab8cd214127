"""Bad configuration values through the commands an operator runs: exit code 1 and a message
naming the key path, never a traceback."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from builders import write_config

from bridge.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]


def bridge(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m bridge ARGS`` from the repository root, without BRIDGE_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refused(config: Path, *expected: str, command: str = "check-config") -> str:
    """Run ``command -c config``: exit 1, no traceback, stderr holding every ``expected``."""
    run = bridge(command, "-c", str(config))
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    for text in expected:
        assert text in run.stderr, run.stderr
    return run.stderr


def config(tmp_path: Path, **sections: Any) -> Path:
    return write_config(tmp_path, extra=sections)


async def made(db: Path) -> None:
    """The store at ``db``, made (at this bridge's schema) and closed."""
    store = SqliteStore(f"sqlite:///{db}")
    await store.open()
    await store.close()


# ---- durations ------------------------------------------------------------------------------


def test_check_config_and_serve_refuse_a_huge_duration(tmp_path: Path) -> None:
    """1000000000d was an OverflowError traceback in check-config and serve."""
    path = config(tmp_path, evaluation={"interval": "1000000000d"})
    for command in ("check-config", "serve"):
        refused(path, "evaluation.interval: expected a duration of at most 36525d", command=command)


def test_prune_runs_with_the_longest_retention_period(tmp_path: Path) -> None:
    """The bound keeps ``now - period`` a date: ``bridge prune --dry-run`` with 36525d runs,
    999999d is refused naming the key (it crashed with 'date value out of range'). A dry run
    does not create the store: a bridge has made it first."""
    longest = config(tmp_path, retention={"alerts": "36525d"})
    asyncio.run(made(tmp_path / "bridge.sqlite3"))  # as a bridge leaves it
    ok = bridge("prune", "--dry-run", "-c", str(longest))
    assert ok.returncode == 0, ok.stderr
    assert "alerts" in ok.stdout
    refused(
        config(tmp_path, retention={"alerts": "999999d"}),
        "retention.alerts: expected a duration of at most 36525d",
        command="prune",
    )


# ---- intervals ------------------------------------------------------------------------------


def test_check_config_refuses_a_zero_poll_interval_and_a_backoff_out_of_order(
    tmp_path: Path,
) -> None:
    """Every such problem is listed at once, each naming its key."""
    path = config(
        tmp_path,
        notices={"poll_interval": "0s", "retry_initial": "1h", "retry_max": "10m"},
        evaluation={"stale_after": "0s"},
        correlation={"window": "0s"},
    )
    refused(
        path,
        "notices.poll_interval: must be at least 100ms",
        "evaluation.stale_after: must be at least 1m",
        "correlation.window: must be longer than 0s",
    )
    path = config(tmp_path, notices={"retry_initial": "1h", "retry_max": "10m"})
    refused(path, "notices: retry_initial (1h) must not be longer than retry_max (10m)")


# ---- retention ------------------------------------------------------------------------------


def test_check_config_refuses_an_empty_retention_period(tmp_path: Path) -> None:
    """``retention.alerts: null`` is refused; 'never' must be written out."""
    refused(
        config(tmp_path, retention={"alerts": None}),
        "retention.alerts: is empty: write 'never' to keep this kind for ever",
    )


# ---- files that are not UTF-8 ---------------------------------------------------------------


def test_check_config_names_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    """bridge.yaml, or the inventory it names, with a Latin-1 byte: the file and the offset."""
    inventory = tmp_path / "inventory.csv"
    inventory.write_bytes("id,parent,jurisdiction,region\nåsa,,SE,R1\n".encode("latin-1"))
    path = write_config(tmp_path, inventory=inventory)
    refused(path, f"{inventory}: not UTF-8 text: byte 0xe5 at offset 30 (line 2)")
    path.write_bytes("# Nät\n".encode("latin-1") + path.read_bytes())
    for command in ("check-config", "serve"):
        refused(path, f"{path}: not UTF-8 text: byte 0xe4 at offset 3 (line 1)", command=command)


# ---- server.listen --------------------------------------------------------------------------


def test_check_config_refuses_a_listen_address_without_a_host(tmp_path: Path) -> None:
    refused(
        config(tmp_path, server={"listen": ":8080"}),
        "server.listen: expected HOST:PORT, got ':8080': no host",
    )


def test_serve_names_server_listen_when_the_port_is_in_use(tmp_path: Path) -> None:
    """Another process on the port (errno 98) was an OSError traceback: now one line."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        listen = f"127.0.0.1:{holder.getsockname()[1]}"
        err = refused(
            config(tmp_path, server={"listen": listen}),
            f"cannot start: server.listen '{listen}': address already in use",
            command="serve",
        )
    assert err.strip().splitlines()[-1].startswith("cannot start: server.listen")


def test_serve_names_server_listen_when_its_host_does_not_resolve(tmp_path: Path) -> None:
    """A host no resolver knows (socket.gaierror) was a traceback: now one line."""
    listen = "no-such-host.invalid:18432"
    refused(
        config(tmp_path, server={"listen": listen}),
        f"cannot start: server.listen '{listen}': cannot resolve host 'no-such-host.invalid'",
        command="serve",
    )


# ---- store URL, SMTP relay, public URL ------------------------------------------------------


def test_check_config_refuses_bad_store_smtp_and_public_url_values(tmp_path: Path) -> None:
    """Each problem names its key; the store's password is never printed."""
    path = write_config(
        tmp_path,
        store="redis://:hunter2@/0?bogus=1",
        extra={
            "smtp": {"host": "", "port": 70000, "ca_file": "missing.pem"},
            "server": {"public_url": "not a url"},
        },
    )
    err = refused(
        path,
        "store: expected sqlite:///PATH or redis://HOST:PORT/DB: no host after redis://; "
        "unknown parameter(s) 'bogus'",
        "smtp.host: expected a host name or an IP address",
        "smtp.port: expected a port from 1 to 65535",
        f"smtp.ca_file: cannot read the CA file {tmp_path / 'missing.pem'}",
        "server.public_url: expected an http:// or https:// URL with a host",
    )
    assert "hunter2" not in err
