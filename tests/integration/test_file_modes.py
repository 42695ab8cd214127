"""A real ``bridge serve`` started with a permissive umask (0000): the SQLite store (with its
-wal and -shm), its folder, the notice archive's folder and its .eml files are readable by the
bridge's own user only."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bridge_process import BridgeProcess, free_port
from builders import WEBHOOK_TOKEN, alert, seed_user, webhook, write_config
from persons import sign_in
from polling import until
from smtp_server import SmtpServer

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer modes-viewer-token"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_store_and_archive_are_private_whatever_the_umask(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    """With umask 0000 the store file, -wal, -shm and its new folder are 0600/0700, and the
    archive folder and the .eml of a delivered notice are 0700/0600."""
    port = free_port()
    data = tmp_path / "data"
    config = write_config(
        tmp_path,
        store=f"sqlite:///{data / 'bridge.sqlite3'}",
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [{"name": "noc", "token": "modes-viewer-token", "roles": ["viewer"]}],
            },
            "smtp": smtp.smtp_config(),
            "notices": {
                "archive_dir": str(data / "sent"),
                "refresh_interval": "0s",
                "poll_interval": "200ms",
            },
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    bridge.start(umask=0o000)
    try:
        await bridge.wait_ready()
        # the person is written once the bridge made its store (the file modes are its own)
        await asyncio.to_thread(
            seed_user, f"sqlite:///{data / 'bridge.sqlite3'}", "olga", ["approver"]
        )
        start = datetime.now(UTC) - timedelta(minutes=5)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            approver = await sign_in(session, "olga", base=bridge.url)
            body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
            async with session.post(
                bridge.url + "/api/v1/alertmanager", json=body, headers=HOOK
            ) as r:
                assert r.status == 200, await r.text()

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

            async def sent() -> bool:
                async with session.get(url, headers=VIEWER) as r:
                    return (await r.json())["state"] == "sent"

            await until(sent, "the notice to be sent")
        store = data / "bridge.sqlite3"
        files = {
            store: 0o600,
            store.with_name("bridge.sqlite3-wal"): 0o600,
            store.with_name("bridge.sqlite3-shm"): 0o600,
            data: 0o700,
            data / "sent": 0o700,
        }
        [eml] = (data / "sent").glob("*.eml")
        files[eml] = 0o600
        assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(m) for p, m in files.items()}
    finally:
        bridge.stop()
