"""The aiohttp app through its factory: webhook contract, read API, ops endpoints."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient
from builders import API_TOKEN, WEBHOOK_TOKEN, alert, alert_details, rfc3339, webhook, write_config
from fakes import FakeClock
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import bridge
from bridge.errors import BadInput, Conflict, LeaseLost, StoreOutcomeUnknown, StoreUnavailable
from bridge.metrics import Metrics
from bridge.store.outage import Refusals
from bridge.web.answers import error_middleware
from bridge.web.keys import METRICS, REFUSALS, SERVICE

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
API = {"Authorization": f"Bearer {API_TOKEN}"}

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


def db_counts(config_path: Path) -> tuple[int, int, int]:
    """(alerts, deliveries, incidents) rows in the SQLite file, read by a separate connection."""
    with sqlite3.connect(config_path.parent / "bridge.sqlite3") as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("alerts", "deliveries", "incidents")
        )


async def post(
    client: TestClient[Any, Any], body: Any, headers: dict[str, str] | None = None
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    data = io.BytesIO(raw)  # aiohttp warns on large raw bodies
    return await client.post(
        "/api/v1/alertmanager", data=data, headers=AUTH if headers is None else headers
    )


async def test_webhook_stores_alerts_and_answers_incident_ids(client, clock, config_path):
    """A valid webhook answers 200 with the accepted count and the incident ids, after the
    alerts are in the database."""
    t0 = clock.now() - timedelta(minutes=5)
    body = webhook(
        alert("fp1", t0, element="se-olt-ostersund-1"),
        alert("fp2", t0, element="se-olt-ostersund-2"),
    )
    resp = await post(client, body)
    assert resp.status == 200
    payload = await resp.json()
    assert payload["accepted"] == 2
    assert len(payload["incidents"]) == 1  # both OLTs under one site
    assert db_counts(config_path)[:2] == (2, 1)


async def test_duplicate_and_reordered_deliveries_are_harmless(client, clock):
    """Delivering the same group twice and a stale firing after its resolve leaves one
    resolved alert in one incident."""
    t0 = clock.now() - timedelta(minutes=20)
    firing = webhook(alert("fp1", t0, element="se-olt-ostersund-1"))
    resolved = webhook(
        alert(
            "fp1",
            t0,
            status="resolved",
            ends_at=t0 + timedelta(minutes=10),
            element="se-olt-ostersund-1",
        )
    )
    for body in (firing, resolved, firing, resolved, firing):
        assert (await post(client, body)).status == 200
    listing = await (await client.get("/api/v1/incidents?state=all", headers=API)).json()
    assert len(listing["incidents"]) == 1
    detail = await (
        await client.get(f"/api/v1/incidents/{listing['incidents'][0]['id']}", headers=API)
    ).json()
    details = await alert_details(client, detail["id"], API)
    assert [a["status"] for a in details] == ["resolved"]
    assert detail["impact"]["current"] == 0
    assert detail["impact"]["peak"] == 6000  # the largest service's count, never a sum


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        ({"version": "3", "alerts": []}, "version"),
        ({"version": "4"}, "alerts"),
        ({"version": "4", "alerts": [{"status": "firing"}]}, "alerts[0].fingerprint"),
        (
            {
                "version": "4",
                "alerts": [{"status": "firing", "fingerprint": "x", "startsAt": "yesterday"}],
            },
            "alerts[0].startsAt",
        ),
        (
            {
                "version": "4",
                "alerts": [
                    {
                        "status": "firing",
                        "fingerprint": "x",
                        "startsAt": "2026-11-23T10:00:00Z",
                        "labels": {"a": 1},
                    }
                ],
            },
            "alerts[0].labels.a",
        ),
        ({"version": "4", "alerts": [], "truncatedAlerts": -1}, "truncatedAlerts"),
        ([1, 2], "(body)"),
    ],
)
async def test_bad_input_is_400_naming_the_field_and_stores_nothing(
    client, config_path, body, field
):
    """Malformed bodies get 400 whose detail names the bad field; nothing is written."""
    before = db_counts(config_path)
    resp = await post(client, body)
    assert resp.status == 400
    payload = await resp.json()
    assert payload["error"] == "bad request"
    assert payload["detail"].startswith(field)
    assert db_counts(config_path) == before


async def test_a_bad_alert_rejects_the_whole_delivery(client, clock, config_path):
    """One invalid alert among valid ones rejects the delivery without storing any of it."""
    good = alert("fp-good", clock.now(), element="se-olt-ostersund-1")
    bad = {**alert("fp-bad", clock.now()), "status": "pending"}
    resp = await post(client, webhook(good, bad))
    assert resp.status == 400
    assert "alerts[1].status" in (await resp.json())["detail"]
    assert db_counts(config_path) == (0, 0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Basic " + base64.b64encode(b"am:wrong").decode()},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Token {WEBHOOK_TOKEN}"},
    ],
)
async def test_webhook_without_valid_credentials_is_401(client, config_path, headers):
    """Missing or wrong credentials get 401 with a WWW-Authenticate header and store nothing."""
    resp = await post(client, webhook(), headers=headers)
    assert resp.status == 401
    assert "WWW-Authenticate" in resp.headers
    assert db_counts(config_path) == (0, 0, 0)


async def test_webhook_accepts_basic_auth(client, clock):
    """Basic auth with a configured username and password is accepted."""
    headers = {"Authorization": "Basic " + base64.b64encode(b"am:basic-secret-for-am").decode()}
    resp = await post(client, webhook(alert("fp", clock.now())), headers=headers)
    assert resp.status == 200


async def test_body_over_the_limit_is_413(client, clock, config_path):
    """A body larger than server.max_body_bytes gets 413 and stores nothing."""
    big = webhook(*[alert(f"fp{i}", clock.now(), filler="x" * 2000) for i in range(600)])
    resp = await post(client, big)
    assert resp.status == 413
    assert "limit" in (await resp.json())["detail"]
    assert db_counts(config_path) == (0, 0, 0)


async def test_store_locked_by_another_process_gives_503_and_recovers(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock
):
    """While another connection holds the SQLite write lock the webhook answers 503 (so
    Alertmanager retries) and stores nothing; once released, the retried delivery is stored."""
    db = tmp_path / "bridge.sqlite3"
    path = write_config(tmp_path, store=f"sqlite:///{db}?busy_timeout_ms=200")
    client = await client_for(path)
    body = webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1"))
    blocker = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        resp = await post(client, body)
        assert resp.status == 503
        assert (await resp.json())["error"] == "store unavailable"
        ready = await client.get("/readyz")
        assert ready.status == 503
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert db_counts(path) == (0, 0, 0)
    resp = await post(client, body)
    assert resp.status == 200
    assert db_counts(path)[:2] == (1, 1)
    metrics = await (await client.get("/metrics")).text()
    assert 'bridge_webhook_requests_total{code="503"} 1.0' in metrics
    assert 'bridge_store_errors_total{op="ingest"} 1.0' in metrics


async def test_truncated_alerts_are_recorded_and_shown(client, clock):
    """truncatedAlerts is counted in metrics and shown as a warning on the incident."""
    resp = await post(
        client, webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1"), truncated=7)
    )
    inc_id = (await resp.json())["incidents"][0]
    detail = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert detail["truncated_alerts"] == 7
    assert any("dropped 7" in w for w in detail["warnings"])
    metrics = await (await client.get("/metrics")).text()
    assert "bridge_alerts_truncated_total 7.0" in metrics


async def test_unmapped_alert_is_kept_and_shown(client, clock):
    """An alert naming an element the inventory lacks is kept, listed as unmapped with the
    reason, and counted in metrics."""
    resp = await post(client, webhook(alert("fp-x", clock.now(), element="no-such-olt")))
    assert resp.status == 200
    inc_id = (await resp.json())["incidents"][0]
    detail = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert "no-such-olt" in detail["unmapped_alerts"]["fp-x"]
    assert (await alert_details(client, inc_id, API))[0]["unmapped"]
    metrics = await (await client.get("/metrics")).text()
    assert "bridge_alerts_unmapped 1.0" in metrics


async def test_stale_alert_marked_after_silence(client, clock):
    """A firing alert not heard of for evaluation.stale_after is marked stale on the next tick."""
    resp = await post(client, webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1")))
    inc_id = (await resp.json())["incidents"][0]
    clock.advance(timedelta(hours=2, seconds=1))
    await client.app[SERVICE].tick()
    detail = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert detail["stale_alerts"] == ["fp1"]
    assert (await alert_details(client, inc_id, API))[0]["stale"] is True
    assert any("stale" in w for w in detail["warnings"])


async def test_read_api_requires_a_viewer_token(client):
    """The read API answers 401 without a token and 403 for a token without the outage
    viewer role."""
    assert (await client.get("/api/v1/incidents")).status == 401
    wrong = {"Authorization": "Bearer privacy-viewer-token"}
    resp = await client.get("/api/v1/incidents", headers=wrong)
    assert resp.status == 403
    assert (await resp.json())["error"] == "forbidden"


async def test_incident_detail_has_the_design_fields(client, clock):
    """The incident document carries every field docs/design.md lists."""
    t0 = clock.now() - timedelta(hours=3)
    resp = await post(client, webhook(alert("fp1", t0, element="se-olt-ostersund-1")))
    inc_id = (await resp.json())["incidents"][0]
    doc = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    for name in (
        "id",
        "state",
        "started_at",
        "ended_at",
        "alerts",
        "jurisdictions",
        "impact",
        "assessments",
        "obligations",
    ):
        assert name in doc, name
    for name in ("current", "peak", "by_service", "by_region"):
        assert name in doc["impact"], name
    assert doc["impact"]["by_service"] == {"internet": 6000, "tv": 2500, "telephony": 1500}
    assert doc["impact"]["by_region"] == {"SE-2380": 6000}  # largest per-service count
    pts = next(a for a in doc["assessments"] if a["regulator"] == "pts")
    for name in ("regulator", "reportable", "since", "criteria"):
        assert name in pts
    assert {"id", "met", "reason"} <= set(pts["criteria"][0])
    assert doc["started_at"] == "2026-11-23T07:00:00Z"


async def test_unknown_incident_is_404_and_bad_state_is_400(client):
    """Unknown ids are 404 and an unknown state filter is 400, both as JSON errors."""
    resp = await client.get("/api/v1/incidents/inc-nope", headers=API)
    assert resp.status == 404
    assert (await resp.json())["error"] == "not found"
    resp = await client.get("/api/v1/incidents?state=sideways", headers=API)
    assert resp.status == 400
    assert "state" in (await resp.json())["detail"]


async def test_ops_endpoints(client):
    """healthz and readyz answer 200 when the store is reachable; metrics are exported."""
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    text = await (await client.get("/metrics")).text()
    for name in (
        "bridge_webhook_requests_total",
        "bridge_alerts_received_total",
        "bridge_incidents_open",
        "bridge_evaluation_duration_seconds",
        "bridge_store_errors_total",
    ):
        assert name in text, name


async def test_openapi_documents_exactly_the_routes(client):
    """Every route of the app is in the OpenAPI document and the document names no other."""
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in client.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert routes == documented


#: the only routes that answer without the store: the document itself, liveness, metrics
#: (kept in memory) and the console's static files
NO_STORE = {
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/static"),
}


async def test_openapi_says_503_wherever_the_store_is_read(client):
    """Every other operation reads the store (a session, a stored token, the data itself), so a
    store outage answers 503: the document says so for each (it left out 48 of them)."""
    doc = await (await client.get("/api/v1/openapi.json")).json()
    silent = sorted(
        (m, p)
        for p, ops in doc["paths"].items()
        for m, op in ops.items()
        if "503" not in op["responses"] and (m, p) not in NO_STORE
    )
    assert not silent


async def test_openapi_is_the_checked_yaml_served_unchanged(client):
    """The document is bridge/web/api/openapi.yaml (it parses), served as JSON unchanged but
    for the version, which is the package's."""
    source = resources.files("bridge.web.api").joinpath("openapi.yaml").read_text("utf-8")
    written = yaml.safe_load(source)
    assert written["openapi"].startswith("3.") and written["paths"]
    served = await (await client.get("/api/v1/openapi.json")).json()
    assert served["info"]["version"] == bridge.__version__
    assert served == {**written, "info": {**written["info"], "version": bridge.__version__}}


