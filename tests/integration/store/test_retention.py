"""RetentionStore (bridge.store.interfaces) on every store in ``STORES``: counts per kind,
incidents page by page with their drafts, deletes in batches that touch nothing else."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from builders import alert
from redis_server import shared_server
from store_kit import T0, delivery, redis_prefix

from bridge.core.privacy import alert_case_id
from bridge.core.retention import RECORD_KINDS, Periods
from bridge.retention.pruner import Pruner
from bridge.store.interfaces import Store
from bridge.store.records import (
    AuditEntry,
    DeliveryRecord,
    DraftRecord,
    IncidentRecord,
    PrivacyCaseRecord,
)

MIN = timedelta(minutes=1)


def incident(n: int, state: str = "closed") -> IncidentRecord:
    return IncidentRecord(
        id=f"inc-{n:03d}",
        key="topo:site",
        started_at=T0 + n * MIN,
        state=state,
        episodes=[(f"fp{n}", T0 + n * MIN)],
        merged_into=None,
        document={"id": f"inc-{n:03d}", "obligations": []},
    )


def draft(id_: str, incident_id: str, state: str = "sent", rev: int = 1) -> DraftRecord:
    return DraftRecord(id_, incident_id, state, rev, T0 + rev * MIN, {"id": id_, "rev": rev})


async def ingest(store: Store, *fingerprints: str, minute: int = 0) -> None:
    alerts = [alert(fp, T0, status="resolved", ends_at=T0 + MIN) for fp in fingerprints]
    await store.ingest(delivery(*alerts, at=T0 + minute * MIN), T0 + minute * MIN)


async def test_counts_every_kind_cheaply(store: Store):
    """count_records names every kind, zero on an empty store, and follows what is written."""
    assert await store.count_records() == dict.fromkeys(RECORD_KINDS, 0)
    await ingest(store, "a", "b")
    await ingest(store, "b", minute=1)
    await store.save_incidents([incident(1), incident(2, "open")])
    await store.put_draft(draft("d-1", "inc-001", "draft"), None, [])
    await store.put_draft(draft("d-2", "inc-001", "sent"), None, [])
    await store.put_draft(draft("d-3", "inc-002", "rejected"), None, [])
    await store.append_audit([AuditEntry(T0, "x", "y", "z")])
    await store.put_privacy_case(PrivacyCaseRecord("priv-1", "open", 1, T0, {}), None, [])
    assert await store.count_records() == {
        "alerts": 2,
        "deliveries": 2,
        "incidents": 2,
        "drafts": 2,
        "notices": 1,
        "audit": 1,
        "privacy_cases": 1,
    }


async def test_pages_visit_every_incident_once_with_its_drafts(store: Store):
    """Going through retention_page's cursors visits every incident, each with its drafts."""
    await store.save_incidents([incident(n) for n in range(1, 26)])
    await store.put_draft(draft("d-a", "inc-003"), None, [])
    await store.put_draft(draft("d-b", "inc-003", "rejected"), None, [])
    await store.put_draft(draft("d-c", "inc-020"), None, [])
    await store.put_draft(draft("d-p", "priv-1"), None, [])  # not an incident's: never listed
    seen: list[str] = []
    drafts: dict[str, list[str]] = {}
    cursor, pages = "", 0
    while True:
        records, page_drafts, cursor = await store.retention_page(cursor, 7)
        pages += 1
        seen += [r.id for r in records]
        ids = {r.id for r in records}
        for d in page_drafts:
            assert d.incident_id in ids, "a page's drafts are its incidents' drafts"
            drafts.setdefault(d.incident_id, []).append(d.id)
        if not cursor:
            break
        assert pages < 50
    assert sorted(set(seen)) == [f"inc-{n:03d}" for n in range(1, 26)]
    assert {k: sorted(v) for k, v in drafts.items()} == {
        "inc-003": ["d-a", "d-b"],
        "inc-020": ["d-c"],
    }
    assert await store.retention_page("", 5) != ([], [], "")


