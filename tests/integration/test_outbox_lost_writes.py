"""The outbox of a running leader when a store write goes wrong around the hand-over, with real
parts (aiosmtpd on loopback; the real SQLite and Redis stores, one write made to fail):

- the claim (``sending``) applied but its reply lost: the next round puts the notice in doubt
  for a person (audited, counted), and nothing is ever sent on its own;
- the relay's answer not written at the first try (refused, or applied with its reply lost):
  retried, the notice ends ``sent``, one message;
- the leader paused past its lease between the claim and the hand-over: nothing is handed
  over, the notice is approved again, and sent once when the lease is held again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, write_config
from fakes import FakeClock
from persons import approve_outage_notice
from smtp_server import SmtpServer

from bridge.errors import LeaseLost, StoreUnavailable
from bridge.service import BridgeService
from bridge.store.interfaces import Store
from bridge.store.records import AuditEntry, DraftRecord
from bridge.store.redis import RedisStore
from bridge.store.sqlite import SqliteStore
from bridge.web.keys import SERVICE

VIEWER = {"Authorization": f"Bearer {API_TOKEN}"}
ClientFor = Callable[..., Awaitable[TestClient[Any, Any]]]
LEASE_TTL = 1.0  # seconds: replication.lease_ttl in these tests
pytestmark = pytest.mark.manual_outbox


@dataclass
class Faults:
    """What goes wrong with the draft writes of a given state (``DraftRecord.state``), each
    counted down as it happens: ``refuse`` (not applied, a store error), ``lose`` (applied, then
    reported as a store error: a socket timeout on the reply, a short WAIT), ``pause`` (applied,
    then the whole process stands still that many seconds: a GC pause, a frozen VM)."""

    refuse: dict[str, int] = field(default_factory=dict)
    lose: dict[str, int] = field(default_factory=dict)
    pause: dict[str, float] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)  # the state of every draft write applied

    def before(self, draft: DraftRecord) -> None:
        if self.refuse.get(draft.state, 0) > 0:
            self.refuse[draft.state] -= 1
            raise StoreUnavailable("put_draft", f"refused (test): {draft.state}")

    def after(self, draft: DraftRecord) -> None:
        self.writes.append(draft.state)
        if draft.state in self.pause:
            time.sleep(self.pause.pop(draft.state))  # the event loop too: nothing renews
        if self.lose.get(draft.state, 0) > 0:
            self.lose[draft.state] -= 1
            raise StoreUnavailable("put_draft", f"reply lost (test): {draft.state}")


class FaultyDrafts:
    """Put before a real store class (``class X(FaultyDrafts, SqliteStore)``): the store as it
    is, made with ``(url, faults)``, except that its draft writes go wrong as ``faults`` says
    (:meth:`Faults.before` the write, :meth:`Faults.after` it)."""

    def __init__(self, url: str, faults: Faults) -> None:
        super().__init__(url)  # type: ignore[call-arg]
        self.faults = faults

    async def put_draft(
        self,
        draft: DraftRecord,
        expected_revision: int | None,
        audit: Sequence[AuditEntry],
        fence: int | None = None,
    ) -> None:
        self.faults.before(draft)
        await super().put_draft(draft, expected_revision, audit, fence=fence)  # type: ignore[misc]
        self.faults.after(draft)


class FaultySqlite(FaultyDrafts, SqliteStore):
    """The real SQLite store; its draft writes go wrong as ``faults`` says."""


class FaultyRedis(FaultyDrafts, RedisStore):
    """The real Redis store; its draft writes go wrong as ``faults`` says."""


def config(tmp_path: Path, smtp: SmtpServer, store: str | None = None) -> Path:
    extra: dict[str, Any] = {
        "operator": {
            "name": "Exempel Nät AB",
            "org_number": "556000-0000",
            "contact": {"name": "Vakt", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
        },
        "notices": {
            "archive_dir": str(tmp_path / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "1h",  # the tests run the outbox themselves
        },
        "replication": {"lease_ttl": f"{int(LEASE_TTL * 1000)}ms"},
        "smtp": smtp.smtp_config(),
    }
    return write_config(tmp_path, store=store, extra=extra)


@pytest.fixture(params=["sqlite", "redis"])
def faulty(
    request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer
) -> tuple[Path, Store, Faults]:
    """(config, store, faults) on each real store."""
    faults = Faults()
    if request.param == "redis":
        url = request.getfixturevalue("redis").url()
        return config(tmp_path, smtp, url), FaultyRedis(url, faults), faults
    url = f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
    return config(tmp_path, smtp, url), FaultySqlite(url, faults), faults


@dataclass
class Bridge:
    client: TestClient[Any, Any]
    service: BridgeService


async def started(client_for: ClientFor, faulty: tuple[Path, Store, Faults]) -> Bridge:
    path, store, _ = faulty
    client = await client_for(path, manual_outbox=True, store=store)
    assert client.server.app is not None
    return Bridge(client, client.server.app[SERVICE])


async def stored_state(service: BridgeService, draft_id: str) -> str:
    record = await service.store.get_draft(draft_id)
    assert record is not None
    return record.state


async def actions(service: BridgeService, draft_id: str) -> list[str]:
    """The draft's audit actions, oldest first."""
    entries = await service.store.audit_log(limit=1000, target=f"draft:{draft_id}")
    return [e.action for e in reversed(entries)]