@pytest.mark.parametrize(
    ("exc", "status", "error", "detail", "logged"),
    [
        (BadInput("state", "expected open"), 400, "bad request", "state: expected open", None),
        (Conflict("draft d", "changed"), 409, "conflict", "draft d: changed", None),
        (
            StoreUnavailable("put", "locked"),
            503,
            "store unavailable",
            "the store is unavailable; nothing was stored; retry",
            "requests refused (503), store unavailable: store put failed: locked"
            " (first: GET /boom;",
        ),
        (
            StoreOutcomeUnknown("put", "TimeoutError: Timeout reading"),
            503,
            "store unavailable",
            "the store did not answer in time; outcome unknown: it may have been stored; "
            "check before repeating",
            "requests refused (503), store unavailable: store put failed: TimeoutError",
        ),
        (
            LeaseLost("put", "expired"),
            500,
            "internal error",
            "see the bridge's log",
            "unhandled error on GET /boom",
        ),
        (
            RuntimeError("bug"),
            500,
            "internal error",
            "see the bridge's log",
            "unhandled error on GET /boom",
        ),
    ],
)
async def test_errors_answer_by_their_data(
    aiohttp_client, caplog, exc, status, error, detail, logged
):
    """The error middleware answers a BridgeError by its data (retryable → 503, else its
    status; 500 logged like any unexpected error, under the error id its answer names)."""
    assert StoreUnavailable.retryable and not Conflict.retryable
    assert (BadInput.status, Conflict.status, LeaseLost.status) == (400, 409, 500)

    async def boom(request):
        raise exc

    app = web.Application(middlewares=[error_middleware])
    app[REFUSALS] = Refusals("requests", "the store answers requests again", FakeClock().now)
    app[METRICS] = metrics = Metrics(CollectorRegistry())
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.WARNING, logger="bridge.web"):
        r = await client.get("/boom")
    assert r.status == status
    body = await r.json()
    if status == 500:  # the detail names the error id of the log record
        found = re.fullmatch(re.escape(detail) + r" \(error id ([0-9a-f]{12})\)", body["detail"])
        assert found is not None, body
        body["detail"] = detail
        logged = f"{logged} (error id {found[1]})"
    assert body == {"error": error, "detail": detail}
    if isinstance(exc, StoreUnavailable):  # a store's refusal is counted by its operation
        assert metrics.store_errors.labels(op=exc.op)._value.get() == 1
    named = ("bridge.web", "bridge.store")
    messages = [rec.getMessage() for rec in caplog.records if rec.name in named]
    if logged is None:
        assert messages == []
    else:
        assert len(messages) == 1 and messages[0].startswith(logged)


