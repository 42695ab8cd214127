"""Fixtures of the browser tests: per module one SMTP server, one chromium and one real
``bridge serve`` (shared by the tests of a module, which build on each other's state).

- ``smtp``: the root fixture's real SMTP server, here once per module.
- ``bridge``: :func:`bridge_process.start_bridge` with the module's ``USERS`` and, when the
  module defines it, its ``BRIDGE_EXTRA`` config sections.
- ``browser``: Debian's chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from bridge_process import Bridge, start_bridge
from playwright.sync_api import Browser, sync_playwright
from smtp_server import SmtpServer


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path_factory.mktemp("smtp")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bridge(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer
) -> Iterator[Bridge]:
    users = request.module.USERS
    extra = getattr(request.module, "BRIDGE_EXTRA", None)
    with start_bridge(tmp_path_factory.mktemp("bridge"), smtp, users, extra) as running:
        yield running


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    # like redis-server: a missing browser fails the test (./scripts/test installs it)
    assert found, "Debian's chromium is missing: run ./scripts/test (apt-get install chromium)"
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium())
        yield launched
        launched.close()