async def metric(bridge: Bridge, line: str) -> float | None:
    text = await (await bridge.client.get("/metrics")).text()
    for row in text.splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    return None


async def test_a_claim_applied_whose_reply_was_lost_is_in_doubt_at_the_next_round_never_sent(
    faulty: tuple[Path, Store, Faults],  # first: its redis-server outlives the app
    client_for: ClientFor,
    clock: FakeClock,
    smtp: SmtpServer,
) -> None:
    """The claim (``sending``) is stored but reported as a store error: the round ends, nothing
    handed over. The next round finds it ``sending`` with no hand-over of this process's running:
    in doubt for a person (audited, counted), and no later round sends it on its own."""
    bridge = await started(client_for, faulty)
    service, faults = bridge.service, faulty[2]
    draft_id = await approve_outage_notice(bridge.client, clock.now)
    faults.lose["sending"] = 1
    with pytest.raises(StoreUnavailable):
        await service.outbox.deliver_due()
    assert await stored_state(service, draft_id) == "sending"
    assert service.book.drafts[draft_id].state == "approved"  # what this process believes

    assert await service.outbox.deliver_due() == []  # the next round
    assert await stored_state(service, draft_id) == "in_doubt"
    assert "may or may not have been delivered" in (service.book.drafts[draft_id].flag or "")
    assert (await actions(service, draft_id))[-1] == "outbox.in_doubt"
    assert await metric(bridge, 'bridge_drafts{state="in_doubt"}') == 1
    clock.advance(timedelta(hours=1))
    for _ in range(3):
        assert await service.outbox.deliver_due() == []
    assert smtp.mailbox.received == []
    assert await stored_state(service, draft_id) == "in_doubt"
    assert faults.writes.count("sending") == 1  # claimed once, never again


@pytest.mark.parametrize("fault", ["refuse", "lose"])
async def test_the_relays_answer_is_written_again_after_a_store_error_sent_once(
    faulty: tuple[Path, Store, Faults],  # first: its redis-server outlives the app
    client_for: ClientFor,
    clock: FakeClock,
    smtp: SmtpServer,
    fault: str,
) -> None:
    """The write of ``sent`` fails once (not applied; or applied, its reply lost): it is written
    again, the notice ends ``sent`` with one ``outbox.sent`` entry, and one message was sent."""
    bridge = await started(client_for, faulty)
    service, faults = bridge.service, faulty[2]
    draft_id = await approve_outage_notice(bridge.client, clock.now)
    getattr(faults, fault)["sent"] = 1
    [done] = await service.outbox.deliver_due()
    assert done.state == "sent"
    assert await stored_state(service, draft_id) == "sent"
    assert service.book.drafts[draft_id].state == "sent"
    assert faults.refuse == {"sent": 0} or faults.lose == {"sent": 0}  # the fault happened
    clock.advance(timedelta(hours=1))
    assert await service.outbox.deliver_due() == []
    assert len(smtp.mailbox.received) == 1
    assert (await actions(service, draft_id)).count("outbox.sent") == 1
    assert await metric(bridge, 'bridge_emails_sent_total{regulator="nkom",result="sent"}') == 1


async def test_a_leader_paused_past_its_lease_after_the_claim_hands_nothing_over(
    faulty: tuple[Path, Store, Faults],  # first: its redis-server outlives the app
    client_for: ClientFor,
    clock: FakeClock,
    smtp: SmtpServer,
) -> None:
    """The process stands still longer than the lease right after the claim (the renewal cannot
    run): on waking it finds the lease lapsed by its own clock and hands nothing over; the
    notice is approved again (audited as a retry) and the round ends as on a refused fenced
    write. Leadership held again (on Redis the lease task may re-take the lapsed lease under a
    new token first, and that takeover's round send it), the notice is sent once."""
    bridge = await started(client_for, faulty)
    service, faults = bridge.service, faulty[2]
    draft_id = await approve_outage_notice(bridge.client, clock.now)
    faults.pause["sending"] = LEASE_TTL + 0.1
    with pytest.raises(LeaseLost):
        await service.outbox.deliver_due()
    # nothing awaited since: no other task of this process (the lease's) has run yet
    assert smtp.mailbox.received == []
    assert service.book.drafts[draft_id].state == "approved"
    assert service.book.drafts[draft_id].attempts[-1].outcome == "withheld"

    await service.leadership.lost("test: the refused round")  # what the outbox loop does
    assert service.leadership.holds()
    await service.outbox.deliver_due()  # sends it (or waits for a round woken by the takeover)
    assert await stored_state(service, draft_id) == "sent"
    assert len(smtp.mailbox.received) == 1
    attempts = [a.outcome for a in service.book.drafts[draft_id].attempts]
    assert attempts == ["started", "withheld", "started", "sent"]
    done = await actions(service, draft_id)
    assert done.count("outbox.retry") == 1 and done.count("outbox.sent") == 1