async def test_a_redelivery_clears_stale(client, clock):
    """A stale alert that Alertmanager delivers again is no longer shown as stale."""
    body = webhook(alert("fp1", clock.now(), element="se-olt-ostersund-1"))
    inc_id = (await (await post(client, body)).json())["incidents"][0]
    clock.advance(timedelta(hours=2, seconds=1))
    await client.app[SERVICE].tick()
    detail = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert detail["stale_alerts"] == ["fp1"]
    assert (await post(client, body)).status == 200
    detail = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert detail["stale_alerts"] == []
    assert (await alert_details(client, inc_id, API))[0]["stale"] is False


async def test_reportable_incident_lists_its_obligations_and_they_turn_overdue(client, clock):
    """Once reportable to PTS, the incident owes pts_initial (capped three days after the start
    while unremedied) and pts_supplementary (waiting for the initial report); the due time is
    exported, and the obligation turns overdue on the tick after it passes."""
    start = clock.now() - timedelta(hours=3)
    body = webhook(
        alert("a", start, element="se-olt-ostersund-1"),
        alert("b", start, element="se-olt-ostersund-2"),
    )
    inc_id = (await (await post(client, body)).json())["incidents"][0]
    doc = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    owed = {o["kind"]: o for o in doc["obligations"] if o["regulator"] == "pts"}
    assert set(owed) == {"pts_initial", "pts_supplementary"}
    initial = owed["pts_initial"]
    # started 07:00 UTC Mon 23 Nov 2026 = 08:00 Stockholm: cap is the end of Thu 26 Nov local
    assert initial["due_at"] == "2026-11-26T22:59:59.999999Z"
    # drafted: the notices desk opened its draft as soon as the incident became reportable
    assert initial["state"] == "drafted" and initial["waiting_for"] == "remedied"
    assert owed["pts_supplementary"]["due_at"] is None
    metrics = await (await client.get("/metrics")).text()
    # the incident began after PTS's outage duty was repealed (2026-01-15): the rule set is the
    # operator's internal threshold, its deadline no legal one (no ObligationOverdue page)
    assert initial["binding"] is False and initial["explanation"].startswith("internal threshold")
    assert (
        f'bridge_obligation_due_timestamp_seconds{{binding="false",incident="{inc_id}",'
        'kind="pts_initial",regulator="pts",state="drafted"}' in metrics
    )
    assert 'bridge_obligations{state="drafted"} 1.0' in metrics
    assert 'bridge_obligations{state="open"} 1.0' in metrics  # the supplementary, waiting
    clock.set(datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    await client.app[SERVICE].tick()
    doc = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    initial = next(o for o in doc["obligations"] if o["kind"] == "pts_initial")
    assert initial["state"] == "overdue"


async def test_a_closed_incident_still_owing_reports_keeps_their_due_times_in_metrics(
    client, clock
):
    """An incident that closes with reports unsent keeps their due times on /metrics (what
    ObligationDueSoon/Overdue and the deadlines table read), though it is no longer open: a
    critical alert in Norway fires (Nkom varsel owed), then resolves two hours ago, so the
    incident is closed with the varsel overdue and nkom_normalised (owed from the close)
    unsent. Its id shows on those series only, not on the open incidents' gauges."""
    start = clock.now() - timedelta(hours=3)
    firing = alert("no1", start, element="no-olt-oslo-1", severity="critical")
    inc_id = (await (await post(client, webhook(firing))).json())["incidents"][0]
    ended = clock.now() - timedelta(hours=2)
    resolved = alert(
        "no1", start, status="resolved", ends_at=ended, element="no-olt-oslo-1", severity="critical"
    )
    assert (await post(client, webhook(resolved))).status == 200
    await client.app[SERVICE].tick()
    doc = await (await client.get(f"/api/v1/incidents/{inc_id}", headers=API)).json()
    assert doc["state"] == "closed"
    owed = {o["kind"]: o for o in doc["obligations"] if o["due_at"] is not None}
    assert {"nkom_varsel", "nkom_normalised"} <= set(owed)
    assert owed["nkom_varsel"]["state"] == "overdue"
    metrics = await (await client.get("/metrics")).text()
    assert "bridge_incidents_open 0.0" in metrics
    samples = [s for f in text_string_to_metric_families(metrics) for s in f.samples]
    due = {
        s.labels["kind"]: (s.labels, s.value)
        for s in samples
        if s.name == "bridge_obligation_due_timestamp_seconds"
    }
    for kind in ("nkom_varsel", "nkom_normalised"):
        at = datetime.fromisoformat(owed[kind]["due_at"].replace("Z", "+00:00")).timestamp()
        labels = {"incident": inc_id, "regulator": "nkom", "kind": kind, "binding": "true"}
        assert due[kind] == ({**labels, "state": owed[kind]["state"]}, at)
    with_id = {s.name for s in samples if s.labels.get("incident") == inc_id}
    assert with_id == {"bridge_obligation_due_timestamp_seconds"}


async def test_reportability_series_say_whether_a_regulator_is_owed_a_report(
    client_for, clock, tmp_path
):
    """bridge_incident_reportable carries binding: "true" for Nkom (its varsel is owed),
    "false" for PTS's repealed outage rules on an incident since 2026-01-15 (an internal
    threshold) and for ENISA's reference matrix (it opens no obligations), so that
    IncidentReportable pages only for a duty to report."""
    enisa = {"enisa": {"enabled": True, "rule_set": "enisa-matrix"}}
    client = await client_for(write_config(tmp_path, extra={"regulators": enisa}))
    start = clock.now() - timedelta(hours=3)
    body = webhook(
        alert("se1", start, element="se-olt-ostersund-1"),
        alert("se2", start, element="se-olt-ostersund-2"),
        alert("no1", start, element="no-olt-oslo-1", severity="critical"),
    )
    assert (await post(client, body)).status == 200
    metrics = await (await client.get("/metrics")).text()
    verdicts = {
        (s.labels["regulator"], s.labels["binding"], s.value)
        for f in text_string_to_metric_families(metrics)
        for s in f.samples
        if s.name == "bridge_incident_reportable"
    }
    assert {("nkom", "true", 1.0), ("pts", "false", 1.0)} <= verdicts
    binding = {(regulator, flag) for regulator, flag, _ in verdicts}
    assert binding == {("nkom", "true"), ("pts", "false"), ("enisa", "false")}


SMALL_LIMITS = {
    "alerts_per_webhook": 3,
    "labels_per_alert": 4,
    "label_name_length": 20,
    "label_value_length": 30,
    "annotation_value_length": 40,
    "fingerprint_length": 16,
    "timestamps_past": "30d",
    "timestamps_future": "1h",
}


def _limited(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    one = alert("fp-1", clock.now() - timedelta(minutes=1), element="se-olt-ostersund-1")
    return {**one, **changes}


@pytest.mark.parametrize(
    ("make", "status", "field", "limit"),
    [
        (
            lambda c: webhook(*[_limited(c, fingerprint=f"fp-{i}") for i in range(4)]),
            413,
            "alerts",
            "alerts_per_webhook",
        ),
        (
            lambda c: webhook(_limited(c, labels={f"l{i}": "v" for i in range(5)})),
            413,
            "alerts[0].labels",
            "labels_per_alert",
        ),
        (
            lambda c: webhook(_limited(c, annotations={f"a{i}": "v" for i in range(5)})),
            413,
            "alerts[0].annotations",
            "labels_per_alert",
        ),
        (
            lambda c: webhook(_limited(c, labels={"n" * 21: "v"})),
            413,
            "alerts[0].labels.nnnn",
            "label_name_length",
        ),
        (
            lambda c: webhook(_limited(c, labels={"element": "x" * 31})),
            413,
            "alerts[0].labels.element",
            "label_value_length",
        ),
        (
            lambda c: webhook(_limited(c, annotations={"summary": "x" * 41})),
            413,
            "alerts[0].annotations.summary",
            "annotation_value_length",
        ),
        (
            lambda c: webhook(_limited(c, generatorURL="http://x/" + "g" * 40)),
            413,
            "alerts[0].generatorURL",
            "annotation_value_length",
        ),
        (
            lambda c: webhook(_limited(c, fingerprint="f" * 17)),
            413,
            "alerts[0].fingerprint",
            "fingerprint_length",
        ),
        (
            lambda c: webhook(_limited(c, startsAt=rfc3339(c.now() - timedelta(days=31)))),
            400,
            "alerts[0].startsAt",
            "timestamps_past",
        ),
        (
            lambda c: webhook(_limited(c, startsAt=rfc3339(c.now() + timedelta(hours=2)))),
            400,
            "alerts[0].startsAt",
            "timestamps_future",
        ),
        (
            lambda c: webhook(
                _limited(c, status="resolved", endsAt=rfc3339(c.now() + timedelta(hours=2)))
            ),
            400,
            "alerts[0].endsAt",
            "timestamps_future",
        ),
    ],
)
async def test_a_webhook_over_a_limit_is_refused_naming_the_limit_and_stores_nothing(
    client_for: ClientFactory,
    tmp_path: Path,
    clock: FakeClock,
    make: Callable[[FakeClock], Any],
    status: int,
    field: str,
    limit: str,
) -> None:
    """Each server.limits limit answers 413 (counts, lengths) or 400 (timestamps) naming the
    field and the limit; nothing is stored and the answer is counted."""
    config = write_config(
        tmp_path, extra={"server": {"listen": "127.0.0.1:0", "limits": SMALL_LIMITS}}
    )
    client = await client_for(config)
    resp = await post(client, make(clock))
    assert resp.status == status, await resp.text()
    detail = (await resp.json())["detail"]
    assert detail.startswith(field) and f"server.limits.{limit}" in detail, detail
    assert db_counts(config) == (0, 0, 0)
    metrics = await (await client.get("/metrics")).text()
    assert f'bridge_webhook_requests_total{{code="{status}"}} 1.0' in metrics


async def test_the_alert_count_is_checked_before_any_alert_is_parsed(
    client_for: ClientFactory, tmp_path: Path
) -> None:
    """Too many alerts is a 413 even when every alert is garbage: none of them was parsed."""
    config = write_config(
        tmp_path, extra={"server": {"listen": "127.0.0.1:0", "limits": SMALL_LIMITS}}
    )
    client = await client_for(config)
    resp = await post(client, {"version": "4", "alerts": [1, 2, 3, 4]})
    assert resp.status == 413
    assert (await resp.json())["detail"].startswith("alerts: 4 alerts, more than 3")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"startsAt": "9999-12-31T23:59:59-23:59"}, "alerts[0].startsAt"),
        ({"startsAt": "0001-01-01T00:00:01+23:59"}, "alerts[0].startsAt"),
        ({"status": {"a": 1}}, "alerts[0].status"),
        ({"status": ["firing"]}, "alerts[0].status"),
        ({"fingerprint": {"x": 1}}, "alerts[0].fingerprint"),
        ({"labels": ["a"]}, "alerts[0].labels"),
    ],
)
async def test_malformed_alerts_are_400_never_500(
    client: TestClient[Any, Any], clock: FakeClock, config_path: Path, change: Any, field: str
) -> None:
    """Values that once raised inside the parser (an overflowing timestamp, a status that is an
    object) are a 400 naming the field, and nothing is stored."""
    body = webhook(_limited(clock))
    body["alerts"][0].update(change)
    resp = await post(client, body)
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["detail"].startswith(field)
    assert db_counts(config_path) == (0, 0, 0)


