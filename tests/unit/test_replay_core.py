"""bridge.core.replay on plain values: changes at their own instants, a forecast from the last
record, nothing sent so obligations go overdue."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import alert, webhook
from corekit import NKOM, PTS, at, engine

from bridge.core.alerts import parse_webhook
from bridge.core.replay import replay


def record(minutes: float, *alerts: dict) -> tuple:  # type: ignore[type-arg]
    when = at(minutes)
    return when, parse_webhook(webhook(*alerts), when)


def test_a_threshold_crossed_between_records_shows_at_its_own_instant() -> None:
    """10 000 connections (olt-b1) for an hour meet PTS's conn-5k-1h at start + 1 h, though the
    records come at 0 and 100 minutes; the forecast closes the incident 30 minutes after the
    resolve and shows the report overdue at its due time."""
    records = [
        record(0, alert("a", at(0), element="olt-b1")),
        record(100, alert("a", at(0), status="resolved", ends_at=at(95), element="olt-b1")),
    ]
    result = replay(engine(rule_sets=[replace(PTS, obligations=("pts_initial",)), NKOM]), records)
    kinds = [(c.what, c.forecast) for c in result.changes]
    assert kinds[0] == ("opened", False)
    (pts,) = [
        c for c in result.changes if c.what == "reportable" and c.detail["regulator"] == "pts"
    ]
    # conn-5k-1h at start + 1 h (e112 already at the start would say the same: both olt-a1)
    assert pts.at <= at(60) and not pts.forecast
    (owes,) = [c for c in result.changes if c.what == "owes" and c.detail["regulator"] == "pts"]
    assert owes.at == pts.at  # the timer in between opened it, not the next record
    (closed,) = [c for c in result.changes if c.what == "closed"]
    assert closed.forecast and closed.at == at(95) + timedelta(minutes=30)
    assert closed.detail["ended_at"] == "2026-11-23T11:35:00Z"
    overdue = [c for c in result.changes if c.what == "overdue"]
    assert overdue and all(c.forecast for c in overdue)
    assert result.last_record == at(100)
    (inc,) = result.incidents
    assert all(o.state == "overdue" for o in inc.obligations if o.due_at is not None)


def test_an_empty_recording_has_no_changes() -> None:
    result = replay(engine(), [])
    assert result.changes == [] and result.incidents == [] and result.last_record is None