async def test_prune_episodes_removes_only_those_named(store: Store):
    """Named episodes go (a missing one counts 0); others and change numbers stay."""
    await ingest(store, "a", "b", "c")
    assert await store.count_episodes([("a", T0), ("c", T0), ("zz", T0)]) == 2
    assert await store.count_episodes([]) == 0
    went = await store.prune_episodes([("a", T0), ("c", T0), ("zz", T0)])
    assert went == 2
    assert [ep.fingerprint for ep in await store.load_episodes()] == ["b"]
    assert await store.prune_episodes([("a", T0)]) == 0
    assert await store.count_episodes([("a", T0), ("b", T0)]) == 1
    live, _ = await store.live_episodes(T0 - MIN)  # gone from what a restart loads too
    assert [ep.fingerprint for ep in live] == ["b"]
    await ingest(store, "d", minute=2)
    episodes, _ = await store.episodes_since(0)
    assert sorted(ep.fingerprint for ep in episodes) == ["b", "d"]
    assert (await store.count_records())["alerts"] == 2


async def test_resolved_before_pages_through_old_resolved_episodes(store: Store):
    """resolved_before gives, page by page, every resolved episode that ended and was first
    received at or before the instant, listed by an incident or not; firing ones, later ends
    and later receipts are left out."""
    await ingest(store, *(f"old{n}" for n in range(5)))  # ended T0+1m, received T0
    late = alert("late", T0, status="resolved", ends_at=T0 + MIN)
    await store.ingest(delivery(late, at=T0 + 60 * MIN), T0 + 60 * MIN)  # received later
    firing = alert("firing", T0)
    later = alert("later", T0, status="resolved", ends_at=T0 + 90 * MIN)
    await store.ingest(delivery(firing, later, at=T0), T0)
    found: list[str] = []
    cursor = ""
    pages = 0
    while True:
        page, cursor = await store.resolved_before(T0 + MIN, cursor, 2)
        found += [ep.fingerprint for ep in page]
        pages += 1
        assert pages < 10
        if not cursor:
            break
    assert sorted(found) == [f"old{n}" for n in range(5)]
    everything, _ = await store.resolved_before(T0 + 60 * MIN, "", 100)
    assert sorted(ep.fingerprint for ep in everything) == ["late", *(f"old{n}" for n in range(5))]
    assert await store.resolved_before(T0, "", 100) == ([], "")


async def test_a_pass_prunes_unlisted_alerts_but_keeps_a_privacy_alert(store: Store):
    """A pass removes a resolved alert no incident lists once the alerts' period has passed
    since it ended and was received; one that opened a privacy case, or carries the privacy
    label, stays; one an incident still lists stays with it."""
    await ingest(store, "orphan", "listed", "case")
    owing = IncidentRecord(
        "inc-o", "k", T0, "closed", [("listed", T0)], None,
        {"ended_at": T0.isoformat(), "obligations": [{"state": "overdue"}]},
    )  # fmt: skip
    await store.save_incidents([owing])
    doc = {"id": alert_case_id("case", T0)}
    await store.put_privacy_case(
        PrivacyCaseRecord(alert_case_id("case", T0), "open", 1, T0, doc), None, []
    )
    labelled = alert("labelled", T0, status="resolved", ends_at=T0 + MIN, kind="pii")
    await store.ingest(delivery(labelled, at=T0), T0)
    at = T0 + timedelta(days=401)
    pruner = Pruner(store, Periods(), 2, lambda: at, privacy_label={"kind": "pii"})
    early = await Pruner(store, Periods(), 2, lambda: T0 + timedelta(days=399)).run(dry_run=True)
    assert early.counts["alerts"] == 0
    assert (await pruner.run(dry_run=True)).counts["alerts"] == 1
    assert (await pruner.run(dry_run=False)).counts["alerts"] == 1
    assert sorted(ep.fingerprint for ep in await store.load_episodes()) == [
        "case", "labelled", "listed",
    ]  # fmt: skip


