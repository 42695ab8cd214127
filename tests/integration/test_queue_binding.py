"""What the board is told binds: every deadline-queue item says whether it is owed to a
regulator by law in force (``binding``) or not (a repealed law's internal threshold: PTS's
outage reports since 2026-01-15); every verdict of the incident list says the same; an incident
the se-cyber criteria mark potentially significant and nobody declared yet has a queue row of
its own, *decide: significant under the cybersecurity act?*, with what it would owe if
declared now and no deadline of its own (it is no overdue legal duty, and it is not folded
away under *owed later* either); once a person declares, the row goes and the act's reports
are queued, binding. An incident whose alerts the inventory cannot place has no known country:
its items say so (``attention``) instead of looking owed to every regulator silently."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, rfc3339, token_auth, webhook, write_config
from builders import bearer_for as as_
from fakes import FakeClock
from http_answers import ok
from persons import person

HOOK = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
DECIDE = "significance_decision"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        extra={
            "auth": token_auth({"viewer": ["viewer"]}, session={"cookie_secure": False}),
            "regulators": {
                "csirt": {"rule_set": "se-cyber"},
                "enisa": {"rule_set": "enisa-matrix"},
            },
            "notices": {"refresh_interval": "0s", "poll_interval": "1h"},
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "NOC", "phone": "+46 10 000 00 00", "email": "noc@example.net"},
            },
        },
    )


async def post(client: TestClient[Any, Any], *alerts: dict[str, Any]) -> str:
    r = await ok(await client.post("/api/v1/alertmanager", json=webhook(*alerts), headers=HOOK))
    (made,) = r["incidents"]
    return str(made)


async def queue(client: TestClient[Any, Any], query: str = "") -> list[dict[str, Any]]:
    body = await ok(await client.get(f"/api/v1/queue{query}", headers=as_("viewer")))
    return list(body["items"])


async def storm(client: TestClient[Any, Any], clock: FakeClock) -> dict[str, str]:
    """The hospital's cell in Östersund down 2 h (PTS's internal threshold met, se-cyber
    marks it potentially significant), Ullevål's cell down 2 h (Nkom: binding) and a router the
    inventory does not know, rated critical: {name: incident id}."""
    ago = clock.now() - timedelta(hours=2)
    return {
        "se": await post(client, alert("fp-se", ago, element="se-cell-ostersund-sjukhus")),
        "no": await post(client, alert("fp-no", ago, element="no-cell-ullevaal", incident="no")),
        "xx": await post(
            client,
            alert("fp-xx", ago, element="xx-rtr-9", severity="critical", incident="xx"),
        ),
    }


async def test_every_item_says_whether_it_binds_and_a_repealed_laws_report_does_not(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    ids = await storm(client, clock)
    items = await queue(client)
    pts = [i for i in items if i["case"] == ids["se"] and i["regulator"] == "pts"]
    assert pts and all(i["binding"] is False for i in pts)
    assert all("owed to no regulator" in i["binding_note"] for i in pts)
    assert all("2026-01-15" in i["binding_note"] for i in pts)
    nkom = [i for i in items if i["case"] == ids["no"] and i["regulator"] == "nkom"]
    assert nkom and all(i["binding"] is True and i["binding_note"] is None for i in nkom)
    assert all("binding" in i for i in items)


async def test_verdicts_of_the_list_say_whether_they_bind(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    ids = await storm(client, clock)
    listed = await ok(await client.get("/api/v1/incidents", headers=as_("viewer")))
    se = next(d for d in listed["incidents"] if d["id"] == ids["se"])
    by = {a["regulator"]: a for a in se["assessments"]}
    assert by["pts"]["reportable"] is True and by["pts"]["binding"] is False
    assert by["pts"]["repealed_on"] == "2026-01-15"
    assert by["enisa"]["binding"] is False and by["enisa"]["reference"] is True
    no = next(d for d in listed["incidents"] if d["id"] == ids["no"])
    nkom = next(a for a in no["assessments"] if a["regulator"] == "nkom")
    assert nkom["reportable"] is True and nkom["binding"] is True and nkom["reference"] is False


async def test_a_potentially_significant_incident_has_a_decision_row_until_declared(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    ids = await storm(client, clock)
    items = await queue(client)
    decides = {i["case"]: i for i in items if i["kind"] == DECIDE}
    # the Norwegian incident has none; the one of unknown country (rated critical: Sweden
    # cannot be ruled out) has one, saying its country is unknown
    assert set(decides) == {ids["se"], ids["xx"]}
    assert "country unknown" in decides[ids["xx"]]["attention"]
    decide = decides[ids["se"]]
    assert decide["attention"] is None
    assert decide["case"] == ids["se"] and decide["regulator"] == "csirt"
    # no deadline of its own: never overdue, never a legal duty's countdown
    assert decide["due_at"] is None and decide["overdue"] is False
    assert decide["seconds_left"] is None and decide["binding"] is False
    assert "cybersecurity act" in decide["report_en"]
    assert "nothing is owed" in decide["binding_note"]
    owed = {o["kind"]: o for o in decide["decision"]["if_declared_now"]}
    warning = owed["se_cyber_early_warning"]
    assert warning["due_at"] == rfc3339(clock.now() + timedelta(hours=24))
    assert warning["report"].startswith("MCF CSIRT")
    assert decide["decision"]["reasons"]  # the criteria that marked it
    # after the dated items, before those owed once something happens
    dated = [n for n, i in enumerate(items) if i["due_at"]]
    later = [n for n, i in enumerate(items) if not i["due_at"] and i["kind"] != DECIDE]
    at = items.index(decide)
    assert all(n < at for n in dated) and all(n > at for n in later)
    # the board's patch after a live change reads the same row
    assert [i for i in await queue(client, f"?cases={ids['se']}") if i["kind"] == DECIDE] == [
        decide
    ]

    approver = await person(client, clock.now, "anna", ["approver"])
    declared = await client.post(
        f"/api/v1/incidents/{ids['se']}/declaration", json={"significant": True}, headers=approver
    )
    assert declared.status == 200, await declared.text()
    after = await queue(client)
    assert [i["case"] for i in after if i["kind"] == DECIDE] == [ids["xx"]]
    warned = next(i for i in after if i["kind"] == "se_cyber_early_warning")
    assert warned["binding"] is True and warned["due_at"] == warning["due_at"]


async def test_an_incident_of_unknown_country_says_so_on_its_items(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    ids = await storm(client, clock)
    listed = await ok(await client.get("/api/v1/incidents", headers=as_("viewer")))
    xx = next(d for d in listed["incidents"] if d["id"] == ids["xx"])
    assert xx["jurisdictions"] == [] and xx["jurisdictions_known"] is False
    se = next(d for d in listed["incidents"] if d["id"] == ids["se"])
    assert se["jurisdictions_known"] is True
    items = [i for i in await queue(client) if i["case"] == ids["xx"]]
    assert items  # rated critical: Nkom's criterion met, and Norway cannot be ruled out
    for i in items:
        assert "country unknown" in i["attention"]
        assert "could not be placed" in i["attention"]
    assert all(i["attention"] is None for i in await queue(client, f"?cases={ids['no']}"))
