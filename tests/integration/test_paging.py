"""Lists are paged (docs/design.md "HTTP contract"): ``limit``, an opaque ``cursor``, ``next``."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import (
    WEBHOOK_TOKEN,
    alert,
    rfc3339,
    two_track_config,
    webhook,
)
from builders import bearer_for as as_
from fakes import FakeClock
from http_answers import ok

from bridge.errors import BadInput
from bridge.store.records import AuditEntry
from bridge.web import paging
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer", "viewer:privacy"],
    "auditor": ["viewer", "auditor"],
    "all-auditor": ["viewer", "auditor:all"],
    "p-editor": ["editor:privacy"],
}
SITES = ("se-olt-ostersund-1", "se-cell-berg-1", "no-olt-oslo-1")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return two_track_config(tmp_path, ROLES)


async def follow(
    client: TestClient[Any, Any], path: str, name: str, who: str, limit: int
) -> tuple[list[Any], int]:
    """Every item of a list, following ``next`` page by page; and how many pages it took."""
    items: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        body = await ok(await client.get(path, params=params, headers=as_(who)))
        pages += 1
        assert len(body[name]) <= limit
        items += body[name]
        cursor = body.get("next")
        if cursor is None:
            return items, pages
        assert body[name], "a page with a next is never empty"


async def three_incidents(client: TestClient[Any, Any], clock: FakeClock) -> None:
    t0 = clock.now() - timedelta(hours=2)
    for n, element in enumerate(SITES):
        start = t0 + timedelta(minutes=n)
        r = await client.post(
            "/api/v1/alertmanager",
            json=webhook(alert(f"fp{n}", start, element=element)),
            headers=HOOK,
        )
        assert r.status == 200, await r.text()


async def test_incidents_page_by_page_give_the_whole_list_in_order(client, clock):
    """Following ``next`` with limit=1 gives every incident once, newest first, as one page
    does; the last page has no ``next``."""
    await three_incidents(client, clock)
    whole = await ok(await client.get("/api/v1/incidents?state=all", headers=as_("viewer")))
    assert len(whole["incidents"]) >= 2 and "next" not in whole
    paged, pages = await follow(client, "/api/v1/incidents?state=all", "incidents", "viewer", 1)
    assert [i["id"] for i in paged] == [i["id"] for i in whole["incidents"]]
    assert pages == len(paged)
    starts = [i["started_at"] for i in paged]
    assert starts == sorted(starts, reverse=True)


async def test_drafts_page_by_page_give_the_whole_list(client, clock):
    """Drafts paged with limit=1 are the unpaged list, in its order."""
    await three_incidents(client, clock)
    whole = await ok(await client.get("/api/v1/drafts", headers=as_("viewer")))
    paged, _ = await follow(client, "/api/v1/drafts", "drafts", "viewer", 1)
    assert [d["id"] for d in paged] == [d["id"] for d in whole["drafts"]]
    assert len(paged) >= 2


async def test_privacy_cases_page_by_page_give_the_whole_list(client, clock):
    """Privacy cases paged with limit=2 are the unpaged list (newest first) split in pages."""
    for n in range(5):
        body = {
            "detected_at": rfc3339(clock.now() - timedelta(minutes=20 + n)),
            "occurred_at": rfc3339(clock.now() - timedelta(hours=14)),
            "occurred_estimated": True,
            "jurisdictions": ["SE"],
            "circumstances": ["theft"],
            "data_categories": ["subscriber"],
            "data_description": "Call-detail records",
            "description": f"Laptop {n} stolen",
            "affected": 10,
            "consequences": "Risk of fraud.",
            "measures_taken": "Remote wipe.",
            "measures_planned": "Encryption.",
            "unreadable": False,
        }
        await ok(
            await client.post("/api/v1/privacy/cases", json=body, headers=as_("p-editor")), 201
        )
    whole = await ok(await client.get("/api/v1/privacy/cases", headers=as_("viewer")))
    assert len(whole["cases"]) == 5 and "next" not in whole
    paged, pages = await follow(client, "/api/v1/privacy/cases", "cases", "viewer", 2)
    assert [c["id"] for c in paged] == [c["id"] for c in whole["cases"]]
    assert pages == 3


async def test_audit_pages_by_cursor_and_before_and_skips_other_tracks(client):
    """The audit log follows ``next`` across store pages, shows only the caller's tracks, and
    ``before`` still narrows it."""
    store = client.server.app[SERVICE].store
    at = datetime(2026, 11, 1, tzinfo=UTC)
    entries = [
        AuditEntry(at, "t", "test.paged", f"privacy:priv-{n}" if n % 3 == 0 else f"draft:d{n}")
        for n in range(25)
    ]
    await store.append_audit(entries)
    mine = [e for e in await store.audit_log(1000) if not e.target.startswith("privacy:")]
    paged, pages = await follow(client, "/api/v1/audit", "entries", "auditor", 4)
    assert [e["seq"] for e in paged] == [e.seq for e in mine]
    assert pages == -(-len(mine) // 4)
    everything, _ = await follow(client, "/api/v1/audit", "entries", "all-auditor", 7)
    assert len(everything) == len(await store.audit_log(1000))
    middle = mine[5].seq
    body = await ok(
        await client.get(f"/api/v1/audit?before={middle}&limit=3", headers=as_("auditor"))
    )
    assert [e["seq"] for e in body["entries"]] == [e.seq for e in mine[6:9]]
    rest = await ok(
        await client.get(f"/api/v1/audit?cursor={body['next']}&limit=1000", headers=as_("auditor"))
    )
    assert [e["seq"] for e in rest["entries"]] == [e.seq for e in mine[9:]]
    assert "next" not in rest


@pytest.mark.parametrize(
    "path", ["/api/v1/incidents", "/api/v1/drafts", "/api/v1/audit", "/api/v1/privacy/cases"]
)
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("cursor=%21%21", "cursor"),
        ("cursor=bm90IGpzb24", "cursor"),  # base64url of "not json"
        ("cursor=WzEsMl0", "cursor"),  # [1,2]: not this list's key
        (f"cursor={_b64(b'[' * 3000)}", "cursor"),  # once a RecursionError decoding it
    ],
)
async def test_bad_limit_or_cursor_is_a_400_naming_it(client, path, query, named):
    """A limit beyond 1 to 1000, or a cursor the list did not give, is a 400 naming it."""
    who = "viewer" if path.startswith("/api/v1/privacy") else "all-auditor"
    r = await client.get(f"{path}?{query}", headers=as_(who))
    assert r.status == 400, await r.text()
    assert named in (await r.json())["detail"]


@pytest.mark.parametrize("part", ["\u00b2", "9" * 5000])
async def test_an_audit_cursor_whose_seq_is_not_ascii_digits_is_a_400_naming_it(client, part):
    """The audit cursor's sequence number is ASCII digits only: ``'²'`` (a digit to
    ``isdigit``, not to ``int``) and 5000 digits (past ``int``'s 4300) once answered 500."""
    store = client.server.app[SERVICE].store
    await store.append_audit([AuditEntry(datetime(2026, 11, 1, tzinfo=UTC), "t", "x", "draft:d")])
    before = await store.audit_log(1000)
    cursor = _b64(json.dumps([part]).encode())
    r = await client.get(f"/api/v1/audit?cursor={cursor}", headers=as_("all-auditor"))
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("cursor:")
    assert await store.audit_log(1000) == before


def test_cursor_round_trips_and_page_after_it_excludes_it():
    """A cursor is the last key, opaque (base64url), and the next page starts after it."""
    items = [("b", "3"), ("b", "1"), ("a", "9")]
    first = paging.page(items, lambda k: k, 2, {"limit": "1"})
    assert first.items == [("b", "3")] and first.next is not None
    assert "=" not in first.next and paging.cursor_of({"cursor": first.next}, 2) == ("b", "3")
    second = paging.page(items, lambda k: k, 2, {"limit": "5", "cursor": first.next})
    assert second.items == [("b", "1"), ("a", "9")] and second.next is None
    with pytest.raises(BadInput):
        paging.cursor_of({"cursor": first.next}, 1)
