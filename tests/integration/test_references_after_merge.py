"""The reference Nkom was sent stays with what the incident became: a varsel goes out, a person
merges the incident into another, and the updated varsel Nkom receives names the reference of
the first one (docs/notices.md "One reference per incident, as the regulator knows it"). Real
app, real SMTP server, injected clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from builders import alert
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer
from test_notices_flow import as_, config, deliver, draft, drafts, post_alerts

from bridge.web.keys import SERVICE

pytestmark = pytest.mark.manual_outbox

INVENTORY = """
regions:
  NO-0301: Oslo
  NO-3201: Bærum
elements:
  - {id: no-site-a, parent: null, kind: site, jurisdiction: "NO", region: NO-0301}
  - {id: no-cell-a, parent: no-site-a, kind: cell, jurisdiction: "NO", region: NO-0301,
     connections: {mobile: 5000}, societal: true, emergency_112: true}
  - {id: no-olt-a, parent: no-site-a, kind: olt, jurisdiction: "NO", region: NO-0301,
     connections: {internet: 6000}}
  - {id: no-site-b, parent: null, kind: site, jurisdiction: "NO", region: NO-3201}
  - {id: no-olt-b, parent: no-site-b, kind: olt, jurisdiction: "NO", region: NO-3201,
     connections: {internet: 7000}}
"""


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    path = config(tmp_path, smtp)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["inventory"] = {"path": str(inventory)}
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def fibre_cut(fingerprint: str, start: Any, element: str) -> dict[str, Any]:
    return alert(
        fingerprint, start, element=element, severity="major", annotations={"cause": "Fiberbrudd"}
    )


async def approve_all(client: TestClient[Any, Any], clock: FakeClock, kinds: set[str]) -> None:
    """Every draft of ``kinds`` still a draft, approved by a signed-in person (fields not
    known yet sent as such)."""
    for listed in await drafts(client):
        if listed["kind"] not in kinds or listed["state"] != "draft":
            continue
        full = await draft(client, listed["id"])
        unknown = [f["key"] for f in full["latest"]["fields"] if f["to_complete"]]
        r = await client.post(
            f"/api/v1/drafts/{listed['id']}/approve",
            json={"version": full["version"], "send_unknown": unknown},
            headers=await person(client, clock.now),
        )
        assert r.status == 200, await r.text()


async def test_the_update_after_a_merge_names_the_reference_of_the_varsel_nkom_holds(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    start = clock.now() - timedelta(minutes=5)
    [first] = (await post_alerts(client, fibre_cut("m1", start, "no-cell-a")))["incidents"]
    await approve_all(client, clock, {"nkom_varsel"})
    await deliver(client)
    [varsel] = smtp.mailbox.received
    subject = str(varsel.message["Subject"])
    assert subject.startswith("Varsel om hendelse – ")
    reference = subject.rsplit("ref. ", 1)[1]

    clock.advance(timedelta(minutes=20))
    [host] = (await post_alerts(client, fibre_cut("m2", clock.now(), "no-olt-b")))["incidents"]
    r = await client.post(
        f"/api/v1/incidents/{first}/merge",
        json={"into": host, "reason": "Samme fiberbrudd."},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    await client.server.app[SERVICE].tick()
    await approve_all(client, clock, {"nkom_varsel", "nkom_update"})
    await deliver(client)

    [_, update] = smtp.mailbox.received
    operator = subject.split(" – ")[1]
    assert str(update.message["Subject"]) == f"Oppdatert varsel – {operator} – ref. {reference}"
    body = update.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Referanse: {reference}\n" in body
    assert "Forrige varsel ble sendt" in body
    # the host's own reference, which Nkom never saw, appears nowhere
    listed = {d["id"]: d for d in await drafts(client)}
    sent = await draft(client, f"{host}.nkom_update")
    assert sent["state"] == "sent" and listed[f"{host}.nkom_update"]["incident"] == host
    assert reference in sent["latest"]["subject"]


async def test_the_part_split_out_of_a_notified_incident_says_so_under_its_own_reference(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """The cell's and the OLT's alerts at one site made one incident, notified to Nkom. A
    person splits the OLT out: the incident keeps its reference; the OLT's incident is a new
    case, whose varsel has its own reference and says which notified incident it was part of."""
    start = clock.now() - timedelta(minutes=5)
    [incident] = (
        await post_alerts(
            client, fibre_cut("s1", start, "no-cell-a"), fibre_cut("s2", start, "no-olt-a")
        )
    )["incidents"]
    await approve_all(client, clock, {"nkom_varsel"})
    await deliver(client)
    [varsel] = smtp.mailbox.received
    reference = str(varsel.message["Subject"]).rsplit("ref. ", 1)[1]

    clock.advance(timedelta(minutes=10))
    r = await client.post(
        f"/api/v1/incidents/{incident}/split",
        json={"alerts": ["s2"], "reason": "Egen feil på OLT-en."},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    taken = (await r.json())["split_into"]
    await client.server.app[SERVICE].tick()
    new = await draft(client, f"{taken}.nkom_varsel")
    assert reference not in new["latest"]["subject"]
    text = new["latest"]["text"]
    assert (
        f"Hendelsen var tidligere en del av hendelsen vi har varslet om under ref. {reference}, "
        "og varsles nå som en egen hendelse."
    ) in text
    # the incident that kept the cell keeps its reference in what it sends next
    for listed in await drafts(client):
        if listed["incident"] == incident and listed["state"] != "sent":
            assert reference in (await draft(client, listed["id"]))["latest"]["subject"]