async def test_a_group_status_that_is_an_object_is_400(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """The delivery's own status as an object is a 400 naming ``status``."""
    body = {**webhook(_limited(clock)), "status": {"x": 1}}
    resp = await post(client, body)
    assert resp.status == 400 and (await resp.json())["detail"].startswith("status:")


@pytest.mark.parametrize(
    ("field", "depth", "named"),
    [
        ("unknown", 5000, "body:"),  # beyond orjson's 1024 levels: bad JSON
        ("version", 1020, "version:"),  # decoded, but too deep to show in the answer
        ("truncatedAlerts", 1020, "truncatedAlerts:"),
    ],
)
async def test_deeply_nested_values_are_400_never_500(
    client: TestClient[Any, Any],
    clock: FakeClock,
    config_path: Path,
    field: str,
    depth: int,
    named: str,
) -> None:
    """Nesting deeper than the decoders recurse (once a RecursionError out of the msgspec lane,
    or out of ``repr`` for the answer) is a 400 naming ``body`` or the field; nothing stored."""
    body = {**webhook(_limited(clock)), field: "DEEP"}
    raw = json.dumps(body).encode().replace(b'"DEEP"', b"[" * depth + b"]" * depth)
    resp = await post(client, raw)
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["detail"].startswith(named)
    assert db_counts(config_path) == (0, 0, 0)


async def test_alert_chosen_services_and_regions_never_become_metric_labels(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    """Services and regions an alert describes itself but the inventory does not declare are
    shown as ``other`` (summed), so an alert sender cannot add series to /metrics."""
    t0 = clock.now() - timedelta(minutes=1)
    alerts = [
        alert(
            f"fp-{i}",
            t0,
            service=f"svc-{i}",
            region=f"region-{i}",
            affected_connections="10",
            cluster="c1",
        )
        for i in range(20)
    ]
    known = alert(
        "fp-known", t0, service="internet", region="SE-2380", affected_connections="7", cluster="c1"
    )
    resp = await post(client, webhook(*alerts, known))
    assert resp.status == 200, await resp.text()
    text = await (await client.get("/metrics")).text()
    series = [
        line
        for line in text.splitlines()
        if line.startswith("bridge_incident_affected_connections{")
    ]
    assert not any("svc-" in line or "region-" in line for line in series), series
    assert any(
        'region="other",service="other"' in line and line.endswith(" 200.0") for line in series
    ), series
    assert any('region="SE-2380",service="internet"' in line for line in series), series


async def test_a_body_with_far_too_many_alerts_is_refused_before_it_is_decoded(
    client_for: ClientFactory, tmp_path: Path, clock: FakeClock
) -> None:
    """More than four fingerprints per allowed alert is a 413 even when the JSON would not
    decode (it was never decoded); a few extra fingerprint labels still pass to the exact
    count."""
    config = write_config(
        tmp_path, extra={"server": {"listen": "127.0.0.1:0", "limits": SMALL_LIMITS}}
    )
    client = await client_for(config)
    raw = json.dumps(webhook(*[_limited(clock, fingerprint=f"fp-{i}") for i in range(13)]))
    resp = await post(client, raw[:-5].encode())  # cut short: not JSON any more
    assert resp.status == 413, await resp.text()
    assert "server.limits.alerts_per_webhook" in (await resp.json())["detail"]
    labelled = [
        _limited(clock, fingerprint=f"fp-{i}", labels={"fingerprint": "fingerprint"})
        for i in range(3)
    ]
    assert (await post(client, webhook(*labelled))).status == 200
    assert db_counts(config)[0] == 3
