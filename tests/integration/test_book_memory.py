"""The notice book follows live work too (bridge/notices/book.py): it holds every unfinished
draft and every draft of the cases memory holds; sent notices of incidents that left memory
stay in the store and the API still lists them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from aiohttp.test_utils import TestClient
from builders import API_TOKEN

from bridge.store.codec import parse_ts
from bridge.store.records import DraftRecord
from bridge.web.keys import SERVICE

API = {"Authorization": f"Bearer {API_TOKEN}"}
STORED = (
    Path(__file__).resolve().parents[1] / "data" / "drafts" / "nkom_varsel_sent_by_a1e086c.json"
)


def record(document: dict[str, Any]) -> DraftRecord:
    return DraftRecord(
        document["id"],
        document["incident_id"],
        document["state"],
        document["revision"],
        parse_ts(document["updated_at"]),
        document,
    )


async def test_the_book_holds_unfinished_and_live_drafts_and_the_api_reaches_the_rest(
    client: TestClient[Any, Any],
) -> None:
    service = client.server.app[SERVICE]
    sent = orjson.loads(STORED.read_bytes())  # an incident that left memory long ago
    waiting = {**sent, "id": "inc-waiting.nkom_varsel", "incident_id": "inc-waiting"}
    waiting["state"] = "draft"
    for document in (sent, waiting):
        r = record(document)
        await service.store.put_draft(
            DraftRecord(
                r.id, r.incident_id, r.state, 1, r.updated_at, {**r.document, "revision": 1}
            ),
            None,
            [],
        )
    await service.book.load(service._live_cases())
    assert set(service.book.drafts) == {"inc-waiting.nkom_varsel"}  # unfinished: kept
    listed = (await (await client.get("/api/v1/drafts?state=sent", headers=API)).json())["drafts"]
    assert [d["id"] for d in listed] == [sent["id"]]
    everything = (await (await client.get("/api/v1/drafts", headers=API)).json())["drafts"]
    assert {d["id"] for d in everything} == {sent["id"], "inc-waiting.nkom_varsel"}
    waiting_only = await client.get("/api/v1/drafts?state=draft", headers=API)
    assert [d["id"] for d in (await waiting_only.json())["drafts"]] == ["inc-waiting.nkom_varsel"]
    # read once (the page of a notice), it is in the book until its case is let go
    assert (await client.get(f"/api/v1/drafts/{sent['id']}", headers=API)).status == 200
    assert sent["id"] in service.book.drafts
    service.book.let_go([sent["incident_id"], "inc-waiting"])
    assert set(service.book.drafts) == {"inc-waiting.nkom_varsel"}  # unfinished stays
