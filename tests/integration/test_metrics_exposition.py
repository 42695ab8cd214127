"""``/metrics`` is written off the event loop from a snapshot (bridge/web/api/health.py); what
a scraper gets stays what prometheus_client's own handler gave for the same state: the same
series with the same values, byte for byte, in the text format and in OpenMetrics."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from builders import WEBHOOK_TOKEN, alert, webhook, write_config
from fakes import FakeClock
from prometheus_client import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.parser import text_string_to_metric_families

from bridge.metrics import Metrics
from bridge.web.keys import METRICS, SERVICE

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}", "Content-Type": "application/json"}
OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
#: the families a scrape reads from the engine's state (the rest are counters and histograms)
STATE = (
    "bridge_incident",
    "bridge_incidents_open",
    "bridge_obligation",
    "bridge_affected_connections",
    "bridge_alerts_stale",
    "bridge_alerts_unmapped",
)


async def _post(client: TestClient[Any, Any], body: Any) -> None:
    response = await client.post("/api/v1/alertmanager", data=json.dumps(body), headers=AUTH)
    assert response.status == 200, await response.text()


async def _a_varied_state(client: TestClient[Any, Any], clock: FakeClock) -> None:
    """Open incidents reportable and on their way to it (forecasts), binding and not (ENISA),
    one with alerts the inventory cannot place, and a closed one that still owes reports."""
    old = clock.now() - timedelta(hours=3)
    young = clock.now() - timedelta(minutes=10)
    await _post(
        client,
        webhook(
            alert("se1", young, element="se-olt-ostersund-1"),
            alert("se2", young, element="se-olt-ostersund-2"),
            alert("no1", old, element="no-olt-oslo-1", severity="critical"),
        ),
    )
    await _post(client, webhook(alert("x1", young, alertname="Odd", element="nowhere-1")))
    await _post(client, webhook(alert("no2", old, alertname="Gone", element="no-olt-oslo-1")))
    await _post(
        client,
        webhook(
            alert(
                "no2",
                old,
                alertname="Gone",
                status="resolved",
                ends_at=clock.now() - timedelta(hours=2),
                element="no-olt-oslo-1",
            )
        ),
    )
    await client.app[SERVICE].tick()


def _samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.startswith("bridge_event_loop_lag")  # its 100 ms timer goes on between
    }


async def test_a_scrape_answers_what_prometheus_clients_handler_answers(
    client_for, clock, tmp_path
):
    """For a given state the exposition is byte for byte prometheus_client's, in the text
    format and in OpenMetrics; and over HTTP the same series with the same values."""
    enisa = {"enisa": {"enabled": True, "rule_set": "enisa-matrix"}}
    client = await client_for(write_config(tmp_path, extra={"regulators": enisa}))
    await _a_varied_state(client, clock)
    metrics: Metrics = client.app[METRICS]
    registry = metrics.registry

    text_expected = generate_latest(registry)  # what make_aiohttp_handler answered
    text_body, text_type = metrics.snapshot().render("")
    om_expected = openmetrics_latest(registry)
    om_body, om_type = metrics.snapshot().render(OPENMETRICS)
    assert text_body == text_expected
    assert text_type == "text/plain; version=0.0.4; charset=utf-8"
    assert om_body == om_expected
    assert om_type.startswith("application/openmetrics-text; version=1.0.0")
    text = text_body.decode()
    assert 'bridge_incident_impact_unknown{incident="' in text and "} 1.0\n" in text
    assert 'binding="false"' in text
    assert "bridge_incident_seconds_to_reportable{" in text
    assert "bridge_obligation_due_timestamp_seconds{" in text

    response = await client.get("/metrics")
    assert response.headers["Content-Type"] == text_type
    assert _samples(await response.text()) == _samples(generate_latest(registry).decode())
    response = await client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["Content-Type"] == om_type
    assert (await response.text()).endswith("# EOF\n")


async def test_name_filters_keep_the_samples_named(client_for, clock, tmp_path):
    """``name[]`` parameters keep the samples of those names only: as prometheus_client's
    ``restricted_registry`` for the counters and histograms, and for the scrape-time gauges
    too (for which prometheus_client answered nothing: they declare no names up front)."""
    client = await client_for(write_config(tmp_path))
    await _a_varied_state(client, clock)
    metrics: Metrics = client.app[METRICS]
    counted = {"bridge_webhook_requests_total"}
    expected = generate_latest(metrics.registry.restricted_registry(counted))
    assert metrics.snapshot().render("", counted)[0] == expected
    gauges = {"bridge_incident_reportable", "bridge_incidents_open"}
    everything = _samples(generate_latest(metrics.registry).decode())
    body = metrics.snapshot().render("", gauges)[0].decode()
    assert _samples(body) == {s for s in everything if s[0] in gauges}
    response = await client.get(
        "/metrics", params=[("name[]", "bridge_incidents_open"), ("name[]", "bridge_leader")]
    )
    assert _samples(await response.text()) == {
        ("bridge_incidents_open", (), 3.0),
        ("bridge_leader", (("replica", client.app[SERVICE].replica_id),), 1.0),
    }


async def test_a_snapshot_renders_the_state_it_was_taken_in(client_for, clock, tmp_path):
    """The rendering thread reads nothing the event loop changes: incidents evaluated after the
    snapshot (new alerts, a resolve) do not show in it, even in incidents it had already
    rendered once (their lines are kept)."""
    client = await client_for(write_config(tmp_path))
    await _a_varied_state(client, clock)
    metrics: Metrics = client.app[METRICS]
    metrics.snapshot().render("")  # the incidents' lines are now kept
    scrape = metrics.snapshot()
    before = generate_latest(metrics.registry).decode()

    late = clock.now() - timedelta(minutes=1)
    await _post(client, webhook(alert("new1", late, alertname="Late", element="no-olt-oslo-1")))
    await _post(
        client,
        webhook(
            alert(
                "se1",
                clock.now() - timedelta(minutes=10),
                status="resolved",
                ends_at=late,
                element="se-olt-ostersund-1",
            )
        ),
    )
    await client.app[SERVICE].tick()
    after = generate_latest(metrics.registry).decode()
    assert _state(after) != _state(before)  # the state did change

    body, _ = scrape.render("")
    assert _state(body.decode()) == _state(before)


def _state(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(STATE)]
