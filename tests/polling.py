"""The one way tests wait for something: poll a check until it gives a truthy value, within a
bound (a bounded wait, never a fixed sleep). :func:`until` for async tests (the check may be
sync or async), :func:`until_sync` for sync ones (Playwright's sync API, plain threads)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


class WaitTimeout(AssertionError):
    """The awaited condition did not come within its bound (the test fails)."""


async def until(
    check: Callable[[], Any], what: str, seconds: float = 20, every: float = 0.05
) -> Any:
    """Call ``check()`` (awaiting it when it returns an awaitable) every ``every`` s until it
    returns something truthy, which is returned; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {seconds:g}s waiting for {what}")
        await asyncio.sleep(every)


def until_sync(
    check: Callable[[], Any], what: str, seconds: float = 20, every: float = 0.05
) -> Any:
    """:func:`until` for code outside an event loop: blocks the thread between calls."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {seconds:g}s waiting for {what}")
        time.sleep(every)


async def poll_json(
    session: Any,
    url: str,
    headers: dict[str, str],
    pick: Callable[[Any], Any],
    what: str,
    seconds: float = 20,
) -> Any:
    """GET ``url`` (an aiohttp session; each answer must be 200) until ``pick`` of its JSON
    gives something truthy, which is returned; fail the test after ``seconds``."""

    async def check() -> Any:
        async with session.get(url, headers=headers) as r:
            assert r.status == 200, await r.text()
            return pick(await r.json())

    return await until(check, what, seconds, every=0.1)
