"""``GET /api/v1/audit`` searched and ``GET /api/v1/audit/export`` (bridge/web/api/audit.py): the
filters, the 400s naming the parameter, the track rule (privacy entries never reach an outage
auditor, another track's target or incident is 403) and the export (streamed, audited, CSV safe
against formulas)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from builders import bearer_for as as_
from builders import two_track_config

from bridge.store.records import AuditEntry
from bridge.web.api import audit as audit_api
from bridge.web.keys import SERVICE

T = datetime(2026, 3, 1, tzinfo=UTC)
ROLES = {
    "auditor": ["viewer", "auditor"],
    "p-auditor": ["auditor:privacy"],
    "all-auditor": ["auditor:all"],
    "viewer": ["viewer", "viewer:privacy"],
}
#: (days after T, actor, action, target)
HISTORY = [
    (0, "ada", "draft.edited", "draft:inc-20260301-aaaa.nkom_varsel"),
    (1, "ada", "draft.approved", "draft:inc-20260301-aaaa.nkom_varsel"),
    (2, "bo", "incident.note", "incident:inc-20260301-aaaa"),
    (3, "ada", "privacy.read", "privacy:priv-20260301-bbbb"),
    (4, "bo", "draft.approved", "draft:priv-20260301-bbbb.pts_privacy"),
    (31, "ada", "login.success", "user:ada"),
    (32, "ada", "draft.approved", "draft:inc-20260401-cccc.pts_initial"),
    (33, "=cmd|' /C calc'!A0", "-2+3", "@SUM(1)"),  # formula-looking cells
]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return two_track_config(tmp_path, ROLES, console={"time_zone": "Europe/Oslo"})


@pytest.fixture
async def logged(client: TestClient[Any, Any]) -> TestClient[Any, Any]:
    store = client.server.app[SERVICE].store
    await store.append_audit(
        [
            AuditEntry(T + timedelta(days=d, hours=9), actor, action, target, {"d": d})
            for d, actor, action, target in HISTORY
        ]
    )
    return client


async def entries(client: TestClient[Any, Any], who: str, **params: str) -> list[Any]:
    """Every entry the search gives, following ``next``."""
    found: list[Any] = []
    for _ in range(100):
        r = await client.get("/api/v1/audit", params=params, headers=as_(who))
        assert r.status == 200, await r.text()
        body = await r.json()
        found += body["entries"]
        if "next" not in body:
            return found
        params = {**params, "cursor": body["next"]}
    raise AssertionError("no last page")


#: the start's own entry (bridge/config/trace.py): not one of the entries the tests wrote
STARTED = "config.loaded"


def days(found: list[Any]) -> list[int]:
    return [e["detail"]["d"] for e in found if e["action"] != STARTED]


async def test_filters_find_what_a_compliance_officer_asks(logged: TestClient[Any, Any]):
    everything = await entries(logged, "all-auditor")
    assert days(everything) == [33, 32, 31, 4, 3, 2, 1, 0]
    march = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
    assert days(await entries(logged, "all-auditor", actor="ada", **march)) == [3, 1, 0]
    assert days(await entries(logged, "all-auditor", action="draft.")) == [32, 4, 1, 0]
    assert days(await entries(logged, "all-auditor", action="draft.approved")) == [32, 4, 1]
    assert days(await entries(logged, "all-auditor", action="draft")) == []
    assert days(await entries(logged, "all-auditor", incident="inc-20260301-aaaa")) == [2, 1, 0]
    approvals = await entries(
        logged, "all-auditor", incident="inc-20260301-aaaa", action="draft.approved"
    )
    assert days(approvals) == [1]
    assert days(await entries(logged, "all-auditor", incident="priv-20260301-bbbb")) == [4, 3]
    # an offset is taken (in the URL a + is %2B); from included, to excluded
    cet = {"from": "2026-03-02T10:00:00+01:00", "to": "2026-03-04T10:00:00+01:00"}
    assert days(await entries(logged, "all-auditor", **cet)) == [2, 1]


async def test_an_incident_number_finds_its_entries(logged: TestClient[Any, Any]):
    store = logged.server.app[SERVICE].store
    record = await store.open_casebook("inc-20260301-aaaa", T)
    for given in (str(record.number), f"#{record.number}"):
        assert days(await entries(logged, "auditor", incident=given)) == [2, 1, 0]


async def test_an_outage_auditor_never_sees_a_privacy_entry(logged: TestClient[Any, Any]):
    """Whatever the filter, and page by page with any limit: the privacy entries (the case and
    its draft) stay with the privacy auditors; the privacy auditor sees only them."""
    for params in ({}, {"action": "privacy."}, {"actor": "bo"}, {"action": "draft.approved"}):
        for limit in ("1", "100"):
            seen = await entries(logged, "auditor", limit=limit, **params)
            assert not [e for e in seen if "priv-" in e["target"]], params
    assert days(await entries(logged, "auditor")) == [33, 32, 31, 2, 1, 0]
    assert days(await entries(logged, "p-auditor")) == [4, 3]


async def test_short_pages_with_next_when_the_scan_bound_is_reached(
    logged: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
):
    """With a bound of 2 entries looked at per request, a search whose matches lie apart
    answers short pages (even empty ones) with ``next``, and finds every match."""
    monkeypatch.setattr(audit_api, "SCAN", 2)
    r = await logged.get("/api/v1/audit?action=draft.edited", headers=as_("all-auditor"))
    body = await r.json()
    assert body["entries"] == [] and "next" in body
    assert days(await entries(logged, "all-auditor", action="draft.edited")) == [0]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("from=yesterday", "from"),
        ("from=2026-03-01T00:00:00", "from"),  # no offset
        ("to=0026-03-01T00:00:00Z", "to"),  # before 2000: a typo
        ("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("actor=" + "a" * 201, "actor"),
        ("action=draft%00", "action"),
        ("incident=inc-1.nkom_varsel", "incident"),
        ("incident=%23999", "incident"),  # no such number
        ("before=x", "before"),
        ("limit=0", "limit"),
    ],
)
async def test_a_bad_filter_is_a_400_naming_it(logged: TestClient[Any, Any], query, named):
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        if path.endswith("export") and named in ("before", "limit"):
            continue
        r = await logged.get(f"{path}?{query}", headers=as_("all-auditor"))
        assert r.status == 400, (path, await r.text())
        assert (await r.json())["detail"].startswith(f"{named}:"), path


async def test_an_export_refuses_a_format_or_paging_it_does_not_take(
    logged: TestClient[Any, Any],
):
    for query, named in (("format=xml", "format"), ("limit=5", "limit"), ("cursor=x", "cursor")):
        r = await logged.get(f"/api/v1/audit/export?{query}", headers=as_("all-auditor"))
        assert r.status == 400 and (await r.json())["detail"].startswith(f"{named}:")
    store = logged.server.app[SERVICE].store
    assert not [e for e in await store.audit_log(1000) if e.action == "audit.exported"]


async def test_another_tracks_target_or_incident_is_403_and_audited(
    logged: TestClient[Any, Any],
):
    store = logged.server.app[SERVICE].store
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        for query in ("incident=priv-20260301-bbbb", "target=privacy:priv-20260301-bbbb"):
            r = await logged.get(f"{path}?{query}", headers=as_("auditor"))
            assert r.status == 403, await r.text()
        r = await logged.get(f"{path}?incident=inc-20260301-aaaa", headers=as_("p-auditor"))
        assert r.status == 403
        r = await logged.get(path, headers=as_("viewer"))
        assert r.status == 403
    refused = [e for e in await store.audit_log(1000) if e.action == "privacy.refused"]
    assert len(refused) == 4 and {e.actor for e in refused} == {"token:auditor"}
    assert not [e for e in await store.audit_log(1000) if e.action == "audit.exported"]


async def test_the_csv_export_is_audited_safe_and_in_both_zones(logged: TestClient[Any, Any]):
    store = logged.server.app[SERVICE].store
    r = await logged.get(
        "/api/v1/audit/export",
        params={"from": "2026-03-01T00:00:00Z", "to": "2026-05-01T00:00:00Z", "actor": "ada"},
        headers=as_("auditor"),
    )
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    text = (await r.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == [
        "seq", "at (UTC)", "at (Europe/Oslo)", "actor", "action", "target", "detail", "also"
    ]  # fmt: skip
    assert [json.loads(row[6])["d"] for row in rows[1:]] == [32, 31, 1, 0]  # no privacy entry
    assert rows[-1][1:3] == ["2026-03-01T09:00:00Z", "2026-03-01T10:00:00+01:00"]
    exported = [e for e in await store.audit_log(1000) if e.action == "audit.exported"]
    assert [(e.actor, e.target) for e in exported] == [("token:auditor", "audit:export")]
    assert exported[0].detail == {
        "format": "csv",
        "from": "2026-03-01T00:00:00Z",
        "to": "2026-05-01T00:00:00Z",
        "actor": "ada",
    }
    r = await logged.get("/api/v1/audit/export?from=2026-04-03T00:00:00Z", headers=as_("auditor"))
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8")[1:])))
    # newest first: this export's own entry (written before its first byte), the first one's
    # (both at the clock's time, 2026-11-23), then the entry whose cells would run as
    # formulas, each prefixed with '
    rows = [row for row in rows if row[4] != STARTED]  # the start's own entry, not the test's
    assert [row[4] for row in rows[1:]] == ["audit.exported", "audit.exported", "'-2+3"]
    assert rows[3][3:6] == ["'=cmd|' /C calc'!A0", "'-2+3", "'@SUM(1)"]


async def test_the_jsonl_export_gives_the_entries_as_the_list_does(logged: TestClient[Any, Any]):
    r = await logged.get(
        "/api/v1/audit/export?format=jsonl&to=2026-04-01T00:00:00Z", headers=as_("all-auditor")
    )
    lines = (await r.read()).decode("utf-8").splitlines()
    listed = await entries(logged, "all-auditor", to="2026-04-01T00:00:00Z")
    assert [json.loads(line) for line in lines] == listed and len(lines) == 5
    store = logged.server.app[SERVICE].store
    exported = [e for e in await store.audit_log(1000) if e.action == "audit.exported"]
    assert sorted(e.target for e in exported) == ["audit:export", "privacy:audit-export"]


async def test_an_export_streams_page_by_page(
    logged: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
):
    """An export asks the store for a page at a time (here 2 entries, 3 looked at), never the
    whole log: every entry still comes, once, newest first."""
    monkeypatch.setattr(audit_api, "EXPORT_PAGE", 2)
    monkeypatch.setattr(audit_api, "SCAN", 3)
    store = logged.server.app[SERVICE].store
    calls: list[int | None] = []
    search = store.search_audit

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[2])
        return await search(*args, **kwargs)

    monkeypatch.setattr(store, "search_audit", counted)
    r = await logged.get("/api/v1/audit/export?format=jsonl", headers=as_("all-auditor"))
    seqs = [json.loads(line)["seq"] for line in (await r.read()).decode().splitlines()]
    # the history, the start's record of its configuration and the export's own two entries
    assert seqs == sorted(set(seqs), reverse=True) and len(seqs) == len(HISTORY) + 3
    assert len(calls) >= 5 and calls[0] is None
