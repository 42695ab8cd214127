"""``GET /api/v1/queue?cases=…``: the deadline queue narrowed to given cases (what the board reads
after a live change names them): exactly the whole queue's items of those cases, in its order;
the queue's access rules unchanged (a privacy case's items for privacy viewers only, never for an
outage-only caller, and its read audited as the whole queue's); an unknown id simply absent; a
400 naming ``cases`` over 100 ids or for a malformed one."""

from __future__ import annotations

from datetime import timedelta
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

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
ROLES = {
    "viewer": ["viewer"],  # the outage track only
    "both": ["viewer", "viewer:privacy"],
    "privacy": ["editor:privacy"],  # the privacy track only
}
UNKNOWN = "inc-20260101-00000000"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return two_track_config(tmp_path, ROLES)


async def cases(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, str]:
    """Two reportable Oslo incidents (one overdue, one due within the hour), a Swedish site
    down for 3 h and a privacy case, each owing something: {name: id}."""
    out: dict[str, str] = {}
    for name, element, ago in (
        ("old", "no-cell-ullevaal", timedelta(hours=2)),
        ("new", "no-olt-oslo-1", timedelta(minutes=5)),
        ("ost", "se-site-ostersund", timedelta(hours=3)),
    ):
        body = webhook(alert(f"fp-{name}", clock.now() - ago, element=element, incident=name))
        r = await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
        (out[name],) = r["incidents"]
    case = {
        "detected_at": rfc3339(clock.now() - timedelta(minutes=20)),
        "jurisdictions": ["SE"],
        "circumstances": ["theft"],
        "data_categories": ["traffic"],
        "affected": 1200,
        "description": "Laptop with call-detail records stolen",
    }
    made = await ok(
        await client.post("/api/v1/privacy/cases", json=case, headers=as_("privacy")), 201
    )
    out["priv"] = made["id"]
    return out


async def queue(client: TestClient[Any, Any], who: str, query: str = "") -> list[dict[str, Any]]:
    body = await ok(await client.get(f"/api/v1/queue{query}", headers=as_(who)))
    return list(body["items"])


async def test_cases_give_the_whole_queues_items_of_those_cases_in_its_order(client, clock):
    """For a viewer of both tracks, ``cases`` gives exactly the whole queue's items of the
    cases named (incidents and a privacy case), in the whole queue's order whatever order they
    were named in, each once; an unknown id adds nothing."""
    ids = await cases(client, clock)
    whole = await queue(client, "both")
    assert {i["case"] for i in whole} == set(ids.values())  # each owes something
    for chosen in (["new", "old"], ["priv", "ost"], ["ost"], ["old", "priv", "new", "ost"]):
        named = [ids[c] for c in chosen]
        query = ",".join([*named, UNKNOWN, named[0]])
        got = await queue(client, "both", f"?cases={query}")
        assert got == [i for i in whole if i["case"] in named], chosen
    assert await queue(client, "both", f"?cases={UNKNOWN}") == []


async def queue_reads(store, case_id):
    """The queue's reads audited under the privacy case ``case_id``: (action, actor)."""
    entries = await store.audit_log(target=f"privacy:{case_id}")
    return [(e.action, e.actor) for e in entries if e.detail.get("path") == "/api/v1/queue"]


async def test_privacy_items_only_for_privacy_viewers_and_audited_under_the_case(client, clock):
    """An outage-only caller naming a privacy case gets none of its items (its incidents'
    only) and nothing is audited; a privacy-only caller naming an incident gets none of its
    items; a privacy viewer's read of a privacy case's items is audited under that case."""
    ids = await cases(client, clock)
    store = client.server.app[SERVICE].store
    named = f"?cases={ids['priv']},{ids['old']}"
    outage = await queue(client, "viewer", named)
    assert outage and {i["case"] for i in outage} == {ids["old"]}
    assert await queue(client, "viewer", f"?cases={ids['priv']}") == []
    assert await queue_reads(store, ids["priv"]) == []
    privacy = await queue(client, "privacy", named)
    assert privacy and {i["case"] for i in privacy} == {ids["priv"]}
    assert privacy == [i for i in await queue(client, "privacy") if i["case"] == ids["priv"]]
    assert await queue(client, "privacy", f"?cases={ids['old']}") == []
    # the narrowed read and the whole one, each found under the case it showed
    assert await queue_reads(store, ids["priv"]) == [("privacy.read", "token:privacy")] * 2


async def test_a_hundred_cases_are_taken(client, clock):
    """100 ids (the bound) are one request: the known ones answered."""
    ids = await cases(client, clock)
    named = [ids["new"]] + [f"inc-20260101-{n:08d}" for n in range(99)]
    got = await queue(client, "viewer", f"?cases={','.join(named)}")
    assert got and {i["case"] for i in got} == {ids["new"]}


@pytest.mark.parametrize(
    "given",
    [
        ",".join(f"inc-20260101-{n:08d}" for n in range(101)),  # over the bound
        "",
        "inc-1,,inc-2",
        "inc-1,",
        "inc 1",
        "inc%2F1",  # inc/1
        "inc-1.nkom_varsel",  # a draft's id: the board names its case
        "-inc",
        "x" * 101,
        "inc-%C3%B6",  # inc-ö
        "inc-%00",
    ],
)
async def test_too_many_or_malformed_cases_are_a_400_naming_cases(client, given):
    """More than 100 ids, an empty one or one not of letters, digits, ``-`` and ``_`` (1 to
    100 characters, a letter or digit first) is a 400 naming ``cases``."""
    r = await client.get(f"/api/v1/queue?cases={given}", headers=as_("viewer"))
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("cases: ")


async def test_track_gives_that_track_s_items_and_reads_no_privacy_item_for_the_outage_one(
    client, clock
):
    """``track=outage`` gives exactly the whole queue's outage items, and a privacy viewer's
    read of it audits nothing (no privacy item read); ``track=privacy`` its privacy items,
    audited; a track the caller may not view gives nothing; with ``cases`` both narrow it."""
    ids = await cases(client, clock)
    store = client.server.app[SERVICE].store
    whole = await queue(client, "both")
    reads = len(await queue_reads(store, ids["priv"]))
    outage = await queue(client, "both", "?track=outage")
    assert outage == [i for i in whole if i["track"] == "outage"] and outage
    assert len(await queue_reads(store, ids["priv"])) == reads
    privacy = await queue(client, "both", "?track=privacy")
    assert privacy == [i for i in whole if i["track"] == "privacy"] and privacy
    assert len(await queue_reads(store, ids["priv"])) == reads + 1
    assert await queue(client, "viewer", "?track=privacy") == []
    assert await queue(client, "privacy", "?track=outage") == []
    named = f"?track=outage&cases={ids['priv']},{ids['old']}"
    assert {i["case"] for i in await queue(client, "both", named)} == {ids["old"]}


@pytest.mark.parametrize("given", ["", "all", "Outage", "privacy,outage"])
async def test_an_unknown_track_is_a_400_naming_track(client, given):
    r = await client.get("/api/v1/queue", params={"track": given}, headers=as_("viewer"))
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("track: ")
