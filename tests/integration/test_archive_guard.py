"""The archive as evidence, and a store rolled back under it, with real parts (the SQLite and
Redis stores, aiosmtpd on loopback, ``bridge restored`` as its own process):

- a store restored from a copy taken before a notice left (SQLite put back as a plain file copy,
  without ``bridge backup``'s mark; Redis from a copy of its AOF directory) is refused at start
  (one line naming ``bridge restored``) because the archive's witness counts a hand-over the
  store does not know; after ``bridge restored`` it starts;
- the restored store drafts the report that left again; approved again by a person, it is not
  sent: the archived copy of the first message is kept byte for byte and the draft goes in doubt
  naming it; the person's resend then sends it, both copies kept;
- a running bridge whose store falls behind the archive's witness hands nothing over;
- an archive folder wiped on purpose does not stop the bridge.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from persons import approve_outage_notice, person
from redis_server import RedisServer
from smtp_server import SmtpServer
from test_cli import bridge as bridge_cli
from test_restored_redis import copy_aof

from bridge.errors import StoreRolledBack
from bridge.notices import witness
from bridge.service import BridgeService
from bridge.web.keys import SERVICE

VIEWER = {"Authorization": f"Bearer {API_TOKEN}"}
ClientFor = Callable[..., Awaitable[TestClient[Any, Any]]]
pytestmark = pytest.mark.manual_outbox


class Backing:
    """One store's backing data, copied and put back as an operator would."""

    def __init__(self, kind: str, tmp_path: Path, redis: RedisServer | None) -> None:
        self.kind, self.tmp_path, self.redis = kind, tmp_path, redis
        self.file = tmp_path / "bridge.sqlite3"
        self.copy = tmp_path / ("copy.sqlite3" if kind == "sqlite" else "aof-copy")

    @property
    def url(self) -> str:
        return self.redis.url() if self.redis is not None else f"sqlite:///{self.file}"

    def take(self) -> None:
        if self.redis is not None:
            copy_aof(self.redis, self.copy)
            return
        source = sqlite3.connect(self.file)
        target = sqlite3.connect(self.copy)
        try:
            source.backup(target)  # what `sqlite3 .backup` does: a consistent copy, no mark
        finally:
            source.close()
            target.close()

    def put_back(self) -> None:
        if self.redis is not None:
            self.redis.stop()
            shutil.rmtree(self.redis.folder / "appendonlydir")
            shutil.copytree(self.copy, self.redis.folder / "appendonlydir")
            self.redis.start()
            return
        for suffix in ("", "-wal", "-shm"):
            self.file.with_name(self.file.name + suffix).unlink(missing_ok=True)
        shutil.copy2(self.copy, self.file)


@pytest.fixture(params=["sqlite", "redis"])
def backing(request: pytest.FixtureRequest, tmp_path: Path) -> Backing:
    redis = request.getfixturevalue("redis") if request.param == "redis" else None
    return Backing(request.param, tmp_path, redis)