async def test_prune_deliveries_in_batches_oldest_first_keeping_the_newest(store: Store):
    """At most ``batch`` deliveries received before the cut-off go per call, oldest first; the
    newest delivery always stays, and change numbers keep growing after a prune."""
    for minute in range(10):
        await ingest(store, f"fp{minute}", minute=minute)
    _, cursor = await store.episodes_since(0)
    cut = T0 + 6 * MIN  # deliveries of minutes 0..5 are older
    assert await store.count_deliveries_before(cut) == 6
    assert await store.prune_deliveries(cut, 4) == 4
    assert await store.count_deliveries_before(cut) == 2
    assert await store.prune_deliveries(cut, 4) == 2
    assert await store.prune_deliveries(cut, 4) == 0
    left = await store.recent_deliveries(100)
    assert [d.received_at for d in left] == [T0 + m * MIN for m in range(9, 5, -1)]
    everything = T0 + 100 * MIN
    assert await store.count_deliveries_before(everything) == len(left) - 1
    while await store.prune_deliveries(everything, 2):
        pass
    assert [d.received_at for d in await store.recent_deliveries(100)] == [T0 + 9 * MIN]
    await ingest(store, "late", minute=11)
    changed, after = await store.episodes_since(cursor)
    assert [ep.fingerprint for ep in changed] == ["late"] and after > cursor


async def test_prune_truncation_in_batches_old_counts_and_old_zeros(store: Store):
    """Truncation counts last updated before the cut-off go, and zeros (cleared counts) before
    their own; a batch at a time, the cursor visiting every count; the rest stay."""
    for n in range(7):  # group gN truncated at minute N
        sent = delivery(alert(f"fp{n}", T0), truncated=n + 1, group=f"g{n}")
        await store.ingest(sent, T0 + n * MIN)
    for n in (1, 5):  # then cleared at minute 10 + N
        sent = delivery(alert(f"fp{n}", T0), truncated=0, group=f"g{n}")
        await store.ingest(sent, T0 + (10 + n) * MIN)
    assert await store.load_truncation() == {f"g{n}": 0 if n in (1, 5) else n + 1 for n in range(7)}

    async def prune(before: datetime | None, cleared_before: datetime) -> int:
        went, cursor, calls = 0, "", 0
        while True:
            n, cursor = await store.prune_truncation(before, cleared_before, cursor, 2)
            went, calls = went + n, calls + 1
            assert calls < 50
            if not cursor:
                return went

    assert await prune(None, T0) == 0
    assert await prune(T0 + 3 * MIN, T0 + 12 * MIN) == 3  # g0, g2 (old); g1 (an old zero)
    assert await store.load_truncation() == {"g3": 4, "g4": 5, "g5": 0, "g6": 7}
    assert await prune(None, T0 + 100 * MIN) == 1  # g5: zeros go whatever the cut-off
    assert await prune(T0 + 100 * MIN, T0) == 3
    assert await store.load_truncation() == {}


async def test_a_pruning_pass_prunes_truncation_counts_with_the_deliveries(store: Store):
    """A real pass lets Alertmanager's truncation counts go with the deliveries: a group last
    heard of before the deliveries' cut-off, and a count cleared over a day ago."""
    await store.ingest(delivery(alert("a", T0), truncated=3, group="old"), T0)
    await store.ingest(delivery(alert("b", T0), truncated=2, group="cleared"), T0)
    soon = T0 + timedelta(days=300)
    await store.ingest(delivery(alert("b", soon), at=soon, truncated=0, group="cleared"), soon)
    recent = T0 + timedelta(days=399)
    await store.ingest(delivery(alert("c", recent), at=recent, truncated=5, group="new"), recent)
    pruner = Pruner(store, Periods(), 2, lambda: T0 + timedelta(days=401))
    await pruner.run(dry_run=True)
    assert await store.load_truncation() == {"old": 3, "cleared": 0, "new": 5}
    await pruner.run(dry_run=False)
    assert await store.load_truncation() == {"new": 5}


