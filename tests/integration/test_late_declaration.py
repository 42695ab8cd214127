"""A person declares an incident significant under the Swedish cybersecurity act long after it
ended and left memory (``evaluation.memory_horizon``, bridge.core.liveness): forensic findings
a week later show the outage was an attack. The early warning is due 24 h from when the
operator became aware it is significant, so the declaration brings the stored incident back
into memory (bridge.evaluation.recall, as a late request for a report does): the early warning
and the notification are owed from the declared awareness, drafted, on the deadline queue, and
a restart keeps them; once they are settled the incident leaves memory again, and the CSIRT's
later request for an intermediate report brings it back once more. Every check the in-memory
path makes still holds (a person with a second factor, the jurisdiction, ``in_force_from``,
the audit entry, a merged-away incident). On SQLite and on a real redis-server; injected
clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, write_config
from builders import webhook as make_webhook
from fakes import FakeClock
from http_answers import ok
from persons import person

from bridge.web.keys import SERVICE

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
TOKENS = {
    "viewer": "test-token-for-viewer",
    "editor": "test-token-for-editor",
    "approver": "test-token-for-approver",
    "auditor": "test-token-for-auditor",
}
pytestmark = pytest.mark.manual_outbox

# The hospital's cell in Östersund (112, societal: se-cyber marks it potentially significant at
# once; PTS's e112 criterion needs 30 minutes), the core router over its site, and a small
# Norwegian OLT (of two) that reaches no criterion: each outage below lasts 20 minutes and owes
# nothing until a person declares it, so once closed it leaves memory a horizon later.
INVENTORY = """
regions:
  SE-2380: Östersund
  SE-0180: Stockholm
  NO-5001: Trondheim
elements:
  - {id: se-core-sto, parent: null, kind: core, jurisdiction: SE, region: SE-0180}
  - {id: se-site-ostersund, parent: se-core-sto, kind: site, jurisdiction: SE, region: SE-2380}
  - {id: se-cell-ostersund-sjukhus, parent: se-site-ostersund, kind: cell, jurisdiction: SE,
     region: SE-2380, connections: {mobile: 3000}, emergency_112: true, societal: true}
  - {id: no-site-heimdal, parent: null, kind: site, jurisdiction: "NO", region: NO-5001}
  - {id: no-olt-heimdal-1, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 300}}
  - {id: no-olt-heimdal-2, parent: no-site-heimdal, kind: olt, jurisdiction: "NO",
     region: NO-5001, connections: {internet: 9000}}
"""
CELL = "se-cell-ostersund-sjukhus"
WARNING, NOTIFICATION = "se_cyber_early_warning", "se_cyber_notification"


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """The injected clock: 2026-11-23 10:00 UTC unless a test gives its start."""
    return FakeClock(getattr(request, "param", None))


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store's URL: the SQLite file in ``tmp_path``, or a redis-server of this test's own
    (set up before the app, so it outlives it)."""
    if request.param == "redis":
        return str(request.getfixturevalue("redis").url())
    return f"sqlite:///{tmp_path / 'bridge.sqlite3'}"


