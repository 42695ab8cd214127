"""`bridge prune` as an operator runs it (a subprocess) on a SQLite store seeded through the
store API: ``--dry-run`` reports per kind and changes nothing; without it the settled, old
records go, an incident still owing a report keeps everything, a late resolved alert no
incident lists goes once the alerts' period has passed since it was received (a privacy alert
stays), and the audit says what went."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from builders import alert, webhook, write_config
from test_cli import bridge

from bridge.core.alerts import parse_webhook
from bridge.store.records import AuditEntry, DraftRecord, IncidentRecord
from bridge.store.sqlite import SqliteStore

#: Long before any default period ends, measured from the real clock the CLI reads.
OLD = datetime(2019, 3, 4, 10, 0, tzinfo=UTC)
RECENT = datetime.now(UTC) - timedelta(days=2)
MIDDLE = datetime.now(UTC) - timedelta(days=600)  # past the alerts' 400 days, not 5 years
HOUR = timedelta(hours=1)


def incident(
    id_: str, fps: list[str], at: datetime, obligations: list[str], state: str = "closed"
) -> IncidentRecord:
    return IncidentRecord(
        id=id_,
        key="k",
        started_at=at,
        state=state,
        episodes=[(fp, at) for fp in fps],
        merged_into=None,
        document={
            "id": id_,
            "ended_at": (at + HOUR).isoformat(),
            "obligations": [{"kind": "pts_initial", "state": s} for s in obligations],
        },
    )


async def seed(path: Path) -> None:
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        # p1: a privacy alert (privacy.alert_label), listed by no incident, before every
        # incident; late1: a resolved alert that had ended long before it arrived (history):
        # stored, listed by no incident either
        earliest = OLD - 30 * 24 * HOUR
        privacy = alert("p1", earliest, status="resolved", ends_at=earliest + HOUR, kind="pii")
        late = alert("late1", earliest - 20 * 24 * HOUR, status="resolved", ends_at=earliest)
        await store.ingest(parse_webhook(webhook(privacy, late), earliest), earliest)
        for fps, at in (
            (["s1", "s2"], OLD),
            (["o1"], OLD),
            (["m1"], MIDDLE),
            (["r1"], RECENT),
        ):
            alerts = [alert(fp, at, status="resolved", ends_at=at + HOUR) for fp in fps]
            await store.ingest(parse_webhook(webhook(*alerts), at), at)
        # settled: its one report was sent years ago
        await store.save_incidents([incident("inc-settled", ["s1", "s2"], OLD, ["sent"])])
        sent = DraftRecord("d-sent", "inc-settled", "sent", 1, OLD + 2 * HOUR, {"id": "d-sent"})
        await store.put_draft(sent, None, [])
        # as old, but its report is still a draft: everything of it stays
        await store.save_incidents([incident("inc-owing", ["o1"], OLD, ["drafted"])])
        waiting = DraftRecord("d-wait", "inc-owing", "draft", 1, OLD + 2 * HOUR, {"id": "d-wait"})
        await store.put_draft(waiting, None, [])
        await store.save_incidents([incident("inc-recent", ["r1"], RECENT, [])])
        # settled 600 days ago: its alert goes, its document stays
        await store.save_incidents([incident("inc-middle", ["m1"], MIDDLE, [])])
        await store.append_audit([AuditEntry(OLD, "token:ops", "draft.approved", "draft:d-sent")])
    finally:
        await store.close()


async def contents(path: Path) -> tuple[dict[str, int], list[str], list[str], list[AuditEntry]]:
    store = SqliteStore(f"sqlite:///{path}")
    await store.open()
    try:
        counts = await store.count_records()
        incidents = sorted(r.id for r in await store.load_incidents())
        episodes = sorted(ep.fingerprint for ep in await store.load_episodes())
        return counts, incidents, episodes, await store.audit_log()
    finally:
        await store.close()


def test_prune_dry_run_then_prune(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite3"
    asyncio.run(seed(db))
    privacy = {"alert_label": {"kind": "pii"}}
    config = write_config(tmp_path, store=f"sqlite:///{db}", extra={"privacy": privacy})
    before = asyncio.run(contents(db))

    dry = bridge("prune", "--dry-run", "-c", str(config))
    assert dry.returncode == 0, dry.stderr
    lines = {line.split()[0]: line.split() for line in dry.stdout.splitlines()[1:]}
    assert "dry run" in dry.stdout.splitlines()[0]
    # the settled incident: its 2 alerts; the document and the sent notice stay 5 years, and
    # 2019 is more than that ago, so they go too. The owing incident keeps the deliveries from
    # its start on: only the one before it goes. Of its alerts, listed by no incident, the
    # late one goes (received years ago), the privacy alert stays (the register's evidence)
    assert {k: int(v[1]) for k, v in lines.items() if v[1] != "-"} == {
        "alerts": 4,
        "deliveries": 1,
        "incidents": 1,
        "drafts": 0,
        "notices": 1,
    }
    assert lines["audit"][2:] == ["never", "pruned"]
    assert asyncio.run(contents(db)) == before, "a dry run changes nothing"

    real = bridge("prune", "-c", str(config))
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines()[0] == "retention: pruned"
    counts, incidents, episodes, audit = asyncio.run(contents(db))
    assert incidents == ["inc-middle", "inc-owing", "inc-recent"]
    assert episodes == ["o1", "p1", "r1"]
    assert (counts["notices"], counts["drafts"]) == (0, 1)  # the waiting draft stays
    assert counts["deliveries"] == 4  # received from the owing incident's start on
    newest = audit[0]
    assert (newest.actor, newest.action) == ("retention", "retention.pruned")
    assert newest.detail["counts"] == {
        "alerts": 4,
        "deliveries": 1,
        "incidents": 1,
        "drafts": 0,
        "notices": 1,
    }
    assert [e.action for e in audit[1:]] == ["draft.approved"], "the audit keeps everything"

    # what went is not counted again (inc-middle still lists its alert)
    again = bridge("prune", "--dry-run", "-c", str(config))
    assert all(line.split()[1] in ("0", "-") for line in again.stdout.splitlines()[1:])


def test_prune_refuses_a_period_shorter_than_memory_horizon(tmp_path: Path) -> None:
    """A period shorter than what memory keeps (evaluation.memory_horizon) would let the store
    prune incidents the API still lists: `bridge prune` (like every command) refuses the config,
    naming the key and the bound, and changes nothing."""
    db = tmp_path / "b.sqlite3"
    asyncio.run(seed(db))
    before = asyncio.run(contents(db))
    extra = {"retention": {"incidents": "1d"}, "evaluation": {"memory_horizon": "7d"}}
    config = write_config(tmp_path, store=f"sqlite:///{db}", extra=extra)
    refused = bridge("prune", "-c", str(config))
    assert refused.returncode != 0
    assert "retention.incidents: 1d is shorter than evaluation.memory_horizon (7d)" in (
        refused.stderr
    )
    assert asyncio.run(contents(db)) == before
