"""A group re-sent unchanged takes the short way (bridge.evaluation.resent): the answers, the
stored alerts and deliveries, and the incidents are exactly what the full way gives."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from redis_server import shared_server, stop_shared_server

from bridge.web.keys import SERVICE

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}
ClientFor = Callable[..., Awaitable[TestClient[Any, Any]]]  # the client_for fixture


async def _post(client: TestClient[Any, Any], raw: bytes) -> Any:
    resp = await client.post("/api/v1/alertmanager", data=io.BytesIO(raw), headers=AUTH)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def _state(client: TestClient[Any, Any]) -> tuple[Any, ...]:
    service = client.app[SERVICE]
    await service.tick()
    episodes = sorted(await service.store.load_episodes(), key=lambda ep: ep.key)
    deliveries = [
        (d.received_at, d.group_key, d.alerts) for d in await service.store.recent_deliveries(100)
    ]
    listing = await (await client.get("/api/v1/incidents?state=all", headers=API)).json()
    details = [
        await (await client.get(f"/api/v1/incidents/{i['id']}", headers=API)).json()
        for i in listing["incidents"]
    ]
    return episodes, deliveries, await service.store.load_truncation(), details


@pytest.fixture(scope="module", autouse=True)
def _stop_shared_redis_server() -> Any:
    yield
    stop_shared_server()


def _store(kind: str, folder: Path) -> str | None:
    if kind == "sqlite":
        return None  # write_config's own file in the folder
    prefix = "t" + hashlib.sha1(str(folder).encode()).hexdigest()[:16] + ":"
    return shared_server().url(prefix=prefix)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_re_sent_groups_end_as_the_full_way_ends(
    client_for: ClientFor, clock: FakeClock, tmp_path: Path, kind: str
):
    """The same deliveries (re-sends, a re-send after the alerts went stale, a changed body,
    another group resolving one of the alerts, the old body again after each) into a bridge
    with the short way and one without it answer alike and leave the same store and
    incidents; the short way was taken for the unchanged re-sends only."""
    fast_dir, full_dir = _folder(tmp_path, "fast"), _folder(tmp_path, "full")
    fast = await client_for(write_config(fast_dir, store=_store(kind, fast_dir)))
    full = await client_for(write_config(full_dir, store=_store(kind, full_dir)))
    full.app[SERVICE].intake.resent.capacity = 0  # never remembers a body: always the full way
    t0 = clock.now() - timedelta(minutes=10)
    group = webhook(
        alert("a", t0, element="se-olt-ostersund-1"),
        alert("b", t0, element="se-olt-ostersund-2"),
        alert("c", t0, status="resolved", ends_at=t0 + timedelta(minutes=1), element="x"),
        group_key="g1",
        truncated=2,
    )
    other = webhook(
        alert("b", t0, status="resolved", ends_at=clock.now(), element="se-olt-ostersund-2"),
        group_key="g2",
    )
    changed = json.loads(json.dumps(group))
    changed["alerts"][0]["annotations"] = {"summary": "now with a summary"}
    raw, raw_changed, raw_other = (json.dumps(b).encode() for b in (group, changed, other))
    steps = [
        (raw, timedelta(minutes=1)),
        (raw, timedelta(minutes=1)),  # re-sent unchanged: the short way
        (raw, timedelta(hours=2, minutes=1)),  # after a and b went stale: the short way
        (raw_changed, timedelta(minutes=1)),  # a's annotations changed: the full way
        (raw, timedelta(minutes=1)),  # a was written since: the full way
        (raw, timedelta(minutes=1)),  # unchanged since that: the short way again
        (raw_other, timedelta(minutes=1)),  # b resolved through another group
        (raw, timedelta(minutes=1)),  # b was written since: the full way
        (raw, timedelta(minutes=1)),  # b is stored resolved, not as sent: the full way
    ]
    for body, wait in steps:
        await fast.app[SERVICE].tick()
        await full.app[SERVICE].tick()
        assert await _post(fast, body) == await _post(full, body)
        clock.advance(wait)
    _assert_same(await _state(fast), await _state(full))
    assert fast.app[SERVICE].intake.resent.taken == 3
    assert full.app[SERVICE].intake.resent.taken == 0


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_a_group_re_sent_while_its_key_awaits_evaluation_keeps_the_short_way(
    client_for: ClientFor, clock: FakeClock, tmp_path: Path, kind: str
):
    """Under a storm a key waits for its coalesced evaluation while its groups are re-sent:
    the engine cannot answer such a re-send without admitting it, yet the store recorded it,
    so each later re-send still takes the short way (before, the first of them sent the body
    the full way again, every row written anew); the answers and the end are the full
    way's."""
    fast_dir, full_dir = _folder(tmp_path, "fast"), _folder(tmp_path, "full")
    fast = await client_for(write_config(fast_dir, store=_store(kind, fast_dir)))
    full = await client_for(write_config(full_dir, store=_store(kind, full_dir)))
    full.app[SERVICE].intake.resent.capacity = 0  # never remembers a body: always the full way
    for client in (fast, full):  # nothing evaluates until the end (a long coalescing window)
        client.app[SERVICE].evaluator.request = lambda: None  # type: ignore[method-assign]
    t0 = clock.now() - timedelta(minutes=10)
    raw = json.dumps(
        webhook(
            alert("a", t0, element="se-olt-ostersund-1"),
            alert("b", t0 + timedelta(minutes=1), element="se-olt-ostersund-2"),
            group_key="g1",
        )
    ).encode()
    for _ in range(4):
        assert await _post(fast, raw) == await _post(full, raw)
        assert fast.app[SERVICE].evaluator.engine.has_pending  # the key still waits
        clock.advance(timedelta(seconds=20))
    assert fast.app[SERVICE].intake.resent.taken == 3
    _assert_same(await _state(fast), await _state(full))


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_what_re_sends_moved_is_what_a_restart_loads(
    client_for: ClientFor, clock: FakeClock, tmp_path: Path, kind: str
):
    """The last_seen re-sends moved (the store keeps it per write on SQLite) is what a bridge
    started again on the store holds: the same episodes in the engine and the same incidents,
    and the next re-send after the start goes the full way, then the short way again."""
    folder = _folder(tmp_path, "bridge")
    config = write_config(folder, store=_store(kind, folder))
    t0 = clock.now() - timedelta(minutes=10)
    raw = json.dumps(
        webhook(
            alert("a", t0, element="se-olt-ostersund-1"),
            alert("b", t0, element="se-olt-ostersund-2"),
            group_key="g1",
        )
    ).encode()
    first = await client_for(config)
    for _ in range(3):
        await _post(first, raw)
        clock.advance(timedelta(minutes=1))
    service = first.app[SERVICE]
    assert service.intake.resent.taken == 2
    seen = {ep.fingerprint: ep.last_seen for ep in service.evaluator.engine.episodes.values()}
    assert seen == {
        "a": clock.now() - timedelta(minutes=1),
        "b": clock.now() - timedelta(minutes=1),
    }
    before = await _state(first)
    held = dict(service.evaluator.engine.episodes)
    await first.close()
    again = await client_for(config)
    assert dict(again.app[SERVICE].evaluator.engine.episodes) == held
    _assert_same(await _state(again), before)
    await _post(again, raw)
    await _post(again, raw)
    assert again.app[SERVICE].intake.resent.taken == 1


def _assert_same(fast: tuple[Any, ...], full: tuple[Any, ...]) -> None:
    """``fast == full``, failing with the paths where they differ and both values there (a
    whole incident document's diff is cut off in the test report)."""
    found = _differences(
        dict(zip(_PARTS, fast, strict=True)), dict(zip(_PARTS, full, strict=True)), ""
    )
    assert not found, "the short way's state differs from the full way's:\n" + "\n".join(
        f"  {path}: {a!r} != {b!r}" for path, a, b in found[:20]
    )


_PARTS = ("episodes", "deliveries", "truncation", "incidents")


def _differences(a: Any, b: Any, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(a.keys() | b.keys(), key=str)
            for d in _differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
        ]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [(path, a, b)]


def _folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    return folder
