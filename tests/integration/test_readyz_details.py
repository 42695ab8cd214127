"""``/readyz`` (bridge/web/api/health.py): an anonymous caller, an orchestrator's probe, learns
only whether the bridge is ready; the store, the replica, the lease holders and the cause of a
503 (which name the internal topology) go to a caller with a valid credential of any role (an
API token or a signed-in person's session), never a 401. The cause reaches the bridge's log
once per change of state, not once per probe."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, write_config
from fakes import FakeClock
from persons import add_user, sign_in
from redis_server import LOOPBACK, RedisServer

from bridge.web.answers import NOT_READY
from bridge.web.keys import SERVICE

API = {"Authorization": f"Bearer {API_TOKEN}"}  # a viewer
DETAILS = {"status", "store", "replica", "holder", "leader", "leader_replica", "leader_holder"}


@pytest.fixture
def people() -> list[tuple[str, list[str], bool]]:
    return [("vera", ["viewer"], True)]


async def test_an_anonymous_caller_is_told_the_status_only(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """No credential, or a wrong one: ``{"status": "ready"}`` and nothing else (never 401); a
    viewer's API token or a signed-in viewer's session: the store, replica and leadership."""
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        r = await client.get("/readyz", headers=headers)
        assert r.status == 200, headers
        assert await r.json() == {"status": "ready"}, headers
    r = await client.get("/readyz", headers=API)
    assert r.status == 200
    state = await r.json()
    assert set(state) == DETAILS
    assert state["store"].startswith("sqlite:///") and state["leader"] is True
    await sign_in(client, "vera", clock.now())
    r = await client.get("/readyz")  # the session's cookie
    assert r.status == 200
    assert await r.json() == state


async def test_a_503_tells_its_cause_to_a_credential_only_and_logs_it_once(
    tmp_path: Path, client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """While another connection holds the SQLite write lock: an anonymous probe gets the fixed
    detail, an API token the cause; however many probes, one WARNING with the cause, and one
    INFO once the store answers again."""
    db = tmp_path / "bridge.sqlite3"
    client = await client_for(write_config(tmp_path, store=f"sqlite:///{db}?busy_timeout_ms=50"))
    caplog.set_level(logging.INFO, logger="bridge.service")
    blocker = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for _ in range(3):
            r = await client.get("/readyz")
            assert r.status == 503
            assert await r.json() == {"error": "not ready", "detail": NOT_READY}
        r = await client.get("/readyz", headers=API)
        assert r.status == 503
        cause = (await r.json())["detail"]
        assert cause != NOT_READY and "ping" in cause
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    for _ in range(2):
        assert await (await client.get("/readyz")).json() == {"status": "ready"}
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "bridge.service"]
    down = [m for level, m in said if "not ready" in m]
    assert down == [f"not ready (/readyz answers 503): {cause}"]
    assert [level for level, m in said if "not ready" in m] == [logging.WARNING]
    assert [m for level, m in said if "ready again" in m and level == logging.INFO] == [
        "ready again (/readyz answers 200): the store answers"
    ]


async def test_a_session_cookie_while_the_store_is_down_gets_readyz_own_answer(
    tmp_path: Path, client_for: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A probe that carries a signed-in person's cookie (a browser on /readyz) while Redis is
    down: the session cannot be checked, so it counts as none (``/readyz``'s fixed detail, not
    the API's "store unavailable"), the cookie is neither cleared nor renewed, and the log has
    /readyz's one WARNING for the outage, no warning per probe."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        url = f"redis://{LOOPBACK}:{server.port}/0"
        client = await client_for(write_config(tmp_path, store=url))
        app = client.server.app
        assert app is not None
        await add_user(app[SERVICE].store, "vera", ["viewer"], enrolled=True)
        await sign_in(client, "vera", clock.now())
        assert set(await (await client.get("/readyz")).json()) == DETAILS
        server.stop()
        caplog.set_level(logging.INFO)
        for _ in range(3):
            r = await client.get("/readyz")
            assert r.status == 503
            assert await r.json() == {"error": "not ready", "detail": NOT_READY}
            assert "Set-Cookie" not in r.headers
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.WARNING and "no mail relay" not in r.getMessage()
        ]  # the start's own warning (no smtp section here) is not the probe's
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith("not ready (/readyz answers 503)"), warnings
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/metrics")).status == 200
    finally:
        server.cleanup()


async def test_polling_readyz_is_no_use_of_the_session(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """A page that polls /readyz with the session's cookie does not keep the session alive: the
    idle timeout (30 minutes by default) ends it as if nothing had come."""
    await sign_in(client, "vera", clock.now())
    assert (await client.get("/api/v1/incidents")).status == 200
    for _ in range(4):
        clock.advance(timedelta(minutes=10))
        r = await client.get("/readyz")
        assert r.status == 200
        assert "Set-Cookie" not in r.headers
    assert await r.json() == {"status": "ready"}  # 40 minutes idle: the session is over
    assert (await client.get("/api/v1/incidents")).status == 401
