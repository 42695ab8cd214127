"""`bridge serve` with `log_format: json`: every line of its log is one JSON object, the start
says how to add the first person at INFO, and an incident's lifecycle lines carry its id; on
port 0 the start names the port the system chose."""

from __future__ import annotations

import json
import re
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


async def test_serve_on_port_0_logs_the_port_it_listens_on(tmp_path: Path) -> None:
    """``server.listen: 127.0.0.1:0`` (tests use it): the start's line names the bound port,
    not 0, and the bridge answers there (aiohttp before 3.14 printed the configured 0)."""
    config = write_config(
        tmp_path,
        extra={"notices": {"archive_dir": str(tmp_path / "sent")}, "log_format": "json"},
    )
    bridge = BridgeProcess(config, 0, tmp_path / "bridge.log")
    bridge.start()
    try:

        def running_on() -> list[str]:
            text = bridge.log.read_text(encoding="utf-8")
            messages = [json.loads(line)["message"] for line in text.splitlines() if line]
            return [m for m in messages if "Running on" in m]

        [line] = await until(running_on, "the start's line naming the address")
        found = re.search(r"Running on http://127\.0\.0\.1:(\d+)\b", line)
        assert found is not None, line
        port = int(found.group(1))
        assert port != 0, line
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as r,
        ):
            assert r.status == 200
    finally:
        bridge.stop()
