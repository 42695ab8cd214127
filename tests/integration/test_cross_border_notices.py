"""A cross-border incident through the app: a person merges a Swedish cell's incident into a
Norwegian one whose varsel was sent; Nkom is not sent Sweden's customers (no update opens for
a Swedish change), PTS's report counts Östersund only, and a Norwegian kommune joining does
open Nkom's update, whose total adds the two kommuner up."""

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
  SE-2380: Östersund
elements:
  - {id: no-site-a, parent: null, kind: site, jurisdiction: "NO", region: NO-0301}
  - {id: no-cell-a, parent: no-site-a, kind: cell, jurisdiction: "NO", region: NO-0301,
     connections: {mobile: 5000}, societal: true, emergency_112: true}
  - {id: no-site-b, parent: null, kind: site, jurisdiction: "NO", region: NO-3201}
  - {id: no-olt-b, parent: no-site-b, kind: olt, jurisdiction: "NO", region: NO-3201,
     connections: {internet: 7000}}
  - {id: se-site, parent: null, kind: site, jurisdiction: SE, region: SE-2380}
  - {id: se-cell, parent: se-site, kind: cell, jurisdiction: SE, region: SE-2380,
     connections: {mobile: 4000}, emergency_112: true}
"""


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    path = config(tmp_path, smtp)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["inventory"] = {"path": str(inventory)}
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def down(fingerprint: str, clock: FakeClock, element: str) -> dict[str, Any]:
    return alert(
        fingerprint,
        clock.now() - timedelta(minutes=5),
        element=element,
        severity="major",
        annotations={"cause": "Fiberbrudd"},
    )


async def tick(client: TestClient[Any, Any]) -> None:
    assert client.server.app is not None
    await client.server.app[SERVICE].tick()


async def approve(client: TestClient[Any, Any], clock: FakeClock, kind: str) -> None:
    [d] = [d for d in await drafts(client) if d["kind"] == kind and d["state"] == "draft"]
    full = await draft(client, d["id"])
    r = await client.post(
        f"/api/v1/drafts/{d['id']}/approve",
        json={"version": full["version"], "send_unknown": full["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()


async def text_of(client: TestClient[Any, Any], kind: str) -> str:
    [d] = [d for d in await drafts(client) if d["kind"] == kind]
    return str((await draft(client, d["id"]))["latest"]["text"])


async def test_a_swedish_cell_merged_into_a_norwegian_incident_stays_out_of_nkom_s_notices(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """After the varsel (Oslo, 5 000) was sent, a Swedish cell's incident merged in opens no
    Nkom update; PTS's report counts Östersund's 4 000 only and says Norway is affected too;
    then Bærum joining opens the update: 5 000 → 12 000 customers, Bærum new, no Östersund."""
    [norwegian] = (await post_alerts(client, down("x1", clock, "no-cell-a")))["incidents"]
    await approve(client, clock, "nkom_varsel")
    await deliver(client)
    assert len(smtp.mailbox.received) == 1
    clock.advance(timedelta(minutes=10))
    [swedish] = (await post_alerts(client, down("x2", clock, "se-cell")))["incidents"]
    r = await client.post(
        f"/api/v1/incidents/{swedish}/merge",
        json={"into": norwegian, "reason": "Samme kabel."},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=31))
    await tick(client)

    kinds = [d["kind"] for d in await drafts(client)]
    assert "nkom_update" not in kinds  # Sweden's cell is no significant change for Nkom
    pts = await text_of(client, "pts_initial")
    assert "Östersund: högst 4 000 aktiva anslutningar" in pts
    assert "Incidenten berör även Norge. Siffrorna gäller endast anslutningar i Sverige." in pts
    assert "Oslo" not in pts and "5 000" not in pts and "9 000" not in pts

    [baerum] = (await post_alerts(client, down("x3", clock, "no-olt-b")))["incidents"]
    r = await client.post(
        f"/api/v1/incidents/{baerum}/merge",
        json={"into": norwegian, "reason": "Samme kabel."},
        headers=as_("editor"),
    )
    assert r.status == 200, await r.text()
    await tick(client)
    update = await text_of(client, "nkom_update")
    assert "- Berørte kunder: 5 000 → 12 000" in update
    assert "- Nye områder berørt: Bærum" in update
    assert "I alt inntil 12 000 berørte kunder (høyeste antall samtidig)." in update
    assert "Hendelsen berører også kunder i Sverige. Tallene gjelder bare kunder i Norge." in (
        update
    )
    assert "Östersund" not in update and "4 000" not in update and "16 000" not in update
