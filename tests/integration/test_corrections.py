"""Telling Nkom that a varsel already sent was wrong (docs/api.md "Overriding the impact",
docs/notices.md "Corrections"), through the app's factory with a real SMTP server: an OLT in
Oslo rated critical, its varsel ("Oslo: inntil 8 000 berørte kunder") approved and sent; then
an editor overrides the impact with a ``correction`` for Nkom:

- to 0 connections (a false alarm): the next update opens with a *Rettelse* saying the varsel
  was a false alarm, in the person's words, with no "ikke lenger berørt", no severity, no
  "Ikke kjent ennå"; the notice once it is over says false alarm, never a duration or the
  alert's cause;
- to the right kommune (Bærum): the update says what was stated and what is right, by name,
  never "Områder ikke lenger berørt: NO-0301" nor "Nye områder berørt".

Without a correction the update tells a change, naming the cleared region by name (not its
inventory key), and a stated 0 reads as none, never as "not yet known"."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from builders import REPO, alert, rfc3339
from fakes import FakeClock
from persons import person
from smtp_server import SmtpServer
from test_notices_flow import as_, config, deliver, draft, drafts, post_alerts

from bridge.web.keys import SERVICE

pytestmark = pytest.mark.manual_outbox  # the tests run the outbox themselves (deliver())
FALSE_ALARM = "Strømmålingen på OLT-en ga feil alarm; ingen kunder mistet tjenesten."
WRONG_KOMMUNE = "OLT-en betjener Bærum, ikke Oslo: feil i inventaret."


@pytest.fixture
def config_path(tmp_path: Path, smtp: SmtpServer) -> Path:
    """The notices' configuration, with the shipped inventory naming Bærum too."""
    inventory = yaml.safe_load((REPO / "config" / "inventory.yaml").read_text(encoding="utf-8"))
    inventory["regions"]["NO-3024"] = "Bærum"
    (tmp_path / "inventory.yaml").write_text(
        yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8"
    )
    path = config(tmp_path, smtp)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    cfg["inventory"]["path"] = str(tmp_path / "inventory.yaml")
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def olt_down(clock: FakeClock) -> dict[str, Any]:
    """The OLT in Oslo down, rated critical, begun 5 minutes ago."""
    return alert(
        "fp-olt-oslo",
        clock.now() - timedelta(minutes=5),
        alertname="OltDown",
        element="no-olt-oslo-1",
        severity="critical",
        annotations={"cause": "Strømbrudd"},
    )


async def send(client: TestClient[Any, Any], clock: FakeClock, draft_id: str) -> str:
    """Approve the draft's latest version (its empty fields sent as not yet known) and deliver
    it; the text as sent."""
    detail = await draft(client, draft_id)
    r = await client.post(
        f"/api/v1/drafts/{draft_id}/approve",
        json={"version": detail["version"], "send_unknown": detail["to_complete"]},
        headers=await person(client, clock.now),
    )
    assert r.status == 200, await r.text()
    [done] = await deliver(client)
    assert done.state == "sent"
    return str(detail["latest"]["text"])


async def varsel_sent(
    client: TestClient[Any, Any],
    clock: FakeClock,
    firing: dict[str, Any] | None = None,
    written: dict[str, str] | None = None,
) -> str:
    """The OLT's varsel (``firing``, default :func:`olt_down`; with the fields a person
    ``written``), sent: "Oslo: inntil 8 000"; the incident's id."""
    [incident_id] = (await post_alerts(client, firing or olt_down(clock)))["incidents"]
    [varsel] = await drafts(client)
    if written:
        r = await client.patch(
            f"/api/v1/drafts/{varsel['id']}",
            json={"version": 1, "fields": written},
            headers=as_("editor"),
        )
        assert r.status == 200, await r.text()
    text = await send(client, clock, varsel["id"])
    assert "Oslo: inntil 8 000 berørte kunder" in text and "Kritisk" in text
    clock.advance(timedelta(minutes=10))
    return str(incident_id)