async def test_prune_drafts_only_at_the_revision_read(store: Store):
    """A draft goes only while at the revision given; it leaves the indexes too."""
    await store.put_draft(draft("d-1", "inc-001", "rejected"), None, [])
    await store.put_draft(draft("d-2", "inc-001", "sent"), None, [])
    await store.put_draft(draft("d-2", "inc-001", "sent", rev=2), 1, [])
    assert await store.prune_drafts([("d-1", 1), ("d-2", 1), ("d-9", 1)]) == 1
    assert await store.get_draft("d-1") is None
    assert [d.id for d in await store.list_drafts("inc-001")] == ["d-2"]
    assert await store.list_drafts(states=["rejected"]) == []
    assert await store.prune_drafts([("d-2", 2)]) == 1
    assert await store.list_drafts() == []
    counts = await store.count_records()
    assert (counts["drafts"], counts["notices"]) == (0, 0)
    await store.put_draft(draft("d-1", "inc-001", "draft"), None, [])  # the id is free again


async def test_prune_incidents_removes_the_records_named(store: Store):
    """Named incident records go; others stay."""
    settled = [replace(incident(n), settled_at=T0 + n * MIN) for n in (1, 2)]
    await store.save_incidents([*settled, incident(3, "open")])
    assert await store.prune_incidents(["inc-001", "inc-009"]) == 1
    assert await store.get_incident("inc-001") is None
    assert sorted(r.id for r in await store.load_incidents()) == ["inc-002", "inc-003"]
    # gone from the indexes too: pages of history and what a restart loads
    page = await store.incident_page("all", None, 10)
    assert sorted(r.id for r in page) == ["inc-002", "inc-003"]
    assert sorted(r.id for r in await store.live_incidents(T0)) == ["inc-002", "inc-003"]


async def test_pruning_leaves_the_audit_and_the_register(store: Store):
    """Every prune leaves the audit log and the privacy register as they were."""
    await store.put_privacy_case(
        PrivacyCaseRecord("priv-1", "closed", 1, T0, {"id": "priv-1"}), None, []
    )
    await store.append_audit([AuditEntry(T0, "x", "draft.approved", "draft:d-1")])
    await ingest(store, "a")
    await ingest(store, "b", minute=1)
    await store.save_incidents([incident(1)])
    await store.put_draft(draft("d-1", "inc-001"), None, [])
    await store.prune_episodes([("a", T0), ("b", T0)])
    await store.prune_deliveries(T0 + 100 * MIN, 100)
    await store.prune_drafts([("d-1", 1)])
    await store.prune_incidents(["inc-001"])
    counts = await store.count_records()
    assert (counts["audit"], counts["privacy_cases"]) == (1, 1)
    assert [e.action for e in await store.audit_log()] == ["draft.approved"]
    assert len(await store.privacy_case_revisions("priv-1")) == 1


