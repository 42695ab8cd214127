"""Nkom asks for a hendelsesrapport weeks after an event that was one incident only because
others were merged into it: a site's cell went down and its Nkom varsel was e-mailed, then the
core router above the site went down and its incident covered the site's (bridge.core.covering).
Both settled and left memory (``evaluation.memory_horizon``). Recording the request on the
covering incident brings it back with the incidents merged into it (bridge.evaluation.recall):
the varsel the site incident sent stays the covering incident's, so nothing already sent is
owed, overdue or drafted again (a duplicated notice to a regulator is an incident of its own),
only the hendelsesrapport is owed, and the site incident shows as merged into it, after a
restart too. Also a chain of people's merges (A into B, B into C), and hosts stored before
hosts recorded what was merged into them (the store's schema 12 lists it). On SQLite and on a
real redis-server; real SMTP server; injected clock."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, notice_sections, rfc3339, token_auth, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok
from persons import person
from redis_server import RedisServer
from smtp_server import SmtpServer

from bridge.store.codec import dumps, loads
from bridge.store.record_codec import decode, encode
from bridge.store.records import IncidentRecord
from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
VIEWER = {"Authorization": "Bearer test-token-for-viewer"}
EDITOR = {"Authorization": "Bearer test-token-for-editor"}
KIND = "nkom_hendelsesrapport"
pytestmark = pytest.mark.manual_outbox  # the tests run the outbox themselves (deliver())

# A core router in Trondheim above two sites, each with a societal cell with 112 (a cell going
# down is reportable to Nkom at once), and a third site on its own.
INVENTORY = """
regions:
  NO-5001: Trondheim
elements:
  - {id: no-core-trd, parent: null, kind: core, jurisdiction: "NO", region: NO-5001}
  - {id: no-site-heimdal, parent: no-core-trd, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-cell-heimdal, parent: no-site-heimdal, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 5000}, societal: true, emergency_112: true}
  - {id: no-site-lade, parent: no-core-trd, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-cell-lade, parent: no-site-lade, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 8000}, societal: true, emergency_112: true}
  - {id: no-site-byasen, parent: null, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-cell-byasen, parent: no-site-byasen, kind: cell, jurisdiction: "NO",
     region: NO-5001, connections: {mobile: 2000}, societal: true, emergency_112: true}
"""


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's URL: the SQLite file in ``tmp_path``, or a redis-server of this test's own
    (set up before the app, so it outlives it)."""
    if request.param == "redis":
        return str(request.getfixturevalue("redis").url())
    return f"sqlite:///{tmp_path / 'bridge.sqlite3'}"


def config(tmp_path: Path, store: str, smtp: SmtpServer) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    sections = notice_sections(smtp.smtp_config(), tmp_path)
    sections["notices"]["poll_interval"] = "1h"
    return write_config(
        tmp_path,
        inventory=inventory,
        store=store,
        extra={
            "regulators": {"nkom": {"rule_set": "nkom-varsel"}},
            "evaluation": {"memory_horizon": "7d"},
            # the tests sync replicas by their ticks: a background sync every second of real
            # time could bring an incident back between a tick's sweep and the assertion on it
            "replication": {"sync_interval": "1h"},
            "auth": token_auth(
                {"viewer": ["viewer"], "editor": ["editor"]}, session={"cookie_secure": False}
            ),
            "operator": {
                "name": "Exempel Nett AS",
                "org_number": "999 000 000",
                "contact": {"name": "NOC", "phone": "+47 22 00 00 00", "email": "noc@example.net"},
            },
            **sections,
        },
    )


