"""Fixtures of the end-to-end tests.

- ``bridge``: the app served in this process on a real loopback port
  (:class:`bridge_process.RunningBridge`), the ``clock`` fixture injected and set to now,
  evaluation every 100 ms; skipped (failed in CI) without the Alertmanager binary. A module adds
  config sections by overriding ``bridge_extra`` (default: none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from alertmanager import free_port, require_alertmanager
from bridge_process import RunningBridge
from builders import write_config
from fakes import FakeClock
from prometheus_client import CollectorRegistry

from bridge.config import load_config
from bridge.web.app import create_app


@pytest.fixture
def bridge_extra() -> dict[str, Any]:
    return {}


@pytest.fixture
async def bridge(
    tmp_path: Path, clock: FakeClock, bridge_extra: dict[str, Any]
) -> AsyncIterator[RunningBridge]:
    require_alertmanager()
    clock.set(datetime.now(UTC).replace(microsecond=0))
    extra = {"evaluation": {"interval": "100ms", "stale_after": "2h"}, **bridge_extra}
    path = write_config(tmp_path, extra=extra)
    app = create_app(load_config(path, env={}), clock=clock, registry=CollectorRegistry())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield RunningBridge(f"http://127.0.0.1:{port}", clock, app)
    finally:
        await runner.cleanup()
