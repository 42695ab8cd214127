"""What a client is told when the store is down (bridge/web/answers.py): a 503 that says the
store is unavailable, nothing was stored and to retry, and nothing about where the store is (no
host, port, URL or password: the webhook's answer ends up in Alertmanager's log, the API's in
any client's, /readyz's in a probe's); the bridge's own log has the cause, with the password of a
Redis URL redacted, and so has /readyz's answer to an API token."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import (
    API_TOKEN,
    EDITOR_VIEWER_AUDITOR,
    WEBHOOK_TOKEN,
    alert,
    rfc3339,
    token_auth,
    webhook,
    write_config,
)
from fakes import FakeClock
from polling import until
from redis_server import LOOPBACK, RedisServer

from bridge.core.alerts import parse_webhook
from bridge.errors import StoreOutcomeUnknown, StoreUnavailable
from bridge.store.redis import RedisStore
from bridge.web.answers import NOT_READY, OUTCOME_UNKNOWN, STORE_DOWN

PASSWORD = "redis-password-never-shown-7f3a"
HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}


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
        assert "requests refused (503), store unavailable" in logged
        assert "first: GET /api/v1/incidents" in logged
        assert PASSWORD not in logged
    finally:
        server.cleanup()


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if "refused" in r.getMessage() and "webhook" not in r.getMessage()
    ]


async def test_api_requests_the_store_refuses_are_logged_once_per_outage_not_per_request(
    tmp_path: Path, client_for: Any, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A few consoles polling during a Redis outage: one WARNING naming the first request and
    the cause, not one per request; the same cause at most once a minute (with the count since);
    when the store answers again (the readiness ping passes, a webhook is stored) an INFO with
    how many were refused, and the next outage its own WARNING. The Redis URL's password is in
    none of them."""
    server = RedisServer(tmp_path / "redis", extra=("--requirepass", PASSWORD)).start()
    try:
        url = f"redis://:{PASSWORD}@{LOOPBACK}:{server.port}/0"
        client = await client_for(write_config(tmp_path, store=url))
        where = f"{LOOPBACK}:{server.port}"
        server.stop()
        caplog.set_level(logging.DEBUG)
        paths = ["/api/v1/incidents?state=all", "/api/v1/drafts?state=sent"] * 5
        for path in paths:
            assert (await client.get(path, headers=API)).status == 503
        clock.advance(timedelta(seconds=59))
        assert (await client.get(paths[1], headers=API)).status == 503
        lines = refusal_lines(caplog)
        assert [level for level, _ in lines] == [logging.WARNING], lines
        assert "GET /api/v1/incidents" in lines[0][1] and where in lines[0][1]

        clock.advance(timedelta(seconds=1))  # a minute since the WARNING: said again, counted
        assert (await client.get(paths[1], headers=API)).status == 503
        lines = refusal_lines(caplog)
        assert [level for level, _ in lines] == [logging.WARNING] * 2, lines
        assert "11 refused since" in lines[1][1] and where in lines[1][1]

        server.start()  # the store answers again: the readiness ping passes
        assert (await client.get("/readyz")).status == 200
        assert (await client.get(paths[0], headers=API)).status == 200
        lines = refusal_lines(caplog)
        assert [level for level, _ in lines] == [logging.WARNING] * 2 + [logging.INFO], lines
        assert "12 refused" in lines[2][1]

        server.stop()  # a new outage, the same cause, within the minute: a WARNING of its own
        for path in paths:
            assert (await client.get(path, headers=API)).status == 503
        lines = refusal_lines(caplog)
        assert [level for level, _ in lines] == [logging.WARNING] * 2 + [logging.INFO] + [
            logging.WARNING
        ], lines
        assert where in lines[3][1]

        server.start()  # and a webhook stored ends it as well
        body = webhook(alert("fp1", clock.now() - timedelta(minutes=1)))
        assert (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status == 200
        lines = refusal_lines(caplog)
        assert [level for level, _ in lines][4:] == [logging.INFO], lines
        assert "10 refused" in lines[4][1]
        assert not any("store unavailable on" in r.getMessage() for r in caplog.records)
        assert PASSWORD not in "\n".join(r.getMessage() for r in caplog.records)
    finally:
        server.cleanup()


def store_errors(text: str) -> dict[str, float]:
    """``bridge_store_errors_total`` by ``op`` in a /metrics text."""
    found = re.findall(r'^bridge_store_errors_total\{op="([^"]+)"\} (\S+)$', text, re.M)
    return {op: float(value) for op, value in found}


async def test_api_refusals_are_counted_in_store_errors_once_each(
    tmp_path: Path, client_for: Any, clock: FakeClock, redis: RedisServer
) -> None:
    """Redis stopped mid-run: each API request the store refused (503) is one more
    ``bridge_store_errors_total{op}``, under the store operation it met, as the webhook's are;
    a refusal a stage already counted (an incident opened by hand meets ``ingest``) is counted
    once, not again as an answer."""
    config = write_config(
        tmp_path, store=redis.url(), extra={"auth": token_auth(EDITOR_VIEWER_AUDITOR)}
    )
    client = await client_for(config)
    before = store_errors(await (await client.get("/metrics")).text())
    redis.stop()
    reads = {"/api/v1/incidents?state=all": 3, "/api/v1/drafts?state=sent": 2}
    for path, times in reads.items():
        for _ in range(times):
            assert (await client.get(path, headers=VIEWER)).status == 503
    opened = {
        "title": "Ullevål cell down, reported by the hospital",
        "started_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "impacts": [{"service": "mobile", "region": "NO-0301", "connections": 5000}],
    }
    assert (await client.post("/api/v1/incidents", json=opened, headers=EDITOR)).status == 503
    after = store_errors(await (await client.get("/metrics")).text())
    grown = {op: n - before.get(op, 0) for op, n in after.items() if n != before.get(op, 0)}
    assert sum(grown.values()) == 3 + 2 + 1, grown
    assert grown.get("ingest") == 1, grown  # the incident opened by hand, once
    assert len(grown) <= 4, grown  # by operation: a few fixed names, never a path or an id
    assert all(re.fullmatch(r"[a-z_]+", op) for op in grown), grown


@contextlib.contextmanager
def stopped(server: RedisServer) -> Iterator[None]:
    """Redis frozen (SIGSTOP) by its PID: connections are accepted by the kernel and commands
    queue unread, as on a Redis that hangs; continued (SIGCONT) on the way out, whatever
    happened."""
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


async def test_a_write_redis_got_but_did_not_answer_is_said_to_be_unknown_not_unstored(
    tmp_path: Path, client_for: Any, clock: FakeClock, redis: RedisServer
) -> None:
    """The audit's case: Redis stops answering (SIGSTOP) while the bridge writes. The webhook
    and a person's action (an incident opened by hand) time out once their write may have
    reached Redis, which runs what it received when it goes on: the answer must not say
    "nothing was stored"; it says the outcome is unknown and to check before repeating (still
    a 503: Alertmanager sends the webhook again, which is harmless). A refused connection
    (nothing sent) still says nothing was stored: the first test of this file."""
    url = redis.url(socket_timeout="0.5", check_interval_ms=3_600_000)
    config = write_config(tmp_path, store=url, extra={"auth": token_auth(EDITOR_VIEWER_AUDITOR)})
    client = await client_for(config)
    body = webhook(alert("frozen-1", clock.now() - timedelta(minutes=1)))
    opened = {
        "title": "Ullevål cell down, reported by the hospital",
        "started_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "impacts": [{"service": "mobile", "region": "NO-0301", "connections": 5000}],
    }
    with stopped(redis):
        hook = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
        by_hand = await client.post("/api/v1/incidents", json=opened, headers=EDITOR)
    for answer in (hook, by_hand):
        assert answer.status == 503
        assert await answer.json() == {"error": "store unavailable", "detail": OUTCOME_UNKNOWN}
    assert "nothing was stored" not in OUTCOME_UNKNOWN
    assert "may have been stored" in OUTCOME_UNKNOWN and "check before repeating" in OUTCOME_UNKNOWN


async def test_a_write_sent_to_a_redis_that_hangs_is_outcome_unknown_and_is_stored_after(
    redis: RedisServer, clock: FakeClock
) -> None:
    """The store alone (no background loops to share its connections): a webhook's write
    sent to a Redis that hangs (SIGSTOP) times out as StoreOutcomeUnknown, not as a plain
    StoreUnavailable, and Redis stores it when it goes on (SIGCONT): the write ran after the
    client gave up. A refused connection is a plain StoreUnavailable (nothing was sent)."""
    store = RedisStore(redis.url(socket_timeout="0.5", check_interval_ms=3_600_000))
    await store.open()
    try:
        now = clock.now()
        first = parse_webhook(webhook(alert("warm", now - timedelta(minutes=2))), now)
        await store.ingest(first, now)  # the connection is open: the next write is sent at once
        frozen = parse_webhook(webhook(alert("frozen-1", now - timedelta(minutes=1))), now)
        with stopped(redis), pytest.raises(StoreOutcomeUnknown):
            await store.ingest(frozen, now)

        async def stored() -> bool:
            try:
                return "frozen-1" in {ep.fingerprint for ep in await store.load_episodes()}
            except StoreUnavailable:
                return False

        await until(stored, "the write Redis ran when it went on")

        redis.stop()  # the kept connection's first use finds it closed (sent: unknown), then
        with pytest.raises(StoreUnavailable):
            await store.ingest(frozen, now)
        with pytest.raises(StoreUnavailable) as refused:  # a new one is refused: not sent
            await store.ingest(frozen, now)
        assert "connecting to" in str(refused.value)
        assert not isinstance(refused.value, StoreOutcomeUnknown)
    finally:
        await store.close()
