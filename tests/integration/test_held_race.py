"""An approved Nkom varsel whose incident changes while the outbox is about to hand it over:
whatever the interleaving of drafting and the outbox's round, the notice is either sent as a
person approved it (the incident's facts checked at the hand-over, and recorded) or held for
a person to approve again; it is never left approved with facts the incident no longer has.

The interleavings are driven step by step: the outbox's round runs when the test says
(``manual_outbox``), drafting runs on the webhook and on ``service.flush()``, and the store's
reply to the outbox's claim is held back (the claim applied, its reply not yet back: the window
in which drafting, reading the draft as approved, has its re-render refused for a revision
conflict)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import alert
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer
from test_notices_flow import as_, config, deliver, draft, drafts, post_alerts, ullevaal

from bridge.web.keys import SERVICE

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
pytestmark = pytest.mark.manual_outbox


def olt(clock: FakeClock) -> dict[str, Any]:
    """The fibre OLT at the same site goes down too: the incident's facts change."""
    return alert("fp-olt", clock.now(), element="no-olt-oslo-1", severity="major")


async def approved_varsel(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, Any]:
    await post_alerts(client, ullevaal(clock))
    [d] = await drafts(client)
    r = await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": 1, "send_unknown": d["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    return d


class Gate:
    """The first write of a draft in ``state``: with ``applied``, the store applies it at once
    but its reply reaches the bridge only when the test lets it (:meth:`release`); without,
    it reaches the store only then. ``claimed`` is set once that write is held."""

    def __init__(self, client: TestClient[Any, Any], state: str, applied: bool) -> None:
        app = client.server.app
        assert app is not None
        self.store = app[SERVICE].book.store
        self.claimed = asyncio.Event()
        self._release = asyncio.Event()
        real = self.store.put_draft

        async def put_draft(record: Any, expected: Any, audit: Any, fence: Any = None) -> Any:
            held = record.document.get("state") == state and not self.claimed.is_set()
            if held and not applied:
                self.claimed.set()
                await self._release.wait()
            result = await real(record, expected, audit, fence=fence)
            if held and applied:
                self.claimed.set()
                await self._release.wait()
            return result

        self.store.put_draft = put_draft

    def release(self) -> None:
        self._release.set()


def service_of(client: TestClient[Any, Any]) -> Any:
    app = client.server.app
    assert app is not None
    return app[SERVICE]


async def drafting(client: TestClient[Any, Any]) -> None:
    """The alerts admitted evaluated, and drafting brought up to date (as the evaluation's
    loop does after a webhook, driven here: it runs when the test says)."""
    service = service_of(client)
    service.evaluator.settle()
    await service.flush()


async def audit(client: TestClient[Any, Any]) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/audit", headers=as_("auditor"))
    return list((await r.json())["entries"])


async def test_an_approved_varsel_is_not_sent_with_facts_the_incident_no_longer_has(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock, smtp: SmtpServer
) -> None:
    """Drafts re-rendered at most every 10 minutes: the incident changes after the approval. A
    case with an approved draft is re-rendered at once all the same: the draft is held
    (version 2), nothing is sent."""
    client = await client_for(config(tmp_path, smtp, refresh_interval="10m"), manual_outbox=True)
    d = await approved_varsel(client, clock)
    await post_alerts(client, ullevaal(clock), olt(clock))
    await drafting(client)
    assert await deliver(client) == []
    assert smtp.mailbox.received == []
    held = await draft(client, d["id"])
    assert held["state"] == "held" and held["version"] == 2 and held["approved"] is None
    assert "approve again" in held["flag"]
    assert "draft.held" in [e["action"] for e in await audit(client)]


async def test_a_change_while_the_claim_is_in_flight_sends_the_approved_version_with_the_facts(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock, smtp: SmtpServer
) -> None:
    """The race seen in the console: the outbox's claim is applied, and before its reply is
    back the second alert joins; drafting, reading the draft as approved, is refused (revision
    conflict). The hand-over had started with the facts as approved (checked): the approved
    version is sent, and the audit records the facts the incident had at the hand-over and that
    it changed after the hand-over started."""
    client = await client_for(config(tmp_path, smtp), manual_outbox=True)
    await approved_varsel(client, clock)
    gate = Gate(client, "sending", applied=True)
    round_ = asyncio.create_task(deliver(client))
    await gate.claimed.wait()
    await post_alerts(client, ullevaal(clock), olt(clock))
    await drafting(client)  # refused: a revision conflict
    gate.release()
    [sent] = await round_
    assert sent.state == "sent" and sent.approval.version == 1
    assert len(smtp.mailbox.received) == 1
    entries = await audit(client)
    [out] = [e for e in entries if e["action"] == "outbox.sent"]
    assert out["detail"]["facts"] == sent.version(1).facts  # checked at the hand-over
    [late] = [e for e in entries if e["action"] == "draft.changed_after_handover"]
    assert late["detail"]["version"] == 1 and late["detail"]["facts"] != sent.version(1).facts


async def test_a_refused_rerender_is_tried_again_once_the_draft_is_approved_again(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock, smtp: SmtpServer
) -> None:
    """The same race, and the relay answers 4xx: the draft is approved again (a retry later),
    with facts the incident no longer has. Drafting looked again while the draft was
    ``sending`` (nothing to re-render then); the next reconcile after the outbox's answer holds
    it, before any retry is due."""
    client = await client_for(config(tmp_path, smtp, refresh_interval="10m"), manual_outbox=True)
    d = await approved_varsel(client, clock)
    smtp.mailbox.mode = "tempfail"
    gate = Gate(client, "sending", applied=True)
    round_ = asyncio.create_task(deliver(client))
    await gate.claimed.wait()
    await post_alerts(client, ullevaal(clock), olt(clock))
    await drafting(client)  # refused: a revision conflict
    await drafting(client)  # again: the draft is sending now, nothing to re-render
    gate.release()
    [back] = await round_
    assert back.state == "approved"  # the relay's 4xx: a retry later
    await drafting(client)  # one reconcile
    held = await draft(client, d["id"])
    assert held["state"] == "held" and held["version"] == 2 and held["approved"] is None
    clock.advance(timedelta(hours=1))
    assert await deliver(client) == []
    assert smtp.mailbox.received == []


async def test_the_outbox_checks_the_facts_before_it_claims_a_draft_drafting_is_holding(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock, smtp: SmtpServer
) -> None:
    """The other way round: drafting's re-render (approved -> held) is on its way to the store
    when the outbox's round reads the draft, still approved. The outbox checks the incident's
    facts before it claims: changed, the draft is held and not handed over; drafting's own
    write, refused, is computed again and finds nothing left to do."""
    client = await client_for(config(tmp_path, smtp), manual_outbox=True)
    d = await approved_varsel(client, clock)
    gate = Gate(client, "held", applied=False)
    await post_alerts(client, ullevaal(clock), olt(clock))
    flushing = asyncio.create_task(drafting(client))
    await gate.claimed.wait()  # drafting's held write, not yet in the store
    assert await deliver(client) == []
    gate.release()
    await flushing  # drafting's write refused: computed again, nothing left to do
    assert smtp.mailbox.received == []
    held = await draft(client, d["id"])
    assert held["state"] == "held" and held["version"] == 2 and held["approved"] is None
    assert [e["action"] for e in await audit(client)].count("draft.held") == 1
