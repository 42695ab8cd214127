"""Stopping, with real parts (aiosmtpd on loopback, SQLite locked by another connection): a notice
being handed to the relay is let finish (sent once, not in doubt), cancelled only past its grace
(in doubt, never re-sent on its own); every step of the service's stop runs whatever an earlier
one raised; past the stop deadline the remaining steps are abandoned and the store is closed."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from persons import approve_outage_notice
from smtp_server import SmtpServer

from bridge.service import BridgeService
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": f"Bearer {API_TOKEN}"}
ClientFor = Callable[..., Awaitable[TestClient[Any, Any]]]


def config(tmp_path: Path, smtp: SmtpServer | None = None, busy_timeout_ms: int = 5000) -> Path:
    extra: dict[str, Any] = {
        "operator": {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {"name": "Vakt", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
        },
        "notices": {
            "archive_dir": str(tmp_path / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "1h",  # a round runs when an approval wakes the outbox
        },
    }
    if smtp is not None:
        extra["smtp"] = smtp.smtp_config() | {"timeout": "30s"}
    store = f"sqlite:///{tmp_path / 'bridge.sqlite3'}?busy_timeout_ms={busy_timeout_ms}"
    return write_config(tmp_path, store=store, extra=extra)


def service_of(client: TestClient[Any, Any]) -> BridgeService:
    assert client.server.app is not None
    return client.server.app[SERVICE]


async def state(client: TestClient[Any, Any], draft_id: str) -> str:
    r = await client.get(f"/api/v1/drafts/{draft_id}", headers=VIEWER)
    return str((await r.json())["state"])


async def held_in_data(smtp: SmtpServer) -> None:
    """The relay has the message and holds its answer (DATA) until the test releases it."""
    await asyncio.to_thread(smtp.mailbox.data_started.wait, 20)
    assert smtp.mailbox.data_started.is_set()


@pytest.fixture
def holding_smtp(smtp: SmtpServer) -> SmtpServer:
    smtp.mailbox.mode = "hold"
    return smtp


async def test_stop_lets_the_handover_in_flight_finish_and_the_notice_is_sent_once(
    client_for: ClientFor, holding_smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Stopping while the relay holds DATA: the outbox waits for its answer (within
    smtp.timeout), records ``sent``, and takes no new delivery; one message reached the relay.
    The service's stop deadline leaves that hand-over its whole smtp.timeout (30 s) and the
    steps after it their own 15 s."""
    client = await client_for(config(tmp_path, holding_smtp))
    assert service_of(client).stop_deadline == timedelta(seconds=30 + 15)
    outbox = service_of(client).outbox
    draft_id = await approve_outage_notice(client, clock.now)
    await held_in_data(holding_smtp)
    stopping = asyncio.create_task(outbox.stop())  # begins before the relay's answer is read
    holding_smtp.mailbox.release()
    await stopping
    assert await state(client, draft_id) == "sent"
    assert await outbox.deliver_due() == []
    assert len(holding_smtp.mailbox.received) == 1


async def test_a_handover_past_the_stop_grace_is_cancelled_in_doubt_and_never_resent(
    client_for: ClientFor, holding_smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """Past the grace the hand-over is cancelled: the notice is ``in_doubt`` at once (the relay
    may have it), and neither a restarted outbox nor recovery sends it again."""
    client = await client_for(config(tmp_path, holding_smtp))
    outbox = service_of(client).outbox
    draft_id = await approve_outage_notice(client, clock.now)
    await held_in_data(holding_smtp)
    await outbox.stop(timedelta(0))  # the bound: passed at once
    assert await state(client, draft_id) == "in_doubt"
    holding_smtp.mailbox.mode = "accept"  # a resend would be received before it is answered
    await outbox.recover()
    outbox.start()
    clock.advance(timedelta(hours=1))
    assert await outbox.deliver_due() == []
    assert await state(client, draft_id) == "in_doubt"
    assert holding_smtp.mailbox.received == []  # the held DATA was never answered


class _OnRecord(logging.Handler):
    """Calls ``then`` once, on the first record of ``logger`` starting with ``prefix``."""

    def __init__(self, prefix: str, then: Callable[[], None]) -> None:
        super().__init__()
        self.prefix, self.then, self.seen = prefix, then, False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.seen and record.getMessage().startswith(self.prefix):
            self.seen = True
            self.then()


@pytest.fixture
def on_stop_log() -> Iterator[Callable[[str, Callable[[], None]], _OnRecord]]:
    logger = logging.getLogger("bridge.service")
    added: list[_OnRecord] = []

    def add(prefix: str, then: Callable[[], None]) -> _OnRecord:
        added.append(_OnRecord(prefix, then))
        logger.addHandler(added[-1])
        return added[-1]

    yield add
    for handler in added:
        logger.removeHandler(handler)


def lease_expires_at(db: Path) -> float:
    with sqlite3.connect(db) as conn:
        [(expires_at,)] = conn.execute("SELECT expires_at FROM lease").fetchall()
    return float(expires_at)


async def test_a_store_error_at_the_stop_flush_does_not_keep_the_lease(
    client_for: ClientFor,
    clock: FakeClock,
    tmp_path: Path,
    on_stop_log: Callable[[str, Callable[[], None]], _OnRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SQLite locked by another connection while the stop persists the incidents: the flush
    fails (StoreUnavailable, logged by type and frames, no message), the lease is released all
    the same (the lock gone by then) and the store closed."""
    db = tmp_path / "bridge.sqlite3"
    client = await client_for(config(tmp_path, busy_timeout_ms=200))
    service = service_of(client)
    start = clock.now() - timedelta(minutes=5)
    body = webhook(alert("fp-1", start, element="se-olt-ostersund-1"))
    assert (await client.post("/api/v1/alertmanager", json=body, headers=HOOK)).status == 200
    assert lease_expires_at(db) > 0
    blocker = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        clock.advance(timedelta(hours=6))  # the alert goes stale: the incident changes
        await service.tick()  # its flush fails: the incident stays to be persisted
        assert service.evaluator.dirty
        failed = on_stop_log("stop: step flush failed", lambda: blocker.execute("ROLLBACK"))
        await client.close()  # the app's cleanup: service.stop()
        assert failed.seen
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
    assert lease_expires_at(db) == 0  # released: another replica takes over at once
    assert service.store._writer is None  # type: ignore[attr-defined]  # closed
    [line] = [r.getMessage() for r in caplog.records if "step flush failed" in r.getMessage()]
    assert "bridge.errors.StoreUnavailable (message not logged)" in line
    assert "locked" not in line


async def test_stop_past_its_deadline_abandons_the_remaining_steps_and_closes_the_store(
    client_for: ClientFor,
    tmp_path: Path,
    on_stop_log: Callable[[str, Callable[[], None]], _OnRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A store that would make the lease release wait 5 s: the stop gives up at its deadline
    with one line naming where, and the store is closed all the same."""
    db = tmp_path / "bridge.sqlite3"
    client = await client_for(config(tmp_path, busy_timeout_ms=5_000))
    service = service_of(client)
    service.stop_deadline = timedelta(milliseconds=300)
    blocker = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        # the writer waits on the lock until the stop has given up; closing the store waits
        # for that write: the lock goes with the log line
        abandoned = on_stop_log("stop: not done within", lambda: blocker.execute("ROLLBACK"))
        await client.close()
        assert abandoned.seen
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
    [line] = [r.getMessage() for r in caplog.records if "stop: not done within" in r.getMessage()]
    assert line == "stop: not done within 0.3 s, abandoned at step lease (not run: none)"
    assert service.store._writer is None  # type: ignore[attr-defined]  # closed
