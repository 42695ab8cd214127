"""A real ``bridge serve`` receiving malformed HTTP over a raw socket (a stray byte in a
header, a bad or doubled Content-Length, a bad chunk size: anyone reaching the port can send
them, without credentials): its log, in text and in JSON, carries one line per request naming
the remote address and the error's class, never the request's bytes (the bearer token) nor a
traceback; a stop logs one INFO line saying why and how long it took."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bridge_process import BridgeProcess, free_port
from builders import WEBHOOK_TOKEN, write_config
from polling import until_sync

TOKEN = WEBHOOK_TOKEN.encode()
#: each a whole request the server must refuse without logging its bytes
MALFORMED = {
    # the audit's reproduction: a DEL after a bearer token
    "stray byte in a header": (
        b"GET /api/v1/incidents HTTP/1.1\r\nHost: bridge\r\n"
        b"Authorization: Bearer " + TOKEN + b"\x7f\r\n\r\n"
    ),
    "bad Content-Length": (
        b"POST /api/v1/alertmanager HTTP/1.1\r\nHost: bridge\r\n"
        b"Authorization: Bearer " + TOKEN + b"\r\nContent-Length: 1" + TOKEN + b"\r\n\r\n{}"
    ),
    "two Content-Lengths": (
        b"POST /api/v1/alertmanager HTTP/1.1\r\nHost: bridge\r\n"
        b"Authorization: Bearer " + TOKEN + b"\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
    ),
    "bad chunk size": (
        b"POST /api/v1/alertmanager HTTP/1.1\r\nHost: bridge\r\n"
        b"Authorization: Bearer " + TOKEN + b"\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + TOKEN + b"\r\n{}\r\n0\r\n\r\n"
    ),
}


def send(port: int, request: bytes) -> bytes:
    """Send ``request`` on a new connection; the server's whole answer (it closes after one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
def bridge_process(tmp_path: Path) -> Iterator[Callable[..., BridgeProcess]]:
    """A :class:`BridgeProcess` (not started) writing its log in ``log_format``; stopped
    after the test."""
    made: list[BridgeProcess] = []

    def make(log_format: str = "text") -> BridgeProcess:
        port = free_port()
        config = write_config(
            tmp_path,
            extra={
                "server": {"listen": f"127.0.0.1:{port}"},
                "notices": {"archive_dir": str(tmp_path / "sent")},
                "log_format": log_format,
            },
        )
        made.append(BridgeProcess(config, port, tmp_path / "bridge.log"))
        return made[-1]

    yield make
    for proc in made:
        proc.stop()


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_malformed_requests_log_one_line_without_their_bytes(
    bridge_process: Callable[..., BridgeProcess], log_format: str
) -> None:
    bridge = bridge_process(log_format)
    bridge.start()
    await bridge.wait_ready()
    for what, request in MALFORMED.items():
        answer = send(bridge.port, request)
        assert re.match(rb"HTTP/1\.[01] 400 ", answer), (what, answer[:200])
    bridge.stop()
    assert bridge.proc is not None and bridge.proc.returncode == 0
    raw = bridge.log.read_bytes()
    text = raw.decode("utf-8", "replace")
    assert TOKEN not in raw, text
    assert "Traceback" not in text and "(message not logged)" not in text, text
    if log_format == "json":
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        assert not [x for x in lines if "exception" in x], text
        messages = [(x["level"], x["message"]) for x in lines if x["logger"].startswith("aiohttp")]
    else:
        # every line of a text log starts with its time (no continuation lines)
        stray = [
            x
            for x in text.splitlines()
            if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", x)
        ]
        assert not stray, text
        found = (re.match(r"\S+ (\w+) aiohttp\.\S+: (.*)", x) for x in text.splitlines())
        messages = [(m[1], m[2]) for m in found if m]
    # one WARNING line each: the address, aiohttp's class, a fixed reason
    assert messages == [
        ("WARNING", "malformed request from 127.0.0.1: BadHttpMessage: an invalid HTTP message")
    ] * len(MALFORMED), text


#: requests aiohttp refuses for another reason, each with the answer's fixed reason
OTHER_MALFORMED = {
    "a line too long": (
        b"GET /api/v1/incidents?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: bridge\r\n"
        b"Authorization: Bearer " + TOKEN + b"\r\n\r\n",
        "a line or header too long",
    ),
    "TLS on the plain port": (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + TOKEN + b"\r\n\r\n",
        "not an HTTP request (TLS or another protocol on this port?)",
    ),
}


async def test_malformed_requests_are_answered_400_without_their_bytes(
    bridge_process: Callable[..., BridgeProcess],
) -> None:
    """The 400's body names what was wrong in general terms and quotes nothing of the request
    (aiohttp's own answer echoed the offending line: a bearer token)."""
    bridge = bridge_process()
    bridge.start()
    await bridge.wait_ready()
    cases = {what: (request, "an invalid HTTP message") for what, request in MALFORMED.items()}
    for what, (request, reason) in (cases | OTHER_MALFORMED).items():
        answer = send(bridge.port, request)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert re.match(rb"HTTP/1\.[01] 400 ", head), (what, answer[:300])
        assert TOKEN not in answer and b"aaaa" not in answer, (what, answer[:300])
        assert body.decode() == f"400 Bad Request: {reason}", (what, answer[:300])
    bridge.stop()
    assert bridge.proc is not None and bridge.proc.returncode == 0


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_stop_logs_one_info_line_with_the_signal_and_how_long(
    bridge_process: Callable[..., BridgeProcess], log_format: str
) -> None:
    bridge = bridge_process(log_format)
    bridge.start()
    await bridge.wait_ready()
    bridge.stop()
    assert bridge.proc is not None and bridge.proc.returncode == 0
    text = bridge.log.read_text(encoding="utf-8")
    if log_format == "json":
        messages = [
            json.loads(line)["message"]
            for line in text.splitlines()
            if line.strip() and json.loads(line)["level"] == "INFO"
        ]
    else:
        messages = [line for line in text.splitlines() if " INFO " in line]
    stopped = [m for m in messages if re.search(r"stopped on SIGTERM after \d+\.\d+ s", m)]
    assert len(stopped) == 1, text


async def test_a_stop_during_start_up_is_logged(tmp_path: Path) -> None:
    """SIGTERM while the bridge starts (here: its Redis store accepts the connection but never
    answers, so the start cannot finish) logs the stop line, saying so, and exits 0."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens; never accepts nor answers
        port = free_port()
        config = write_config(
            tmp_path,
            store=f"redis://127.0.0.1:{silent.getsockname()[1]}/0?socket_timeout=60",
            extra={
                "server": {"listen": f"127.0.0.1:{port}"},
                "notices": {"archive_dir": str(tmp_path / "sent")},
                "log_level": "debug",  # the start's line is a DEBUG one
            },
        )
        bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
        bridge.start()
        try:
            until_sync(
                lambda: "DEBUG bridge: starting: " in bridge.log.read_text(), "the start", 20
            )
            bridge.stop()
        finally:
            bridge.stop()
    text = bridge.log.read_text(encoding="utf-8")
    assert bridge.proc is not None and bridge.proc.returncode == 0, text
    assert "Running on" not in text, text
    assert re.search(r"INFO bridge: stopped on SIGTERM during start-up after \d+\.\d+ s", text), (
        text
    )
