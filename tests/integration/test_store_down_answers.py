"""What a client is told when the store is down (bridge/web/answers.py): a 503 that says the
store is unavailable, nothing was stored and to retry, and nothing about where the store is (no
host, port, URL or password: the webhook's answer ends up in Alertmanager's log, the API's in
any client's, /readyz's in a probe's); the bridge's own log has the cause, with the password of a
Redis URL redacted, and so has /readyz's answer to an API token."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from redis_server import LOOPBACK, RedisServer

from bridge.web.answers import NOT_READY, STORE_DOWN

PASSWORD = "redis-password-never-shown-7f3a"
HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_redis_down_answers_503_without_its_address_and_logs_it_without_the_password(
    tmp_path: Path, client_for: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path / "redis", extra=("--requirepass", PASSWORD)).start()
    try:
        url = f"redis://:{PASSWORD}@{LOOPBACK}:{server.port}/0"
        client = await client_for(write_config(tmp_path, store=url))
        body = webhook(alert("fp1", clock.now() - timedelta(minutes=1)))
        assert (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status == 200
        server.stop()
        caplog.set_level(logging.DEBUG)
        answers = [
            await client.post("/api/v1/alertmanager", json=body, headers=HOOK),
            await client.get("/api/v1/incidents?state=all", headers=API),
            await client.get("/api/v1/drafts?state=sent", headers=API),
        ]
        for answer in answers:
            assert answer.status == 503
            assert await answer.json() == {"error": "store unavailable", "detail": STORE_DOWN}
        assert "nothing was stored" in STORE_DOWN and "retry" in STORE_DOWN
        where = f"{LOOPBACK}:{server.port}"
        probe = await client.get("/readyz")  # an orchestrator's probe: that it is not ready
        assert probe.status == 503
        assert await probe.json() == {"error": "not ready", "detail": NOT_READY}
        ready = await client.get("/readyz", headers=API)  # the operator: why, password redacted
        assert ready.status == 503
        assert where in await ready.text() and PASSWORD not in await ready.text()
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert where in logged  # the cause is in the bridge's log
        assert "store unavailable on GET /api/v1/incidents" in logged
        assert PASSWORD not in logged
    finally:
        server.cleanup()