async def post(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> list[str]:
    body = make_webhook(*alerts)
    r = await client.post("/api/v1/alertmanager", json=body, headers=HOOK)
    return list((await ok(r))["incidents"])


async def get(client: TestClient[Any, Any], path: str) -> Any:
    return await ok(await client.get(path, headers=VIEWER))


async def deliver(client: TestClient[Any, Any]) -> list[Any]:
    return list(await client.server.app[SERVICE].outbox.deliver_due())


async def send(client: TestClient[Any, Any], clock: FakeClock, draft_id: str) -> None:
    """An approver approves the draft as it stands (unknown fields sent as unknown; a report
    past its due time with the reason for the delay, which one on time does not keep); the
    outbox e-mails it."""
    draft = await get(client, f"/api/v1/drafts/{draft_id}")
    unknown = [f["key"] for f in draft["latest"]["fields"] if f["to_complete"]]
    r = await client.post(
        f"/api/v1/drafts/{draft_id}/approve",
        json={"version": draft["version"], "send_unknown": unknown, "late_reason": "a test"},
        headers=await person(client, clock.now),
    )
    await ok(r)
    assert len(await deliver(client)) == 1


async def settle(client: TestClient[Any, Any], clock: FakeClock, incident_id: str) -> None:
    """Every notice the incident owes now, approved and e-mailed."""
    doc = await get(client, f"/api/v1/incidents/{incident_id}")
    for d in doc["drafts"]:
        if d["state"] == "draft" and d["incident"] == incident_id:
            await send(client, clock, d["id"])


async def gone_from_memory(client: TestClient[Any, Any], clock: FakeClock, *ids: str) -> None:
    """Settled: 8 days on, a timer tick lets them leave memory."""
    service = client.server.app[SERVICE]
    clock.advance(timedelta(days=8))
    await service.tick()
    assert not set(ids) & service.engine.incidents.keys()


async def request_report(client: TestClient[Any, Any], clock: FakeClock, host: str) -> Any:
    deadline = clock.now() + timedelta(days=14)
    r = await client.post(
        f"/api/v1/incidents/{host}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(deadline), "reference": "2026/09002"},
        headers=EDITOR,
    )
    return await ok(r)


async def as_it_left(client: TestClient[Any, Any], host: str) -> tuple[Any, Any]:
    """What the host owes (kind → state) and its drafts as listed (id → state), those of the
    incidents merged into it included."""
    doc = await get(client, f"/api/v1/incidents/{host}")
    owes = {o["kind"]: o["state"] for o in doc["obligations"]}
    return owes, {d["id"]: d["state"] for d in doc["drafts"]}


async def owes_the_report_only(
    client: TestClient[Any, Any], host: str, absorbed: list[str], left: tuple[Any, Any]
) -> None:
    """The host owes the hendelsesrapport and nothing else: what it owed and its drafts
    (``left``: :func:`as_it_left` before it left memory) as they were, its varsel sent, and
    the report drafted; the incidents in ``absorbed`` merged into it (directly or through one
    another); nothing overdue in its document, on the deadline queue or in the due metric."""
    owes, drafts = left
    assert owes["nkom_varsel"] == "sent" and KIND not in owes
    doc = await get(client, f"/api/v1/incidents/{host}")
    assert {o["kind"]: o["state"] for o in doc["obligations"]} == {**owes, KIND: "drafted"}
    assert {d["id"]: d["state"] for d in doc["drafts"]} == {**drafts, f"{host}.{KIND}": "draft"}
    assert sorted(doc.get("absorbed", [])) == sorted(absorbed)
    for other in absorbed:  # merged into it, or into one merged into it (a chain)
        assert (await get(client, f"/api/v1/incidents/{other}"))["merged_into"] in {
            host,
            *absorbed,
        }
    queue = await get(client, "/api/v1/queue")
    assert [(i["case"], i["kind"]) for i in queue["items"]] == [(host, KIND)]
    metrics = await (await client.get("/metrics")).text()
    due = [
        line
        for line in metrics.splitlines()
        if line.startswith("bridge_obligation_due_timestamp_seconds{")
    ]
    assert len(due) == 1 and f'kind="{KIND}"' in due[0] and f'incident="{host}"' in due[0], due
    assert 'state="drafted"' in due[0]


#: the store's schema when hosts did not yet list what was merged into them: schema 12 lists it
#: in each stored host (bridge/store/sqlite/migrations.py, bridge/store/redis/lua/migration_12.lua)
BEFORE_THE_LIST = 11


def as_an_older_bridge_left_it(service: Any, store: str, *hosts: str) -> None:
    """The stored hosts as a bridge before schema 12 left them: their documents without
    ``absorbed`` (the incidents merged into them keep their records, each with
    ``merged_into``), the store at that bridge's schema. Written with the store's own client
    in the codec's form, the bridge stopped."""
    if store.startswith("sqlite:///"):
        conn = sqlite3.connect(store.removeprefix("sqlite:///"))
        with conn:
            for host in hosts:
                (text,) = conn.execute(
                    "SELECT document FROM incidents WHERE id=?", (host,)
                ).fetchone()
                document = loads(text)
                assert document.pop("absorbed")
                conn.execute("UPDATE incidents SET document=? WHERE id=?", (dumps(document), host))
            conn.execute(
                "UPDATE meta SET value=? WHERE key='schema_version'", (str(BEFORE_THE_LIST),)
            )
        conn.close()
        return
    prefix = service.store.prefix
    with redis.Redis.from_url(store, decode_responses=True) as r:
        for host in hosts:
            record = decode(r.hget(prefix + "incidents", host), IncidentRecord)
            assert record.document.pop("absorbed")
            r.hset(prefix + "incidents", host, encode(record))
        r.set(prefix + "schema", str(BEFORE_THE_LIST))


async def covered_and_settled(client: TestClient[Any, Any], clock: FakeClock) -> tuple[str, str]:
    """The site's cell goes down and its varsel is e-mailed; the core router above the site
    goes down and its incident covers the site's; the covering incident's update and, once
    everything resolved, its normalised notice are e-mailed; it is closed. The site incident
    and the covering one."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    [site] = await post(client, alert("fp-heimdal", start, element="no-cell-heimdal"))
    await send(client, clock, f"{site}.nkom_varsel")
    clock.advance(timedelta(minutes=3))
    core = clock.now()
    [cover] = await post(client, alert("fp-core", core, element="no-core-trd"))
    assert cover != site
    assert (await get(client, f"/api/v1/incidents/{site}"))["merged_into"] == cover
    await settle(client, clock, cover)  # the update the covering incident owes
    clock.advance(timedelta(hours=2))
    end = clock.now()
    await post(
        client,
        alert("fp-heimdal", start, status="resolved", ends_at=end, element="no-cell-heimdal"),
        alert("fp-core", core, status="resolved", ends_at=end, element="no-core-trd"),
    )
    clock.advance(timedelta(hours=1))
    await service.tick()
    await settle(client, clock, cover)  # the normalised notice
    assert (await get(client, f"/api/v1/incidents/{cover}"))["state"] == "closed"
    return site, cover


async def test_a_late_request_on_the_covering_incident_owes_no_varsel_the_site_sent(
    store: str, client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    path = config(tmp_path, store, smtp)
    client = await client_for(path, manual_outbox=True)
    service = client.server.app[SERVICE]
    site, cover = await covered_and_settled(client, clock)
    left = await as_it_left(client, cover)
    assert left[1][f"{site}.nkom_varsel"] == "sent"  # the site's varsel is the cover's
    assert set(left[1].values()) == {"sent"}
    mails = len(smtp.mailbox.received)
    assert mails == 3  # the varsel, the update, the normalised notice
    # Nkom holds one reference for the event: the site's varsel's, which the cover's notices
    # carry (docs/notices.md "One reference per incident, as the regulator knows it")
    subjects = [str(m.message["Subject"]) for m in smtp.mailbox.received]
    reference = subjects[0].rsplit("ref. ", 1)[1]
    assert all(s.endswith(f"ref. {reference}") for s in subjects), subjects
    await gone_from_memory(client, clock, site, cover)
    # read from the store, it lists the site incident and the varsel it sent, as it did live
    archived = await get(client, f"/api/v1/incidents/{cover}")
    assert archived["archived"] and archived["absorbed"] == [site]
    assert {d["id"]: d["state"] for d in archived["drafts"]} == left[1]

    clock.advance(timedelta(days=20))  # Nkom asks four weeks after the outage
    await service.tick()
    await request_report(client, clock, cover)
    assert cover in service.engine.incidents
    await owes_the_report_only(client, cover, [site], left)
    report = await get(client, f"/api/v1/drafts/{cover}.{KIND}")
    assert report["latest"]["subject"].endswith(f"vår ref. {reference}")
    assert "Nkoms ref. 2026/09002" in report["latest"]["subject"]
    await service.tick()
    assert len(await deliver(client)) == 0
    assert len(smtp.mailbox.received) == mails  # nothing went out twice

    # a restart keeps it whole: the site incident comes back with it
    await client.close()
    again = await client_for(path, manual_outbox=True)
    assert {site, cover} <= again.server.app[SERVICE].engine.incidents.keys()
    await owes_the_report_only(again, cover, [site], left)
    report = await get(again, f"/api/v1/drafts/{cover}.{KIND}")
    assert report["latest"]["subject"].endswith(f"vår ref. {reference}")
    await again.server.app[SERVICE].tick()
    assert len(await deliver(again)) == 0
    assert len(smtp.mailbox.received) == mails


async def merge(client: TestClient[Any, Any], absorbed: str, into: str) -> None:
    r = await client.post(
        f"/api/v1/incidents/{absorbed}/merge",
        json={"into": into, "reason": "One fibre cut under the three sites."},
        headers=EDITOR,
    )
    assert (await ok(r))["into"] == into


async def merged_in_a_chain_and_settled(
    client: TestClient[Any, Any], clock: FakeClock
) -> tuple[str, str, str]:
    """Three sites' cells go down; A's varsel is e-mailed; a person merges A into B, then B
    into C; C's notices are e-mailed and it is closed. A, B and C."""
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=5)
    [a] = await post(client, alert("fp-heimdal", start, element="no-cell-heimdal"))
    await send(client, clock, f"{a}.nkom_varsel")
    clock.advance(timedelta(minutes=10))
    [b] = await post(client, alert("fp-lade", clock.now(), element="no-cell-lade"))
    clock.advance(timedelta(minutes=10))
    [c] = await post(client, alert("fp-byasen", clock.now(), element="no-cell-byasen"))
    assert len({a, b, c}) == 3
    await merge(client, a, b)
    await merge(client, b, c)
    assert sorted((await get(client, f"/api/v1/incidents/{c}"))["absorbed"]) == sorted([a, b])
    await settle(client, clock, c)

    clock.advance(timedelta(hours=2))
    end = clock.now()
    await post(
        client,
        *(
            alert(f"fp-{site}", at, status="resolved", ends_at=end, element=f"no-cell-{site}")
            for site, at in (
                ("heimdal", start),
                ("lade", start + timedelta(minutes=15)),
                ("byasen", start + timedelta(minutes=25)),
            )
        ),
    )
    clock.advance(timedelta(hours=1))
    await service.tick()
    await settle(client, clock, c)
    assert (await get(client, f"/api/v1/incidents/{c}"))["state"] == "closed"
    return a, b, c


