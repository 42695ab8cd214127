"""``GET /api/v1/incidents?ids=…``: the incident list narrowed to given ids (what the board reads
after a live change): the same summaries, order and paging as the list, an id no incident in
``state`` has simply absent, a privacy case's id too whoever asks, the list's roles, and a 400
naming ``ids`` over 100 ids or for a malformed one."""

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
SITES = ("se-olt-ostersund-1", "se-cell-berg-1", "no-olt-oslo-1")


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return two_track_config(tmp_path, ROLES)


async def incidents(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, str]:
    """Three open incidents, oldest first, and one closed long ago: {name: id}."""
    t0 = clock.now() - timedelta(hours=2)
    out: dict[str, str] = {}
    for n, element in enumerate(SITES):
        body = webhook(alert(f"fp{n}", t0 + timedelta(minutes=n), element=element))
        r = await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
        (out[element],) = r["incidents"]
    start = clock.now() - timedelta(hours=6)
    done = alert(
        "fp-done",
        start,
        status="resolved",
        ends_at=start + timedelta(minutes=10),
        element="se-olt-ostersund-1",
    )
    r = await ok(await client.post("/api/v1/alertmanager", json=webhook(done), headers=HOOK))
    (out["closed"],) = r["incidents"]
    return out


async def listed(client: TestClient[Any, Any], query: str, who: str = "viewer") -> Any:
    return await ok(await client.get(f"/api/v1/incidents?{query}", headers=as_(who)))


async def test_ids_give_the_lists_summaries_of_those_incidents_in_its_order(client, clock):
    """``ids`` gives exactly the list's items of those ids, newest first whatever order they
    were named in, each once; an unknown id and one not in ``state`` (a closed incident in the
    default open list) are simply absent."""
    ids = await incidents(client, clock)
    whole = {i["id"]: i for i in (await listed(client, "state=all"))["incidents"]}
    ost, berg, oslo = (ids[s] for s in SITES)
    named = f"{ost},inc-20260101-00000000,{oslo},{ids['closed']},{ost}"
    body = await listed(client, f"ids={named}")
    assert body == {"incidents": [whole[oslo], whole[ost]]}  # oslo started last
    assert (await listed(client, f"ids={ids['closed']}")) == {"incidents": []}
    closed = await listed(client, f"state=closed&ids={ids['closed']},{berg}")
    assert closed == {"incidents": [whole[ids["closed"]]]}
    assert (await listed(client, "ids=inc-20260101-00000000")) == {"incidents": []}


async def test_ids_are_paged_as_the_list_is(client, clock):
    """``limit`` and ``cursor`` page the narrowed list as they page the whole one."""
    ids = await incidents(client, clock)
    ost, oslo = ids[SITES[0]], ids[SITES[2]]
    first = await listed(client, f"ids={ost},{oslo}&limit=1")
    assert [i["id"] for i in first["incidents"]] == [oslo]
    rest = await listed(client, f"ids={ost},{oslo}&limit=1&cursor={first['next']}")
    assert [i["id"] for i in rest["incidents"]] == [ost] and "next" not in rest


async def test_an_incident_that_left_memory_is_read_from_the_store(client, clock):
    """A closed incident past the memory horizon is still found by its id, its stored summary
    as the list gives it."""
    ids = await incidents(client, clock)
    service = client.server.app[SERVICE]
    clock.advance(timedelta(days=8))
    await service.tick()
    assert ids["closed"] not in service.engine.incidents
    whole = {i["id"]: i for i in (await listed(client, "state=all"))["incidents"]}
    body = await listed(client, f"state=all&ids={ids['closed']}")
    assert body == {"incidents": [whole[ids["closed"]]]}


async def test_a_privacy_case_id_is_absent_for_every_role_and_privacy_only_roles_are_refused(
    client, clock
):
    """A privacy case's id is absent from the answer, for an outage viewer and a viewer of
    both tracks alike (the list holds outage incidents only), and nothing about it is audited;
    a privacy-only role is refused the list with ids, as without."""
    ids = await incidents(client, clock)
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
    store = client.server.app[SERVICE].store
    audited = len(await store.audit_log(1000))
    ost = ids[SITES[0]]
    for who in ("viewer", "both"):
        body = await listed(client, f"ids={made['id']},{ost}", who)
        assert [i["id"] for i in body["incidents"]] == [ost], who
    assert len(await store.audit_log(1000)) == audited
    for query in (f"ids={made['id']}", f"ids={ost}", ""):
        r = await client.get(f"/api/v1/incidents?{query}", headers=as_("privacy"))
        assert r.status == 403, (query, await r.text())


async def test_a_hundred_ids_are_taken(client, clock):
    """100 ids (the bound) are one request: the known ones answered."""
    ids = await incidents(client, clock)
    named = [ids[SITES[0]]] + [f"inc-20260101-{n:08d}" for n in range(99)]
    body = await listed(client, f"ids={','.join(named)}")
    assert [i["id"] for i in body["incidents"]] == [ids[SITES[0]]]


@pytest.mark.parametrize(
    "given",
    [
        ",".join(f"inc-20260101-{n:08d}" for n in range(101)),  # over the bound
        "",
        "inc-1,,inc-2",
        "inc-1,",
        "inc 1",
        "inc%2F1",  # inc/1
        "inc.1",
        "-inc",
        "x" * 101,
        "inc-%C3%B6",  # inc-ö
        "inc-%00",
    ],
)
async def test_too_many_or_malformed_ids_are_a_400_naming_ids(client, given):
    """More than 100 ids, an empty one or one not of letters, digits, ``-`` and ``_`` (1 to
    100 characters, a letter or digit first) is a 400 naming ``ids``."""
    r = await client.get(f"/api/v1/incidents?ids={given}", headers=as_("viewer"))
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith("ids: ")
