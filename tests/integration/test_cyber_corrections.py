"""Telling the CSIRT (cybersäkerhetslagen) that a report already submitted was wrong
(docs/notices.md "Correcting what was sent"), through the app's factory: the site in Östersund
goes down, an approver declares it significant, the early warning is approved and its portal
submission recorded; then an editor overrides the impact with a ``correction``:

- to 0 connections (a false alarm): the notification opens with a *Rättelse* naming the early
  warning's figures as wrong, in the person's words, says plainly there was no outage and no
  significant incident, and never "Rapporten gäller en betydande incident" nor "Pågår." as
  fact; a declaration of *not significant* stays refused (the clock is never stopped), and the
  final report, still owed, says false alarm without a Rättelse (told once) and may be
  rejected by a person with the reason;
- to the right kommun (Berg): the notification says what the early warning stated and what is
  right, by name, and its scope is Berg's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import alert, rfc3339
from builders import webhook as make_webhook
from fakes import FakeClock
from persons import person
from test_cyber_declaration import (
    EDITOR,
    HOOK,
    VIEWER,
    approve,
    cyber_config,
    cyber_drafts,
    cyber_kinds,
    incident,
)

from bridge.web.keys import SERVICE

FALSE_ALARM = "Larmet kom från en felaktig strömmätning i noden; inga kunder förlorade tjänsten."
WRONG_KOMMUN = "Fel i vårt inventarium: noden försörjer Berg, inte Östersund."
SIGNIFICANT = "Rapporten gäller en betydande incident enligt cybersäkerhetslagen (2025:1506)."


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return cyber_config(tmp_path)


def site_down(clock: FakeClock) -> dict[str, Any]:
    return alert(
        "fp-site-ostersund",
        clock.now() - timedelta(minutes=3),
        alertname="SiteDown",
        element="se-site-ostersund",
    )


async def early_warning_submitted(client: TestClient[Any, Any], clock: FakeClock) -> str:
    """The Östersund site down, declared significant, its early warning approved and its
    portal submission recorded; the incident's id."""
    r = await client.post("/api/v1/alertmanager", json=make_webhook(site_down(clock)), headers=HOOK)
    assert r.status == 200, await r.text()
    [incident_id] = (await r.json())["incidents"]
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": True},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    warning = (await cyber_drafts(client, incident_id))["se_cyber_early_warning"]
    assert "Östersund: högst" in await text_of(client, warning["id"])
    await approve(client, clock, await detail(client, warning["id"]))
    await submit(client, clock, warning["id"], "CP-2026-0042")
    clock.advance(timedelta(minutes=30))
    return str(incident_id)