@pytest.mark.parametrize("older", [False, True], ids=["listed", "stored-before-the-list"])
async def test_a_chain_of_merges_comes_back_whole(
    store: str, client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path, older: bool
) -> None:
    """A sent its varsel; a person merged A into B, then B into C. Weeks after all three left
    memory, Nkom asks C for its hendelsesrapport: A and B come back merged into it (B's bond
    with C and A's with B kept, so C comes back as the same incident), and A's varsel is C's.
    ``older``: the three left memory under a bridge that did not list them in B and C; the
    upgraded bridge's store lists them (without the bonds C would not come back: a 409)."""
    path = config(tmp_path, store, smtp)
    client = await client_for(path, manual_outbox=True)
    service = client.server.app[SERVICE]
    a, b, c = await merged_in_a_chain_and_settled(client, clock)
    left = await as_it_left(client, c)
    assert left[1][f"{a}.nkom_varsel"] == "sent"
    mails = len(smtp.mailbox.received)
    await gone_from_memory(client, clock, a, b, c)
    if older:
        await client.close()
        as_an_older_bridge_left_it(service, store, c, b)
        client = await client_for(path, manual_outbox=True)
        service = client.server.app[SERVICE]

    clock.advance(timedelta(days=20))
    await request_report(client, clock, c)
    assert {a, b, c} <= service.engine.incidents.keys()
    await owes_the_report_only(client, c, [a, b], left)
    assert (await get(client, f"/api/v1/incidents/{a}"))["merged_into"] == b
    assert (await get(client, f"/api/v1/incidents/{b}"))["merged_into"] == c
    await service.tick()
    assert len(await deliver(client)) == 0
    assert len(smtp.mailbox.received) == mails


