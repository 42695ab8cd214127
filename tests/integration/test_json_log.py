"""`bridge serve` with `log_format: json`: every line of its log is one JSON object, the start
says how to add the first person at INFO, and an incident's lifecycle lines carry its id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from bridge_process import BridgeProcess, free_port
from builders import WEBHOOK_TOKEN, alert, webhook, write_config
from polling import until


async def test_serve_writes_json_lines_with_lifecycle_events(tmp_path: Path) -> None:
    """Each log line parses as JSON; the Nkom-reportable incident is logged opened and
    reportable with its id, and no line is a WARNING about leadership."""
    port = free_port()
    config = write_config(
        tmp_path,
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "notices": {"archive_dir": str(tmp_path / "sent")},
            "log_format": "json",
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    bridge.start()
    try:
        await bridge.wait_ready()
        start = datetime.now(UTC) - timedelta(minutes=5)
        body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
        hook = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(bridge.url + "/api/v1/alertmanager", json=body, headers=hook) as r,
        ):
            assert r.status == 200, await r.text()
            [incident] = (await r.json())["incidents"]

        def lines() -> list[dict[str, Any]]:
            text = bridge.log.read_text(encoding="utf-8")
            return [json.loads(line) for line in text.splitlines() if line.strip()]

        def reportable() -> list[dict[str, Any]]:
            return [x for x in lines() if x.get("event") == "incident.reportable"]

        [event] = await until(reportable, "the reportable line")
        assert event["incident"] == incident and event["regulator"] == "nkom"
        assert event["level"] == "INFO" and event["logger"] == "bridge.lifecycle"
        found = lines()
        assert any(x.get("event") == "incident.opened" for x in found)
        assert any("bridge users add NAME" in x["message"] for x in found)
        lease = [x for x in found if x["logger"] == "bridge.replicas"]
        assert lease and all(x["level"] == "INFO" for x in lease)
    finally:
        bridge.stop()