async def override(
    client: TestClient[Any, Any], incident_id: str, region: str, connections: int, **more: str
) -> dict[str, Any]:
    body = {
        "impacts": [{"service": "internet", "region": region, "connections": connections}],
        "reason": "Field team checked the OLT",
        **more,
    }
    r = await client.put(
        f"/api/v1/incidents/{incident_id}/impact-override", json=body, headers=as_("editor")
    )
    assert r.status == 200, await r.text()
    return dict(await r.json())


async def latest(client: TestClient[Any, Any], kind: str) -> dict[str, Any]:
    found = [d for d in await drafts(client) if d["kind"] == kind]
    assert found, f"no {kind} drafted"
    return await draft(client, max(found, key=lambda d: d["round"])["id"])


def values(detail: dict[str, Any]) -> dict[str, str]:
    return {f["key"]: f["value"] for f in detail["latest"]["fields"]}


async def test_a_false_alarm_is_told_as_such_and_never_as_an_outage_that_ended(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Override to 0 with a correction: the update opens with Rettelse (false alarm, the
    person's words, what was stated), says none where it said 8 000, no severity and no
    "ikke lenger"; once over, the last notice says false alarm with no duration nor cause."""
    firing = olt_down(clock)
    incident_id = await varsel_sent(client, clock, firing)
    doc = await override(client, incident_id, "NO-0301", 0, correction=FALSE_ALARM)
    assert doc["impact_override"]["correction"] == FALSE_ALARM

    update = await latest(client, "nkom_update")
    text = update["latest"]["text"]
    assert update["latest"]["subject"].startswith("Rettelse (falsk alarm) – Oppdatert varsel")
    assert "RETTELSE\nVarselet vi sendte " in text and "var en falsk alarm" in text
    assert f"Forklaring: {FALSE_ALARM}" in text
    assert "Tidligere oppgitt: Oslo, inntil 8 000 berørte kunder (Bredbånd)." in text
    assert "Riktig: ingen berørte kunder." in text
    for wrong in ("ikke lenger", "→", "Kritisk", "Strømbrudd", "Ikke kjent ennå", "NO-0301"):
        assert wrong not in text, wrong
    fields = values(update)
    assert fields["scope_customers"] == "Ingen kunder er eller har vært berørt (falsk alarm)."
    assert "severity" not in update["to_complete"]
    assert update["to_complete"] == []  # nothing left as "not yet known"
    await send(client, clock, update["id"])

    clock.advance(timedelta(minutes=5))
    resolved = {**firing, "status": "resolved", "endsAt": rfc3339(clock.now())}
    await post_alerts(client, resolved)
    clock.advance(timedelta(minutes=31))  # the quiet period passes: normalised
    app = client.server.app
    assert app is not None
    await app[SERVICE].tick()
    last = await latest(client, "nkom_normalised")
    text = last["latest"]["text"]
    assert last["latest"]["subject"].startswith("Falsk alarm – avsluttet")
    assert "Det vi har varslet om, var en falsk alarm" in text
    assert "Ikke aktuelt: det har ikke vært noe utfall (falsk alarm)." in text
    for wrong in ("er normalisert", "Samlet varighet", "Strømbrudd", "Høyeste antall"):
        assert wrong not in text, wrong
    assert FALSE_ALARM in values(last)["cause"]


async def test_a_wrong_kommune_is_corrected_not_told_as_one_recovered_and_one_gone_down(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Override to Bærum with a correction: the update says what was stated (Oslo) and what
    is right (Bærum), by name, and no area "no longer affected" nor "newly affected"; what a
    person wrote in the varsel is carried, to review before approval."""
    written = {"scope_life_health": "Legevakten i Oslo sentrum er berørt."}
    incident_id = await varsel_sent(client, clock, written=written)
    await override(client, incident_id, "NO-3024", 8000, correction=WRONG_KOMMUNE)
    update = await latest(client, "nkom_update")
    text = update["latest"]["text"]
    assert update["latest"]["subject"].startswith("Rettelse – Oppdatert varsel")
    assert "Opplysningene om omfang i varselet vi sendte " in text
    assert f"Forklaring: {WRONG_KOMMUNE}" in text
    assert "Tidligere oppgitt: Oslo, inntil 8 000 berørte kunder (Bredbånd)." in text
    assert "Riktig: Bærum, inntil 8 000 berørte kunder (Bredbånd)." in text
    assert "Bærum: inntil 8 000 berørte kunder" in values(update)["scope_geography"]
    for wrong in ("ikke lenger berørt", "Nye områder", "NO-0301", "NO-3024", "falsk alarm"):
        assert wrong not in text, wrong
    assert "Kritisk" in text  # the alert still fires, rated critical: a real outage
    assert update["to_review"] == ["scope_life_health"]  # written before the correction


async def test_without_a_correction_a_cleared_region_is_named_not_keyed(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Override to Bærum without a correction: a change as the bridge sees it, each region by
    its inventory name (the cleared one is no longer in the impact)."""
    incident_id = await varsel_sent(client, clock)
    await override(client, incident_id, "NO-3024", 8000)
    text = (await latest(client, "nkom_update"))["latest"]["text"]
    assert "Nye områder berørt: Bærum" in text
    assert "Områder ikke lenger berørt: Oslo" in text
    assert "NO-0301" not in text and "RETTELSE" not in text


async def test_a_stated_zero_is_none_not_unknown(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Override to 0 without a correction: services, areas and customers say none; the
    approver is not asked to send them as not yet known."""
    incident_id = await varsel_sent(client, clock)
    await override(client, incident_id, "NO-0301", 0)
    update = await latest(client, "nkom_update")
    fields = values(update)
    assert fields["services"] == "Ingen ekomtjenester er rammet."
    assert fields["scope_geography"] == "Ingen områder er berørt."
    assert fields["scope_customers"] == "Ingen kunder er eller har vært berørt."
    assert {"services", "scope_geography", "scope_customers"}.isdisjoint(update["to_complete"])
    text = update["latest"]["text"]
    assert "Berørte kunder: 8 000 → 0" in text and "Områder ikke lenger berørt: Oslo" in text


@pytest.mark.parametrize("correction", [42, "x" * 1001, "a\x00b"])
async def test_a_bad_correction_is_a_400_naming_it_and_writes_nothing(
    client: TestClient[Any, Any], clock: FakeClock, correction: object
) -> None:
    """A correction that is no text, too long, or holds a control character is refused."""
    [incident_id] = (await post_alerts(client, olt_down(clock)))["incidents"]
    body = {
        "impacts": [{"service": "internet", "region": "NO-0301", "connections": 0}],
        "reason": "checked",
        "correction": correction,
    }
    path = f"/api/v1/incidents/{incident_id}/impact-override"
    r = await client.put(path, json=body, headers=as_("editor"))
    assert r.status == 400 and "correction" in (await r.json())["detail"]
    doc = await (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_("viewer"))).json()
    assert doc["impact_override"] is None


async def test_a_correction_is_audited_and_on_the_timeline(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The audit entry carries the correction; the timeline's override entry quotes it."""
    incident_id = await varsel_sent(client, clock)
    await override(client, incident_id, "NO-0301", 0, correction=FALSE_ALARM)
    log = await (
        await client.get(f"/api/v1/audit?target=incident:{incident_id}", headers=as_("auditor"))
    ).json()
    [entry] = [e for e in log["entries"] if e["action"] == "incident.impact_overridden"]
    assert entry["detail"]["correction"] == FALSE_ALARM
    events = await (
        await client.get(f"/api/v1/incidents/{incident_id}/timeline", headers=as_("viewer"))
    ).json()
    [said] = [e for e in events["events"] if e["kind"] == "impact_override"]
    assert f"correction for the regulator: {FALSE_ALARM}" in said["summary"]