async def detail(client: TestClient[Any, Any], draft_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/drafts/{draft_id}", headers=VIEWER)
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def text_of(client: TestClient[Any, Any], draft_id: str) -> str:
    return str((await detail(client, draft_id))["latest"]["text"])


async def submit(client: TestClient[Any, Any], clock: FakeClock, draft_id: str, ref: str) -> None:
    r = await client.post(
        f"/api/v1/drafts/{draft_id}/submission",
        json={"reference": ref},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()


async def override(
    client: TestClient[Any, Any], incident_id: str, region: str, connections: int, correction: str
) -> None:
    body = {
        "impacts": [{"service": "internet", "region": region, "connections": connections}],
        "reason": "Field team checked the site",
        "correction": correction,
    }
    r = await client.put(
        f"/api/v1/incidents/{incident_id}/impact-override", json=body, headers=EDITOR
    )
    assert r.status == 200, await r.text()


async def test_a_false_alarm_is_told_to_the_csirt_in_the_notification(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await early_warning_submitted(client, clock)
    await override(client, incident_id, "SE-2380", 0, FALSE_ALARM)

    notification = await detail(
        client, (await cyber_drafts(client, incident_id))["se_cyber_notification"]["id"]
    )
    latest = notification["latest"]
    text = latest["text"]
    assert latest["subject"].startswith("Rättelse (falsklarm) – Incidentanmälan")
    assert "RÄTTELSE\nDen tidiga varningen som vi lämnade " in text
    assert "byggde på ett falsklarm" in text and "Det var alltså ingen betydande incident." in text
    assert f"Förklaring: {FALSE_ALARM}" in text
    # the early warning's figures, named as what was stated
    assert "Tidigare uppgivet: Östersund, högst " in text
    assert "Rätt: inga påverkade aktiva anslutningar." in text
    assert "Det var ett falsklarm" in text  # the header says what the report is about
    fields = {f["key"]: f["value"] for f in latest["fields"]}
    assert fields["status"].startswith("Falsklarm: det har inte förekommit något avbrott")
    assert fields["services"] == "Inga: det har inte förekommit något avbrott (falsklarm)."
    for wrong in (SIGNIFICANT, "Pågår", "SE-2380"):
        assert wrong not in text, wrong
    # only what a person must answer is left to complete
    assert {"status", "services", "scope", "started_at"}.isdisjoint(notification["to_complete"])

    # the clock is never stopped: not significant stays refused; the notification is how
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/declaration",
        json={"significant": False, "reason": "false alarm"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 409, await r.text()

    # the alarm stops; the notification is submitted: the final report is still owed, says
    # false alarm without telling the Rättelse again, and a person may reject it
    resolved = {**site_down(clock), "status": "resolved", "endsAt": rfc3339(clock.now())}
    r = await client.post("/api/v1/alertmanager", json=make_webhook(resolved), headers=HOOK)
    assert r.status == 200, await r.text()
    clock.advance(timedelta(minutes=31))
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    notification = await detail(client, notification["id"])
    assert "RÄTTELSE" in notification["latest"]["text"]
    await approve(client, clock, notification)
    await submit(client, clock, notification["id"], "CP-2026-0043")
    await app[SERVICE].tick()
    final = (await cyber_drafts(client, incident_id))["se_cyber_final"]
    final_text = await text_of(client, final["id"])
    assert "RÄTTELSE" not in final_text and "Det var ett falsklarm" in final_text
    assert (await detail(client, final["id"]))["latest"]["subject"].startswith("Falsklarm – ")
    for wrong in (SIGNIFICANT, "Pågår", "Tjänsterna återställdes"):
        assert wrong not in final_text, wrong
    r = await client.post(
        f"/api/v1/drafts/{final['id']}/reject",
        json={"reason": "falsklarm, sagt i incidentanmälan (CP-2026-0043)"},
        headers=await person(client, clock.now, "anna", ["approver"]),
    )
    assert r.status == 200, await r.text()
    assert cyber_kinds(await incident(client, incident_id))["se_cyber_final"]["state"] == (
        "rejected"
    )


async def test_a_wrong_kommun_is_corrected_in_the_csirts_next_report(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    incident_id = await early_warning_submitted(client, clock)
    await override(client, incident_id, "SE-2361", 11500, WRONG_KOMMUN)
    notification = await detail(
        client, (await cyber_drafts(client, incident_id))["se_cyber_notification"]["id"]
    )
    latest = notification["latest"]
    text = latest["text"]
    assert latest["subject"].startswith("Rättelse – Incidentanmälan")
    assert "RÄTTELSE\nUppgifterna om omfattning i den tidiga varningen som vi lämnade " in text
    assert f"Förklaring: {WRONG_KOMMUN}" in text
    assert "Tidigare uppgivet: Östersund, högst " in text
    assert "Rätt: Berg, högst 11 500 aktiva anslutningar (Bredband)." in text
    assert SIGNIFICANT in text  # a real outage, only elsewhere: still a significant incident
    scope = {f["key"]: f["value"] for f in latest["fields"]}["scope"]
    assert "Berg: högst 11 500" in scope and "Östersund" not in scope
    for wrong in ("falsklarm", "SE-2361", "SE-2380"):
        assert wrong not in text, wrong