def config(tmp_path: Path, smtp: SmtpServer, store: str) -> Path:
    return write_config(
        tmp_path,
        store=store,
        extra={
            "notices": {
                "archive_dir": str(tmp_path / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "1h",  # the tests run the outbox themselves
            },
            "replication": {"lease_ttl": "1s"},  # how long `bridge restored` waits for it
            "smtp": smtp.smtp_config(),
        },
    )


async def draft_of(client: TestClient[Any, Any], draft_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/drafts/{draft_id}", headers=VIEWER)
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def reportable_draft(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """A reportable outage posted to the webhook: its one draft's id (not approved)."""
    start = clock.now() - timedelta(minutes=5)
    body = webhook(alert("fp-ullevaal", start, element="no-cell-ullevaal", severity="major"))
    hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    r = await client.post("/api/v1/alertmanager", json=body, headers=hook)
    assert r.status == 200, await r.text()
    [draft] = (await (await client.get("/api/v1/drafts", headers=VIEWER)).json())["drafts"]
    return str(draft["id"])


async def approve(client: TestClient[Any, Any], clock: FakeClock, draft_id: str) -> None:
    draft = await draft_of(client, draft_id)
    assert draft["version"] == 1  # the same version both times: the same file name
    r = await client.post(
        f"/api/v1/drafts/{draft_id}/approve",
        json={"version": 1, "send_unknown": draft["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()


def service_of(client: TestClient[Any, Any]) -> BridgeService:
    assert client.server.app is not None
    return client.server.app[SERVICE]


async def test_a_rolled_back_store_is_refused_and_an_archived_message_is_never_replaced(
    backing: Backing,  # first: its redis-server outlives the app
    client_for: ClientFor,
    clock: FakeClock,
    smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    """The copy is taken while the report is still a draft; it is approved and sent; the copy
    is put back. Start is refused (one line, `bridge restored`); after `bridge restored` the
    bridge starts and the draft, a draft in the copy, is in doubt naming what left (it is not
    approvable: nobody sends it again by mistake); the person's decision to send it again
    brings it back to draft, and once approved again the second message is sent and kept
    beside the first, whose copy stays as it was."""
    path = config(tmp_path, smtp, backing.url)
    sent_dir = tmp_path / "sent"
    client = await client_for(path, manual_outbox=True)
    draft_id = await reportable_draft(client, clock)
    backing.take()
    await approve(client, clock, draft_id)
    [done] = await service_of(client).outbox.deliver_due()
    assert done.state == "sent"
    await client.close()
    first = sent_dir / f"{draft_id}.v1.eml"
    evidence = first.read_bytes()
    assert witness.read(sent_dir) is not None

    backing.put_back()
    refused = bridge_cli("serve", "-c", str(path))
    assert refused.returncode == 1 and refused.stdout == ""
    [why] = refused.stderr.strip().splitlines()
    assert why.startswith("cannot start: the store counts 0 hand-overs")
    assert "run `bridge restored`" in why and draft_id in why
    run = bridge_cli("restored", "-c", str(path))
    assert run.returncode == 0, run.stderr
    assert "the archive's witness 1" in run.stdout

    assert f"{draft_id}  was draft  -  sent after the backup as version 1" in run.stdout

    clock.advance(timedelta(minutes=1))  # approved again later: another Date, another message
    client = await client_for(path, manual_outbox=True)
    held = await draft_of(client, draft_id)
    assert held["state"] == "in_doubt"  # a draft in the copy, but it left after it
    assert f"{draft_id}.v1.eml" == held["left_after_backup"]["file"]
    assert await service_of(client).store.handovers() == 1  # raised by `bridge restored`
    assert await service_of(client).outbox.deliver_due() == []  # nothing on its own
    assert len(smtp.mailbox.received) == 1

    clock.advance(timedelta(minutes=1))  # a TOTP step not used yet
    r = await client.post(
        f"/api/v1/drafts/{draft_id}/resolve",
        json={"action": "resend", "comment": "Nkom asks for the corrected one as well"},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    assert (await draft_of(client, draft_id))["state"] == "draft"  # approved only by a person
    assert await service_of(client).outbox.deliver_due() == []
    clock.advance(timedelta(minutes=1))
    await approve(client, clock, draft_id)
    [resent] = await service_of(client).outbox.deliver_due()
    await client.close()
    assert resent.state == "sent"
    assert first.read_bytes() == evidence
    second = sent_dir / f"{draft_id}.v1.2.eml"
    assert len(smtp.mailbox.received) == 2
    assert smtp.mailbox.received[1].message["Date"] != smtp.mailbox.received[0].message["Date"]
    assert smtp.mailbox.received[1].message["Date"] in second.read_text()


async def test_a_running_bridge_whose_store_is_behind_the_archive_hands_nothing_over(
    backing: Backing, client_for: ClientFor, clock: FakeClock, smtp: SmtpServer, tmp_path: Path
) -> None:
    """The store rolled back under a running bridge (its count below the archive's witness):
    the outbox's round refuses before any hand-over, the notice stays approved."""
    client = await client_for(config(tmp_path, smtp, backing.url), manual_outbox=True)
    try:
        service = service_of(client)
        draft_id = await approve_outage_notice(client, clock.now)
        count = await service.store.handovers()
        (tmp_path / "sent").mkdir(exist_ok=True)  # the leader keeps .audit-seq there
        seen = witness.Witness(count + 3, "x.nkom_varsel", clock.now())
        witness.record(tmp_path / "sent", seen)
        with pytest.raises(StoreRolledBack):
            await service.outbox.deliver_due()
        assert (await draft_of(client, draft_id))["state"] == "approved"
        assert await service.store.handovers() == count  # nothing counted either
    finally:
        await client.close()
    assert smtp.mailbox.received == []


async def test_a_wiped_archive_folder_does_not_stop_the_bridge(
    client_for: ClientFor, clock: FakeClock, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Notices left, then the archive folder was removed on purpose: the bridge starts (no
    witness is no rollback) and the next hand-over writes a new witness."""
    path = config(tmp_path, smtp, f"sqlite:///{tmp_path / 'bridge.sqlite3'}")
    client = await client_for(path, manual_outbox=True)
    await approve_outage_notice(client, clock.now)
    [done] = await service_of(client).outbox.deliver_due()
    assert done.state == "sent"
    await client.close()
    shutil.rmtree(tmp_path / "sent")
    client = await client_for(path, manual_outbox=True)
    assert service_of(client).started
    await client.close()