def config(tmp_path: Path, store: str) -> Path:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return write_config(
        tmp_path,
        inventory=inventory,
        store=store,
        extra={
            "regulators": {
                "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
                "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
                "csirt": {"rule_set": "se-cyber"},
            },
            "evaluation": {"memory_horizon": "7d"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": who, "token": token, "roles": [who]} for who, token in TOKENS.items()
                ],
                "session": {"cookie_secure": False},
            },
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return config(tmp_path, f"sqlite:///{tmp_path / 'bridge.sqlite3'}")


async def incident(client: TestClient[Any, Any], incident_id: str) -> dict[str, Any]:
    return dict(
        await ok(await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer")))
    )


def cyber_owed(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in doc["obligations"] if o["kind"].startswith("se_cyber_")}


async def declare(
    client: TestClient[Any, Any], clock: FakeClock, incident_id: str, body: dict[str, Any]
) -> Any:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json=body,
        headers=await person(client, clock.now, "anna", ["approver"]),
    )


async def audited(client: TestClient[Any, Any], action: str) -> list[dict[str, Any]]:
    log = await ok(await client.get("/api/v1/audit", headers=as_("auditor")))
    return [e for e in log["entries"] if e["action"] == action]


async def outages(client: TestClient[Any, Any], clock: FakeClock, *elements: str) -> list[str]:
    """A 20-minute outage of each element, in one webhook: the incidents they made."""
    start = clock.now() - timedelta(minutes=3)
    firing = [alert(f"fp-{e}", start, element=e) for e in elements]
    answer = await ok(
        await client.post("/api/v1/alertmanager", json=make_webhook(*firing), headers=HOOK)
    )
    clock.advance(timedelta(minutes=20))
    resolved = [
        alert(f"fp-{e}", start, status="resolved", ends_at=clock.now(), element=e) for e in elements
    ]
    await ok(await client.post("/api/v1/alertmanager", json=make_webhook(*resolved), headers=HOOK))
    return [str(i) for i in answer["incidents"]]


async def gone_from_memory(client: TestClient[Any, Any], clock: FakeClock, *ids: str) -> None:
    """Closed, owing nothing: 8 days on, a timer tick lets them leave memory."""
    service = client.server.app[SERVICE]
    clock.advance(timedelta(hours=1))
    await service.tick()
    for incident_id in ids:
        doc = await incident(client, incident_id)
        assert doc["state"] == "closed" and cyber_owed(doc) == {}
    clock.advance(timedelta(days=8))
    await service.tick()
    assert not set(ids) & service.engine.incidents.keys()


async def test_declared_a_week_later_the_early_warning_is_owed_from_the_declared_awareness(
    store: str, client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    path = config(tmp_path, store)
    client = await client_for(path, manual_outbox=True)
    service = client.server.app[SERVICE]
    [incident_id] = await outages(client, clock, CELL)
    await gone_from_memory(client, clock, incident_id)
    # its page still offers the declaration (what it would owe if declared now)
    archived = await incident(client, incident_id)
    [board] = archived["archived"] and archived["cyber"]
    assert board["potentially_significant"] and board["declaration"] is None
    preview = {o["kind"]: o["due_at"] for o in board["if_declared_now"]}
    assert preview[WARNING] == (clock.now() + timedelta(hours=24)).isoformat()

    # forensic findings this morning: the outage was an attack; the NOC declares it now, aware
    # since the findings came in two hours ago
    aware = clock.now() - timedelta(hours=2)
    doc = await ok(
        await declare(client, clock, incident_id, {"significant": True, "aware_at": rfc3339(aware)})
    )
    assert incident_id in service.engine.incidents  # back in memory while it owes
    assert doc["declaration"]["by"] == "anna" and doc["declaration"]["significant"] is True
    owed = cyber_owed(doc)
    assert owed[WARNING]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert owed[NOTIFICATION]["due_at"] == rfc3339(aware + timedelta(hours=72))
    assert owed[WARNING]["state"] == "drafted"
    drafts = {d["kind"]: d for d in doc["drafts"]}
    assert drafts[WARNING]["state"] == "draft" and drafts[WARNING]["regulator"] == "csirt"
    [entry] = await audited(client, "incident.declared")
    assert entry["actor"] == "anna" and entry["target"] == f"incident:{incident_id}"
    assert entry["detail"]["aware_at"] == aware.isoformat()
    assert entry["detail"]["second_factor"] == "totp"

    # on the deadline queue; a timer tick does not let it go while it owes; a restart keeps it
    board = await ok(await client.get("/api/v1/queue", headers=as_("viewer")))
    due = {i["kind"]: i["due_at"] for i in board["items"] if i["case"] == incident_id}
    assert due[WARNING] == rfc3339(aware + timedelta(hours=24))
    clock.advance(timedelta(hours=1))
    await service.tick()
    assert incident_id in service.engine.incidents
    await client.close()  # stopped: the restarted service leads
    again = await client_for(path, manual_outbox=True)
    restarted = again.server.app[SERVICE]
    assert incident_id in restarted.engine.incidents
    rebuilt = await incident(again, incident_id)
    assert cyber_owed(rebuilt)[WARNING]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert rebuilt["declaration"]["aware_at"] == aware.isoformat()
    assert {d["kind"]: d["id"] for d in rebuilt["drafts"]}[WARNING] == drafts[WARNING]["id"]

    # its duties settled (here: each report rejected by an approver), it leaves memory again
    for draft in rebuilt["drafts"]:
        if draft["state"] == "draft":
            r = await again.post(
                f"/api/v1/drafts/{draft['id']}/reject",
                json={"reason": "reported by phone to CERT-SE"},
                headers=as_("approver"),
            )
            await ok(r)
    await restarted.tick()
    assert incident_id not in restarted.engine.incidents
    settled = await incident(again, incident_id)
    assert cyber_owed(settled)[WARNING]["state"] == "rejected"

    # the CSIRT then asks for an intermediate report: it comes back once more and owes it
    deadline = clock.now() + timedelta(days=5)
    r = await again.post(
        f"/api/v1/incidents/{incident_id}/report-requests",
        json={"kind": "se_cyber_intermediate", "deadline": rfc3339(deadline)},
        headers=as_("editor"),
    )
    asked = await ok(r)
    assert cyber_owed(asked)["se_cyber_intermediate"]["due_at"] == rfc3339(deadline)
    assert cyber_owed(asked)[WARNING]["state"] == "rejected"  # not owed again
    assert incident_id in restarted.engine.incidents


async def test_a_declaration_out_of_memory_keeps_the_in_memory_checks(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """An API token cannot declare (403), a Norwegian incident cannot be declared under the
    Swedish act (409 naming its jurisdictions), an undated decision names its field (400):
    nothing recorded or audited, and what was brought back leaves memory again (at once:
    :func:`test_a_refused_action_out_of_memory_changes_nothing`).
    A declaration that it is not significant is recorded and audited; owing nothing, the
    incident leaves memory again."""
    service = client.server.app[SERVICE]
    swedish, norwegian = await outages(client, clock, CELL, "no-olt-heimdal-1")
    await gone_from_memory(client, clock, swedish, norwegian)
    assert (await incident(client, norwegian))["cyber"] == []  # nothing offered to declare

    r = await client.post(
        f"/api/v1/incidents/{swedish}/declaration",
        json={"significant": True},
        headers=as_("approver"),
    )
    assert r.status == 403, await r.text()
    r = await declare(client, clock, norwegian, {"significant": True})
    assert r.status == 409, await r.text()
    assert "its jurisdictions are NO" in (await r.json())["detail"]
    r = await declare(client, clock, swedish, {"significant": False})
    assert r.status == 400 and "reason" in (await r.json())["detail"]
    assert await audited(client, "incident.declared") == []
    assert "declaration" not in await incident(client, swedish)
    await service.tick()
    assert not {swedish, norwegian} & service.engine.incidents.keys()

    r = await declare(
        client, clock, swedish, {"significant": False, "reason": "Planerat arbete, ingen attack."}
    )
    doc = await ok(r)
    assert doc["declaration"]["significant"] is False and cyber_owed(doc) == {}
    [entry] = await audited(client, "incident.declared")
    assert entry["target"] == f"incident:{swedish}" and entry["detail"]["significant"] is False
    await service.tick()
    assert swedish not in service.engine.incidents
    assert (await incident(client, swedish))["declaration"]["reason"].startswith("Planerat")


@pytest.mark.parametrize("clock", [datetime(2026, 1, 14, 22, 50, tzinfo=UTC)], indirect=True)
async def test_an_incident_before_the_act_applied_cannot_be_declared_out_of_memory_either(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The cell went down at 23.47 on 14 January 2026 (Stockholm), before se-cyber's
    ``in_force_from``: declared eight days later it is the in-memory path's 409 naming the day,
    nothing recorded or audited."""
    [before] = await outages(client, clock, CELL)
    await gone_from_memory(client, clock, before)
    [board] = (await incident(client, before))["cyber"]
    assert board["in_force_from"] == "2026-01-15" and board["if_declared_now"] == []
    r = await declare(client, clock, before, {"significant": True})
    assert r.status == 409, await r.text()
    detail = (await r.json())["detail"]
    assert "se-cyber (SE) from 2026-01-15" in detail and "before the law applies" in detail
    assert await audited(client, "incident.declared") == []
    assert "declaration" not in await incident(client, before)


async def test_a_merged_away_incident_is_declared_on_its_host(
    store: str, client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """The hospital's site incident was covered by the core router's alert; both left memory.
    Declared on the site incident, it is the in-memory path's 409 naming the covering
    incident; declared there, the covering incident owes the early warning."""
    client = await client_for(config(tmp_path, store), manual_outbox=True)
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=3)
    body = make_webhook(alert("fp-cell", start, element=CELL))
    [site] = (await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK)))[
        "incidents"
    ]
    clock.advance(timedelta(minutes=3))
    core = clock.now()
    body = make_webhook(alert("fp-core", core, element="se-core-sto"))
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    cover = (await incident(client, site))["merged_into"]
    assert cover and cover != site
    clock.advance(timedelta(minutes=15))
    body = make_webhook(
        alert("fp-cell", start, status="resolved", ends_at=clock.now(), element=CELL),
        alert("fp-core", core, status="resolved", ends_at=clock.now(), element="se-core-sto"),
    )
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    await gone_from_memory(client, clock, site, cover)

    r = await declare(client, clock, site, {"significant": True})
    assert r.status == 409, await r.text()
    assert (await r.json())["detail"] == (
        f"incident {site}: merged into {cover}: declare on that incident (it stands by this "
        "one's declaration and requests too)"
    )
    assert await audited(client, "incident.declared") == []

    doc = await ok(await declare(client, clock, cover, {"significant": True}))
    assert cyber_owed(doc)[WARNING]["due_at"] == rfc3339(clock.now() + timedelta(hours=24))
    assert cover in service.engine.incidents


async def test_declared_on_a_follower_the_leader_brings_it_back_and_drafts(
    client_for: Any, clock: FakeClock, tmp_path: Path, redis: Any
) -> None:
    """Two replicas on one redis-server, the incident gone from both memories: a person
    declares it on the follower, which answers with the clocks running; the leader, which never
    saw the request, reads the declaration on its next tick, brings the incident back and
    drafts the early warning (only the leader drafts)."""
    path = config(tmp_path, redis.url())
    replicas = [await client_for(path, manual_outbox=True) for _ in range(2)]
    services = [c.server.app[SERVICE] for c in replicas]
    [leader] = [s for s in services if s.leading]
    follower_client = next(c for c, s in zip(replicas, services, strict=True) if not s.leading)
    leader_client = next(c for c in replicas if c is not follower_client)
    [incident_id] = await outages(leader_client, clock, CELL)
    clock.advance(timedelta(hours=1))
    for service in services:
        await service.tick()
    clock.advance(timedelta(days=8))
    for service in services:
        await service.tick()
        assert incident_id not in service.engine.incidents

    aware = clock.now() - timedelta(hours=3)
    r = await declare(
        follower_client, clock, incident_id, {"significant": True, "aware_at": rfc3339(aware)}
    )
    answered = cyber_owed(await ok(r))
    assert answered[WARNING]["due_at"] == rfc3339(aware + timedelta(hours=24))
    await leader.tick()
    assert incident_id in leader.engine.incidents
    doc = await incident(leader_client, incident_id)
    assert cyber_owed(doc)[WARNING]["due_at"] == rfc3339(aware + timedelta(hours=24))
    assert {d["kind"]: d["state"] for d in doc["drafts"]}[WARNING] == "draft"


async def test_the_csirt_asks_a_covering_incident_weeks_later_it_stands_by_the_sites_declaration(
    store: str, client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """The hospital's site incident was declared significant, then covered by the core
    router's alert; its reports settled (rejected here), both left memory. Weeks later the
    CSIRT asks the covering incident for an intermediate report: it comes back with the site
    incident merged into it, stands by the site's declaration (so the request is taken), and
    owes the intermediate report only: the early warning and notification stay as they were."""
    client = await client_for(config(tmp_path, store), manual_outbox=True)
    service = client.server.app[SERVICE]
    start = clock.now() - timedelta(minutes=3)
    body = make_webhook(alert("fp-cell", start, element=CELL))
    [site] = (await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK)))[
        "incidents"
    ]
    await ok(await declare(client, clock, site, {"significant": True}))
    clock.advance(timedelta(minutes=3))
    core = clock.now()
    body = make_webhook(alert("fp-core", core, element="se-core-sto"))
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    cover = (await incident(client, site))["merged_into"]
    assert cover and cover != site
    clock.advance(timedelta(minutes=15))
    body = make_webhook(
        alert("fp-cell", start, status="resolved", ends_at=clock.now(), element=CELL),
        alert("fp-core", core, status="resolved", ends_at=clock.now(), element="se-core-sto"),
    )
    await ok(await client.post("/api/v1/alertmanager", json=body, headers=HOOK))
    clock.advance(timedelta(hours=1))
    await service.tick()
    before = await incident(client, cover)
    assert before["declaration"]["incident"] == site
    for draft in before["drafts"]:
        if draft["state"] == "draft":
            r = await client.post(
                f"/api/v1/drafts/{draft['id']}/reject",
                json={"reason": "reported by phone to CERT-SE"},
                headers=as_("approver"),
            )
            await ok(r)
    owed_before = {k: o["state"] for k, o in cyber_owed(await incident(client, cover)).items()}
    assert owed_before and set(owed_before.values()) <= {"rejected", "open"}, owed_before
    clock.advance(timedelta(days=8))
    await service.tick()
    assert not {site, cover} & service.engine.incidents.keys()

    deadline = clock.now() + timedelta(days=5)
    r = await client.post(
        f"/api/v1/incidents/{cover}/report-requests",
        json={"kind": "se_cyber_intermediate", "deadline": rfc3339(deadline)},
        headers=as_("editor"),
    )
    asked = await ok(r)
    assert {site, cover} <= service.engine.incidents.keys()
    assert asked["declaration"]["incident"] == site
    owed = cyber_owed(asked)
    assert owed.pop("se_cyber_intermediate")["due_at"] == rfc3339(deadline)
    assert {k: o["state"] for k, o in owed.items()} == owed_before
    assert (await incident(client, site))["merged_into"] == cover


async def test_a_refused_action_out_of_memory_changes_nothing(
    store: str, client_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """Refused on incidents that left memory (the Norwegian one declared under the Swedish act
    and asked for the CSIRT's intermediate report: 409; the Swedish one declared not
    significant without a reason: 400), each brought back to be checked: each refusal leaves
    them out of memory at once, their stored records as they were (not written again, not
    even by the tick that follows), no audit entry, no draft read into memory."""
    client = await client_for(config(tmp_path, store), manual_outbox=True)
    service = client.server.app[SERVICE]
    swedish, norwegian = await outages(client, clock, CELL, "no-olt-heimdal-1")
    await gone_from_memory(client, clock, swedish, norwegian)
    clock.advance(timedelta(days=2))  # a record written now would say so (evaluated_at)
    await person(client, clock.now, "anna", ["approver"])  # signed in (audited) beforehand
    stored = [await service.store.get_incident(i) for i in (swedish, norwegian)]
    audit = await ok(await client.get("/api/v1/audit", headers=as_("auditor")))
    book = dict(service.book.drafts)

    refusals = [
        (await declare(client, clock, norwegian, {"significant": True}), 409),
        (await declare(client, clock, swedish, {"significant": False}), 400),
        (
            await client.post(
                f"/api/v1/incidents/{norwegian}/report-requests",
                json={
                    "kind": "se_cyber_intermediate",
                    "deadline": rfc3339(clock.now() + timedelta(days=5)),
                },
                headers=as_("editor"),
            ),
            409,
        ),
    ]
    for r, status in refusals:
        assert r.status == status, await r.text()
    held = {swedish, norwegian} & service.engine.incidents.keys()
    drafts = dict(service.book.drafts)
    await service.tick()
    assert [await service.store.get_incident(i) for i in (swedish, norwegian)] == stored
    assert await ok(await client.get("/api/v1/audit", headers=as_("auditor"))) == audit
    assert not held and drafts == book  # out of memory at once
