"""Shared fixtures. Tests import helpers from tests/fakes.py, tests/builders.py,
tests/polling.py (waiting), tests/bridge_process.py, tests/smtp_server.py and
tests/redis_server.py; fixtures that belong to one folder are in that folder's conftest.py.

- ``clock``: a :class:`fakes.FakeClock` (moves only when the test says so).
- ``redis``: a real redis-server of its own (durable settings) in ``tmp_path/redis``.
- ``smtp``: a real SMTP server (aiosmtpd on loopback) for one test. Another kind of server
  through indirect parametrisation with :class:`smtp_server.SmtpServer` keyword arguments, e.g.
  ``@pytest.mark.parametrize("smtp", [{"security": "starttls"}], indirect=True)``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import FakeClock
from redis_server import RedisServer
from smtp_server import SmtpServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "manual_outbox: the integration client's outbox runs only when the test calls it",
    )


@pytest.fixture
def clock() -> FakeClock:
    """The injected clock, at its fixed start (2026-11-23 10:00 UTC)."""
    return FakeClock()


@pytest.fixture
def smtp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmtpServer]:
    """A real SMTP server that accepts and records every message (``smtp.mailbox``)."""
    server = SmtpServer(tmp_path, **getattr(request, "param", {})).start()
    yield server
    server.stop()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server for this test alone (its AOF in ``tmp_path/redis``), stopped after it."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
