"""How a subscriber notice reached the subscribers: the bridge hands the notice to the
operator's own address (``privacy.subscriber_notice_recipient``) and a privacy editor records
how it went out (channels, when, how many reached, how many not and what was done), as a
portal submission is recorded: a signed-in person with a fresh second factor, audited, kept in
the case and the register. Until then the case and the queue say it was handed over, not yet
recorded as reached (PTS, seed 001: "rimliga steg för att se till att informationen verkligen
når fram")."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import bearer_for as as_
from builders import rfc3339
from fakes import FakeClock
from http_answers import ok
from persons import person
from smtp_server import SmtpServer
from test_privacy_flow import SUBSCRIBERS, approve, audit, config_path, deliver, report_breach

from bridge.web.keys import SERVICE

__all__ = ["config_path"]  # the fixture, for this module's client
pytestmark = pytest.mark.manual_outbox

PENDING = f"handed to {SUBSCRIBERS} for distribution, not yet recorded as reached"


async def _case(client: TestClient[Any, Any], case_id: str) -> dict[str, Any]:
    return dict(
        await ok(await client.get(f"/api/v1/privacy/cases/{case_id}", headers=as_("p-viewer")))
    )


async def handed_over(client: TestClient[Any, Any], clock: FakeClock) -> tuple[str, Any]:
    """A Swedish breach whose subscriber notice was approved and e-mailed to the operator's
    distribution address; the case id and the sent draft."""
    case = await report_breach(client, clock)
    drafts = {d["kind"]: d for d in (await _case(client, case["id"]))["drafts"]}
    notice = drafts["subscriber_notice"]
    edited = await ok(
        await client.patch(
            f"/api/v1/drafts/{notice['id']}",
            json={"version": notice["version"], "fields": {"what_you_can_do": "Byt lösenord."}},
            headers=as_("p-editor"),
        )
    )
    await ok(await approve(client, edited, "p-approver"))
    clock.advance(timedelta(minutes=2))
    [told] = await deliver(client)
    assert told.state == "sent" and told.kind == "subscriber_notice"
    return case["id"], told


async def editor(client: TestClient[Any, Any]) -> dict[str, str]:
    app = client.server.app
    assert app is not None
    return await person(client, app[SERVICE].clock.now, "erik", ["editor:privacy"])


def body(clock: FakeClock, **over: Any) -> dict[str, Any]:
    return {
        "kind": "subscriber_notice",
        "channels": ["sms", "letter"],
        "went_out_at": rfc3339(clock.now()),
        "reached": 1180,
        "unreached": 20,
        "unreached_action": "Brev till folkbokföringsadressen.",
        **over,
    }


async def test_a_handed_over_notice_is_pending_until_its_distribution_is_recorded(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """After the hand-over the case says where the notice went and that its reach is not yet
    recorded, and the queue holds an item to record it; the copy to PTS is owed at once (it is
    of the text, not of the reach). A recorded distribution is on the case (a revision),
    audited with the second factor, in the register, and the queue item goes."""
    case_id, told = await handed_over(client, clock)
    case = await _case(client, case_id)
    [pending] = case["distribution"]
    assert pending["kind"] == "subscriber_notice" and pending["draft"] == told.id
    assert pending["handed_to"] == SUBSCRIBERS
    assert pending["state"] == "not_recorded" and pending["words"] == PENDING
    assert pending["record"] is None
    owed = {o["kind"]: o for o in case["obligations"]}
    assert owed["privacy_subscriber_copy"]["due_at"] is not None  # does not wait
    queue = await ok(await client.get("/api/v1/queue", headers=as_("p-viewer")))
    [item] = [i for i in queue["items"] if i["kind"] == "subscriber_distribution"]
    assert item["case"] == case_id and item["state"] == "not_recorded"
    assert item["report"] == "PTS – registrera hur underrättelsen nådde abonnenterna"
    assert item["report_en"] == "record how the subscriber notice reached the subscribers"
    assert "not yet recorded as reached" in item["waiting_for"] and not item["overdue"]
    rows = list(
        csv.reader(
            io.StringIO(
                (
                    await (
                        await client.get("/api/v1/privacy/register.csv", headers=as_("p-viewer"))
                    ).read()
                ).decode("utf-8-sig")
            )
        )
    )
    assert PENDING in rows[1][rows[0].index("subscriber_distribution")]

    headers = await editor(client)
    r = await client.post(
        f"/api/v1/privacy/cases/{case_id}/distribution",
        json={"revision": case["revision"], **body(clock)},
        headers=headers,
    )
    after = await ok(r)
    assert after["revision"] == case["revision"] + 1
    [done] = after["distribution"]
    assert done["state"] == "recorded"
    record = done["record"]
    assert record["channels"] == ["sms", "letter"] and record["reached"] == 1180
    assert record["unreached"] == 20 and record["by"] == "erik"
    assert record["unreached_action"] == "Brev till folkbokföringsadressen."
    assert record["draft"] == told.id and record["handed_to"] == SUBSCRIBERS
    assert after["case"]["history"][-1]["action"] == "distribution recorded"
    [entry] = [e for e in await audit(client) if e["action"] == "privacy.distribution_recorded"]
    assert entry["actor"] == "erik" and entry["target"] == f"privacy:{case_id}"
    assert entry["detail"]["reached"] == 1180 and entry["detail"]["unreached"] == 20
    assert entry["detail"]["channels"] == ["sms", "letter"]
    assert "second_factor_at" in entry["detail"]
    assert "folkbokföringsadressen" not in repr(entry)  # free text stays in the case
    queue = await ok(await client.get("/api/v1/queue", headers=as_("p-viewer")))
    assert not [i for i in queue["items"] if i["kind"] == "subscriber_distribution"]
    rows = list(
        csv.reader(
            io.StringIO(
                (
                    await (
                        await client.get("/api/v1/privacy/register.csv", headers=as_("p-viewer"))
                    ).read()
                ).decode("utf-8-sig")
            )
        )
    )
    cell = rows[1][rows[0].index("subscriber_distribution")]
    assert "sms, letter" in cell and "reached 1180" in cell and "not reached 20" in cell
    assert "Brev till folkbokföringsadressen." in cell and "erik" in cell


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"channels": []}, "channels"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"channels": "sms"}, "channels"),
        ({"went_out_at": None}, "went_out_at"),
        ({"went_out_at": "2026-11-23T10:00:00"}, "went_out_at"),
        ({"reached": -1}, "reached"),
        ({"reached": "many"}, "reached"),
        ({"reached": True}, "reached"),
        ({"unreached": None}, "unreached"),
        ({"unreached_action": ""}, "unreached_action"),
        ({"unreached_action": "ring\x07"}, "unreached_action"),
        ({"kind": "privacy_initial"}, "kind"),
        ({"colour": "blue"}, "colour"),
        ({"reached": 0, "unreached": 0, "unreached_action": ""}, "reached"),
    ],
)
async def test_a_distribution_is_validated_strictly_naming_the_field(
    client: TestClient[Any, Any],
    smtp: SmtpServer,
    clock: FakeClock,
    over: dict[str, Any],
    field: str,
) -> None:
    """A bad value is a 400 naming the field; nothing is recorded."""
    case_id, _ = await handed_over(client, clock)
    case = await _case(client, case_id)
    r = await client.post(
        f"/api/v1/privacy/cases/{case_id}/distribution",
        json={"revision": case["revision"], **body(clock, **over)},
        headers=await editor(client),
    )
    assert r.status == 400, await r.text()
    assert (await r.json())["detail"].startswith(f"{field}: "), await r.text()
    assert (await _case(client, case_id))["revision"] == case["revision"]


async def test_when_it_went_out_lies_between_the_hand_over_and_now(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """Not before the notice was handed over (to the minute), not in the future."""
    case_id, told = await handed_over(client, clock)
    case = await _case(client, case_id)
    headers = await editor(client)
    for at in (told.sent_at - timedelta(minutes=5), clock.now() + timedelta(hours=1)):
        r = await client.post(
            f"/api/v1/privacy/cases/{case_id}/distribution",
            json={"revision": case["revision"], **body(clock, went_out_at=rfc3339(at))},
            headers=headers,
        )
        assert r.status == 400, await r.text()
        assert (await r.json())["detail"].startswith("went_out_at: "), await r.text()


async def test_only_a_handed_over_notice_and_only_privacy_people_with_a_factor_record(
    client: TestClient[Any, Any], smtp: SmtpServer, clock: FakeClock
) -> None:
    """A notice not yet handed over is a 409; an API token (no person, no factor) and an
    outage-only person are refused, the refusal audited; a viewer may not record; a stale
    revision is a 409."""
    case = await report_breach(client, clock)
    url = f"/api/v1/privacy/cases/{case['id']}/distribution"
    r = await client.post(url, json={"revision": 1, **body(clock)}, headers=await editor(client))
    assert r.status == 409, await r.text()
    case_id, _ = await handed_over(client, clock)
    url = f"/api/v1/privacy/cases/{case_id}/distribution"
    revision = (await _case(client, case_id))["revision"]
    r = await client.post(url, json={"revision": revision, **body(clock)}, headers=as_("p-editor"))
    assert r.status in (401, 403), await r.text()
    app = client.server.app
    assert app is not None
    otto = await person(client, app[SERVICE].clock.now, "otto", ["approver"])
    r = await client.post(url, json={"revision": revision, **body(clock)}, headers=otto)
    assert r.status == 403
    refused = [e for e in await audit(client) if e["action"] == "privacy.refused"]
    assert any(e["actor"] == "otto" and e["target"] == f"privacy:{case_id}" for e in refused)
    vera = await person(client, app[SERVICE].clock.now, "vera", ["viewer:privacy"])
    r = await client.post(url, json={"revision": revision, **body(clock)}, headers=vera)
    assert r.status == 403
    headers = await editor(client)
    r = await client.post(url, json={"revision": revision - 1, **body(clock)}, headers=headers)
    assert r.status == 409
