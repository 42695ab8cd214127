"""Record what a real Alertmanager sends, as ``bridge replay`` reads it (JSON lines of
``{"received_at": …, "body": …}``): ``alertmanager.jsonl`` beside this file was made by

    .venv/bin/python tests/data/replay/record_alertmanager.py

(Debian's ``prometheus-alertmanager`` on loopback, its webhook pointed at a receiver here).
The alerts, on ``config/inventory.yaml``'s elements: both Östersund OLTs down since 2 h 15 min
before the recording (11 500 internet connections: pts-outage's 10 000-for-2-hours criterion,
since its repeal an internal threshold), the Ullevål hospital cell down since 10 minutes before
it with severity ``critical`` (Nkom); then both OLTs resolved. Not a test; the recording drives
``tests/integration/test_replay.py``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parents[1] / "e2e")]

from alertmanager import AlertmanagerProcess, rfc3339  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main() -> None:
    received: list[dict] = []  # type: ignore[type-arg]

    async def hook(request: web.Request) -> web.Response:
        received.append({"received_at": rfc3339(datetime.now(UTC)), "body": await request.json()})
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/v1/alertmanager", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    now = datetime.now(UTC).replace(microsecond=0)
    olt_start = now - timedelta(hours=2, minutes=15)
    alerts = [
        {
            "labels": {"alertname": "OltDown", "element": el, "site": "se-site-ostersund"},
            "annotations": {"summary": f"{el} unreachable"},
            "startsAt": rfc3339(olt_start),
        }
        for el in ("se-olt-ostersund-1", "se-olt-ostersund-2")
    ]
    cell = {
        "labels": {
            "alertname": "CellDown",
            "element": "no-cell-ullevaal",
            "site": "no-site-oslo-sentrum",
            "severity": "critical",
        },
        "annotations": {"summary": "Ullevål hospital cell down"},
        "startsAt": rfc3339(now - timedelta(minutes=10)),
    }
    async with AlertmanagerProcess(
        f"http://127.0.0.1:{port}/api/v1/alertmanager", group_by=["site"]
    ) as am:
        await am.post_alerts([*alerts, cell])
        while len(received) < 2:
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)
        ended = rfc3339(datetime.now(UTC) - timedelta(seconds=1))
        await am.post_alerts([{**a, "endsAt": ended} for a in alerts])
        while not any(r["body"]["status"] == "resolved" for r in received):
            await asyncio.sleep(0.2)
    await runner.cleanup()
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in received)
    (HERE / "alertmanager.jsonl").write_text(lines, encoding="utf-8")
    print(f"{len(received)} webhooks recorded")


if __name__ == "__main__":
    asyncio.run(main())
