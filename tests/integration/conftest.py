"""Fixtures of the integration tests: the app through its factory behind aiohttp's test client.

- ``client_for(config, manual_outbox=False, store=None)``: a test client of the app made from
  that config file (and ``store``, when given, instead of the one its URL names), with the
  ``clock`` fixture injected and a registry of its own; ``manual_outbox`` stops
  the background outbox so the test decides when a delivery round runs
  (``app[SERVICE].outbox.deliver_due()``).
- ``bridge_process(extra)``: a :class:`bridge_process.BridgeProcess` (not yet started) on a free
  port, its config in ``tmp_path`` with ``extra`` sections over the common ones (listen address,
  archive in ``tmp_path/sent``); stopped after the test.
- ``client``: ``client_for(config_path)`` with the people of ``people`` written to its store.
  A module changes what differs by overriding ``config_path`` (default: ``write_config`` in
  ``tmp_path``) or ``people`` (default: none), and marks itself ``manual_outbox`` when its tests
  run the outbox themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from bridge_process import BridgeProcess, free_port
from builders import add_user, write_config
from fakes import FakeClock
from prometheus_client import CollectorRegistry

from bridge.config import load_config
from bridge.store.interfaces import Store
from bridge.web.app import create_app
from bridge.web.keys import SERVICE

ClientFor = Callable[..., Awaitable[TestClient[Any, Any]]]
#: (name, roles, enrolled) of each person written to the store before a test
People = list[tuple[str, list[str], bool]]


@pytest.fixture
def client_for(aiohttp_client: Any, clock: FakeClock) -> ClientFor:
    async def make(
        config: Path, *, manual_outbox: bool = False, store: Store | None = None
    ) -> TestClient[Any, Any]:
        loaded = load_config(config, env={})
        app = create_app(loaded, store=store, clock=clock, registry=CollectorRegistry())
        client: TestClient[Any, Any] = await aiohttp_client(app)
        if manual_outbox:
            await app[SERVICE].outbox.stop()
        return client

    return make


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def people() -> People:
    return []


@pytest.fixture
async def client(
    request: pytest.FixtureRequest, client_for: ClientFor, config_path: Path, people: People
) -> TestClient[Any, Any]:
    manual = request.node.get_closest_marker("manual_outbox") is not None
    made = await client_for(config_path, manual_outbox=manual)
    app = made.server.app
    assert app is not None
    for name, roles, enrolled in people:
        await add_user(app[SERVICE].store, name, roles, enrolled=enrolled)
    return made


@pytest.fixture
def bridge_process(tmp_path: Path) -> Iterator[Callable[..., BridgeProcess]]:
    made: list[BridgeProcess] = []

    def make(extra: dict[str, Any] | None = None) -> BridgeProcess:
        port = free_port()
        sections: dict[str, Any] = {
            "server": {"listen": f"127.0.0.1:{port}"},
            "notices": {"archive_dir": str(tmp_path / "sent")},
        }
        for name, values in (extra or {}).items():
            sections[name] = {**sections.get(name, {}), **values}
        config = write_config(tmp_path, extra=sections)
        made.append(BridgeProcess(config, port, tmp_path / "bridge.log"))
        return made[-1]

    yield make
    for proc in made:
        proc.stop()
