"""Every answer of the bridge carries its own clock in ``X-Bridge-Time`` (RFC 3339 in UTC, to the
millisecond): the console's countdowns follow it rather than the PC's clock (clock.js). The
bridge's clock here is a fake one, days away from the machine's: the header says the bridge's
clock, never the machine's, on a read, a refusal, an unauthenticated probe, a HEAD and a page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from builders import API_TOKEN
from fakes import FakeClock

VIEWER = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_every_answer_says_the_bridges_clock(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    clock.advance(timedelta(milliseconds=1234))
    expected = "2026-11-23T10:00:01.234Z"
    answers = [
        await client.get("/api/v1/incidents?state=open", headers=VIEWER),
        await client.get("/api/v1/incidents/inc-20261123-00000000", headers=VIEWER),  # 404
        await client.get("/api/v1/incidents"),  # 401
        await client.head("/healthz"),
        await client.get("/login"),
    ]
    assert [r.status for r in answers] == [200, 404, 401, 200, 200]
    assert [r.headers.get("X-Bridge-Time") for r in answers] == [expected] * len(answers)
    clock.advance(timedelta(minutes=25))
    r = await client.head("/healthz")
    assert r.headers.get("X-Bridge-Time") == "2026-11-23T10:25:01.234Z"