async def test_a_host_stored_before_hosts_listed_what_was_merged_comes_back_whole(
    store: str, client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """A covering incident that left memory under a bridge that did not list, in the stored
    host, what was merged into it: its record lacks ``absorbed``; the site incident's record
    says ``merged_into`` and its varsel was e-mailed. The upgraded bridge opens the store
    (schema 12 lists the site incident in the host's record) and Nkom's late request brings the
    host back with the site incident: no varsel is drafted or owed again, on the queue or in the
    due metric, and nothing is e-mailed twice."""
    path = config(tmp_path, store, smtp)
    client = await client_for(path, manual_outbox=True)
    site, cover = await covered_and_settled(client, clock)
    left = await as_it_left(client, cover)
    assert left[1][f"{site}.nkom_varsel"] == "sent"
    mails = len(smtp.mailbox.received)
    await gone_from_memory(client, clock, site, cover)
    service = client.server.app[SERVICE]
    await client.close()
    as_an_older_bridge_left_it(service, store, cover)

    upgraded = await client_for(path, manual_outbox=True)
    service = upgraded.server.app[SERVICE]
    assert await service.store.schema_version() > BEFORE_THE_LIST
    archived = await get(upgraded, f"/api/v1/incidents/{cover}")
    assert archived["archived"] and archived["absorbed"] == [site]
    clock.advance(timedelta(days=20))  # Nkom asks four weeks after the outage
    await service.tick()
    await request_report(upgraded, clock, cover)
    assert {site, cover} <= service.engine.incidents.keys()
    await owes_the_report_only(upgraded, cover, [site], left)
    await service.tick()
    assert len(await deliver(upgraded)) == 0
    assert len(smtp.mailbox.received) == mails  # no second varsel to Nkom


async def what_a_person_sees(client: TestClient[Any, Any]) -> tuple[Any, list[str]]:
    """The deadline queue, and the drafts and what is due as /metrics counts them."""
    metrics = await (await client.get("/metrics")).text()
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith(("bridge_drafts{", "bridge_obligation_due_timestamp_seconds{"))
    ]
    return await get(client, "/api/v1/queue"), counted


