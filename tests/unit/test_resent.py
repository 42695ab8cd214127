"""What ResentGroups (bridge.evaluation.resent) keeps of a body that went the full way, and
for how long: only bodies whose re-send can change nothing but last_seen, within the limits,
and never more than its capacity in alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from builders import alert, webhook
from msgspec.structs import replace

from bridge.core.alerts import DEFAULT_LIMITS, parse_webhook
from bridge.evaluation.resent import ResentGroups

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _body(*fingerprints: str, **kw: object) -> bytes:
    return json.dumps(webhook(*(alert(fp, T0, **kw) for fp in fingerprints))).encode()  # type: ignore[arg-type]


def _kept(groups: ResentGroups, raw: bytes, now: datetime = T0) -> bool:
    return groups.recall(raw, now) is not None


def test_a_body_stored_as_sent_is_recalled_with_its_change_and_record():
    groups = ResentGroups(DEFAULT_LIMITS)
    raw = _body("a", "b")
    delivery = parse_webhook(json.loads(raw), T0)
    groups.remember(raw, delivery, T0, delivery.episodes, 7)
    entry = groups.recall(raw, T0 + timedelta(minutes=5))
    assert entry is not None and entry.change == 7
    assert entry.record(T0 + timedelta(minutes=5)).received_at == T0 + timedelta(minutes=5)
    assert entry.record(T0).alerts == 2 and entry.firing == 2
    moved = entry.moved(T0 + timedelta(minutes=5))
    assert [ep.last_seen for ep in moved] == [T0 + timedelta(minutes=5)] * 2
    assert [replace(ep, last_seen=T0) for ep in moved] == delivery.episodes


def test_a_body_whose_store_kept_something_else_is_not_kept():
    """An alert stored other than sent (e.g. resolved by another group) or a resolve whose end
    was taken from the receive time would not give the same outcome when re-sent."""
    groups = ResentGroups(DEFAULT_LIMITS)
    raw = _body("a")
    delivery = parse_webhook(json.loads(raw), T0)
    resolved = replace(delivery.episodes[0], status="resolved", ends_at=T0)
    groups.remember(raw, delivery, T0, [resolved], 7)
    assert not _kept(groups, raw)
    no_end = json.dumps(webhook(alert("b", T0, status="resolved"))).encode()
    at = T0 + timedelta(minutes=1)
    delivery = parse_webhook(json.loads(no_end), at)
    assert delivery.episodes[0].ends_at == at  # the end is the receive time
    groups.remember(no_end, delivery, at, delivery.episodes, 8)
    assert not _kept(groups, no_end, at)


def test_a_body_is_not_recalled_once_its_timestamps_are_out_of_the_limits():
    groups = ResentGroups(DEFAULT_LIMITS)
    raw = _body("a")
    delivery = parse_webhook(json.loads(raw), T0)
    groups.remember(raw, delivery, T0, delivery.episodes, 7)
    late = T0 + DEFAULT_LIMITS.timestamps_past + timedelta(seconds=1)
    assert not _kept(groups, raw, late)  # the full way answers: startsAt too far back
    assert not _kept(groups, raw, T0)  # and it is gone


def test_the_bodies_kept_hold_at_most_capacity_alerts_least_recently_used_going_first():
    groups = ResentGroups(DEFAULT_LIMITS, capacity=4)
    bodies = [_body(f"{n}a", f"{n}b") for n in range(3)]
    for n, raw in enumerate(bodies):
        delivery = parse_webhook(json.loads(raw), T0)
        groups.remember(raw, delivery, T0, delivery.episodes, n + 1)
        if n == 1:
            assert _kept(groups, bodies[0])  # used: the second is now the least recent
    assert [_kept(groups, raw) for raw in bodies] == [True, False, True]


def test_a_body_is_recalled_only_for_the_very_same_bytes():
    """Bodies are looked up by hash and then compared: another body in the same slot (a hash
    collision, made here by moving the entry) is not taken for it, nor forgotten by it."""
    groups = ResentGroups(DEFAULT_LIMITS)
    raw, other = _body("a"), _body("b")
    delivery = parse_webhook(json.loads(raw), T0)
    groups.remember(raw, delivery, T0, delivery.episodes, 7)
    groups._bodies[hash(other)] = groups._bodies.pop(hash(raw))  # the same slot as ``other``
    assert not _kept(groups, other)
    groups.forget(other)
    assert len(groups._bodies) == 1
