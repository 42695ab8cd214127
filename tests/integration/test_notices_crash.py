"""A real ``bridge serve`` killed with SIGKILL while it hands a notice to the mail relay: after the
restart the notice is *in doubt*, is not sent again on its own, and a person's "resend" delivers
it once, with the same Message-ID."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bridge_process import OUTBOX_ROUNDS, BridgeProcess
from builders import WEBHOOK_TOKEN, alert, seed_user, webhook
from persons import sign_in
from polling import until
from smtp_server import SmtpServer

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer crash-viewer-token"}


async def test_kill9_during_handover_leaves_the_notice_in_doubt_never_resent_silently(
    bridge_process: Callable[..., BridgeProcess], smtp: SmtpServer, tmp_path: Path
) -> None:
    """SIGKILL while the relay holds the message: after the restart the notice is in doubt, no
    outbox round resends it on its own, and a person's resend delivers it once, same Message-ID."""
    bridge = bridge_process(
        {
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [{"name": "noc", "token": "crash-viewer-token", "roles": ["viewer"]}],
            },
            "smtp": smtp.smtp_config() | {"timeout": "60s"},
            "notices": {"refresh_interval": "0s", "poll_interval": "200ms"},
        }
    )
    await asyncio.to_thread(
        seed_user, f"sqlite:///{tmp_path / 'bridge.sqlite3'}", "olga", ["approver"]
    )
    smtp.mailbox.mode = "hang"
    bridge.start()
    try:
        await bridge.wait_ready()
        start = datetime.now(UTC) - timedelta(minutes=5)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK
            ) as r:
                assert r.status == 200

            async def the_draft() -> dict[str, Any] | None:
                async with session.get(bridge.url + "/api/v1/drafts", headers=VIEWER) as r:
                    found = (await r.json())["drafts"]
                return found[0] if found else None

            draft = await until(the_draft, "the draft")
            url = f"{bridge.url}/api/v1/drafts/{draft['id']}"
            async with session.post(
                url + "/approve",
                json={"version": 1, "send_unknown": draft["to_complete"]},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()
                message_id = (await r.json())["message_id"]
            await asyncio.to_thread(smtp.mailbox.data_started.wait, 20)
            assert smtp.mailbox.data_started.is_set(), bridge.log.read_text()[-2000:]
            bridge.kill9()  # the relay has the message; the bridge never heard its answer

        smtp.mailbox.mode = "accept"
        smtp.mailbox.data_started.clear()
        bridge.start()
        await bridge.wait_ready()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            later = datetime.now(UTC) + timedelta(seconds=30)  # a code of a step not used yet
            approver = await sign_in(session, "olga", later, base=bridge.url)
            async with session.get(url, headers=VIEWER) as r:
                doubt = await r.json()
            assert doubt["state"] == "in_doubt"
            assert "may or may not have been delivered" in doubt["flag"]
            # five more outbox rounds: none may resend it on its own
            await bridge.grows_by(OUTBOX_ROUNDS, 5, "outbox rounds")
            assert smtp.mailbox.received == []
            async with session.get(url, headers=VIEWER) as r:
                assert (await r.json())["state"] == "in_doubt"

            async with session.post(
                url + "/resolve",
                json={"action": "resend", "comment": "Nkom has no record of it"},
                headers=approver,
            ) as r:
                assert r.status == 200, await r.text()

            async def sent() -> bool:
                async with session.get(url, headers=VIEWER) as r:
                    return (await r.json())["state"] == "sent"

            await until(sent, "the resend")
        [mail] = smtp.mailbox.received
        assert mail.message["Message-ID"] == message_id
    finally:
        bridge.stop()