async def test_a_pruning_pass_on_this_store(store: Store):
    """A real pass (bridge/retention/pruner.py) on this store: the settled incident's records go
    in batches, one still owing stays whole, a merged-away record goes once its target is
    gone; a pass told to stop stops and says so; each real pass is audited."""
    years = T0 + timedelta(days=3000)
    settled = IncidentRecord(
        "inc-a", "k", T0, "closed", [(f"fp{n}", T0) for n in range(5)], None,
        {"ended_at": T0.isoformat(), "obligations": [{"state": "sent"}]},
    )  # fmt: skip
    owing = IncidentRecord(
        "inc-b", "k", T0, "closed", [("fpb", T0)], None,
        {"ended_at": T0.isoformat(), "obligations": [{"state": "overdue"}]},
    )  # fmt: skip
    stub = IncidentRecord("inc-0", "k", T0, "closed", [("fp0", T0)], "inc-a", {})
    await ingest(store, *(f"fp{n}" for n in range(5)), "fpb")
    await store.save_incidents([settled, owing, stub])
    await store.put_draft(draft("d-a", "inc-a", "sent"), None, [])
    await store.put_draft(draft("d-b", "inc-b", "draft"), None, [])
    pruner = Pruner(store, Periods(), 2, lambda: years)

    stopped = await pruner.run(dry_run=False, keep_going=lambda: False)
    assert not stopped.complete and sum(stopped.counts.values()) == 0
    first = await pruner.run(dry_run=False)
    # the merged-away record goes in the pass that finds its target gone: this one when its
    # page comes after its target's (pages follow the store's order), else the next
    stub_went = first.counts["incidents"] - 1
    assert first.counts == {
        "alerts": 5, "deliveries": 0, "incidents": 1 + stub_went, "drafts": 0, "notices": 1,
    }  # fmt: skip
    assert sorted(r.id for r in await store.load_incidents()) == ["inc-0", "inc-b"][stub_went:]
    assert [ep.fingerprint for ep in await store.load_episodes()] == ["fpb"]
    assert [d.id for d in await store.list_drafts()] == ["d-b"]
    second = await pruner.run(dry_run=False)
    assert second.counts["incidents"] == 1 - stub_went
    assert [r.id for r in await store.load_incidents()] == ["inc-b"]
    audit = await store.audit_log()  # a pass run by a person (the CLI) is audited always
    assert [e.action for e in audit] == ["retention.pruned"] * 3
    assert audit[-1].detail["complete"] is False


async def test_re_sends_are_forgotten_once_none_of_their_episodes_is_left(
    make: Callable[[], Awaitable[Store]], request: pytest.FixtureRequest, tmp_path: Path
):
    """What a re-send keeps per write (SQLite table ``resent``; Redis ``alerts:resent`` and
    its index) goes once no episode carries the write's number any more: when a later write
    took its episodes over (SQLite: at the next pruning pass; Redis: at once) or they were
    pruned; until then it stays, and the episodes still show the last_seen it left."""
    kind = request.node.callspec.params["make"]

    def kept() -> int:
        if kind == "sqlite":
            with sqlite3.connect(tmp_path / "contract.sqlite3") as conn:
                return int(conn.execute("SELECT count(*) FROM resent").fetchone()[0])
        raw = redis.Redis(host="127.0.0.1", port=shared_server().port, decode_responses=True)
        prefix = redis_prefix(tmp_path)
        counts = {raw.hlen(f"{prefix}alerts:resent"), raw.zcard(f"{prefix}alerts:resent:changes")}
        raw.close()
        assert len(counts) == 1
        return counts.pop()

    store = await make()
    await store.open()
    try:
        later = T0 + timedelta(minutes=5)
        groups = {"x": [alert("x1", T0), alert("x2", T0)], "y": [alert("y1", T0)]}
        for name, alerts in groups.items():
            d = delivery(*alerts, group=name)
            _, change = await store.ingest_numbered(d, T0)
            assert await store.seen_again(change, len(alerts), DeliveryRecord.of(d, later))
        assert kept() == 2
        # x1 taken over by a later write: x2 still carries x's write, which stays
        await store.ingest(delivery(alert("x1", T0), group="z"), later)
        assert kept() == 2
        assert {ep.fingerprint: ep.last_seen for ep in await store.load_episodes()} == {
            "x1": later,
            "x2": later,
            "y1": later,
        }
        await store.ingest(delivery(alert("x2", T0), group="z"), later)
        await store.prune_deliveries(T0 - timedelta(days=1), 10)  # a pass with nothing to prune
        assert kept() == 1  # x's write has no episode left
        await store.prune_episodes([("y1", T0)])
        assert kept() == 0
    finally:
        await store.close()