async def test_a_recall_that_fails_leaves_memory_and_the_store_as_they_were(
    store: str, client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    """C (A and B merged into it by a person) is stored as a bridge before hosts listed what
    was merged into them stored it: weeks later its alerts no longer make the same incident
    without the merges, so Nkom's request is refused (409). The refusal leaves everything as
    it was: memory holds neither C nor its drafts (the drafts gauge does not count its sent
    notices, nothing is queued or due), and a tick writes nothing of A, B or C."""
    client = await client_for(config(tmp_path, store, smtp), manual_outbox=True)
    service = client.server.app[SERVICE]
    a, b, c = await merged_in_a_chain_and_settled(client, clock)
    await gone_from_memory(client, clock, a, b, c)
    record = await service.store.get_incident(c)
    assert record is not None and sorted(record.document.pop("absorbed")) == sorted([a, b])
    await service.store.save_incidents([record])  # as an older bridge stored it
    stored = [await service.store.get_incident(i) for i in (a, b, c)]
    clock.advance(timedelta(days=20))
    seen, book = await what_a_person_sees(client), set(service.book.drafts)
    assert 'bridge_drafts{state="sent"} 0.0' in seen[1]

    deadline = clock.now() + timedelta(days=14)
    r = await client.post(
        f"/api/v1/incidents/{c}/report-requests",
        json={"kind": KIND, "deadline": rfc3339(deadline), "reference": "2026/09002"},
        headers=EDITOR,
    )
    assert r.status == 409, await r.text()
    assert "no longer make the same incident" in (await r.json())["detail"]
    assert await what_a_person_sees(client) == seen
    assert not service.engine.incidents and set(service.book.drafts) == book
    await service.tick()
    assert await what_a_person_sees(client) == seen
    assert [await service.store.get_incident(i) for i in (a, b, c)] == stored


async def test_a_late_request_on_a_follower_brings_the_host_back_on_both(
    client_for: Any, smtp: SmtpServer, clock: FakeClock, tmp_path: Path, redis: RedisServer
) -> None:
    """Two replicas on one redis-server; the covering incident and the site incident merged
    into it left both memories. A request the follower refuses leaves nothing in its memory.
    Nkom's request reaches the follower (writes on a follower are taken: the leader follows
    the store): the follower brings the covering incident back with
    the site incident and answers that the hendelsesrapport is owed and the site's varsel was
    sent; the leader, which never saw the request, brings both back on its next tick and
    drafts the report alone; nothing is e-mailed twice."""
    path = config(tmp_path, redis.url(), smtp)
    replicas = [await client_for(path, manual_outbox=True) for _ in range(2)]
    [leader_client] = [c for c in replicas if c.server.app[SERVICE].leading]
    [follower_client] = [c for c in replicas if c is not leader_client]
    leader, follower = (c.server.app[SERVICE] for c in (leader_client, follower_client))
    site, cover = await covered_and_settled(leader_client, clock)
    left = await as_it_left(leader_client, cover)
    mails = len(smtp.mailbox.received)
    await gone_from_memory(leader_client, clock, site, cover)
    await follower.tick()
    assert not {site, cover} & follower.engine.incidents.keys()

    clock.advance(timedelta(days=20))
    r = await follower_client.post(  # a kind no rule set here owes: refused, nothing kept
        f"/api/v1/incidents/{cover}/report-requests",
        json={"kind": "se_cyber_intermediate", "deadline": rfc3339(clock.now())},
        headers=EDITOR,
    )
    assert r.status == 409, await r.text()
    assert not {site, cover} & follower.engine.incidents.keys()
    answer = await request_report(follower_client, clock, cover)
    due = rfc3339(clock.now() + timedelta(days=14))
    assert {o["kind"]: o["due_at"] for o in answer["obligations"]}[KIND] == due
    assert {site, cover} <= follower.engine.incidents.keys()
    doc = await get(follower_client, f"/api/v1/incidents/{cover}")
    assert doc["absorbed"] == [site]
    assert {o["kind"]: o["state"] for o in doc["obligations"]} == {**left[0], KIND: "open"}

    await leader.tick()
    assert {site, cover} <= leader.engine.incidents.keys()
    await owes_the_report_only(leader_client, cover, [site], left)
    await follower.tick()  # reads the leader's draft
    assert await as_it_left(follower_client, cover) == await as_it_left(leader_client, cover)
    await leader.tick()
    assert len(await deliver(leader_client)) == 0
    assert len(smtp.mailbox.received) == mails
