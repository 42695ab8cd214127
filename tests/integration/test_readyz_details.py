"""``/readyz`` (bridge/web/api/health.py): an anonymous caller, an orchestrator's probe, learns
only whether the bridge is ready; the store, the replica, the lease holders and the cause of a
503 (which name the internal topology) go to a caller with a valid credential of any role (an
API token or a signed-in person's session), never a 401. The cause reaches the bridge's log
once per change of state, not once per probe."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, write_config
from fakes import FakeClock
from persons import sign_in

from bridge.web.answers import NOT_READY

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
